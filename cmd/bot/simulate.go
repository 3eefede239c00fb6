package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/ops"
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
	type sim struct {
		name, account, key, listen string
		handler                    func() http.Handler
	}
	var sims []sim
	for _, a := range cfg.EnOS.All {
		sims = append(sims, sim{"EnOS", a.Name, a.SandboxKey() + ".listen", a.Sandbox.Listen, func() http.Handler { return newEnOSSimulator(a, log) }})
	}
	for _, a := range cfg.EG.All {
		sims = append(sims, sim{"EventGrid", a.Name, a.SandboxKey() + ".listen", a.Sandbox.Listen, func() http.Handler { return newEGSimulator(a, log) }})
	}
	started := 0
	for _, sim := range sims {
		if sim.listen == "" {
			continue
		}
		s, err := startHTTP(sim.listen, sim.handler(), log)
		if err != nil {
			return fmt.Errorf("%s: %w", sim.key, err)
		}
		defer s.close()
		log.Info("simulator serving", "provider", sim.name, "account", sim.account, "url", s.url)
		// The default account's line is as it was before accounts had
		// names, for the tools that read it.
		if sim.account == ops.DefaultAccount {
			fmt.Fprintf(stderr, "%s simulator: %s\n", sim.name, s.url)
		} else {
			fmt.Fprintf(stderr, "%s simulator for account %s: %s\n", sim.name, sim.account, s.url)
		}
		started++
	}
	if started == 0 {
		return fmt.Errorf("%s: nothing to simulate: set sandbox.enos.listen (with an enos section) or sandbox.eg.listen (with an eg section), or sandbox.listen in an account of a list", path)
	}
	<-ctx.Done()
	return nil
}

// newEnOSSimulator is the simulator of an EnOS account: it accepts the
// credentials the config gives that account.
func newEnOSSimulator(a config.EnOSAccount, log *slog.Logger) http.Handler {
	return enossim.New(*a.Sandbox, a.OrgID, a.AppKey, a.AppSecret, enossim.WithLogger(log))
}

// newEGSimulator is the simulator of an EventGrid account: it accepts
// whichever sign-in the account's auth sets up, for its project.
func newEGSimulator(a config.EGAccount, log *slog.Logger) http.Handler {
	return egsim.New(*a.Sandbox, egsim.Credentials{
		ProjectID: a.ProjectID, Token: a.Auth.Token, Domain: a.Auth.Domain, User: a.Auth.User,
		Password: a.Auth.Password, AccessKey: a.Auth.AccessKey, SecretKey: a.Auth.SecretKey,
	}, a.Operations, egsim.WithLogger(log))
}
