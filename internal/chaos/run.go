// Package chaos is the delivery-guarantee harness behind `make chaos`: it
// sends N signed cidaas webhooks through the local stack, run in a child
// process on a SQLite data directory, into a sandbox target that fails at
// random, goes down, and throttles in storms, while the runtime is killed
// with SIGKILL and restarted. Then it checks that nothing was lost, nothing
// duplicated, and every subject at the target equals the source.
//
// The parent (Run) holds the source of truth (the cidaas fake) and the
// flaky target; the child (RunChild) is the stack. The same binary is
// both: the test binary or cmd/chaos, re-executed with EnvChild set.
package chaos

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/sandbox/cidaas"
	"github.com/profilesync/profilesync/pkg/sandbox/generic"
)

// Config is one run.
type Config struct {
	Events    int           // changes at the source (default 10,000)
	Kills     int           // SIGKILLs of the runtime mid-run (default 2)
	Outages   int           // times the target goes fully down (default 2)
	Storms    int           // 429 storms (default 2)
	FailRate  float64       // share of target calls failing at random (default 0.3)
	OutageLen time.Duration // default 3 s
	// LongOutage is one more outage, longer than the whole backoff
	// sequence (5 s doubling to the 15 min cap: about 21 min, 1.8 s at the
	// harness's TimeScale) and inside the outage budget; 0 for none.
	LongOutage time.Duration
	StormLen   time.Duration // default 2 s
	Seed       uint64        // default 1
	Senders    int           // webhooks in flight at once (default 8)
	Drain      time.Duration // longest wait for the queue to drain (default 5 min)
	Dir        string        // work directory; default a new temporary one
	Exe        string        // the binary to re-execute; default os.Executable()
	Progress   io.Writer     // progress lines (optional)
}

func (c Config) withDefaults() Config {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.Events, 10000)
	def(&c.Senders, 8)
	if c.Kills < 0 || c.Outages < 0 || c.Storms < 0 {
		c.Kills, c.Outages, c.Storms = max(c.Kills, 0), max(c.Outages, 0), max(c.Storms, 0)
	}
	if c.FailRate <= 0 || c.FailRate >= 1 {
		c.FailRate = 0.3
	}
	if c.OutageLen <= 0 {
		c.OutageLen = 3 * time.Second
	}
	if c.StormLen <= 0 {
		c.StormLen = 2 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Drain <= 0 {
		c.Drain = 5 * time.Minute
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// DefaultConfig is the full `make chaos` run.
func DefaultConfig() Config {
	// The long outage stands for 20 hours at TimeScale: most of the 24-hour
	// budget, past the whole backoff sequence, and nothing may be lost.
	return Config{Kills: 2, Outages: 2, Storms: 2, LongOutage: 100 * time.Second}
}

// world is the parent's side: the source of truth and the flaky target.
type world struct {
	cidaas *cidaas.Fake
	target *generic.Fake
	flaky  *Flaky
	url    string
}

func startWorld(c Config) (*world, func(), error) {
	w := &world{
		cidaas: cidaas.NewFake(sandbox.DevClientID, sandbox.DevClientSecret),
		target: generic.NewFake(generic.Auth{Mode: "hmac", HMACSecret: sandbox.DevWebhookHMACKey}),
	}
	w.flaky = NewFlaky(w.target, c.FailRate, c.Seed)
	mux := http.NewServeMux()
	mux.Handle(sandbox.Prefix+"/cidaas/", http.StripPrefix(sandbox.Prefix+"/cidaas", w.cidaas))
	mux.Handle(sandbox.Prefix+"/"+Target+"/", http.StripPrefix(sandbox.Prefix+"/"+Target, w.flaky))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	w.url = "http://" + ln.Addr().String()
	return w, func() { _ = srv.Close() }, nil
}

// Run is the parent: it runs c and reports. The error is about the
// harness; the report says whether the stack kept its guarantees.
func Run(ctx context.Context, c Config) (*Report, error) {
	c = c.withDefaults()
	start := time.Now()
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "profilesync-chaos-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		c.Dir = d
	}
	if c.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		c.Exe = exe
	}
	w, closeWorld, err := startWorld(c)
	if err != nil {
		return nil, err
	}
	defer closeWorld()
	logPath := filepath.Join(c.Dir, "runtime.log")
	rt := newRuntime(c.Exe, w.url, filepath.Join(c.Dir, "data"), logPath, filepath.Join(c.Dir, "runtime.stderr"))
	if err := rt.start(ctx); err != nil {
		return nil, err
	}
	defer func() { _ = rt.stop() }()

	p := newPlan(c.Events, c.Seed, time.Now().Add(-time.Minute).Truncate(time.Millisecond))
	hook := func() string { h, _ := rt.urls(); return h }
	snd := newSender(sandbox.DevSecrets(w.url)["cidaas"], hook)
	fmt.Fprintf(c.Progress, "chaos: %d changes for %d subjects, %d sends; work directory %s\n",
		len(p.changes), len(p.subjects), len(p.steps)-len(p.changes), c.Dir)
	if err := drive(ctx, c, p, w, rt, snd); err != nil {
		return nil, err
	}
	sent := time.Since(start)
	fmt.Fprintf(c.Progress, "chaos: every webhook acknowledged after %s; waiting for the queue to drain\n", sent.Round(time.Millisecond))
	st, err := drain(ctx, c.Drain, rt)
	if err != nil {
		return nil, fmt.Errorf("%w (runtime log: %s)", err, logPath)
	}
	stopErr := rt.stop()
	rep, err := analyse(ctx, c, p, w, snd, st, logPath)
	if err != nil {
		return nil, err
	}
	if stopErr != nil {
		rep.StopErr = fmt.Sprintf("%v (see %s)", stopErr, rt.errPath)
	}
	rep.Kills, rep.Starts = rt.kills, rt.starts
	rep.SendTime, rep.Total = sent, time.Since(start)
	return rep, nil
}

// action is one scheduled disruption, at a share of the steps.
type action struct {
	at float64
	do func()
}

func schedule(c Config, w *world, kill func()) []action {
	var as []action
	for i := range c.Outages {
		reset := i%2 == 1 // the second outage drops connections
		as = append(as, action{0.2 + 0.4*float64(i)/float64(max(c.Outages-1, 1)), func() { w.flaky.Down(c.OutageLen, reset) }})
	}
	if c.LongOutage > 0 {
		as = append(as, action{0.5, func() { w.flaky.Down(c.LongOutage, false) }})
	}
	for i := range c.Storms {
		as = append(as, action{0.4 + 0.4*float64(i)/float64(max(c.Storms-1, 1)), func() { w.flaky.Storm(c.StormLen, time.Second) }})
	}
	for i := range c.Kills {
		as = append(as, action{float64(i+1) / float64(c.Kills+1), kill})
	}
	slices.SortStableFunc(as, func(a, b action) int { return cmp.Compare(a.at, b.at) })
	return as
}

// drive applies the changes and sends the webhooks, with the schedule's
// disruptions along the way.
func drive(parent context.Context, c Config, p *plan, w *world, rt *runtime, snd *sender) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	var restarts sync.WaitGroup
	kill := func() {
		restarts.Go(func() {
			if err := rt.kill(); err != nil {
				fail(fmt.Errorf("kill runtime: %w", err))
				return
			}
			fmt.Fprintf(c.Progress, "chaos: runtime killed (SIGKILL); restarting\n")
			if err := rt.start(ctx); err != nil {
				fail(fmt.Errorf("restart runtime: %w", err))
			}
		})
	}
	actions := schedule(c, w, kill)
	jobs := make(chan *change)
	var senders sync.WaitGroup
	for range c.Senders {
		senders.Go(func() {
			for ch := range jobs {
				if err := snd.send(ctx, ch); err != nil {
					fail(err)
				}
			}
		})
	}
	for i, s := range p.steps {
		for len(actions) > 0 && float64(i) >= actions[0].at*float64(len(p.steps)) {
			actions[0].do()
			actions = actions[1:]
		}
		if s.apply != nil {
			s.apply.applyTo(w.cidaas)
			continue
		}
		select {
		case jobs <- s.send:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	senders.Wait()
	restarts.Wait()
	errMu.Lock()
	defer errMu.Unlock()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}

// drain polls the runtime until its queue holds nothing but dead letters.
func drain(ctx context.Context, limit time.Duration, rt *runtime) (Status, error) {
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := rt.status(ctx, hc, false)
		if err == nil && st.Visible+st.InFlight == 0 {
			return rt.status(ctx, hc, true)
		}
		if time.Now().After(deadline) {
			return Status{}, fmt.Errorf("queue not drained after %s: %+v %v", limit, st, err)
		}
		select {
		case <-ctx.Done():
			return Status{}, ctx.Err()
		case <-tick.C:
		}
	}
}
