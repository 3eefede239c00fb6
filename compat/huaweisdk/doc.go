// Package huaweisdk checks the EventGrid simulator and the bot's EventGrid
// client against Huawei Cloud's official Go SDK (services/eg/v1). It is a
// module of its own so that the bot does not carry the SDK: `make compat`
// runs it.
//
// The tests build the bot from the main module and start `bot simulate` with
// config.example.yaml, so the simulator checked is the one users run; the
// simulator's packages are internal and cannot be imported from here. The
// other half, the bot's client reading what the SDK writes, meets here
// through files: TestSDKModelsAsTheBotReadsThem writes the SDK's marshalled
// models to internal/api/eg/testdata/sdk, and the main module's tests decode
// them with the bot's client.
package huaweisdk
