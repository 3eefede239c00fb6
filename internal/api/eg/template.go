package eg

// JobTemplate is a named job-creation template in the configuration
// (eg.templates.NAME). Passwords are never written in it: each source or
// target names the environment variable that holds its password in
// password_env.
type JobTemplate struct {
	ClusterID string        `yaml:"cluster_id"`
	SceneType string        `yaml:"scene_type"` // default DISASTER_BACKUP
	Source    SourceConfig  `yaml:"source"`
	Sink      SinkConfig    `yaml:"sink"`
	Advance   AdvanceConfig `yaml:"advance"`
}

// Render produces the create request for a job called name. Passwords are
// read with getenv; a nil getenv uses the values Config.ApplyEnv read. The
// result has been validated; the template itself is never changed.
func (t JobTemplate) Render(name, description string, getenv func(string) string) (CreateJob, error) {
	r := t.request(name, description).clone()
	if getenv != nil {
		r.readPasswords(getenv)
	}
	if err := r.Validate(); err != nil {
		return CreateJob{}, err
	}
	return r, nil
}

func (t JobTemplate) request(name, description string) CreateJob {
	scene := t.SceneType
	if scene == "" {
		scene = SceneDisasterBackup
	}
	r := CreateJob{
		ClusterID:    t.ClusterID,
		Name:         name,
		Description:  description,
		SceneType:    scene,
		SourceConfig: &t.Source,
		SinkConfig:   &t.Sink,
	}
	if a := t.Advance; a.Kafka2Kafka != nil || a.RocketMQ2RocketMQ != nil || a.DCS2DCS != nil {
		r.AdvanceConfig = &a
	}
	return r
}

// withPasswords returns a copy of t holding the passwords its variables name.
func (t JobTemplate) withPasswords(getenv func(string) string) JobTemplate {
	r := t.request("", "").clone()
	r.readPasswords(getenv)
	t.Source, t.Sink = *r.SourceConfig, *r.SinkConfig
	return t
}

func (r *CreateJob) readPasswords(getenv func(string) string) {
	for _, s := range secrets(r.SourceConfig, r.SinkConfig) {
		if s.env != "" {
			*s.password = getenv(s.env)
		}
	}
}
