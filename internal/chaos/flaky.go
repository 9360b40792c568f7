package chaos

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Flaky wraps a back-end fake with the failure schedule: a share of calls
// fails at random, outages fail every call, and storms answer 429 with a
// Retry-After. A third of the random failures happen after the fake has
// applied the call (the answer is lost on the way back), so a retry
// repeats a write that already took effect, as with a real network.
type Flaky struct {
	Inner    http.Handler
	FailRate float64 // share of calls failing at random, 0..1

	mu         sync.Mutex
	rng        *rand.Rand
	downUntil  time.Time
	downReset  bool // the outage drops connections instead of answering 503
	stormUntil time.Time
	retryAfter time.Duration
	// Armed disruptions start one at a time, at the first call after the
	// one before has ended, so one armed while the runtime is down still
	// meets calls and none hides another.
	armed []disruption
	stats FlakyStats
	calls []time.Time // when each call came, for the spread after an outage
}

// FlakyStats counts what Flaky did with the calls it saw.
type FlakyStats struct {
	Calls        int // every call
	Passed       int // reached the fake and its answer was returned
	Random       int // failed at random (before or after the fake)
	AppliedLost  int // of Random: applied by the fake, answer replaced by a 502
	Down         int // failed during an outage
	Throttled    int // answered 429 during a storm
	Outages      int
	Storms       int
	ConnsDropped int
	// Longest is the longest outage, and LongestEnd when it ended.
	Longest    time.Duration
	LongestEnd time.Time
}

// NewFlaky wraps inner; seed makes the random failures repeatable.
func NewFlaky(inner http.Handler, failRate float64, seed uint64) *Flaky {
	return &Flaky{Inner: inner, FailRate: failRate, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Down fails every call for d from the next call on: with 503 answers,
// or by dropping the connection when reset is set.
func (f *Flaky) Down(d time.Duration, reset bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed = append(f.armed, disruption{d: d, reset: reset})
	f.stats.Outages++
}

// Storm answers every call with 429 and Retry-After for d from the next
// call on.
func (f *Flaky) Storm(d, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed = append(f.armed, disruption{storm: true, d: d, retryAfter: retryAfter})
	f.stats.Storms++
}

// Recovery is how the calls spread after the longest outage ended: in
// window from its end, in buckets of bucket, the first call's delay, the
// calls, and the most in one bucket.
func (f *Flaky) Recovery(window, bucket time.Duration) (first time.Duration, calls, peak int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := f.stats.LongestEnd
	if end.IsZero() {
		return 0, 0, 0
	}
	counts := map[int64]int{}
	first = -1
	for _, t := range f.calls {
		d := t.Sub(end)
		if d < 0 || d >= window {
			continue
		}
		if first < 0 {
			first = d
		}
		calls++
		b := int64(d / bucket)
		counts[b]++
		peak = max(peak, counts[b])
	}
	return max(first, 0), calls, peak
}

// Stats returns the counters so far.
func (f *Flaky) Stats() FlakyStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

type disruption struct {
	storm      bool
	d          time.Duration
	reset      bool
	retryAfter time.Duration
}

type verdict int

const (
	pass verdict = iota
	fail5xx
	failAfterApply
	dropConn
	throttle
)

func (f *Flaky) decide() (verdict, int, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Calls++
	now := time.Now()
	f.calls = append(f.calls, now)
	if len(f.armed) > 0 && !now.Before(f.downUntil) && !now.Before(f.stormUntil) {
		next := f.armed[0]
		f.armed = f.armed[1:]
		if next.storm {
			f.stormUntil, f.retryAfter = now.Add(next.d), next.retryAfter
		} else {
			f.downUntil, f.downReset = now.Add(next.d), next.reset
			if next.d > f.stats.Longest {
				f.stats.Longest, f.stats.LongestEnd = next.d, f.downUntil
			}
		}
	}
	switch {
	case now.Before(f.downUntil):
		f.stats.Down++
		if f.downReset {
			return dropConn, 0, 0
		}
		return fail5xx, http.StatusServiceUnavailable, 0
	case now.Before(f.stormUntil):
		f.stats.Throttled++
		return throttle, http.StatusTooManyRequests, f.retryAfter
	case f.rng.Float64() < f.FailRate:
		f.stats.Random++
		switch f.rng.IntN(3) {
		case 0:
			f.stats.AppliedLost++
			return failAfterApply, http.StatusBadGateway, 0
		case 1:
			return dropConn, 0, 0
		}
		codes := []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusRequestTimeout}
		return fail5xx, codes[f.rng.IntN(len(codes))], 0
	}
	f.stats.Passed++
	return pass, 0, 0
}

// ServeHTTP applies the schedule to one call.
func (f *Flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v, status, retryAfter := f.decide()
	switch v {
	case pass:
		f.Inner.ServeHTTP(w, r)
		return
	case failAfterApply:
		f.Inner.ServeHTTP(httptest.NewRecorder(), r)
	case dropConn:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				f.mu.Lock()
				f.stats.ConnsDropped++
				f.mu.Unlock()
				_ = conn.Close()
				return
			}
		}
		status = http.StatusServiceUnavailable
	case throttle:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retryAfter/time.Second))))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":"chaos","message":"` + http.StatusText(status) + `"}`))
}
