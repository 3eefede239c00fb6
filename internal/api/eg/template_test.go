package eg

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const kafkaYAML = `
cluster_id: fac59513-6c18-4266-bc81-5d412dfc1925
source:
  kafka:
    config_type: CLOUD
    region: roma-dev-1
    project_id: cb13a5c409fe40599271f44bbea5a2ad
    instance_id: cdecf0b0-35b8-461b-a430-d7cd02d3d712
    cluster_alias: aa
    address: 21.22.0.58:9092
    authenticate_mode: PLAINTEXT
sink:
  kafka:
    config_type: CLOUD
    region: roma-dev-1
    project_id: cb13a5c409fe40599271f44bbea5a2ad
    instance_id: 47896f0e-f90a-4528-b407-78ee00362cc9
    cluster_alias: bb
    address: 21.22.0.175:9092
    authenticate_mode: SASL_SSL
    sasl_mechanism: PLAIN
    user_name: dr
    password_env: DR_SINK_KAFKA_PASSWORD
advance:
  kafka2kafka:
    topics: t01
    replica_cnt: 1
    seek_to: earliest
    compress_alg: none
    is_sync_progress: false
    is_add_header: false
    rename_topic: false
`

const rocketmqYAML = `
cluster_id: c-1
scene_type: DISASTER_BACKUP
source:
  rocketmq:
    config_type: CLOUD
    region: cn-north-4
    project_id: p-src
    instance_id: i-src
    cluster_alias: src
    address: 10.0.0.1:8100
    ssl_open: "false"
    acl_open: true
    user_name: sync
    password_env: SRC_MQ_PASSWORD
sink:
  rocketmq:
    config_type: CLOUD
    region: cn-south-1
    project_id: p-dst
    instance_id: i-dst
    cluster_alias: dst
    address: 10.1.0.1:8100
    acl_open: false
advance:
  rocketmq2rocketmq:
    topic_regex: "orders-.*"
    is_sync_progress: true
    seek_to: "1715860000000"
    compress_alg: lz4
`

const dcsYAML = `
cluster_id: c-2
source:
  dcs:
    config_type: CLOUD
    region: cn-north-4
    project_id: p-src
    instance_id: redis-src
    address: 10.0.0.9:6379
    password_env: SRC_REDIS_PASSWORD
sink:
  dcs:
    config_type: CLOUD
    region: cn-north-4
    project_id: p-dst
    instance_id: redis-dst
    address: 10.1.0.9:6379
advance:
  dcs2dcs:
    synchronize_type: Full+Incremental
    connect_retry_time: "60"
    other_retry_time: "60"
    use_rate_limit: true
    rate_limit: "5"
    use_salve_node: false
`

func parseTemplate(t testing.TB, src string) JobTemplate {
	t.Helper()
	var tpl JobTemplate
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&tpl))
	return tpl
}

func kafkaTemplate() JobTemplate {
	var tpl JobTemplate
	if err := yaml.Unmarshal([]byte(kafkaYAML), &tpl); err != nil {
		panic(err)
	}
	return tpl
}

func TestRenderRocketMQ(t *testing.T) {
	req, err := parseTemplate(t, rocketmqYAML).Render("mq.sync_1", "", env(map[string]string{"SRC_MQ_PASSWORD": "mqpw"}))
	require.NoError(t, err)
	body, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, `{
	  "cluster_id": "c-1", "name": "mq.sync_1", "scene_type": "DISASTER_BACKUP",
	  "source_config": {"source_rocketmq": {"config_type": "CLOUD", "region": "cn-north-4", "project_id": "p-src", "instance_id": "i-src",
	    "cluster_alias": "src", "address": "10.0.0.1:8100", "ssl_open": "false", "acl_open": true, "user_name": "sync", "password": "mqpw"}},
	  "sink_config": {"sink_rocketmq": {"config_type": "CLOUD", "region": "cn-south-1", "project_id": "p-dst", "instance_id": "i-dst",
	    "cluster_alias": "dst", "address": "10.1.0.1:8100", "acl_open": false}},
	  "advance_config": {"rocketmq2rocketmq": {"topic_regex": "orders-.*", "is_sync_progress": true, "seek_to": "1715860000000", "compress_alg": "lz4"}}
	}`, string(body))
}

func TestRenderDCS(t *testing.T) {
	req, err := parseTemplate(t, dcsYAML).Render("redis-dr", "redis copy", env(map[string]string{"SRC_REDIS_PASSWORD": "rpw"}))
	require.NoError(t, err)
	body, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, `{
	  "cluster_id": "c-2", "name": "redis-dr", "description": "redis copy", "scene_type": "DISASTER_BACKUP",
	  "source_config": {"source_dcs": {"config_type": "CLOUD", "region": "cn-north-4", "project_id": "p-src", "instance_id": "redis-src",
	    "address": "10.0.0.9:6379", "password": "rpw"}},
	  "sink_config": {"sink_dcs": {"config_type": "CLOUD", "region": "cn-north-4", "project_id": "p-dst", "instance_id": "redis-dst",
	    "address": "10.1.0.9:6379"}},
	  "advance_config": {"dcs2dcs": {"synchronize_type": "Full+Incremental", "connect_retry_time": "60", "other_retry_time": "60",
	    "use_rate_limit": true, "rate_limit": "5", "use_salve_node": false}}
	}`, string(body))
}

func TestRenderWithoutAdvanceConfig(t *testing.T) {
	tpl := parseTemplate(t, kafkaYAML)
	tpl.Advance = AdvanceConfig{}
	req, err := tpl.Render("plain", "", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "pw"}))
	require.NoError(t, err)
	assert.Nil(t, req.AdvanceConfig)
	body, _ := json.Marshal(req)
	assert.NotContains(t, string(body), "advance_config")
}

func TestRenderNeverChangesTheTemplate(t *testing.T) {
	tpl := parseTemplate(t, kafkaYAML)
	req, err := tpl.Render("a", "", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "pw"}))
	require.NoError(t, err)
	req.SinkConfig.Kafka.Address = "changed"
	*req.AdvanceConfig.Kafka2Kafka.IsAddHeader = true
	assert.Empty(t, tpl.Sink.Kafka.Password)
	assert.Equal(t, "21.22.0.175:9092", tpl.Sink.Kafka.Address)
	assert.False(t, *tpl.Advance.Kafka2Kafka.IsAddHeader)
}

func TestRenderNamesAMissingPasswordVariable(t *testing.T) {
	_, err := parseTemplate(t, kafkaYAML).Render("a", "", env(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sink_config.sink_kafka.password: environment variable DR_SINK_KAFKA_PASSWORD (named by password_env) is not set")
}

func TestTemplateYAMLHoldsNoPassword(t *testing.T) {
	src := strings.Replace(kafkaYAML, "password_env: DR_SINK_KAFKA_PASSWORD", "password: hunter2", 1)
	var strict JobTemplate
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	assert.Error(t, dec.Decode(&strict), "a strict decoder refuses an inline password")

	var lax JobTemplate
	require.NoError(t, yaml.Unmarshal([]byte(src), &lax))
	_, err := lax.Render("a", "", env(nil))
	require.Error(t, err, "a lax decoder drops it, and the SASL_SSL target then lacks one")
	assert.Contains(t, err.Error(), "sink_config.sink_kafka.password: required when authenticate_mode is SASL_SSL")
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestMasked(t *testing.T) {
	req, err := parseTemplate(t, kafkaYAML).Render("a", "", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "s3cret"}))
	require.NoError(t, err)
	m := req.Masked()
	assert.Equal(t, MaskedSecret, m.SinkConfig.Kafka.Password)
	assert.Empty(t, m.SourceConfig.Kafka.Password, "an unset password stays unset")
	assert.Equal(t, "s3cret", req.SinkConfig.Kafka.Password, "the original is untouched")
	body, _ := json.Marshal(m)
	assert.NotContains(t, string(body), "s3cret")

	mq, err := parseTemplate(t, rocketmqYAML).Render("b", "", env(map[string]string{"SRC_MQ_PASSWORD": "mq"}))
	require.NoError(t, err)
	assert.Equal(t, MaskedSecret, mq.Masked().SourceConfig.RocketMQ.Password)
	dcs, err := parseTemplate(t, dcsYAML).Render("c", "", env(map[string]string{"SRC_REDIS_PASSWORD": "r"}))
	require.NoError(t, err)
	assert.Equal(t, MaskedSecret, dcs.Masked().SourceConfig.DCS.Password)
}

func TestLogValueHidesPasswords(t *testing.T) {
	req, err := parseTemplate(t, kafkaYAML).Render("a", "", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "s3cret"}))
	require.NoError(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("create", "job", req)
	assert.NotContains(t, buf.String(), "s3cret")
	assert.Contains(t, buf.String(), `"source_type":"KAFKA"`)
}

func TestCreateJobValidateRules(t *testing.T) {
	good := func() CreateJob {
		r, err := parseTemplate(t, kafkaYAML).Render("job-1", "", env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "pw"}))
		require.NoError(t, err)
		return r
	}
	mq := func() CreateJob {
		r, err := parseTemplate(t, rocketmqYAML).Render("job-2", "", env(map[string]string{"SRC_MQ_PASSWORD": "pw"}))
		require.NoError(t, err)
		return r
	}
	dcs := func() CreateJob {
		r, err := parseTemplate(t, dcsYAML).Render("job-3", "", env(map[string]string{"SRC_REDIS_PASSWORD": "pw"}))
		require.NoError(t, err)
		return r
	}
	cases := []struct {
		name   string
		base   func() CreateJob
		change func(*CreateJob)
		want   string
	}{
		{"cluster_id", good, func(r *CreateJob) { r.ClusterID = "" }, "cluster_id: required"},
		{"name missing", good, func(r *CreateJob) { r.Name = "" }, "name: required"},
		{"name start", good, func(r *CreateJob) { r.Name = "-job" }, "name: must start with a letter or digit"},
		{"name chars", good, func(r *CreateJob) { r.Name = "job one" }, "name: must start with a letter or digit"},
		{"name unicode", good, func(r *CreateJob) { r.Name = "jöb" }, "name: must start with a letter or digit"},
		{"name length", good, func(r *CreateJob) { r.Name = strings.Repeat("a", 129) }, "name: at most 128 characters, got 129"},
		{"description", good, func(r *CreateJob) { r.Description = strings.Repeat("d", 257) }, "description: at most 256 characters, got 257"},
		{"scene_type", good, func(r *CreateJob) { r.SceneType = "" }, "scene_type: required"},
		{"no source", good, func(r *CreateJob) { r.SourceConfig = nil }, "source_config: required"},
		{"empty source", good, func(r *CreateJob) { r.SourceConfig = &SourceConfig{} }, "source_config: want exactly one of source_kafka, source_rocketmq, source_dcs, got 0"},
		{"two sources", good, func(r *CreateJob) { r.SourceConfig.DCS = dcs().SourceConfig.DCS }, "source_config: want exactly one of source_kafka, source_rocketmq, source_dcs, got 2"},
		{"no sink", good, func(r *CreateJob) { r.SinkConfig = nil }, "sink_config: required"},
		{"two sinks", good, func(r *CreateJob) { r.SinkConfig.RocketMQ = mq().SinkConfig.RocketMQ }, "sink_config: want exactly one of sink_kafka, sink_rocketmq, sink_dcs, got 2"},
		{"two advances", good, func(r *CreateJob) { r.AdvanceConfig.DCS2DCS = dcs().AdvanceConfig.DCS2DCS }, "advance_config: want at most one"},
		{"advance mismatch", good, func(r *CreateJob) { r.AdvanceConfig = mq().AdvanceConfig }, "advance_config.rocketmq2rocketmq: needs a ROCKETMQ source and a ROCKETMQ target, got KAFKA to KAFKA"},
		{"config_type", good, func(r *CreateJob) { r.SourceConfig.Kafka.ConfigType = "" }, "source_config.source_kafka.config_type: required"},
		{"region", good, func(r *CreateJob) { r.SinkConfig.Kafka.Region = "" }, "sink_config.sink_kafka.region: required"},
		{"project_id", good, func(r *CreateJob) { r.SourceConfig.Kafka.ProjectID = "" }, "source_config.source_kafka.project_id: required"},
		{"instance_id", good, func(r *CreateJob) { r.SourceConfig.Kafka.InstanceID = "" }, "source_config.source_kafka.instance_id: required when config_type is CLOUD"},
		{"cluster_alias", good, func(r *CreateJob) { r.SinkConfig.Kafka.ClusterAlias = "" }, "sink_config.sink_kafka.cluster_alias: required"},
		{"sasl user", good, func(r *CreateJob) { r.SinkConfig.Kafka.UserName = "" }, "sink_config.sink_kafka.user_name: required when authenticate_mode is SASL_SSL"},
		{"sasl password env", good, func(r *CreateJob) { r.SinkConfig.Kafka.Password = "" }, "sink_config.sink_kafka.password: environment variable DR_SINK_KAFKA_PASSWORD (named by password_env) is not set"},
		{"sasl password", good, func(r *CreateJob) { r.SinkConfig.Kafka.Password, r.SinkConfig.Kafka.PasswordEnv = "", "" }, "sink_config.sink_kafka.password: required when authenticate_mode is SASL_SSL"},
		{"bad env name", good, func(r *CreateJob) { r.SinkConfig.Kafka.PasswordEnv = "1-BAD" }, `sink_config.sink_kafka.password_env: want an environment variable name, got "1-BAD"`},
		{"topics and regex", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.TopicRegex = "t.*" }, "advance_config.kafka2kafka: set either topics or topic_regex, not both or neither"},
		{"neither topics", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.Topics = "" }, "advance_config.kafka2kafka: set either topics or topic_regex"},
		{"replica_cnt", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.ReplicaCnt = 0 }, "advance_config.kafka2kafka.replica_cnt: required"},
		{"seek_to", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.SeekTo = "" }, "advance_config.kafka2kafka.seek_to: required"},
		{"compress_alg", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.CompressAlg = "brotli" }, `advance_config.kafka2kafka.compress_alg: want none, gzip, snappy, lz4 or zstd, got "brotli"`},
		{"is_sync_progress", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.IsSyncProgress = nil }, "advance_config.kafka2kafka.is_sync_progress: required (true or false)"},
		{"is_add_header", good, func(r *CreateJob) { r.AdvanceConfig.Kafka2Kafka.IsAddHeader = nil }, "advance_config.kafka2kafka.is_add_header: required (true or false)"},
		{"mq acl user", mq, func(r *CreateJob) { r.SourceConfig.RocketMQ.UserName = "" }, "source_config.source_rocketmq.user_name: required when acl_open is true"},
		{"mq acl password", mq, func(r *CreateJob) { r.SourceConfig.RocketMQ.Password = "" }, "source_config.source_rocketmq.password: environment variable SRC_MQ_PASSWORD"},
		{"mq ssl_open", mq, func(r *CreateJob) { r.SinkConfig.RocketMQ.SSLOpen = "yes" }, `sink_config.sink_rocketmq.ssl_open: want "true" or "false", got "yes"`},
		{"mq cluster_alias", mq, func(r *CreateJob) { r.SinkConfig.RocketMQ.ClusterAlias = "" }, "sink_config.sink_rocketmq.cluster_alias: required"},
		{"mq regex", mq, func(r *CreateJob) { r.AdvanceConfig.RocketMQ2RocketMQ.TopicRegex = "(" }, "advance_config.rocketmq2rocketmq.topic_regex: not a regular expression"},
		{"mq neither topics", mq, func(r *CreateJob) { r.AdvanceConfig.RocketMQ2RocketMQ.TopicRegex = "" }, "advance_config.rocketmq2rocketmq: set either topics or topic_regex"},
		{"mq seek_to", mq, func(r *CreateJob) { r.AdvanceConfig.RocketMQ2RocketMQ.SeekTo = "earliest" }, `advance_config.rocketmq2rocketmq.seek_to: want first, last or a timestamp, got "earliest"`},
		{"mq compress", mq, func(r *CreateJob) { r.AdvanceConfig.RocketMQ2RocketMQ.CompressAlg = "snappy" }, `advance_config.rocketmq2rocketmq.compress_alg: want none, gzip, lz4 or zstd, got "snappy"`},
		{"mq sync progress", mq, func(r *CreateJob) { r.AdvanceConfig.RocketMQ2RocketMQ.IsSyncProgress = nil }, "advance_config.rocketmq2rocketmq.is_sync_progress: required"},
		{"dcs instance", dcs, func(r *CreateJob) { r.SinkConfig.DCS.InstanceID = "" }, "sink_config.sink_dcs.instance_id: required when config_type is CLOUD"},
		{"dcs password env", dcs, func(r *CreateJob) { r.SourceConfig.DCS.Password = "" }, "source_config.source_dcs.password: environment variable SRC_REDIS_PASSWORD (named by password_env) is not set"},
		{"dcs synchronize_type", dcs, func(r *CreateJob) { r.AdvanceConfig.DCS2DCS.SynchronizeType = "" }, "advance_config.dcs2dcs.synchronize_type: required"},
		{"dcs connect_retry_time", dcs, func(r *CreateJob) { r.AdvanceConfig.DCS2DCS.ConnectRetryTime = "" }, "advance_config.dcs2dcs.connect_retry_time: required"},
		{"dcs other_retry_time", dcs, func(r *CreateJob) { r.AdvanceConfig.DCS2DCS.OtherRetryTime = "" }, "advance_config.dcs2dcs.other_retry_time: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.base()
			require.NoError(t, r.Validate())
			tc.change(&r)
			err := r.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "pw\"")
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := CreateJob{}.Validate()
	require.Error(t, err)
	for _, key := range []string{"cluster_id", "name", "scene_type", "source_config", "sink_config"} {
		assert.Contains(t, err.Error(), key+":")
	}
}

func TestNameAtTheLimitsIsValid(t *testing.T) {
	for _, name := range []string{strings.Repeat("a", 128), "9", "A._-z"} {
		_, err := kafkaTemplate().Render(name, strings.Repeat("d", 256), env(map[string]string{"DR_SINK_KAFKA_PASSWORD": "pw"}))
		assert.NoError(t, err, name)
	}
}
