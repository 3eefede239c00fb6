package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxConns bounds the connections one HTTP server keeps open: high enough
// that a burst of Slack deliveries, each on a connection of its own, fits;
// far below the process's file limit (Go raises it to the hard limit,
// 65,536 or more on current systems), so that a flood of connections
// cannot starve the embedded NATS server of descriptors.
const maxConns = 4096

// stallGrace is how long a connection may wait on its client (for its
// first request, between requests, or for the rest of a request body)
// before it may be closed to make room for another.
const stallGrace = 2 * time.Second

// bodyTimeout bounds the reading of one request body; the longest Slack or
// Alertmanager sends is 1 MiB.
const bodyTimeout = 10 * time.Second

// connLimit is a listener that keeps at most max connections open. When it
// is full, it makes room by closing the connection that has been stalled
// (waiting on its client) the longest, if that is grace or more; otherwise
// the new connection waits, with those behind it in the listen queue,
// until one ends or has stalled long enough. A connection serving a
// request, and one that has just opened, are never closed for room: a
// burst of fresh connections is served in turn, not cut, while idle
// connections or bodies trickled a byte at a time give way to requests
// that arrive whole.
type connLimit struct {
	net.Listener
	max   int
	grace time.Duration

	mu sync.Mutex
	// stalled holds each open connection: since when it has been waiting
	// on its client, or the zero time while it serves a request.
	stalled map[net.Conn]time.Time
	// room wakes a waiting Accept: a connection ended or began to stall.
	room      chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func limitConns(l net.Listener, max int, grace time.Duration) *connLimit {
	return &connLimit{
		Listener: l, max: max, grace: grace,
		stalled: map[net.Conn]time.Time{},
		room:    make(chan struct{}, 1),
		closed:  make(chan struct{}),
	}
}

// serve has srv report its connections' states to the limit, and bounds
// the time each request body may take to arrive.
func (l *connLimit) serve(srv *http.Server, bodyTimeout time.Duration) {
	srv.ConnState = l.track
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	srv.Handler = l.bodies(srv.Handler, bodyTimeout)
}

// connKey is where a request's context holds its connection.
type connKey struct{}

// Accept takes the next connection and, when the limit is reached, holds it
// back until there is room: room is made only for a connection that came.
func (l *connLimit) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if err := l.makeRoom(); err != nil {
		c.Close()
		return nil, err
	}
	l.mu.Lock()
	l.stalled[c] = time.Now() // until its first request arrives
	l.mu.Unlock()
	return c, nil
}

func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// makeRoom returns once fewer than max connections are open, closing the
// longest-stalled one if it has stalled for grace.
func (l *connLimit) makeRoom() error {
	for {
		l.mu.Lock()
		if len(l.stalled) < l.max {
			l.mu.Unlock()
			return nil
		}
		victim, wait := l.longestStalled(time.Now())
		if victim != nil {
			delete(l.stalled, victim)
			l.mu.Unlock()
			victim.Close()
			return nil
		}
		l.mu.Unlock()
		var timer *time.Timer
		var ripe <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			ripe = timer.C
		}
		select {
		case <-l.room:
		case <-ripe:
		case <-l.closed:
			return net.ErrClosed
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// longestStalled is the connection stalled the longest if that is grace or
// more; else how long until one will have been (0: none is stalled). mu
// is held.
func (l *connLimit) longestStalled(now time.Time) (net.Conn, time.Duration) {
	var victim net.Conn
	var since time.Time
	for c, t := range l.stalled {
		if !t.IsZero() && (victim == nil || t.Before(since)) {
			victim, since = c, t
		}
	}
	if victim == nil {
		return nil, 0
	}
	if stalled := now.Sub(since); stalled < l.grace {
		return nil, l.grace - stalled
	}
	return victim, 0
}

// track is the server's ConnState hook. A connection closed for room is
// already counted out.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	switch state {
	case http.StateActive:
		l.mark(c, false)
	case http.StateIdle:
		l.mark(c, true)
	case http.StateHijacked, http.StateClosed:
		l.mu.Lock()
		delete(l.stalled, c)
		l.mu.Unlock()
		l.wake()
	}
}

// mark notes whether c is waiting on its client from now on.
func (l *connLimit) mark(c net.Conn, stalled bool) {
	l.mu.Lock()
	if _, open := l.stalled[c]; open {
		var since time.Time
		if stalled {
			since = time.Now()
		}
		l.stalled[c] = since
	}
	l.mu.Unlock()
	if stalled {
		l.wake()
	}
}

func (l *connLimit) wake() {
	select {
	case l.room <- struct{}{}:
	default:
	}
}

// bodies gives each request body timeout to arrive in full, and counts its
// connection as stalled until it has: a body trickled a byte at a time
// holds its connection no longer than timeout, and gives way to others
// after grace.
func (l *connLimit) bodies(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(connKey{}).(net.Conn)
		if r.Body == nil || r.Body == http.NoBody || c == nil {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		// Without a deadline the server could wait for ever on a body.
		if err := rc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		l.mark(c, true)
		// Once the body is in, the server clears the deadline itself.
		body := &arriving{ReadCloser: r.Body, arrived: func() { l.mark(c, false) }}
		r.Body = body
		defer func() {
			if !body.done {
				l.mark(c, false) // the handler read no further: it serves now
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// arriving is a request body that reports when it has arrived in full.
type arriving struct {
	io.ReadCloser
	arrived func()
	done    bool
}

func (a *arriving) Read(p []byte) (int, error) {
	n, err := a.ReadCloser.Read(p)
	if err == io.EOF && !a.done {
		a.done = true
		a.arrived()
	}
	return n, err
}
