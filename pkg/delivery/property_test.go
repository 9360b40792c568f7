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
	"github.com/profilesync/profilesync/pkg/source"
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

// propWorld is what a property run draws: each subject's changes in the
// order they happened at the source, and the source's state after the last.
type propWorld struct {
	evs   []profile.Event
	truth map[string]*profile.Profile // the source's profiles now; absent = deleted
	last  map[string]profile.Event    // each subject's last change
}

// propClock says how far to trust the sender's clock.
type propClock struct {
	skew bool // event times up to a day off either way, each its own way
	thin bool // events may be thin, completed from the source's profile API
	// versioned: profiles carry updated_at, in snapshots and from the API
	// alike (Clerk's user object). A source without it sends thin events
	// only (cidaas, Akamai), or the snapshots' order would be lost.
	versioned bool
}

// propEvents draws each subject's changes: created or updated in any mix,
// perhaps ended by a delete (a CIAM does not give a deleted subject's id to
// someone new: cidaas and Akamai subs are UUIDs, Clerk's user ids unique).
// Change i happens at t0+i s, and its profile says so in updated_at when
// versioned; a skewed sender's event time may say anything.
func propEvents(t *rapid.T, c propClock) propWorld {
	w := propWorld{truth: map[string]*profile.Profile{}, last: map[string]profile.Event{}}
	subjects := rapid.IntRange(1, 3).Draw(t, "subjects")
	for s := range subjects {
		sub := fmt.Sprintf("u-%d", s)
		n := rapid.IntRange(1, 6).Draw(t, "changes")
		for i := range n {
			types := []profile.EventType{profile.Created, profile.Updated}
			if i == n-1 {
				types = append(types, profile.Deleted)
			}
			typ := rapid.SampledFrom(types).Draw(t, "type")
			happened := t0.Add(time.Duration(i) * time.Second)
			e := event(fmt.Sprintf("%s-e%d", sub, i), typ, sub, happened, nil)
			var p *profile.Profile
			if typ != profile.Deleted {
				p = &profile.Profile{Sub: sub, Email: sub + "@example.com",
					GivenName:     rapid.SampledFrom([]string{"Ann", "Bea", ""}).Draw(t, "given"),
					Locale:        rapid.SampledFrom([]string{"de-DE", "en-GB"}).Draw(t, "locale"),
					EmailVerified: rapid.Bool().Draw(t, "verified")}
			}
			if p != nil && c.versioned {
				p.UpdatedAt = &happened
			}
			if c.skew {
				e.OccurredAt = happened.Add(time.Duration(rapid.Int64Range(-86400, 86400).Draw(t, "skew s")) * time.Second)
				e.ReceivedAt = happened.Add(time.Duration(rapid.IntRange(0, 60).Draw(t, "in flight s")) * time.Second)
				e.ClampFuture() // as the ingress does
			}
			if p != nil && (!c.thin || c.versioned && rapid.Bool().Draw(t, "snapshot")) {
				e.Profile = p
			}
			if p != nil {
				w.truth[sub] = p
			} else {
				delete(w.truth, sub)
			}
			w.last[sub] = e
			w.evs = append(w.evs, e)
		}
	}
	return w
}

// TestAnyOrderEndsAtTheSourcesLastState: whatever the queue does to a
// subject's events — reorder, duplicate, batch them together, fail and
// redeliver them later — the target ends equal to the subject's last
// change (absent when that is a delete).
func TestAnyOrderEndsAtTheSourcesLastState(t *testing.T) {
	m := webhookMapping(t)
	rapid.Check(t, func(t *rapid.T) {
		h, fake := genericRig(t, m)
		w := propEvents(t, propClock{})
		drain(t, h, fake, w.evs)
		for sub, last := range w.last {
			checkTarget(t, m, fake, sub, last.Type == profile.Deleted, last.Profile)
		}
	})
}

// TestSkewedClocksEndAtTheSource: the same, with every event's time up to
// a day off either way, from a source that sends snapshots carrying
// updated_at and thin events, or thin events only. The profile's own
// version and the source's profile API order them: the target still ends
// equal to the source, and a delete always lands.
func TestSkewedClocksEndAtTheSource(t *testing.T) {
	m := webhookMapping(t)
	rapid.Check(t, func(t *rapid.T) {
		h, fake := genericRig(t, m)
		versioned := rapid.Bool().Draw(t, "profiles carry updated_at")
		w := propEvents(t, propClock{skew: true, thin: true, versioned: versioned})
		api := &sourceProfiles{}
		for _, p := range w.truth {
			api.set(p)
		}
		h.Fetchers = map[string]source.Fetcher{"clerk": api}
		h.Now = func() time.Time { return t0.Add(time.Hour) }
		drain(t, h, fake, w.evs)
		for sub := range w.last {
			p, live := w.truth[sub]
			checkTarget(t, m, fake, sub, !live, p)
		}
	})
}

// drain delivers evs through the handler as a queue might: copies,
// shuffled, in batches, some failing and coming back later.
func drain(t *rapid.T, h *Handler, fake *gensandbox.Fake, evs []profile.Event) {
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

// checkTarget fails unless the target holds nothing for sub (gone) or
// exactly want's record.
func checkTarget(t *rapid.T, m *mapping.Mapping, fake *gensandbox.Fake, sub string, gone bool, want *profile.Profile) {
	var got []gensandbox.Record
	for _, r := range fake.Records() {
		if r.Fields["id"] == sub || r.Key == sub {
			got = append(got, r)
		}
	}
	if gone {
		if len(got) != 0 {
			t.Fatalf("%s: deleted at the source, target holds %v", sub, got)
		}
		return
	}
	key, fields, err := m.Record(m.RulesFor(profile.Event{Source: "clerk", Type: profile.Updated, Subject: sub}), want)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Key != key || !reflect.DeepEqual(asJSON(t, fields), asJSON(t, got[0].Fields)) {
		t.Fatalf("%s: the source wants %s=%v, target holds %v", sub, key, fields, got)
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
