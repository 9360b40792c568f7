package devstack

import (
	"net/http"
	"time"
)

// ServerTimeouts bound how long one client may hold the local server. The
// stack may listen beyond loopback (--addr), so a client that sends its
// headers and then trickles the body, or never reads the answer, or keeps
// idle connections open, must not hold a goroutine and a socket forever.
type ServerTimeouts struct {
	ReadHeader time.Duration // the request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the answer
	Idle       time.Duration // a kept-alive connection between requests
}

// DefaultServerTimeouts leave room for a 256 KiB webhook on a slow link and
// for the sandbox fakes' answers, and nothing for a client that stalls.
var DefaultServerTimeouts = ServerTimeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      60 * time.Second,
	Idle:       2 * time.Minute,
}

// withDefaults fills each zero timeout from DefaultServerTimeouts.
func (t ServerTimeouts) withDefaults() ServerTimeouts {
	d := DefaultServerTimeouts
	if t.ReadHeader > 0 {
		d.ReadHeader = t.ReadHeader
	}
	if t.Read > 0 {
		d.Read = t.Read
	}
	if t.Write > 0 {
		d.Write = t.Write
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// newServer is every http.Server the local tools start.
func newServer(h http.Handler, t ServerTimeouts) *http.Server {
	t = t.withDefaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
}
