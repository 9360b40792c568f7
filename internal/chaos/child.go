package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"

	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// Environment of the child process.
const (
	EnvChild     = "PROFILESYNC_CHAOS_CHILD" // "1" makes the process the local runtime
	envSourceURL = "PROFILESYNC_CHAOS_SOURCE_URL"
	envDataDir   = "PROFILESYNC_CHAOS_DATA"
	envLog       = "PROFILESYNC_CHAOS_LOG"
)

// Target is the one target the chaos stack delivers to.
const Target = "webhook"

// The runtime runs the production retry policy — the shipped mapping's
// outage budget (24 h), 5 s to 15 min capped backoff, jitter 0.5 — with
// time compressed by TimeScale, so a day's budget passes in 2 minutes and
// a 20-second outage stands for four hours. The queue's receive count is
// the production one: the schedule's shape does not change with the scale.
const TimeScale = 720

var (
	childPolicy     = delivery.Policy{TimeScale: TimeScale}
	childVisibility = 3 * time.Second
)

func childGuard(string) *delivery.Guard {
	return &delivery.Guard{TripAfter: 5, Cooldown: 200 * time.Millisecond, MaxCooldown: 2 * time.Second, MaxWait: 500 * time.Millisecond}
}

// IsChild reports whether this process was started as the chaos runtime.
func IsChild() bool { return os.Getenv(EnvChild) == "1" }

// RunChild is the child process: the local stack on the data directory,
// its secrets pointing at the parent's cidaas fake and flaky target, and a
// status endpoint. It prints "ready <stack URL> <status URL>" and runs
// until ctx ends.
func RunChild(ctx context.Context) error {
	parent, dir, logPath := os.Getenv(envSourceURL), os.Getenv(envDataDir), os.Getenv(envLog)
	if parent == "" || dir == "" || logPath == "" {
		return fmt.Errorf("%s, %s and %s must be set", envSourceURL, envDataDir, envLog)
	}
	logf, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	log := slog.New(slog.NewJSONHandler(logf, nil))
	ms, err := chaosMappings()
	if err != nil {
		return err
	}
	dev := sandbox.DevSecrets(parent)
	st, err := devstack.Start(ctx, devstack.Options{
		Addr: "127.0.0.1:0", DataDir: dir, Mappings: ms, Sources: []string{"cidaas"},
		Secrets:           devstack.MemorySecrets{"cidaas": dev["cidaas"], Target: dev[Target]},
		VisibilityTimeout: childVisibility, Policy: childPolicy, Guard: childGuard, Log: log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return errors.Join(err, st.Close())
	}
	srv := &http.Server{Handler: statusHandler(st), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("ready %s http://%s\n", st.URL, ln.Addr())
	<-ctx.Done()
	_ = srv.Close()
	return st.Close()
}

// chaosMappings is the shipped webhook mapping alone, as it ships.
func chaosMappings() (fs.FS, error) {
	b, err := fs.ReadFile(mappings.FS, Target+".yaml")
	if err != nil {
		return nil, err
	}
	return fstest.MapFS{Target + ".yaml": {Data: b}}, nil
}

// budget is the outage budget the runtime runs under, in real and in
// harness time.
func budget() (real, scaled time.Duration, err error) {
	fsys, err := chaosMappings()
	if err != nil {
		return 0, 0, err
	}
	ms, err := mapping.LoadFS(fsys, ".", nil)
	if err != nil {
		return 0, 0, err
	}
	real = ms.Get(Target).Delivery.Budget()
	return real, time.Duration(float64(real) / TimeScale), nil
}

// Status is what the child's status endpoint reports.
type Status struct {
	Visible  int          `json:"visible"`
	InFlight int          `json:"in_flight"` // received, or waiting for a retry
	DLQ      int          `json:"dlq"`
	Dead     []DeadLetter `json:"dead,omitempty"` // with ?dlq=1
}

// DeadLetter is one DLQ message as the report needs it.
type DeadLetter struct {
	EventID string `json:"event_id"`
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
}

func statusHandler(st *devstack.Stack) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s Status
		var err error
		s.Visible, s.InFlight, s.DLQ, err = st.Queues.Depth(r.Context(), Target)
		if err == nil && r.URL.Query().Get("dlq") == "1" {
			s.Dead, err = deadLetters(r.Context(), st)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
}

func deadLetters(ctx context.Context, st *devstack.Stack) ([]DeadLetter, error) {
	dls, err := st.Queues.ListDLQ(ctx, Target)
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(dls))
	for _, d := range dls {
		dl := DeadLetter{Reason: reasonGroup(d.Reason, d.Attributes)}
		if env, err := profile.UnmarshalEnvelope(d.Body); err == nil {
			dl.EventID, dl.Subject = env.Event.ID, env.Event.Subject
		}
		out = append(out, dl)
	}
	return out, nil
}

// reasonGroup is a dead letter's reason without its attempt count and
// times, so the report can group them.
func reasonGroup(reason string, attrs map[string]string) string {
	r := delivery.ReasonFromAttributes(attrs)
	if r.Class == "" {
		return reason // moved by the queue's redrive policy
	}
	s := r.Class
	if r.Status != 0 {
		s += fmt.Sprintf(" (status %d)", r.Status)
	}
	if r.Code != "" {
		s += " " + r.Code
	}
	return s
}
