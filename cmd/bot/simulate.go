package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/sandbox/egsim"
	"github.com/streamops/streamops/internal/sandbox/enossim"
)

// simulate serves the providers' simulators on the addresses of the config's
// sandbox section, for other tools and clients to be pointed at.
func simulate(ctx context.Context, path string, getenv func(string) string, stderr io.Writer) error {
	cfg, log, closeLog, err := load(path, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	sims := []struct {
		name, key, listen string
		configured        bool
		handler           func() http.Handler
	}{
		{"EnOS", "sandbox.enos.listen", cfg.Sandbox.EnOS.Listen, cfg.EnOS != nil, func() http.Handler { return newEnOSSimulator(cfg, log) }},
		{"EventGrid", "sandbox.eg.listen", cfg.Sandbox.EG.Listen, cfg.EG != nil, func() http.Handler { return newEGSimulator(cfg, log) }},
	}
	started := 0
	for _, sim := range sims {
		if sim.listen == "" || !sim.configured {
			continue
		}
		s, err := startHTTP(sim.listen, sim.handler(), log)
		if err != nil {
			return fmt.Errorf("%s: %w", sim.key, err)
		}
		defer s.close()
		log.Info("simulator serving", "provider", sim.name, "url", s.url)
		fmt.Fprintf(stderr, "%s simulator: %s\n", sim.name, s.url)
		started++
	}
	if started == 0 {
		return fmt.Errorf("%s: nothing to simulate: set sandbox.enos.listen (with an enos section) or sandbox.eg.listen (with an eg section)", path)
	}
	<-ctx.Done()
	return nil
}

// newEnOSSimulator accepts the credentials the config gives the bot.
func newEnOSSimulator(cfg *config.Config, log *slog.Logger) http.Handler {
	return enossim.New(cfg.Sandbox.EnOS, cfg.EnOS.OrgID, cfg.EnOS.AppKey, cfg.EnOS.AppSecret, enossim.WithLogger(log))
}

// newEGSimulator accepts whichever sign-in the config's eg.auth sets up.
func newEGSimulator(cfg *config.Config, log *slog.Logger) http.Handler {
	a := cfg.EG.Auth
	return egsim.New(cfg.Sandbox.EG, egsim.Credentials{
		ProjectID: cfg.EG.ProjectID, Token: a.Token, Domain: a.Domain, User: a.User,
		Password: a.Password, AccessKey: a.AccessKey, SecretKey: a.SecretKey,
	}, cfg.EG.Operations, egsim.WithLogger(log))
}
