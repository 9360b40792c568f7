package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
)

// A phone number that is not one (+1 555 numbers are fictional) is left out
// of the Contact under the shipped mapping's default on_invalid: drop, and
// the drop is logged once, naming target, event, field and transform, and
// counted; the log never carries the value.
func TestDroppedFieldIsLoggedWithoutItsValue(t *testing.T) {
	r := newRig(t, nil)
	var logs bytes.Buffer
	r.h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	p := jane("Jane")
	p.PhoneNumber = "+15555550123"
	resp, err := r.h.Handle(context.Background(), batch(t, event("e1", profile.Created, "u-1", t0, p)))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("handle: %+v %v", resp, err)
	}
	got := contacts(r)
	if len(got) != 1 || got[0]["LastName"] != "Doe" {
		t.Fatalf("contacts %v, want Jane without her phone", got)
	}
	if _, has := got[0]["MobilePhone"]; has {
		t.Errorf("MobilePhone sent: %v", got[0])
	}
	if n := r.h.Counts.InvalidDropped.Load(); n != 1 {
		t.Errorf("InvalidDropped = %d, want 1", n)
	}
	var warns []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "mapped field dropped" {
			warns = append(warns, rec)
		}
	}
	if len(warns) != 1 {
		t.Fatalf("drop warnings %v, want 1 in:\n%s", warns, logs.String())
	}
	w := warns[0]
	for k, want := range map[string]string{"level": "WARN", "target": "salesforce", "event_id": "e1",
		"field": "MobilePhone", "transform": "e164"} {
		if w[k] != want {
			t.Errorf("%s = %v, want %q", k, w[k], want)
		}
	}
	if !strings.Contains(w["reason"].(string), "on_invalid: drop") {
		t.Errorf("reason %q", w["reason"])
	}
	if strings.Contains(logs.String(), "5555550123") {
		t.Errorf("the log carries the phone number:\n%s", logs.String())
	}
}

// Under on_invalid: fail the event is dead-lettered at once with a reason
// naming the field and the transform, never the value, and nothing is sent.
func TestInvalidValueFailsPermanently(t *testing.T) {
	r := newRig(t, nil)
	data, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(data), "transform: [{e164: DE}]}", "transform: [{e164: DE}], on_invalid: fail}", 1)
	if y == string(data) {
		t.Fatal("the shipped mapping has no MobilePhone e164 field to change")
	}
	if r.h.Mapping, err = withPhone.Parse("salesforce.yaml", []byte(y)); err != nil {
		t.Fatal(err)
	}
	q, _ := withQueue(r)
	p := jane("Jane")
	p.PhoneNumber = "+15555550123"
	resp, err := r.h.Handle(context.Background(), received(batch(t, event("e1", profile.Created, "u-1", t0, p)), 1))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dead-lettered message must count as processed: %+v %v", resp, err)
	}
	dead := q.Dead()
	if len(dead) != 1 {
		t.Fatalf("dead letters %+v", dead)
	}
	rs := dead[0].Reason
	if rs.Class != "permanent" || !strings.Contains(rs.Message, "MobilePhone") || !strings.Contains(rs.Message, "e164") ||
		!strings.Contains(rs.Message, mapping.ErrInvalidValue.Error()) || strings.Contains(rs.String(), "5555550123") {
		t.Errorf("reason %+v", rs)
	}
	if got := contacts(r); len(got) != 0 {
		t.Errorf("contacts sent: %v", got)
	}
}
