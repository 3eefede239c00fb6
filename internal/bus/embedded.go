package bus

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds how long the embedded server may take to listen and
// recover its JetStream data.
const startTimeout = 30 * time.Second

// startEmbedded runs a nats-server with JetStream in this process and returns
// it once it accepts connections, or the reason it never will. The server's
// own log goes to serverLog.
func startEmbedded(ctx context.Context, cfg Config, log, serverLog *slog.Logger) (*server.Server, error) {
	host, port, err := splitListen(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats.listen: %w", err)
	}
	storeDir, err := filepath.Abs(cfg.StoreDir)
	if err != nil {
		return nil, fmt.Errorf("nats.store_dir %q: %w", cfg.StoreDir, err)
	}
	srv, err := server.NewServer(&server.Options{
		ServerName: "streamops",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true, // the bot handles signals and shuts the server down itself

		DisableJetStreamBanner: true,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server: %w", err)
	}
	fatal := make(chan string, 1)
	srv.SetLoggerV2(slogAdapter{log: serverLog, fatal: fatal}, false, false, false)
	srv.Start()

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		var cause error
		select {
		case msg := <-fatal:
			cause = fmt.Errorf("embedded nats-server cannot start (nats.listen %s, nats.store_dir %s): %s", cfg.Listen, storeDir, msg)
		case <-ctx.Done():
			cause = fmt.Errorf("embedded nats-server on %s not ready: %w", cfg.Listen, context.Cause(ctx))
		default:
			continue
		}
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, cause
	}
	log.Info("embedded nats-server started", "url", embeddedURL(srv), "store_dir", storeDir)
	return srv, nil
}

// embeddedURL is the server's client URL, with a loopback address in place
// of a listen-on-all-interfaces one so that it can be dialled as it is.
func embeddedURL(srv *server.Server) string {
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok {
		return srv.ClientURL()
	}
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return (&url.URL{Scheme: "nats", Host: net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port))}).String()
}

// slogAdapter routes the embedded server's log to slog. Its notices (a startup
// banner of a dozen lines, every stream it recovers) are Debug: the bot logs
// one line of its own. A fatal message means the server has stopped starting
// up, so it is handed to startEmbedded as the reason.
type slogAdapter struct {
	log   *slog.Logger
	fatal chan<- string
}

func (l slogAdapter) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l slogAdapter) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l slogAdapter) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l slogAdapter) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l slogAdapter) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }

func (l slogAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	select {
	case l.fatal <- msg:
	default:
	}
}
