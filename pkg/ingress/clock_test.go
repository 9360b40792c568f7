package ingress

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// withTimestamp is userCreated as sent at at by the sender's clock.
func withTimestamp(at time.Time) string {
	return strings.Replace(userCreated, `"timestamp":1735725600123`, fmt.Sprintf(`"timestamp":%d`, at.UnixMilli()), 1)
}

func TestSenderClockAheadIsHeldToReceipt(t *testing.T) {
	tests := []struct {
		name    string
		sent    time.Time
		want    time.Time
		clamped int64
	}{
		{"a day ahead", now.Add(24 * time.Hour), now, 1},
		{"in 2099", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), now, 1},
		{"ahead within the tolerance", now.Add(profile.ClockTolerance), now.Add(profile.ClockTolerance), 0},
		{"behind", now.Add(-24 * time.Hour), now.Add(-24 * time.Hour), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, q := newHandler(t)
			var logs bytes.Buffer
			h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			resp, err := h.Handle(context.Background(), signed(withTimestamp(tt.sent)))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
			}
			for _, target := range []string{"audit", "crm"} {
				env, err := profile.UnmarshalEnvelope(q.Messages(target)[0].Body)
				if err != nil {
					t.Fatal(err)
				}
				if !env.Event.OccurredAt.Equal(tt.want) {
					t.Errorf("%s: occurred_at %v, want %v", target, env.Event.OccurredAt, tt.want)
				}
			}
			if got := h.Counts.ClockClamped.Load(); got != tt.clamped {
				t.Errorf("ClockClamped = %d, want %d", got, tt.clamped)
			}
			warn := findLog(t, &logs, "event time ahead of receipt; queued at the receipt time")
			if tt.clamped == 0 {
				if warn != nil {
					t.Errorf("warned about a time within the tolerance: %v", warn)
				}
				return
			}
			if warn == nil {
				t.Fatalf("no warning logged:\n%s", logs.String())
			}
			if warn["level"] != "WARN" || warn["event_id"] != "msg_1" || warn["source"] != "clerk" ||
				warn["occurred_at"] != tt.sent.UTC().Format(time.RFC3339Nano) || warn["received_at"] != now.Format(time.RFC3339Nano) {
				t.Errorf("warning = %v", warn)
			}
			if strings.Contains(logs.String(), "jane@example.com") || strings.Contains(logs.String(), "Doe") {
				t.Errorf("logs carry personal data:\n%s", logs.String())
			}
		})
	}
}

// findLog returns the first JSON log record with message msg, or nil.
func findLog(t *testing.T, logs *bytes.Buffer, msg string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			return rec
		}
	}
	return nil
}
