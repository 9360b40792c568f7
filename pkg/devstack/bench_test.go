package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/sandbox/generic"
)

// benchStack starts a stack with the webhook target alone and the clerk
// (Standard Webhooks) source: snapshot events, so no profile fetch.
func benchStack(b *testing.B, secrets MemorySecrets) *Stack {
	b.Helper()
	data, err := fs.ReadFile(mappings.FS, "webhook.yaml")
	if err != nil {
		b.Fatal(err)
	}
	o := Options{Addr: "127.0.0.1:0", DataDir: b.TempDir(), Sources: []string{"clerk"},
		Mappings: fstest.MapFS{"webhook.yaml": {Data: data}}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if secrets != nil {
		o.Secrets = secrets
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// clerkSecret is the clerk source's secret, built once: DevSecrets builds
// every fake's keys.
var clerkSecret = sync.OnceValue(func() []byte { return sandbox.DevSecrets("http://unused")["clerk"] })

// signedClerk is a signed user.created webhook for user i.
func signedClerk(b *testing.B, i int) *Webhook {
	body := fmt.Appendf(nil, `{"type":"user.created","object":"event","timestamp":%d,"data":{"id":"user_bench_%d","object":"user",`+
		`"first_name":"Bench","last_name":"User%d","primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1",`+
		`"email_address":"bench%d@example.com","verification":{"status":"verified"}}],"phone_numbers":[]}}`,
		time.Now().UnixMilli(), i, i, i)
	w, err := Sign(clerkSecret(), body, time.Now(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// postSigned posts w to url and returns the status and how long the
// acknowledgement took.
func postSigned(hc *http.Client, url string, w *Webhook) (int, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(w.Body))
	if err != nil {
		return 0, 0, err
	}
	req.Header = w.Header.Clone()
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// BenchmarkDeliveries measures deliveries per second through the local
// stack (ingress, SQLite queue, poller, sync handler, SQLite state) to the
// sandbox's zero-latency webhook target: b.N webhooks sent eight at a
// time, the clock stopped when the last record reaches the target.
func BenchmarkDeliveries(b *testing.B) {
	s := benchStack(b, nil)
	hooks := make([]*Webhook, b.N)
	for i := range hooks {
		hooks[i] = signedClerk(b, i)
	}
	// Eight senders keep eight connections, as a CIAM's webhook workers do.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU(b)
	next := make(chan *Webhook)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for w := range next {
				if st, _, err := postSigned(hc, s.URL+"/webhooks/clerk", w); err != nil || st != http.StatusOK {
					b.Errorf("webhook: %d %v", st, err)
				}
			}
		})
	}
	for _, w := range hooks {
		next <- w
	}
	close(next)
	wg.Wait()
	deadline := time.Now().Add(2 * time.Minute)
	for s.Sandbox.Webhook.Len() < b.N {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d records delivered after 2 min", s.Sandbox.Webhook.Len(), b.N)
		}
		time.Sleep(5 * time.Millisecond) // polling the fake; there is no push
	}
	elapsed, cpu := time.Since(start), processCPU(b)-cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	// The process's CPU time (user and system, the benchmark's own client
	// included) per delivery: the figure a loaded machine does not skew.
	// 2 cores at 1 ms each is 2,000 deliveries/s.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/delivery")
}

// processCPU is the user and system CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// slowTarget is the generic fake answering after delay, or at once after
// release is closed (so the benchmark ends without waiting for it).
func slowTarget(b *testing.B, delay time.Duration) (*httptest.Server, chan struct{}) {
	fake := generic.NewFake(generic.Auth{Mode: "none"})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-release:
			t.Stop()
		}
		fake.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	return srv, release
}

// forwarder is the baseline: a direct webhook-to-CRM connector that calls
// the target before it answers the webhook. (It skips verification and
// mapping; both are microseconds beside the target's call.)
func forwarder(b *testing.B, targetURL string) *httptest.Server {
	hc := &http.Client{Timeout: 30 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Data map[string]any `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		body, _ := json.Marshal(map[string]any{"key": ev.Data["id"], "record": ev.Data})
		resp, err := hc.Post(targetURL+"/contacts", "application/json", bytes.NewReader(body))
		if err != nil {
			http.Error(w, "target unreachable", http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkIngressAckSlowTarget measures how long a CIAM waits for its
// webhook to be acknowledged while the target takes 2 s per call: the
// local stack (which queues and answers) beside a synchronous forwarder,
// in the same run. Each iteration sends 20 webhooks to each at once.
func BenchmarkIngressAckSlowTarget(b *testing.B) {
	const perRound = 20
	target, release := slowTarget(b, 2*time.Second)
	dev := sandbox.DevSecrets("http://unused")
	webhook := fmt.Appendf(nil, `{"base_url":%q,"hmac_secret":"unused"}`, target.URL)
	s := benchStack(b, MemorySecrets{"clerk": dev["clerk"], "webhook": webhook})
	fwd := forwarder(b, target.URL)
	b.Cleanup(func() { close(release) }) // runs before the stack's Close
	hc := &http.Client{Timeout: 30 * time.Second}
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		var wg sync.WaitGroup
		for j := range perRound {
			n := i*perRound + j
			for name, url := range map[string]string{"stack": s.URL + "/webhooks/clerk", "forwarder": fwd.URL} {
				w := signedClerk(b, n)
				wg.Go(func() {
					st, d, err := postSigned(hc, url, w)
					if err != nil || st/100 != 2 {
						b.Errorf("%s: %d %v", name, st, err)
						return
					}
					mu.Lock()
					lat[name] = append(lat[name], d)
					mu.Unlock()
				})
			}
		}
		wg.Wait()
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	sp50, sp99 := percentile(lat["stack"], 50), percentile(lat["stack"], 99)
	fp50, fp99 := percentile(lat["forwarder"], 50), percentile(lat["forwarder"], 99)
	b.ReportMetric(ms(sp50), "stack-p50-ms")
	b.ReportMetric(ms(sp99), "stack-p99-ms")
	b.ReportMetric(ms(fp50), "forwarder-p50-ms")
	b.ReportMetric(ms(fp99), "forwarder-p99-ms")
	b.ReportMetric(float64(fp50)/float64(max(sp50, 1)), "p50-ratio")
	b.ReportMetric(float64(fp99)/float64(max(sp99, 1)), "p99-ratio")
}

// percentile is the nearest-rank percentile p of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}
