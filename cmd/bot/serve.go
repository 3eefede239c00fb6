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

	"golang.org/x/sync/errgroup"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/console"
	"github.com/streamops/streamops/internal/metrics"
	"github.com/streamops/streamops/internal/ops"
)

// shutdownGrace bounds how long in-flight work may take after a stop signal.
const shutdownGrace = 30 * time.Second

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
	deps := ops.Deps{Log: log}
	if cfg.EnOS != nil {
		url := cfg.EnOS.Endpoint
		if url == config.SandboxEndpoint {
			s, err := startHTTP("127.0.0.1:0", newEnOSSimulator(cfg, log), log)
			if err != nil {
				return fmt.Errorf("starting the EnOS simulator: %w", err)
			}
			servers = append(servers, s)
			url = s.url
			log.Info("EnOS simulator started", "url", url)
		}
		deps.Pipelines = enos.New(url, *cfg.EnOS, enos.WithLogger(log))
	}
	if cfg.EG != nil {
		url, iamURL := cfg.EG.Endpoint, cfg.EG.IAMEndpoint
		if url == config.SandboxEndpoint {
			s, err := startHTTP("127.0.0.1:0", newEGSimulator(cfg, log), log)
			if err != nil {
				return fmt.Errorf("starting the EventGrid simulator: %w", err)
			}
			servers = append(servers, s)
			url, iamURL = s.url, s.url // the simulator serves IAM too
			log.Info("EventGrid simulator started", "url", url)
		}
		client, err := eg.New(url, iamURL, *cfg.EG, eg.WithLogger(log))
		if err != nil {
			return err
		}
		deps.EventGrid = &ops.EventGridSetup{API: client, Operations: cfg.EG.Operations, Templates: cfg.EG.Templates}
	}

	b, err := bus.Connect(ctx, cfg.NATS, log)
	if err != nil {
		return err
	}
	log.Info("NATS connected", "url", b.ClientURL())
	defer func() {
		closeCtx, done := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer done()
		if err := b.Close(closeCtx); err != nil {
			log.Warn("closing NATS", "err", err)
		}
	}()

	m := metrics.New()
	con := console.New(cfg.Console.User, stdin, stdout)
	deps.Store, deps.Events, deps.Notifier, deps.Metrics = b.Requests(), b.Events(), con, m
	svc, err := ops.New(ops.Settings{
		Expiry:        cfg.Requests.Expiry,
		CheckInterval: cfg.Requests.CheckInterval,
		CheckTimeout:  cfg.Requests.CheckTimeout,
		Targets:       cfg.Targets.ByKind(),
	}, deps)
	if err != nil {
		return err
	}
	m.Declare(svc.Operations())
	m.WatchRequests(svc)
	m.WatchNATS(b.Conn().IsConnected)

	web, err := startHTTP(cfg.HTTP.Listen, routes(b, m), log)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	servers = append(servers, web)
	log.Info("serving HTTP", "addr", web.addr)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return svc.Run(gctx) })
	g.Go(func() error {
		defer cancel() // the console's end is the program's end
		return con.Run(gctx, svc)
	})
	err = g.Wait()

	waitCtx, done := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer done()
	if werr := svc.Wait(waitCtx); werr != nil {
		log.Warn("stopped before status checks finished", "err", werr)
	}
	log.Info("stopped")
	return err
}

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
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
		addr: l.Addr().String(),
	}
	s.url = "http://" + s.addr
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
