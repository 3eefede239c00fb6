package eg

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// CreateJob is the body of POST /v1/{project_id}/eventrouter/jobs
// (docs/providers.md §1c).
//
// The create-job document's example wraps source_config, sink_config,
// advance_config and the objects inside them in arrays, and has trailing
// commas, so it is not even JSON; its parameter tables define each of them as
// a plain object. The client follows the tables:
// {"source_config": {"source_kafka": {...}}}.
type CreateJob struct {
	ClusterID     string         `json:"cluster_id"`
	Name          string         `json:"name"`
	Description   string         `json:"description,omitempty"`
	SceneType     string         `json:"scene_type"`
	SourceConfig  *SourceConfig  `json:"source_config,omitempty"`
	SinkConfig    *SinkConfig    `json:"sink_config,omitempty"`
	AdvanceConfig *AdvanceConfig `json:"advance_config,omitempty"`
}

// SceneDisasterBackup is the one documented scene type: a synchronization task.
const SceneDisasterBackup = "DISASTER_BACKUP"

// SourceConfig holds exactly one source. In a template's YAML its keys are
// kafka, rocketmq and dcs.
type SourceConfig struct {
	Kafka    *KafkaParams    `json:"source_kafka,omitempty" yaml:"kafka"`
	RocketMQ *RocketMQParams `json:"source_rocketmq,omitempty" yaml:"rocketmq"`
	DCS      *DCSParams      `json:"source_dcs,omitempty" yaml:"dcs"`
}

// SinkConfig holds exactly one target.
type SinkConfig struct {
	Kafka    *KafkaParams    `json:"sink_kafka,omitempty" yaml:"kafka"`
	RocketMQ *RocketMQParams `json:"sink_rocketmq,omitempty" yaml:"rocketmq"`
	DCS      *DCSParams      `json:"sink_dcs,omitempty" yaml:"dcs"`
}

// AdvanceConfig holds at most one synchronization setting.
type AdvanceConfig struct {
	Kafka2Kafka       *Kafka2Kafka       `json:"kafka2kafka,omitempty" yaml:"kafka2kafka"`
	RocketMQ2RocketMQ *RocketMQ2RocketMQ `json:"rocketmq2rocketmq,omitempty" yaml:"rocketmq2rocketmq"`
	DCS2DCS           *DCS2DCS           `json:"dcs2dcs,omitempty" yaml:"dcs2dcs"`
}

// KafkaParams is the create-job document's KafkaParameters. Password is
// never read from YAML: a template names the environment variable in
// password_env.
type KafkaParams struct {
	ConfigType       string `json:"config_type" yaml:"config_type"`
	Region           string `json:"region" yaml:"region"`
	ProjectID        string `json:"project_id" yaml:"project_id"`
	InstanceID       string `json:"instance_id,omitempty" yaml:"instance_id"`
	ClusterAlias     string `json:"cluster_alias" yaml:"cluster_alias"`
	Address          string `json:"address,omitempty" yaml:"address"`
	AuthenticateMode string `json:"authenticate_mode,omitempty" yaml:"authenticate_mode"`
	SASLMechanism    string `json:"sasl_mechanism,omitempty" yaml:"sasl_mechanism"`
	UserName         string `json:"user_name,omitempty" yaml:"user_name"`
	Password         string `json:"password,omitempty" yaml:"-"`
	PasswordEnv      string `json:"-" yaml:"password_env"`
}

// RocketMQParams is the create-job document's RocketmqParameters. It types
// ssl_open as a string and acl_open as a boolean; both are kept as
// documented.
type RocketMQParams struct {
	ConfigType   string `json:"config_type" yaml:"config_type"`
	Region       string `json:"region" yaml:"region"`
	ProjectID    string `json:"project_id" yaml:"project_id"`
	InstanceID   string `json:"instance_id,omitempty" yaml:"instance_id"`
	ClusterAlias string `json:"cluster_alias" yaml:"cluster_alias"`
	Address      string `json:"address,omitempty" yaml:"address"`
	SSLOpen      string `json:"ssl_open,omitempty" yaml:"ssl_open"`
	ACLOpen      *bool  `json:"acl_open,omitempty" yaml:"acl_open"`
	UserName     string `json:"user_name,omitempty" yaml:"user_name"`
	Password     string `json:"password,omitempty" yaml:"-"`
	PasswordEnv  string `json:"-" yaml:"password_env"`
}

// DCSParams is the create-job document's DcsParameters.
type DCSParams struct {
	ConfigType  string `json:"config_type" yaml:"config_type"`
	Region      string `json:"region" yaml:"region"`
	ProjectID   string `json:"project_id" yaml:"project_id"`
	InstanceID  string `json:"instance_id,omitempty" yaml:"instance_id"`
	Address     string `json:"address,omitempty" yaml:"address"`
	Password    string `json:"password,omitempty" yaml:"-"`
	PasswordEnv string `json:"-" yaml:"password_env"`
}

// Kafka2Kafka is the create-job document's Kafka2KafkaAdvanceConfig.
// Mandatory booleans are pointers so that a template which forgets one is
// refused, not sent as false.
type Kafka2Kafka struct {
	Topics         string         `json:"topics,omitempty" yaml:"topics"`
	TopicRegex     string         `json:"topic_regex,omitempty" yaml:"topic_regex"`
	ReplicaCnt     int            `json:"replica_cnt" yaml:"replica_cnt"`
	SeekTo         string         `json:"seek_to" yaml:"seek_to"`
	CompressAlg    string         `json:"compress_alg" yaml:"compress_alg"`
	IsSyncProgress *bool          `json:"is_sync_progress" yaml:"is_sync_progress"`
	IsAddHeader    *bool          `json:"is_add_header" yaml:"is_add_header"`
	RenameTopic    *bool          `json:"rename_topic,omitempty" yaml:"rename_topic"`
	TopicMappings  []TopicMapping `json:"topic_mappings,omitempty" yaml:"topic_mappings"`
}

// TopicMapping is the create-job document's KafkaTopicMapping.
type TopicMapping struct {
	SourceTopic string `json:"source_topic,omitempty" yaml:"source_topic"`
	SinkTopic   string `json:"sink_topic,omitempty" yaml:"sink_topic"`
}

// RocketMQ2RocketMQ is the create-job document's RocketMQ synchronization
// configuration.
type RocketMQ2RocketMQ struct {
	Topics         string `json:"topics,omitempty" yaml:"topics"`
	TopicRegex     string `json:"topic_regex,omitempty" yaml:"topic_regex"`
	IsSyncProgress *bool  `json:"is_sync_progress" yaml:"is_sync_progress"`
	SeekTo         string `json:"seek_to" yaml:"seek_to"`
	CompressAlg    string `json:"compress_alg" yaml:"compress_alg"`
}

// DCS2DCS is the create-job document's Dcs2DcsAdvanceConfig; use_salve_node
// is the provider's spelling.
type DCS2DCS struct {
	SynchronizeType  string `json:"synchronize_type" yaml:"synchronize_type"`
	ConnectRetryTime string `json:"connect_retry_time" yaml:"connect_retry_time"`
	OtherRetryTime   string `json:"other_retry_time" yaml:"other_retry_time"`
	UseRateLimit     *bool  `json:"use_rate_limit,omitempty" yaml:"use_rate_limit"`
	RateLimit        string `json:"rate_limit,omitempty" yaml:"rate_limit"`
	UseSalveNode     *bool  `json:"use_salve_node,omitempty" yaml:"use_salve_node"`
}

// MaskedSecret replaces a password's value wherever one is shown or logged.
const MaskedSecret = "******"

var (
	jobNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

	kafkaCompress    = map[string]bool{"none": true, "gzip": true, "snappy": true, "lz4": true, "zstd": true}
	rocketmqCompress = map[string]bool{"none": true, "gzip": true, "lz4": true, "zstd": true}
)

// Validate checks the request against the create-job document's rules
// (docs/providers.md §1c). Errors name the JSON key and never contain a
// password.
func (r CreateJob) Validate() error {
	v := &problems{}
	v.required("cluster_id", r.ClusterID)
	switch {
	case r.Name == "":
		v.add("name", "required")
	case utf8.RuneCountInString(r.Name) > 128:
		v.add("name", "at most 128 characters, got %d", utf8.RuneCountInString(r.Name))
	case !jobNameRe.MatchString(r.Name):
		v.add("name", "must start with a letter or digit and contain only letters, digits, '.', '_' and '-', got %q", r.Name)
	}
	if n := utf8.RuneCountInString(r.Description); n > 256 {
		v.add("description", "at most 256 characters, got %d", n)
	}
	v.required("scene_type", r.SceneType)

	v.endpoint("source", r.SourceConfig != nil, r.SourceConfig.endpoint())
	v.endpoint("sink", r.SinkConfig != nil, r.SinkConfig.endpoint())
	src, dst := r.SourceConfig.endpoint().kind(), r.SinkConfig.endpoint().kind()
	if a := r.AdvanceConfig; a != nil {
		if n := count(a.Kafka2Kafka != nil, a.RocketMQ2RocketMQ != nil, a.DCS2DCS != nil); n > 1 {
			v.add("advance_config", "want at most one of kafka2kafka, rocketmq2rocketmq, dcs2dcs, got %d", n)
		}
		for _, adv := range []struct {
			key, kind string
			set       bool
		}{
			{"kafka2kafka", TypeKafka, a.Kafka2Kafka != nil},
			{"rocketmq2rocketmq", TypeRocketMQ, a.RocketMQ2RocketMQ != nil},
			{"dcs2dcs", TypeDCS, a.DCS2DCS != nil},
		} {
			if adv.set && ((src != "" && src != adv.kind) || (dst != "" && dst != adv.kind)) {
				v.add("advance_config."+adv.key, "needs a %s source and a %s target, got %s to %s", adv.kind, adv.kind, orNone(src), orNone(dst))
			}
		}
		v.kafka2kafka("advance_config.kafka2kafka", a.Kafka2Kafka)
		v.rocketmq2rocketmq("advance_config.rocketmq2rocketmq", a.RocketMQ2RocketMQ)
		v.dcs2dcs("advance_config.dcs2dcs", a.DCS2DCS)
	}
	return v.err()
}

// Masked returns a deep copy in which every password that is set reads
// "******", for confirmation cards and logs.
func (r CreateJob) Masked() CreateJob {
	m := r.clone()
	maskAll(m.SourceConfig, m.SinkConfig)
	return m
}

// LogValue keeps passwords out of logs whatever the handler does.
func (r CreateJob) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", r.Name),
		slog.String("cluster_id", r.ClusterID),
		slog.String("scene_type", r.SceneType),
		slog.String("source_type", r.SourceConfig.endpoint().kind()),
		slog.String("sink_type", r.SinkConfig.endpoint().kind()),
	)
}

func (r CreateJob) clone() CreateJob {
	c := r
	if r.SourceConfig != nil {
		s := *r.SourceConfig
		s.Kafka, s.RocketMQ, s.DCS = clonePtr(s.Kafka), cloneRocketMQ(s.RocketMQ), clonePtr(s.DCS)
		c.SourceConfig = &s
	}
	if r.SinkConfig != nil {
		s := *r.SinkConfig
		s.Kafka, s.RocketMQ, s.DCS = clonePtr(s.Kafka), cloneRocketMQ(s.RocketMQ), clonePtr(s.DCS)
		c.SinkConfig = &s
	}
	if r.AdvanceConfig != nil {
		a := *r.AdvanceConfig
		if a.Kafka2Kafka != nil {
			k := *a.Kafka2Kafka
			k.IsSyncProgress, k.IsAddHeader, k.RenameTopic = clonePtr(k.IsSyncProgress), clonePtr(k.IsAddHeader), clonePtr(k.RenameTopic)
			k.TopicMappings = append([]TopicMapping(nil), k.TopicMappings...)
			a.Kafka2Kafka = &k
		}
		if a.RocketMQ2RocketMQ != nil {
			k := *a.RocketMQ2RocketMQ
			k.IsSyncProgress = clonePtr(k.IsSyncProgress)
			a.RocketMQ2RocketMQ = &k
		}
		if a.DCS2DCS != nil {
			k := *a.DCS2DCS
			k.UseRateLimit, k.UseSalveNode = clonePtr(k.UseRateLimit), clonePtr(k.UseSalveNode)
			a.DCS2DCS = &k
		}
		c.AdvanceConfig = &a
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cloneRocketMQ(p *RocketMQParams) *RocketMQParams {
	c := clonePtr(p)
	if c != nil {
		c.ACLOpen = clonePtr(c.ACLOpen)
	}
	return c
}

func maskAll(src *SourceConfig, dst *SinkConfig) {
	for _, s := range secrets(src, dst) {
		if *s.password != "" {
			*s.password = MaskedSecret
		}
	}
}

// secretRef is one password field and the variable a template names for it.
type secretRef struct {
	password *string
	env      string
}

func secrets(src *SourceConfig, dst *SinkConfig) []secretRef {
	var out []secretRef
	for _, e := range []endpoint{src.endpoint(), dst.endpoint()} {
		if e.kafka != nil {
			out = append(out, secretRef{&e.kafka.Password, e.kafka.PasswordEnv})
		}
		if e.rocketmq != nil {
			out = append(out, secretRef{&e.rocketmq.Password, e.rocketmq.PasswordEnv})
		}
		if e.dcs != nil {
			out = append(out, secretRef{&e.dcs.Password, e.dcs.PasswordEnv})
		}
	}
	return out
}

// Source and target types as the job reports them in source_type/sink_type.
const (
	TypeKafka    = "KAFKA"
	TypeRocketMQ = "ROCKETMQ"
	TypeDCS      = "DCS"
)

// endpoint is what a SourceConfig and a SinkConfig both hold: they differ
// only in their JSON keys. A nil config gives the zero endpoint.
type endpoint struct {
	kafka    *KafkaParams
	rocketmq *RocketMQParams
	dcs      *DCSParams
}

func (s *SourceConfig) endpoint() endpoint {
	if s == nil {
		return endpoint{}
	}
	return endpoint{s.Kafka, s.RocketMQ, s.DCS}
}

func (s *SinkConfig) endpoint() endpoint {
	if s == nil {
		return endpoint{}
	}
	return endpoint{s.Kafka, s.RocketMQ, s.DCS}
}

// kind is the type of the first endpoint set, "" if none is.
func (e endpoint) kind() string {
	switch {
	case e.kafka != nil:
		return TypeKafka
	case e.rocketmq != nil:
		return TypeRocketMQ
	case e.dcs != nil:
		return TypeDCS
	}
	return ""
}

// address is the address of the first endpoint set, "" if none is.
func (e endpoint) address() string {
	switch {
	case e.kafka != nil:
		return e.kafka.Address
	case e.rocketmq != nil:
		return e.rocketmq.Address
	case e.dcs != nil:
		return e.dcs.Address
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func count(b ...bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// problems collects every violation so that a template author sees them all at once.
type problems struct{ errs []error }

func (v *problems) add(key, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
}

func (v *problems) required(key, val string) {
	if val == "" {
		v.add(key, "required")
	}
}

func (v *problems) err() error { return errors.Join(v.errs...) }

func (v *problems) cloud(key, configType, region, projectID, instanceID string) {
	v.required(key+".config_type", configType)
	v.required(key+".region", region)
	v.required(key+".project_id", projectID)
	if configType == "CLOUD" && instanceID == "" {
		v.add(key+".instance_id", "required when config_type is CLOUD")
	}
}

// secret checks a password that a mode requires, and that a variable a
// template names was set: the error names the variable, not its value.
func (v *problems) secret(key, password, env string, needed bool, why string) {
	if env != "" && !envNameRe.MatchString(env) {
		v.add(key+".password_env", "want an environment variable name, got %q", env)
		return
	}
	switch {
	case env != "" && password == "":
		v.add(key+".password", "environment variable %s (named by password_env) is not set", env)
	case needed && password == "":
		v.add(key+".password", "required when %s; name its environment variable in password_env", why)
	}
}

// endpoint checks source_config or sink_config, side being "source" or "sink".
func (v *problems) endpoint(side string, present bool, e endpoint) {
	key := side + "_config"
	names := fmt.Sprintf("%[1]s_kafka, %[1]s_rocketmq, %[1]s_dcs", side)
	if !present {
		v.add(key, "required: one of %s", names)
		return
	}
	if n := count(e.kafka != nil, e.rocketmq != nil, e.dcs != nil); n != 1 {
		v.add(key, "want exactly one of %s, got %d", names, n)
	}
	v.kafka(key+"."+side+"_kafka", e.kafka)
	v.rocketmq(key+"."+side+"_rocketmq", e.rocketmq)
	v.dcs(key+"."+side+"_dcs", e.dcs)
}

func (v *problems) kafka(key string, p *KafkaParams) {
	if p == nil {
		return
	}
	v.cloud(key, p.ConfigType, p.Region, p.ProjectID, p.InstanceID)
	v.required(key+".cluster_alias", p.ClusterAlias)
	sasl := p.AuthenticateMode == "SASL_SSL"
	if sasl && p.UserName == "" {
		v.add(key+".user_name", "required when authenticate_mode is SASL_SSL")
	}
	v.secret(key, p.Password, p.PasswordEnv, sasl, "authenticate_mode is SASL_SSL")
}

func (v *problems) rocketmq(key string, p *RocketMQParams) {
	if p == nil {
		return
	}
	v.cloud(key, p.ConfigType, p.Region, p.ProjectID, p.InstanceID)
	v.required(key+".cluster_alias", p.ClusterAlias)
	if p.SSLOpen != "" && p.SSLOpen != "true" && p.SSLOpen != "false" {
		v.add(key+".ssl_open", `want "true" or "false", got %q`, p.SSLOpen)
	}
	acl := p.ACLOpen != nil && *p.ACLOpen
	if acl && p.UserName == "" {
		v.add(key+".user_name", "required when acl_open is true")
	}
	v.secret(key, p.Password, p.PasswordEnv, acl, "acl_open is true")
}

func (v *problems) dcs(key string, p *DCSParams) {
	if p == nil {
		return
	}
	v.cloud(key, p.ConfigType, p.Region, p.ProjectID, p.InstanceID)
	v.secret(key, p.Password, p.PasswordEnv, false, "")
}

func (v *problems) topics(key, topics, regex string) {
	if (topics == "") == (regex == "") {
		v.add(key, "set either topics or topic_regex, not both or neither")
	}
	if regex != "" {
		if _, err := regexp.Compile(regex); err != nil {
			v.add(key+".topic_regex", "not a regular expression: %v", err)
		}
	}
}

func (v *problems) mandatoryBool(key string, b *bool) {
	if b == nil {
		v.add(key, "required (true or false)")
	}
}

func (v *problems) kafka2kafka(key string, a *Kafka2Kafka) {
	if a == nil {
		return
	}
	v.topics(key, a.Topics, a.TopicRegex)
	if a.ReplicaCnt < 1 {
		v.add(key+".replica_cnt", "required: a positive number of replicas, at most the number of brokers")
	}
	v.required(key+".seek_to", a.SeekTo)
	if !kafkaCompress[a.CompressAlg] {
		v.add(key+".compress_alg", "want none, gzip, snappy, lz4 or zstd, got %q", a.CompressAlg)
	}
	v.mandatoryBool(key+".is_sync_progress", a.IsSyncProgress)
	v.mandatoryBool(key+".is_add_header", a.IsAddHeader)
}

func (v *problems) rocketmq2rocketmq(key string, a *RocketMQ2RocketMQ) {
	if a == nil {
		return
	}
	v.topics(key, a.Topics, a.TopicRegex)
	v.mandatoryBool(key+".is_sync_progress", a.IsSyncProgress)
	if _, err := strconv.ParseInt(a.SeekTo, 10, 64); a.SeekTo != "first" && a.SeekTo != "last" && err != nil {
		v.add(key+".seek_to", "want first, last or a timestamp, got %q", a.SeekTo)
	}
	if !rocketmqCompress[a.CompressAlg] {
		v.add(key+".compress_alg", "want none, gzip, lz4 or zstd, got %q", a.CompressAlg)
	}
}

func (v *problems) dcs2dcs(key string, a *DCS2DCS) {
	if a == nil {
		return
	}
	v.required(key+".synchronize_type", a.SynchronizeType)
	v.required(key+".connect_retry_time", a.ConnectRetryTime)
	v.required(key+".other_retry_time", a.OtherRetryTime)
}
