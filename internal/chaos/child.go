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
	"regexp"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
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

// The runtime's retry settings: fast, so a run takes minutes, and with a
// window and attempts that outlast the schedule's outages and storms, so
// nothing is abandoned unless something is wrong. maxReceiveCount stays
// two above the attempts, as the template keeps it.
var (
	childPolicy = delivery.Policy{MaxAttempts: 16, MinWindow: 5 * time.Second,
		BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second, Jitter: 0.5}
	childMaxReceive = childPolicy.MaxAttempts + 2
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

var maxReceiveRe = regexp.MustCompile(`max_receive_count: *\d+`)

// chaosMappings is the shipped webhook mapping alone, with the receive
// count the fast policy needs.
func chaosMappings() (fs.FS, error) {
	b, err := fs.ReadFile(mappings.FS, Target+".yaml")
	if err != nil {
		return nil, err
	}
	if !maxReceiveRe.Match(b) {
		return nil, fmt.Errorf("%s.yaml has no max_receive_count to raise", Target)
	}
	b = maxReceiveRe.ReplaceAll(b, fmt.Appendf(nil, "max_receive_count: %d", childMaxReceive))
	return fstest.MapFS{Target + ".yaml": {Data: b}}, nil
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
