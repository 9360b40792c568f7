package costbench

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

func TestMain(m *testing.M) { moto.Main(m) }

// cost is what one function (or its event source mapping) spent on the
// changes of one phase.
type cost struct {
	fn, esm Counts
	use     usage
	changes int
}

func (c *cost) add(o cost) {
	if c.fn == nil {
		c.fn, c.esm = Counts{}, Counts{}
	}
	c.fn.Add(o.fn)
	c.esm.Add(o.esm)
	c.use.add(o.use)
	c.changes += o.changes
}

// run is one pass of the 1,000-change mix through the ingress and every
// sync function.
type run struct {
	ingress map[string]*cost            // by phase
	sync    map[string]map[string]*cost // by target, phase
	init    map[string]Counts           // cold start requests by function
	thin    cost                        // the ingress on thin (cidaas) events
}

// BenchmarkCostPer1000Changes drives 1,000 changes (400 created, 400
// updated, 100 unchanged, 100 stale; Clerk webhooks with full profiles)
// through the ingress and the sync function of every target, built as the
// Lambda functions build them, against moto_server and the sandbox fakes,
// and prints the AWS requests per 1,000 changes by function, target,
// service and operation, the handlers' time and the Lambda GB-seconds.
// "state-reads=per-message" is the sync handler reading each message's
// state with GetItem (as before issue 17); "batched" reads a queue batch's
// states with BatchGetItem.
func BenchmarkCostPer1000Changes(b *testing.B) {
	s := newStack(b)
	for _, mode := range []struct {
		name      string
		batchRead bool
	}{{"per-message", false}, {"batched", true}} {
		b.Run("state-reads="+mode.name, func(b *testing.B) {
			var last *run
			iter := 0
			for b.Loop() {
				last = s.runMix(b, fmt.Sprintf("%s%d", mode.name[:1], iter), mode.batchRead)
				iter++
			}
			s.report(b, last)
		})
	}
}

func (s *stack) runMix(b *testing.B, tag string, batchRead bool) *run {
	s.purge(b)
	r := &run{ingress: map[string]*cost{}, sync: map[string]map[string]*cost{}, init: map[string]Counts{}}
	ingress := s.buildIngress(b)
	r.init["ingress"] = ingress.init
	targets := s.targets()
	syncs := map[string]*function{}
	pollers := map[string]*poller{}
	for _, t := range targets {
		syncs[t] = s.buildSync(b, t, batchRead)
		r.init[t] = syncs[t].init
		pollers[t] = newPoller(b, s.srv, s.queues[t], batchSize(s.syncSet.Get(t)))
		r.sync[t] = map[string]*cost{}
	}
	secret := s.devSecret(b, "clerk")
	sub := func(i int) string { return fmt.Sprintf("user_%s_%04d", tag, i) }
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	n := 0
	for _, ph := range phases(base) {
		ic := &cost{changes: ph.changes}
		before := s.proxy.Counter.Snapshot()
		for i := range ph.changes {
			s.post(b, ingress, "clerk", secret, ph.body(sub, i), n, &ic.use)
			n++
		}
		ic.fn = s.proxy.Counter.Snapshot().Sub(before)
		r.ingress[ph.name] = ic
		for _, t := range targets {
			before, esm := s.proxy.Counter.Snapshot(), pollers[t].count.Snapshot()
			sc := &cost{changes: ph.changes}
			sc.use = pollers[t].drain(b, syncs[t])
			sc.fn = s.proxy.Counter.Snapshot().Sub(before)
			sc.esm = pollers[t].count.Snapshot().Sub(esm)
			r.sync[t][ph.name] = sc
		}
		progress("%s %s: %d changes through the ingress and %d sync functions", tag, ph.name, ph.changes, len(targets))
	}
	// Thin events: what the ingress sends when the CIAM's webhook carries
	// only the subject (the claim rules cannot tell from it whether a claim
	// applies, so the verifier's queue gets it too).
	cidaas := s.devSecret(b, "cidaas")
	before := s.proxy.Counter.Snapshot()
	r.thin.changes = scale()
	for i := range r.thin.changes {
		s.post(b, ingress, "cidaas", cidaas, cidaasThin(fmt.Sprintf("thin-%s-%d", tag, i), sub(i), time.Now()), n, &r.thin.use)
		n++
	}
	r.thin.fn = s.proxy.Counter.Snapshot().Sub(before)
	s.purge(b)
	return r
}

func (s *stack) targets() []string {
	var out []string
	for _, m := range s.syncSet.All() {
		out = append(out, m.Name)
	}
	sort.Strings(out)
	return out
}

func (s *stack) devSecret(b *testing.B, name string) []byte {
	b.Helper()
	v, ok := sandboxSecrets(s.sandboxURL)[name]
	if !ok {
		b.Fatalf("no dev secret %s", name)
	}
	return v
}

// post signs body as source's CIAM would and invokes the ingress with it;
// anything but 200 fails the benchmark.
func (s *stack) post(b *testing.B, ingress *function, source string, secret, body []byte, n int, u *usage) {
	w, err := devstack.Sign(secret, body, time.Now(), nil)
	if err != nil {
		b.Fatal(err)
	}
	out, err := ingress.invoke(b.Context(), webhook(source, w.Header, w.Body, n), u)
	if err != nil {
		b.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := jsonUnmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("ingress answered %s (%v)", out, err)
	}
}

// report prints the run's figures per 1,000 changes and reports the
// headline ones as metrics.
func (s *stack) report(b *testing.B, r *run) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%s: AWS requests per 1,000 changes (moto_server, sandbox targets; MemorySize %d MB)\n", b.Name(), s.memoryMB)
	line := func(who, phase string, c cost) {
		per := func(n int) string { return fmtPer(n, c.changes) }
		var ops []string
		for _, op := range c.fn.Ops() {
			ops = append(ops, op.String()+"="+per(c.fn[op]))
		}
		for _, op := range c.esm.Ops() {
			ops = append(ops, "esm:"+op.String()+"="+per(c.esm[op]))
		}
		gbs := c.use.wall.Seconds() * float64(s.memoryMB) / 1024 * 1000 / float64(c.changes)
		fmt.Fprintf(&sb, "  %-11s %-10s inv=%-5s wall=%5.2fms cpu=%5.2fms GB-s=%6.3f  %s\n", who, phase,
			per(c.use.invocations), ms(c.use.wall, c.changes), ms(c.use.cpu, c.changes), gbs, strings.Join(ops, " "))
	}
	var ingressAll cost
	for _, ph := range phases(time.Time{}) {
		if !ph.extra {
			c := *r.ingress[ph.name]
			line("ingress", ph.name, c)
			ingressAll.add(c)
		}
	}
	line("ingress", "mix", ingressAll)
	for _, ph := range phases(time.Time{}) {
		if ph.extra {
			line("ingress", ph.name+"*", *r.ingress[ph.name])
		}
	}
	line("ingress", "thin*", r.thin)
	b.ReportMetric(float64(ingressAll.fn.Total("sqs"))*1000/float64(ingressAll.changes), "ingress-sqs-req/1k")
	for _, t := range s.targets() {
		var all cost
		var extra []phase
		for _, ph := range phases(time.Time{}) {
			c := *r.sync[t][ph.name]
			if ph.extra {
				extra = append(extra, ph)
				continue
			}
			line(t, ph.name, c)
			all.add(c)
		}
		line(t, "mix", all)
		for _, ph := range extra {
			line(t, ph.name+"*", *r.sync[t][ph.name])
		}
		per := func(n int) float64 { return float64(n) * 1000 / float64(all.changes) }
		b.ReportMetric(per(all.fn.Total("dynamodb")), t+"-ddb-req/1k")
		b.ReportMetric(per(all.fn.Total("sqs")+all.esm.Total("sqs")), t+"-sqs-req/1k")
		b.ReportMetric(all.use.wall.Seconds()*float64(s.memoryMB)/1024*1000/float64(all.changes), t+"-GB-s/1k")
		if n := all.fn.Total("secretsmanager"); n != 0 {
			b.Errorf("%s: %d Secrets Manager calls after init: the secrets are not cached", t, n)
		}
	}
	fmt.Fprintf(&sb, "  (* outside the mix of 1,000: deletes of delivered subjects; thin cidaas events at the ingress)\n")
	fmt.Fprintf(&sb, "Cold start (per execution environment, not per change):\n")
	for _, who := range append([]string{"ingress"}, s.targets()...) {
		var ops []string
		for _, op := range r.init[who].Ops() {
			ops = append(ops, fmt.Sprintf("%s=%d", op, r.init[who][op]))
		}
		fmt.Fprintf(&sb, "  %-11s %s\n", who, strings.Join(ops, " "))
	}
	// Straight to stdout: a benchmark's b.Log output is cut to ten lines
	// without -v.
	fmt.Println(sb.String())
}

// progress tells a watcher how far a long run is (stderr, at once).
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "costbench %s "+format+"\n", append([]any{time.Now().Format(time.TimeOnly)}, args...)...)
}

func fmtPer(n, changes int) string {
	v := float64(n) * 1000 / float64(changes)
	if v == float64(int(v)) {
		return fmt.Sprintf("%d", int(v))
	}
	return fmt.Sprintf("%.1f", v)
}

func ms(d time.Duration, changes int) float64 {
	return float64(d.Microseconds()) / 1000 / float64(changes)
}

func sandboxSecrets(base string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range sandbox.DevSecrets(base) {
		out[k] = v
	}
	return out
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
