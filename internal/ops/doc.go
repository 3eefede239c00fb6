// Package ops is the product's rules: which operations exist, who may ask
// for and confirm each (Policy), how a request is made, confirmed,
// cancelled, carried out or expired, and what is recorded of every step. It
// knows no transport: front ends turn its values into messages and back.
//
// # The life of a request
//
// A front end (Slack, the console, an alert rule, a NATS request message)
// hands a line to [Service.Handle]. A read (help, pending, a list or a show)
// is answered at once. An operation that changes something becomes a
// [Request] in state [Pending], stored and shown as a card, and then ends in
// one of these ways:
//
//   - Confirmed by someone the policy allows: the target is claimed (one
//     request acts on a target at a time, across replicas), the request moves
//     to [Executing] by a compare-and-swap, so that it acts once whichever
//     replica took the click, and the provider is called. The answer makes it
//     [Succeeded] or [Failed]; a call that may or may not have acted (a 5xx,
//     a timeout, a cut connection, a bot that stopped mid-call) makes it
//     [Uncertain]. Then the target's status is read until it shows the
//     expected state or Settings.CheckTimeout passes, and that is told as a
//     follow-up (an event in state [Checked]).
//   - [Cancelled] by a person, or when the alert behind it resolves.
//   - [Expired] when nobody decided it within Settings.Expiry (the sweep,
//     [Service.Run]). The sweep also reports as uncertain a request left
//     executing longer than Settings.AbandonAfter: its bot stopped mid-call.
//
// Every transition is published as an [Event], the audit trail.
//
// # Ports
//
// ops defines the interfaces it works through, and others implement them:
//
//   - [Store], [Claims], [Publisher] and [Trail]: internal/bus, on NATS
//     JetStream (requests, target claims, audit events and reading them back).
//   - [Notifier] and [Starter]: the front ends, internal/slackbot and
//     internal/console, made with the service through Deps.FrontEnds.
//   - [Groups]: internal/slackbot, from Slack's user groups.
//   - [Metrics]: internal/metrics.
//   - The providers' operations: the clients in internal/api.
//
// ops imports none of those: no Slack, no NATS, no HTTP server, no front
// end and no provider client. Rules are tested on in-memory fakes and real
// simulators; the NATS code is tested on a real server.
package ops
