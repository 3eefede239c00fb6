package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/slack-go/slack"
	"golang.org/x/sync/errgroup"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/console"
	"github.com/streamops/streamops/internal/metrics"
	"github.com/streamops/streamops/internal/operations/eventgrid"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slackbot"
)

func serve(ctx context.Context, path string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, log, closeLog, err := load(path, getenv, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var servers []*httpServer
	defer func() {
		for _, s := range servers {
			s.close()
		}
	}()
	deps, sims, err := providers(cfg, log)
	servers = append(servers, sims...)
	if err != nil {
		return err
	}

	cfg.NATS.AuditRetention = cfg.Audit.Retention
	b, err := bus.Connect(ctx, cfg.NATS, log)
	if err != nil {
		return err
	}
	defer closeBus(ctx, b, cfg.Shutdown.Timeout, log)

	m := metrics.New()
	declareAccounts(cfg, m)
	withConsole := consoleWanted(cfg, stdin)
	con := console.New(cfg.Console.User, stdin, stdout)
	var slackAPI *slack.Client
	if cfg.Slack.Configured() {
		slackAPI = slackClient(cfg.Slack)
	}
	policy := policyOf(cfg, slackAPI, log)
	var sb *slackbot.Bot
	deps.Store, deps.Claims, deps.Events, deps.Metrics = b.Requests(), b.Claims(), b.Events(), m
	deps.Trail, deps.Policy = b.Audit(), policy
	deps.FrontEnds = func(svc *ops.Service) []ops.Notifier {
		var fronts []ops.Notifier
		if withConsole {
			fronts = append(fronts, con)
		}
		if slackAPI != nil {
			sb = newSlack(cfg.Slack, svc, slackAPI, b.Deliveries(), log)
			fronts = append(fronts, sb)
		}
		return fronts
	}
	svc, err := ops.New(settingsOf(cfg), deps)
	if err != nil {
		return err
	}
	startSlack(ctx, sb, cfg.Slack, log)
	if sb != nil { // Home tabs follow the requests of every replica
		unwatch, err := b.Events().Watch(func(e ops.Event) { sb.RequestChanged(ctx, e) })
		if err != nil {
			return err
		}
		defer unwatch()
	}
	checkGroups(ctx, policy, log)
	m.Declare(svc.Operations())
	m.WatchRequests(svc)
	m.WatchNATS(b.Conn().IsConnected)
	m.WatchStreams(b.StreamFill, bus.AuditStream, bus.AlertsStream)

	flow, err := newAlertFlow(ctx, cfg, b, svc, alertBoard(sb, con, withConsole, log), m, log)
	if err != nil {
		return err
	}
	hook := alertmanagerWebhook(cfg.Alerts.WebhookToken, cfg.Alerts.WebhookSubject, b, log)
	web, err := startHTTP(cfg.HTTP.Listen, routes(b, m, sb, hook), log)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	servers = append(servers, web)
	log.Info("serving HTTP", "addr", web.addr)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return svc.Run(gctx) })
	g.Go(func() error { return flow.run(gctx) })
	if cfg.Slack.SocketMode() {
		g.Go(func() error { return runSocketMode(gctx, sb, slackAPI) })
	}
	if withConsole {
		g.Go(func() error {
			defer cancel() // the console's end is the program's end
			return con.Run(gctx, svc)
		})
	} else {
		log.Info("running without a console until stopped (SIGTERM or Ctrl-C)")
	}
	ended := make(chan error, 1)
	go func() { ended <- g.Wait() }()
	<-ctx.Done()
	err = stop(ctx, cfg.Shutdown.Timeout, ended, svc, sb, stderr, log)
	log.Info("stopped")
	return err
}

// settingsOf is the config's settings for the product's rules.
func settingsOf(cfg *config.Config) ops.Settings {
	set := ops.Settings{
		Expiry:        cfg.Requests.Expiry,
		SweepInterval: sweepInterval,
		CheckInterval: cfg.Requests.CheckInterval,
		CheckTimeout:  cfg.Requests.CheckTimeout,
		AbandonAfter:  cfg.Requests.AbandonAfter,
		TargetWait:    cfg.Requests.TargetWait,
	}
	dir := cfg.Directory()
	set.Targets, set.Groups, set.Accounts = dir.Aliases, dir.Groups, dir.Accounts
	return set
}

// sweepInterval is how often expired and abandoned requests are looked
// for: an expiry is told within a second of its time.
const sweepInterval = time.Second

// providers makes the clients of the configured providers' accounts, one
// each, first starting the simulator of each account whose endpoint is
// "sandbox"; the servers started are returned to be closed even when a
// later one fails.
func providers(cfg *config.Config, log *slog.Logger) (ops.Deps, []*httpServer, error) {
	deps := ops.Deps{Log: log}
	var servers []*httpServer
	simulator := func(name string, h http.Handler, account string) (string, error) {
		s, err := startHTTP("127.0.0.1:0", h, log)
		if err != nil {
			return "", fmt.Errorf("starting the %s simulator of account %s: %w", name, account, err)
		}
		servers = append(servers, s)
		log.Info(name+" simulator started", "account", account, "url", s.url)
		return s.url, nil
	}
	var orgs []pipelines.Account
	for _, a := range cfg.EnOS.All {
		url := a.Endpoint
		if url == config.SandboxEndpoint {
			var err error
			if url, err = simulator("EnOS", newEnOSSimulator(a, log), a.Name); err != nil {
				return deps, servers, err
			}
		}
		orgs = append(orgs, pipelines.Account{Name: a.Name, API: enos.New(url, a.Config, enos.WithLogger(log))})
	}
	if len(orgs) > 0 {
		deps.Providers = append(deps.Providers, pipelines.Accounts(orgs...))
	}
	var projects []eventgrid.Setup
	for _, a := range cfg.EG.All {
		url, iamURL := a.Endpoint, a.IAMEndpoint
		if url == config.SandboxEndpoint {
			var err error
			if url, err = simulator("EventGrid", newEGSimulator(a, log), a.Name); err != nil {
				return deps, servers, err
			}
			iamURL = url // the simulator serves IAM too
		}
		client, err := eg.New(url, iamURL, a.Config, eg.WithLogger(log))
		if err != nil {
			return deps, servers, fmt.Errorf("eg account %s: %w", a.Name, err)
		}
		projects = append(projects, eventgrid.Setup{Account: a.Name, API: client, Operations: a.Operations, Templates: a.Templates})
	}
	if len(projects) > 0 {
		deps.Providers = append(deps.Providers, eventgrid.Accounts(projects...))
	}
	return deps, servers, nil
}

// declareAccounts tells the metrics each configured account and where its
// targets live, before the call series are declared in each.
func declareAccounts(cfg *config.Config, m *metrics.Metrics) {
	for _, a := range cfg.EnOS.All {
		m.Account(metrics.AccountInfo{Provider: pipelines.Provider, Account: a.Name, Org: a.OrgID})
	}
	for _, a := range cfg.EG.All {
		m.Account(metrics.AccountInfo{Provider: eventgrid.Provider, Account: a.Name, Region: a.Region, Project: a.ProjectID})
	}
}

// closeBus closes NATS within shutdown.timeout of its own.
func closeBus(ctx context.Context, b *bus.Bus, timeout time.Duration, log *slog.Logger) {
	closeCtx, done := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer done()
	if err := b.Close(closeCtx); err != nil {
		log.Warn("closing NATS", "err", err)
	}
}

// stop waits, once ctx has ended, for what runs to end; the stop is
// bounded: calls in flight get shutdown.timeout to return, then are
// reported as left uncertain. It returns what ended the run.
func stop(ctx context.Context, timeout time.Duration, ended <-chan error, svc *ops.Service, sb *slackbot.Bot, stderr io.Writer, log *slog.Logger) error {
	var err error
	waitCtx, done := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer done()
	select {
	case err = <-ended:
	case <-waitCtx.Done():
	}
	if werr := svc.Wait(waitCtx); werr != nil {
		// What is left uncertain is stored and told within a short bound
		// of its own: shutdown.timeout is spent by now.
		tellCtx, told := context.WithTimeout(context.WithoutCancel(ctx), finalWords)
		defer told()
		for _, r := range svc.Abandon(tellCtx) {
			log.Error("stopped while a provider call was in flight: its outcome is uncertain", "request", r.ID, "op", r.Op, "target", r.Target.ID, "confirmed_by", r.DecidedBy)
			fmt.Fprintf(stderr, "bot: stopped while %s (%s %s) was being carried out: its outcome is uncertain; check the target before asking again\n", r.ID, r.Op, r.TargetName())
		}
		log.Warn("stopped before calls and status checks finished", "err", werr, "timeout", timeout)
		waitCtx = tellCtx // for the Slack replies that say so
	}
	if sb != nil {
		if werr := sb.Wait(waitCtx); werr != nil {
			log.Warn("stopped before every Slack answer was sent", "err", werr)
		}
	}
	return err
}

// finalWords bounds storing and telling, after shutdown.timeout, which calls
// a stop leaves uncertain: long enough for a store and a Slack post that
// answer, short enough not to hold a stop that has waited already.
const finalWords = 5 * time.Second

// load reads the config and opens the log it names.
func load(path string, getenv func(string) string, stderr io.Writer) (*config.Config, *slog.Logger, func(), error) {
	cfg, err := config.Load(path, getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		return nil, nil, nil, fmt.Errorf("log.level: %w", err)
	}
	w, closeFn := stderr, func() {}
	if cfg.Log.File != "" {
		if err := os.MkdirAll(filepath.Dir(cfg.Log.File), 0o750); err != nil {
			return nil, nil, nil, fmt.Errorf("log.file: %w", err)
		}
		f, err := os.OpenFile(cfg.Log.File, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("log.file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	return cfg, slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// httpServer is a started HTTP server and where it listens.
type httpServer struct {
	srv  *http.Server
	addr string
	url  string
}

func startHTTP(addr string, h http.Handler, log *slog.Logger) (*httpServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &httpServer{
		srv: &http.Server{
			Handler: h,
			// Slow or silent clients are cut off rather than held forever:
			// headers here, bodies by the connection limit.
			ReadHeaderTimeout: 5 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		addr: l.Addr().String(),
	}
	limit := limitConns(l, maxConns, stallGrace)
	limit.serve(s.srv, bodyTimeout)
	s.url = "http://" + s.addr
	go func() {
		if err := s.srv.Serve(limit); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("HTTP server stopped", "addr", s.addr, "err", err)
		}
	}()
	return s, nil
}

func (s *httpServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}
