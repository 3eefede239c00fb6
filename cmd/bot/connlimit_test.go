package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitedServer serves h on loopback behind a connection limit, with no
// header timeout: only the limit frees a connection a client holds.
func limitedServer(t *testing.T, max int, grace, body time.Duration, h http.HandlerFunc) (string, *connLimit) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	limit := limitConns(ln, max, grace)
	srv := &http.Server{Handler: h}
	limit.serve(srv, body)
	go srv.Serve(limit)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), limit
}

// freshClient opens a connection for each request, as Slack's senders may.
func freshClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// holdOpen dials n connections that send nothing, closed at the test's end.
func holdOpen(t *testing.T, addr string, n int) {
	t.Helper()
	for range n {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "http://"), 10*time.Second)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
	}
}

// trickle sends a POST's headers and the first byte of its body, and no
// more, on a connection of its own.
func trickle(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "http://"), 10*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	require.NoError(t, err)
	return c
}

// servedWhole posts a small body, all at once, on a connection of its own
// and wants it answered 200.
func servedWhole(t *testing.T, addr string) {
	t.Helper()
	resp, err := freshClient().Post(addr, "application/json", strings.NewReader(`{"ok":true}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func (l *connLimit) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.stalled)
}

// A burst of fresh connections beyond the limit is served in turn: none is
// cut, however new, and no more than the limit are open at once.
func TestConnectionBurstIsQueuedNotCut(t *testing.T) {
	const max = 8
	var limit *connLimit
	var over sync.Once
	addr, l := limitedServer(t, max, time.Hour, time.Hour, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n := limit.open(); n > max {
			over.Do(func() { t.Errorf("%d connections open, over the limit of %d", n, max) })
		}
		w.Write([]byte("ok"))
	})
	limit = l
	client := freshClient()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			resp, err := client.Post(addr, "text/plain", strings.NewReader(fmt.Sprint(i)))
			if !assert.NoError(t, err, "request %d", i) {
				return
			}
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
	wg.Wait()
}

// Connections that never send a request give way, once stalled for the
// grace, to one that does.
func TestIdleConnectionsGiveWay(t *testing.T) {
	addr, _ := limitedServer(t, 8, 100*time.Millisecond, time.Hour, func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	})
	holdOpen(t, addr, 50)
	servedWhole(t, addr)
}

// Bodies trickled a byte at a time give way, once stalled for the grace,
// to a request that arrives whole, even before their deadline.
func TestTrickledBodiesGiveWay(t *testing.T) {
	const max = 4
	reading := make(chan struct{}, max+1)
	addr, _ := limitedServer(t, max, 100*time.Millisecond, time.Hour, func(w http.ResponseWriter, r *http.Request) {
		reading <- struct{}{}
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "could not read the request", http.StatusBadRequest)
			return
		}
		w.Write([]byte("ok"))
	})
	for range max {
		trickle(t, addr)
	}
	for range max {
		select {
		case <-reading:
		case <-time.After(10 * time.Second):
			t.Fatal("the trickled requests did not all reach the handler")
		}
	}
	servedWhole(t, addr)
}

// A body has a deadline to arrive in full.
func TestBodyDeadline(t *testing.T) {
	readErr := make(chan error, 1)
	addr, _ := limitedServer(t, 4, time.Hour, time.Second, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			readErr <- err
			http.Error(w, "could not read the request", http.StatusBadRequest)
			return
		}
		w.Write([]byte("ok"))
	})
	trickle(t, addr)
	select {
	case err := <-readErr:
		var ne net.Error
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "a timeout, not %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("a trickled body was read for more than 10s")
	}
	servedWhole(t, addr)
}
