// Package kittest holds what the connectors' tests share: a recorder of the
// requests that reach a sandbox fake, and the record keys that must stay
// one URL path segment. Only tests import it.
package kittest

import (
	"net/http"
	"strings"
	"sync"
)

// SlashQueryKey has a "/" and a "?": it must reach the back-end as one
// escaped path segment, EscapedSlashQueryKey.
const (
	SlashQueryKey        = "team/a?x=1"
	EscapedSlashQueryKey = "team%2Fa%3Fx=1"
)

// DotKeys would address the collection or its parent if they were put
// into a path as they are.
var DotKeys = []string{"..", ".", ""}

// Recorder passes requests on to a fake and keeps "METHOD escaped-path"
// of each.
type Recorder struct {
	Next http.Handler
	mu   sync.Mutex
	seen []string
}

func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.EscapedPath())
	r.mu.Unlock()
	r.Next.ServeHTTP(w, req)
}

// Seen lists the requests so far.
func (r *Recorder) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// Reset forgets the requests so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.seen = nil
	r.mu.Unlock()
}

// Has reports whether a request's path ends with the segment seg.
func (r *Recorder) Has(seg string) bool {
	for _, s := range r.Seen() {
		if strings.HasSuffix(s, "/"+seg) {
			return true
		}
	}
	return false
}
