package bus

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
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
func startEmbedded(ctx context.Context, cfg Config, log, serverLog *slog.Logger) (*server.Server, string, error) {
	host, port, err := splitListen(cfg.Listen)
	if err != nil {
		return nil, "", fmt.Errorf("nats.listen: %w", err)
	}
	storeDir, err := filepath.Abs(cfg.StoreDir)
	if err != nil {
		return nil, "", fmt.Errorf("nats.store_dir %q: %w", cfg.StoreDir, err)
	}
	token, err := embeddedToken(cfg.Token, storeDir)
	if err != nil {
		return nil, "", err
	}
	srv, err := server.NewServer(&server.Options{
		// Without it any local process could rewrite a pending request
		// after its card was shown, or forge audit events.
		Authorization: token,
		ServerName:    "streamops",
		Host:          host,
		Port:          port,
		JetStream:     true,
		StoreDir:      storeDir,
		NoSigs:        true, // the bot handles signals and shuts the server down itself

		DisableJetStreamBanner: true,
	})
	if err != nil {
		return nil, "", fmt.Errorf("embedded nats-server: %w", err)
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
		return nil, "", cause
	}
	log.Info("embedded nats-server started", "url", embeddedURL(srv, ""), "store_dir", storeDir, "token_file", filepath.Join(storeDir, tokenFile))
	return srv, token, nil
}

// tokenFile holds the embedded server's generated token, in its store
// directory, readable by the bot's user only.
const tokenFile = "client.token"

// embeddedToken is the configured token, or the one kept in storeDir,
// generated on first use.
func embeddedToken(configured, storeDir string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	path := filepath.Join(storeDir, tokenFile)
	b, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("nats.store_dir: reading the embedded server's token: %w", err)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		return "", fmt.Errorf("nats.store_dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("nats.store_dir: keeping the embedded server's token: %w", err)
	}
	return token, nil
}

// embeddedURL is the server's client URL with its token, and a loopback
// address in place of a listen-on-all-interfaces one so that it can be
// dialled as it is.
func embeddedURL(srv *server.Server, token string) string {
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok {
		return srv.ClientURL()
	}
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	u := &url.URL{Scheme: "nats", Host: net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port))}
	if token != "" {
		u.User = url.User(token)
	}
	return u.String()
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
