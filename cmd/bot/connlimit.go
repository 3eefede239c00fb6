package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// maxConns bounds the connections one HTTP server keeps open, far below the
// process's file limit, so that a flood of idle connections cannot starve
// the embedded NATS server of descriptors.
const maxConns = 512

// connLimit keeps at most max connections open. When one more arrives, the
// connection idle the longest (one that has sent no request yet, or sits
// between requests) is closed to make room, so a flood of idle connections
// cannot lock out a health probe; if every connection is busy, the new one
// is closed.
type connLimit struct {
	max  int
	mu   sync.Mutex
	open int
	idle map[net.Conn]time.Time // since when each idle connection has been
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, idle: map[net.Conn]time.Time{}}
}

// track is the server's ConnState hook.
func (l *connLimit) track(c net.Conn, state http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateNew:
		l.open++
		l.idle[c] = time.Now()
		if l.open > l.max {
			l.evict(c)
		}
	case http.StateActive:
		delete(l.idle, c)
	case http.StateIdle:
		l.idle[c] = time.Now()
	case http.StateHijacked, http.StateClosed:
		l.open--
		delete(l.idle, c)
	}
}

// evict closes the longest-idle connection other than the newest, or the
// newest if none is idle; mu is held. The closed connection is counted out
// when the server reports it closed.
func (l *connLimit) evict(newest net.Conn) {
	victim := newest
	var since time.Time
	for c, t := range l.idle {
		if c != newest && (victim == newest || t.Before(since)) {
			victim, since = c, t
		}
	}
	delete(l.idle, victim)
	victim.Close()
}
