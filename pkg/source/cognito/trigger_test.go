package cognito

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// queue is an Enqueuer that fails its first fails calls with err.
type queue struct {
	fails int
	err   error
	calls int
	got   []profile.Event
}

func (q *queue) Enqueue(_ context.Context, evs []profile.Event) error {
	q.calls++
	if q.calls <= q.fails {
		return q.err
	}
	q.got = append(q.got, evs...)
	return nil
}

func TestTrigger(t *testing.T) {
	unavailable := errors.New("queue down")
	for name, tt := range map[string]struct {
		event     []byte
		q         *queue
		calls     int
		enqueued  int
		logErrorf string // a substring of the ERROR log line; "" = none
	}{
		"sign-up":        {event: loadSample(t), q: &queue{}, calls: 1, enqueued: 1},
		"login":          {event: withSample(t, map[string]any{"triggerSource": "PostAuthentication_Authentication"}), q: &queue{}},
		"retried":        {event: loadSample(t), q: &queue{fails: 2, err: unavailable}, calls: 3, enqueued: 1},
		"queue down":     {event: loadSample(t), q: &queue{fails: 9, err: unavailable}, calls: maxAttempts, logErrorf: "cognito event not enqueued"},
		"invalid events": {event: loadSample(t), q: &queue{fails: 9, err: fmt.Errorf("event 0: %w", source.ErrMalformed)}, calls: 1, logErrorf: "not enqueued"},
		"other pool":     {event: withSample(t, map[string]any{"userPoolId": "eu-central-1_Other"}), q: &queue{}, logErrorf: "attached to a pool"},
		"not an event":   {event: []byte(`[1,2]`), q: &queue{}, logErrorf: "not decoded"},
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			tr := &Trigger{Parser: mustParser(t), Queue: tt.q, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
				Now: func() time.Time { return time.Unix(1767225600, 0) }}
			out, err := tr.Handle(context.Background(), tt.event)
			if err != nil {
				t.Fatalf("Handle failed Cognito's call: %v", err)
			}
			if !bytes.Equal(out, tt.event) {
				t.Errorf("answer is not the event unchanged:\n got %s\nwant %s", out, tt.event)
			}
			if tt.q.calls != tt.calls || len(tt.q.got) != tt.enqueued {
				t.Errorf("%d calls, %d enqueued; want %d, %d", tt.q.calls, len(tt.q.got), tt.calls, tt.enqueued)
			}
			hasError := strings.Contains(logs.String(), `"level":"ERROR"`)
			if hasError != (tt.logErrorf != "") || !strings.Contains(logs.String(), tt.logErrorf) {
				t.Errorf("logs %s; want an ERROR with %q", logs.String(), tt.logErrorf)
			}
			for _, pii := range []string{"jane.doe@example.com", "Jane", "Doe"} {
				if strings.Contains(logs.String(), pii) {
					t.Errorf("logs carry personal data %q", pii)
				}
			}
		})
	}
}

// TestTriggerStopsAtTheBudget: a queue that hangs until its context ends
// gets the trigger's Budget, not Lambda's whole timeout.
func TestTriggerStopsAtTheBudget(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the invocation's context is already over
	q := &queue{fails: 9, err: errors.New("down")}
	tr := &Trigger{Parser: mustParser(t), Queue: q, Log: slog.New(slog.DiscardHandler)}
	if out, err := tr.Handle(ctx, loadSample(t)); err != nil || out == nil {
		t.Fatalf("Handle = %s, %v", out, err)
	}
	if q.calls != 1 {
		t.Errorf("%d attempts after the context ended, want 1", q.calls)
	}
}
