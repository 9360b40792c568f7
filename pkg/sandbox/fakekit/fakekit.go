// Package fakekit holds the pieces every vendor fake under pkg/sandbox is
// built from: a queue of injected failures (Injector), per-name call
// counters (Counter), and the JSON and path plumbing their handlers share.
//
// It knows nothing about any vendor: what a failure carries and how it is
// written on the wire (status, headers, error body) stays in each fake, as
// does which requests consult the queue. It imports nothing from
// pkg/connector.
package fakekit

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Injector queues failures for a fake to answer instead of serving a
// request. F is the fake's description of one failure (a status, a delay,
// a vendor error code...). The zero value is an empty queue; it is safe for
// concurrent use.
type Injector[F any] struct {
	mu    sync.Mutex
	queue []queued[F]
}

type queued[F any] struct {
	n       int
	failure F
}

// Add queues failure for the next n requests that consult the injector,
// after whatever is already queued. n <= 0 adds nothing.
func (q *Injector[F]) Add(n int, failure F) {
	if n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue = append(q.queue, queued[F]{n: n, failure: failure})
}

// Replace drops whatever is queued and queues failure for the next n
// requests (none when n <= 0), for fakes whose FailNext overrides the
// previous call rather than adding to it.
func (q *Injector[F]) Replace(n int, failure F) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queue = nil
	if n > 0 {
		q.queue = append(q.queue, queued[F]{n: n, failure: failure})
	}
}

// Next consumes one request's worth of the oldest queued failure and
// reports whether there was one.
func (q *Injector[F]) Next() (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		var zero F
		return zero, false
	}
	head := &q.queue[0]
	failure := head.failure
	if head.n--; head.n <= 0 {
		q.queue = q.queue[1:]
	}
	return failure, true
}

// Answer consumes the next failure, if one is queued, writes it with write
// and reports true; otherwise it writes nothing and reports false.
func (q *Injector[F]) Answer(w http.ResponseWriter, write func(http.ResponseWriter, F)) bool {
	failure, ok := q.Next()
	if ok {
		write(w, failure)
	}
	return ok
}

// Failure is what most fakes inject: a status and, for throttling, how long
// the caller should wait.
type Failure struct {
	Status     int
	RetryAfter time.Duration
	// Echo: the error message quotes the request body's values (see Echo),
	// for fakes that offer an echo mode.
	Echo bool
}

// Seconds renders d as whole seconds, rounded, as rate-limit headers carry it.
func Seconds(d time.Duration) string {
	return strconv.Itoa(int(d.Round(time.Second) / time.Second))
}

// SetRetryAfter sets Retry-After to d in whole seconds when d is positive.
func SetRetryAfter(h http.Header, d time.Duration) {
	if d > 0 {
		h.Set("Retry-After", Seconds(d))
	}
}

// Counter counts calls by name (a path, an operation). The zero value is
// ready; it is safe for concurrent use.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Inc counts one call to name.
func (c *Counter) Inc(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
}

// Get returns name's count.
func (c *Counter) Get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// WriteJSON answers status with v encoded as JSON under contentType (each
// vendor spells its media type differently, and tests see the header).
func WriteJSON(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// SplitPath splits an escaped path into unescaped segments, so "%2F" inside
// a key stays inside its segment. A bad escape yields nil, false.
func SplitPath(escaped string) ([]string, bool) {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil {
			return nil, false
		}
		parts[i] = s
	}
	return parts, true
}

// CopyMap returns a shallow copy of m; unlike maps.Clone it never returns
// nil, so a copied record still encodes as {} rather than null.
func CopyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Echo renders the values of a JSON request body as a careless back-end
// quotes them in an error ("invalid record: OLGA.OUTAGE@EXAMPLE.COM, ..."):
// strings in upper case, numbers that read as phone numbers regrouped in
// threes, the values sorted. Fakes answer it in their echo failure modes,
// so tests see whether what the connector sent comes back out in its
// errors, in a case and format other than the one sent. A body that is not
// JSON is echoed upper-cased as it is.
func Echo(body []byte) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return strings.ToUpper(string(body))
	}
	var vals []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			vals = append(vals, echoValue(x))
		case float64:
			vals = append(vals, strconv.FormatFloat(x, 'f', -1, 64))
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	sort.Strings(vals)
	return strings.Join(vals, ", ")
}

// echoValue upper-cases s, or regroups a phone number's digits in threes
// (+4915112345679 -> "+491 511 234 567 9"): a format nobody sends.
func echoValue(s string) string {
	d := strings.TrimPrefix(s, "+")
	if len(d) < 8 || strings.Trim(d, "0123456789") != "" {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	if d != s {
		b.WriteByte('+')
	}
	for i := 0; i < len(d); i += 3 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d[i:min(i+3, len(d))])
	}
	return b.String()
}
