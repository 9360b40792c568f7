package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"pgregory.net/rapid"

	"github.com/profilesync/profilesync/pkg/connector/generic"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	gensandbox "github.com/profilesync/profilesync/pkg/sandbox/generic"
)

const propHMACKey = "property-hmac-key"

// genericRig is the sync handler for the shipped webhook mapping over the
// generic target's fake, with in-memory state.
func genericRig(t *rapid.T, m *mapping.Mapping) (*Handler, *gensandbox.Fake) {
	fake := gensandbox.NewFake(gensandbox.Auth{Mode: "hmac", HMACSecret: propHMACKey})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	secret := fmt.Sprintf(`{"base_url":%q,"hmac_secret":%q}`, srv.URL, propHMACKey)
	conn, err := generic.Build("webhook", m.Settings, []byte(secret), egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Target: "webhook", Mapping: m, Connector: conn, State: &MemoryState{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, fake
}

func webhookMapping(t *testing.T) *mapping.Mapping {
	t.Helper()
	data, err := os.ReadFile("../../mappings/webhook.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := withPhone.Parse("webhook.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// propEvents draws each subject's changes: created, updated or deleted in
// any mix, every one at its own time, carrying its snapshot.
func propEvents(t *rapid.T) []profile.Event {
	var evs []profile.Event
	subjects := rapid.IntRange(1, 3).Draw(t, "subjects")
	for s := range subjects {
		sub := fmt.Sprintf("u-%d", s)
		n := rapid.IntRange(1, 6).Draw(t, "changes")
		offsets := rapid.Permutation([]int{0, 1, 2, 3, 4, 5, 6, 7}).Draw(t, "times")
		for i := range n {
			typ := rapid.SampledFrom([]profile.EventType{profile.Created, profile.Updated, profile.Deleted}).Draw(t, "type")
			e := event(fmt.Sprintf("%s-e%d", sub, i), typ, sub, t0.Add(time.Duration(offsets[i])*time.Second), nil)
			if typ != profile.Deleted {
				e.Profile = &profile.Profile{Sub: sub, Email: sub + "@example.com",
					GivenName:     rapid.SampledFrom([]string{"Ann", "Bea", ""}).Draw(t, "given"),
					Locale:        rapid.SampledFrom([]string{"de-DE", "en-GB"}).Draw(t, "locale"),
					EmailVerified: rapid.Bool().Draw(t, "verified")}
			}
			evs = append(evs, e)
		}
	}
	return evs
}

// TestAnyOrderEndsAtTheSourcesLastState: whatever the queue does to a
// subject's events — reorder, duplicate, batch them together, fail and
// redeliver them later — the target ends equal to the event with the
// latest OccurredAt (absent when that is a delete).
func TestAnyOrderEndsAtTheSourcesLastState(t *testing.T) {
	m := webhookMapping(t)
	rapid.Check(t, func(t *rapid.T) {
		h, fake := genericRig(t, m)
		evs := propEvents(t)
		var queue []profile.Event // deliveries in queue order, duplicates included
		for _, e := range evs {
			for range rapid.IntRange(1, 3).Draw(t, "copies") {
				queue = append(queue, e)
			}
		}
		queue = rapid.Permutation(queue).Draw(t, "order")
		failures := rapid.IntRange(0, 4).Draw(t, "failures") // injected 5xx, each a delay
		for rounds := 0; len(queue) > 0; rounds++ {
			if rounds > 200 {
				t.Fatalf("queue never drained: %d left", len(queue))
			}
			size := min(len(queue), rapid.IntRange(1, 4).Draw(t, "batch"))
			batch := queue[:size]
			queue = queue[size:]
			if failures > 0 && rapid.Bool().Draw(t, "fail") {
				fake.FailNext(1, 503)
				failures--
			}
			for _, e := range redeliveries(t, h, batch) {
				at := rapid.IntRange(0, len(queue)).Draw(t, "redeliver at")
				queue = slices.Insert(queue, at, e)
			}
		}
		for sub, last := range lastPerSubject(evs) {
			checkTarget(t, m, fake, sub, last)
		}
	})
}

// redeliveries hands batch to the handler and returns the events of the
// messages it reported failed, which the queue delivers again later.
func redeliveries(t *rapid.T, h *Handler, batch []profile.Event) []profile.Event {
	var ev events.SQSEvent
	byID := map[string]profile.Event{}
	for i, e := range batch {
		b, err := profile.NewEnvelope("webhook", e).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("m%d", i)
		byID[id] = e
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: string(b)})
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	var again []profile.Event
	for _, f := range resp.BatchItemFailures {
		again = append(again, byID[f.ItemIdentifier])
	}
	return again
}

func lastPerSubject(evs []profile.Event) map[string]profile.Event {
	last := map[string]profile.Event{}
	for _, e := range evs {
		if l, ok := last[e.Subject]; !ok || e.OccurredAt.After(l.OccurredAt) {
			last[e.Subject] = e
		}
	}
	return last
}

func checkTarget(t *rapid.T, m *mapping.Mapping, fake *gensandbox.Fake, sub string, last profile.Event) {
	var got []gensandbox.Record
	for _, r := range fake.Records() {
		if r.Fields["id"] == sub || r.Key == sub {
			got = append(got, r)
		}
	}
	if last.Type == profile.Deleted {
		if len(got) != 0 {
			t.Fatalf("%s: last event %s deletes, target holds %v", sub, last.ID, got)
		}
		return
	}
	key, fields, err := m.Record(m.RulesFor(last), last.Profile)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != key || !reflect.DeepEqual(asJSON(t, fields), asJSON(t, got[0].Fields)) {
		t.Fatalf("%s: last event %s wants %s=%v, target holds %v", sub, last.ID, key, fields, got)
	}
}

func asJSON(t *rapid.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
