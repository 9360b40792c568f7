package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/sandbox/npi"
)

// claimsBenchStack is a local stack with the shipped salesforce mapping
// and two claim rules: the shipped hcp rule (the sandbox's NPI registry
// fake, over HTTP) and an employee rule whose emaildomain authority calls
// nothing. The claims-api caller may make as many requests as the
// benchmark sends (the dev secret allows 10 a second).
func claimsBenchStack(b *testing.B) *Stack {
	b.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"salesforce.yaml", "claims/hcp.yaml"} {
		data, err := mappings.FS.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	fsys["claims/employee.yaml"] = &fstest.MapFile{Data: []byte(`version: 1
claim: employee
declared: {from: custom.declared_role, equals: employee}
evidence:
  email: email
authorities:
  - kind: emaildomain
    settings:
      allow: [example.com]
valid_for: 30d
write_back:
  status: employee_status
  verified_at: employee_verified_at
`)}
	dir := b.TempDir()
	callers, _ := json.Marshal(map[string]any{"rate_per_second": 1_000_000,
		"callers": map[string]any{"bench": map[string]any{"api_key": sandbox.DevClaimsAPIKey, "source": "cidaas"}}})
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secrets", "claims-api.json"), callers, 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: dir, Mappings: fsys,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if s.Verifier == nil {
		b.Fatal("no claim verifier in the stack")
	}
	return s
}

// benchRun distinguishes the subjects of each run of a sub-benchmark (the
// testing package runs each once with b.N = 1 first).
var benchRun atomic.Int64

// employeeBody's e-mail follows the subject: a repeated subject repeats
// its evidence (new evidence would be checked again).
func employeeBody(sub string, _ int) string {
	return fmt.Sprintf(`{"profile": {"sub": %q, "email": "%s@example.com", "email_verified": true, "custom": {"declared_role": "employee"}}, "rules": ["employee"], "write_back": false}`, sub, sub)
}

func hcpBenchBody(sub string, _ int) string {
	return fmt.Sprintf(`{"profile": {"sub": %q, "given_name": %q, "family_name": %q, "address": {"region": %q}, "custom": {"declared_role": "health_care_professional", "npi": %q}}, "rules": ["hcp"], "write_back": false}`,
		sub, npi.DemoFirstName, npi.DemoLastName, npi.DemoState, npi.DemoActiveNPI)
}

// verifyLoad sends b.N POST /claims/verify from four goroutines, request i
// for subject subject(i), and returns each request's latency. Every
// answer must be 200 with the verdict verified.
func verifyLoad(b *testing.B, s *Stack, body func(sub string, i int) string, subject func(i int) string) []time.Duration {
	b.Helper()
	hc := egress.Client(egress.Local, 10*time.Second)
	bodies := make([]string, b.N)
	for i := range bodies {
		bodies[i] = body(subject(i), i)
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				req, err := http.NewRequest(http.MethodPost, s.URL+claims.VerifyPath, strings.NewReader(bodies[i]))
				if err != nil {
					b.Error(err)
					return
				}
				req.Header.Set("X-API-Key", sandbox.DevClaimsAPIKey)
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(start)
				if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"verdict":"verified"`)) {
					b.Errorf("request %d: %d %s", i, resp.StatusCode, out)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	return lat
}

func reportLatency(b *testing.B, lat []time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
}

// decisionsPerOp is the number of decisions the store recorded for subs,
// per request.
func decisionsPerOp(b *testing.B, s *Stack, subs map[string]bool) float64 {
	n := 0
	for sub := range subs {
		h, err := s.Claims.History(context.Background(), sub)
		if err != nil {
			b.Fatal(err)
		}
		n += len(h)
	}
	return float64(n) / float64(b.N)
}

// BenchmarkClaimsVerifyAPI measures POST /claims/verify through the local
// API Gateway (verifier, SQLite claim store): b.N requests from four
// goroutines, with distinct subjects (every request asks its authority and
// records a decision) and with one subject repeated (the stored verdict
// holds: no authority call, no new decision). The employee rule's
// emaildomain authority calls nothing, so its numbers are the API's own;
// the hcp rule calls the sandbox NPI registry over HTTP, whose call
// counter gives npi_calls/op.
func BenchmarkClaimsVerifyAPI(b *testing.B) {
	s := claimsBenchStack(b)
	for _, c := range []struct {
		name     string
		body     func(string, int) string
		repeated bool
	}{
		{"employee/distinct", employeeBody, false},
		{"employee/repeated", employeeBody, true},
		{"hcp/distinct", hcpBenchBody, false},
		{"hcp/repeated", hcpBenchBody, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			run := benchRun.Add(1)
			subs := map[string]bool{}
			subject := func(i int) string {
				if c.repeated {
					i = 0
				}
				sub := fmt.Sprintf("bench-%d-%d", run, i)
				subs[sub] = true
				return sub
			}
			calls := s.Sandbox.NPI.Calls()
			lat := verifyLoad(b, s, c.body, subject)
			reportLatency(b, lat)
			b.ReportMetric(decisionsPerOp(b, s, subs), "decisions/op")
			if strings.HasPrefix(c.name, "hcp") {
				b.ReportMetric(float64(s.Sandbox.NPI.Calls()-calls)/float64(b.N), "npi_calls/op")
			}
		})
	}
}
