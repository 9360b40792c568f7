package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// logTo sends h's logs to a buffer, as JSON.
func logTo(h *Handler) *bytes.Buffer {
	var b bytes.Buffer
	h.Log = slog.New(slog.NewJSONHandler(&b, nil))
	return &b
}

// warnings are the WARN records of logs.
func warnings(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["level"] == "WARN" {
			out = append(out, rec)
		}
	}
	return out
}

// poisoned is the state an event dated 2099 left before the ingress held
// sender clocks to its own.
var poisoned = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

func TestOlderDeleteIsConfirmedOrApplied(t *testing.T) {
	tests := []struct {
		name     string
		fetchers func(*sourceProfiles) map[string]source.Fetcher
		atSource bool // the source still has the subject
		want     Outcome
		left     int // contacts left
		warn     string
	}{
		{"no profile API: applied", func(*sourceProfiles) map[string]source.Fetcher { return nil }, true, Deleted, 0,
			"delete older than the last change applied; the source has no profile API, so the delete is applied"},
		{"gone at the source: applied", func(s *sourceProfiles) map[string]source.Fetcher { return map[string]source.Fetcher{"clerk": s} }, false, Deleted, 0,
			"delete older than the last change applied; the source no longer has the subject, so the delete is applied"},
		{"still at the source: skipped", func(s *sourceProfiles) map[string]source.Fetcher { return map[string]source.Fetcher{"clerk": s} }, true, Stale, 1,
			"delete older than the last change applied and the source still has the subject; skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &sourceProfiles{}
			r := newRig(t, tt.fetchers(api))
			ctx := context.Background()
			if out, err := r.h.Deliver(ctx, event("e1", profile.Updated, "u-1", poisoned, jane("Jane"))); err != nil || out != Delivered {
				t.Fatalf("update: %s %v", out, err)
			}
			if tt.atSource {
				api.set(jane("Jane"))
			}
			logs := logTo(r.h)
			out, err := r.h.Deliver(ctx, event("e2", profile.Deleted, "u-1", t0, nil))
			if err != nil || out != tt.want {
				t.Fatalf("delete: %s %v, want %s", out, err, tt.want)
			}
			if n := len(contacts(r)); n != tt.left {
				t.Errorf("%d contacts left, want %d", n, tt.left)
			}
			w := warnings(t, logs)
			if len(w) != 1 || w[0]["msg"] != tt.warn || w[0]["event_id"] != "e2" ||
				w[0]["event_at"] != t0.Format(time.RFC3339) || w[0]["last_event_at"] != poisoned.Format(time.RFC3339) {
				t.Fatalf("warnings = %v", w)
			}
			applied, stale := r.h.Counts.OlderDeletes.Load(), r.h.Counts.Stale.Load()
			if tt.want == Deleted && (applied != 1 || stale != 0) || tt.want == Stale && (applied != 0 || stale != 1) {
				t.Errorf("counts: older deletes %d, stale %d", applied, stale)
			}
			if tt.want == Deleted {
				// The tombstone keeps the newer time; a late update stays out.
				out, err := r.h.Deliver(ctx, event("e3", profile.Updated, "u-1", t0.Add(time.Minute), jane("Zombie")))
				if err != nil || out == Delivered || len(contacts(r)) != 0 {
					t.Fatalf("late update after the delete: %s %v %v", out, err, contacts(r))
				}
			}
		})
	}
}

func TestFetchedProfileOrdersAThinEvent(t *testing.T) {
	api := &sourceProfiles{}
	r := newRig(t, map[string]source.Fetcher{"clerk": api})
	ctx := context.Background()
	if out, err := r.h.Deliver(ctx, event("e1", profile.Updated, "u-1", poisoned, jane("Jane"))); err != nil || out != Delivered {
		t.Fatalf("update from 2099: %s %v", out, err)
	}
	// A thin event dated before the state: the profile fetched now is the
	// source's truth all the same.
	api.set(jane("Janet"))
	out, err := r.h.Deliver(ctx, event("e2", profile.Updated, "u-1", t0, nil))
	if err != nil || out != Delivered {
		t.Fatalf("thin update: %s %v", out, err)
	}
	if c := contacts(r); len(c) != 1 || c[0]["FirstName"] != "Janet" {
		t.Fatalf("contacts = %v", c)
	}
	if n := r.h.Counts.Stale.Load(); n != 0 {
		t.Errorf("%d stale skips", n)
	}
}

func TestSnapshotVersionOrdersOverEventTime(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	at := func(d time.Duration) *profile.Profile {
		p := jane("Jane")
		v := t0.Add(d)
		p.UpdatedAt = &v
		return p
	}
	newer, older := at(time.Minute), at(0)
	older.GivenName = "Old"
	if out, err := r.h.Deliver(ctx, event("e2", profile.Updated, "u-1", t0.Add(-time.Hour), newer)); err != nil || out != Delivered {
		t.Fatalf("newer version, sent by a slow clock: %s %v", out, err)
	}
	logs := logTo(r.h)
	out, err := r.h.Deliver(ctx, event("e1", profile.Updated, "u-1", t0.Add(time.Hour), older))
	if err != nil || out != Stale {
		t.Fatalf("older version, sent by a fast clock: %s %v", out, err)
	}
	if c := contacts(r); len(c) != 1 || c[0]["FirstName"] != "Jane" {
		t.Fatalf("contacts = %v", c)
	}
	w := warnings(t, logs)
	if len(w) != 1 || w[0]["msg"] != "event older than the last change applied; skipped" ||
		w[0]["event_at"] != t0.Format(time.RFC3339) || w[0]["last_event_at"] != t0.Add(time.Minute).Format(time.RFC3339) {
		t.Fatalf("warnings = %v", w)
	}
	if strings.Contains(logs.String(), "jane@example.com") || strings.Contains(logs.String(), "Doe") {
		t.Errorf("logs carry personal data:\n%s", logs)
	}
	if n := r.h.Counts.Stale.Load(); n != 1 {
		t.Errorf("stale count %d, want 1", n)
	}
}

func TestProfileVersionAheadOfOurClockIsHeldToIt(t *testing.T) {
	r := newRig(t, nil)
	r.h.Now = func() time.Time { return t0 }
	ctx := context.Background()
	p := jane("Jane")
	p.UpdatedAt = &poisoned
	if out, err := r.h.Deliver(ctx, event("e1", profile.Updated, "u-1", t0, p)); err != nil || out != Delivered {
		t.Fatalf("update: %s %v", out, err)
	}
	if n := r.h.Counts.VersionClamped.Load(); n != 1 {
		t.Errorf("VersionClamped = %d, want 1", n)
	}
	// A later change still lands.
	p2 := jane("Janet")
	later := t0.Add(time.Minute)
	p2.UpdatedAt = &later
	if out, err := r.h.Deliver(ctx, event("e2", profile.Updated, "u-1", later, p2)); err != nil || out != Delivered {
		t.Fatalf("later update: %s %v", out, err)
	}
	if c := contacts(r); len(c) != 1 || c[0]["FirstName"] != "Janet" {
		t.Fatalf("contacts = %v", c)
	}
}
