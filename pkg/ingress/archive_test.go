package ingress

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/profile"
)

func TestArchiveKeepsExactlyTheAcceptedEvents(t *testing.T) {
	h, q := newHandler(t)
	a := &MemoryArchive{}
	h.Archive = a
	ctx := context.Background()

	bad := signed(userCreated)
	bad.Headers["webhook-signature"] = "v1,AAAA"
	malformed := signed(`{"type":"user.created","data":`)
	for name, req := range map[string]events.APIGatewayV2HTTPRequest{"bad signature": bad, "malformed": malformed} {
		if resp, _ := h.Handle(ctx, req); resp.StatusCode/100 != 4 {
			t.Fatalf("%s: %d, want a 4xx", name, resp.StatusCode)
		}
	}
	// An enqueue failure is answered 503 and the CIAM resends: the
	// archive must not keep the event twice.
	q.Fail = map[string]error{"crm": errors.New("queue down")}
	if resp, _ := h.Handle(ctx, signed(userCreated)); resp.StatusCode != 503 {
		t.Fatalf("enqueue failure: %d", resp.StatusCode)
	}
	if calls := a.Calls(); len(calls) != 0 {
		t.Fatalf("rejected requests archived: %+v", calls)
	}

	q.Fail = nil
	if resp, _ := h.Handle(ctx, signed(userCreated)); resp.StatusCode != 200 {
		t.Fatalf("accepted: %d %s", resp.StatusCode, resp.Body)
	}
	calls := a.Calls()
	if len(calls) != 1 || len(calls[0]) != 1 {
		t.Fatalf("archive calls = %+v, want one with one event", calls)
	}
	got := calls[0][0]
	e := got.Event
	if e.ID != "msg_1" || e.Source != "clerk" || e.Type != profile.Created || e.Subject != "user_1" ||
		!e.ReceivedAt.Equal(now) || e.Profile == nil || e.Profile.FamilyName != "Doe" || e.Replay {
		t.Errorf("archived event = %+v", e)
	}
	if !slices.Equal(got.Targets, []string{"audit", "crm"}) || got.Thinned {
		t.Errorf("archived targets %v thinned %v, want [audit crm] and the full event", got.Targets, got.Thinned)
	}
}

func TestArchiveFailureDoesNotFailTheWebhook(t *testing.T) {
	h, q := newHandler(t)
	h.Archive = &MemoryArchive{Fail: errors.New("bucket gone")}
	resp, err := h.Handle(context.Background(), signed(userCreated))
	if err != nil || resp.StatusCode != 200 || q.Len() != 2 {
		t.Fatalf("%v %d %s; %d queued", err, resp.StatusCode, resp.Body, q.Len())
	}
	if n := h.Counts.ArchiveFailed.Load(); n != 1 {
		t.Errorf("ArchiveFailed = %d, want 1", n)
	}
}

func TestArchiveKeepsAThinnedEventThin(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(h *Handler)
	}{
		{"went thin", func(h *Handler) { h.Fetchable = map[string]bool{"clerk": true} }},
		{"stored aside", func(h *Handler) { h.Bodies = &MemoryBodies{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHandler(t)
			a := &MemoryArchive{}
			h.Archive = a
			tc.setup(h)
			if resp, _ := h.Handle(context.Background(), signed(oversized(t))); resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			calls := a.Calls()
			if len(calls) != 1 || len(calls[0]) != 1 {
				t.Fatalf("archive calls = %d", len(calls))
			}
			if got := calls[0][0]; !got.Thinned || got.Event.Profile != nil || got.Event.ID != "msg_1" {
				t.Errorf("archived thinned=%v profile=%v, want the thin event", got.Thinned, got.Event.Profile != nil)
			}
		})
	}
}

func TestReplayerRoutesAgainMarkedAndRestricted(t *testing.T) {
	h, _ := newHandler(t)
	a := &MemoryArchive{}
	h.Archive = a
	if resp, _ := h.Handle(context.Background(), signed(userCreated)); resp.StatusCode != 200 {
		t.Fatal(resp.Body)
	}
	evs, err := a.Read(context.Background(), now, now.Add(1))
	if err != nil || len(evs) != 1 {
		t.Fatalf("read %d, %v", len(evs), err)
	}
	q := &MemoryQueue{}
	r := &Replayer{Router: mappings(t), Queue: q}
	plan := r.Plan(evs, []string{"crm", "elsewhere"})
	if len(plan) != 1 || !slices.Equal(plan[0].Targets, []string{"crm"}) || !slices.Equal(plan[0].Archived, []string{"audit", "crm"}) {
		t.Fatalf("plan = %+v", plan)
	}
	if none := r.Plan(evs, []string{"elsewhere"}); len(none) != 0 {
		t.Errorf("plan for a target nothing routes to = %+v", none)
	}
	sent, err := r.Send(context.Background(), plan)
	if err != nil || sent["crm"] != 1 || len(sent) != 1 {
		t.Fatalf("sent %v, %v", sent, err)
	}
	msgs := q.Messages("crm")
	env, err := profile.UnmarshalEnvelope(msgs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if !env.Event.Replay || env.Event.ID != "msg_1" || env.Event.Profile == nil || msgs[0].Attributes["origin"] != "replay" {
		t.Errorf("replayed envelope = %+v, attributes %v", env, msgs[0].Attributes)
	}
	if len(q.Messages("audit")) != 0 {
		t.Error("replay restricted to crm queued for audit")
	}
}

func TestReplayerSendsInPieces(t *testing.T) {
	var evs []ArchivedEvent
	for i := range ReplayBatch*2 + 1 {
		e := profile.Event{ID: "e" + string(rune('a'+i%26)) + string(rune('0'+i/26)), Source: "clerk", Type: profile.Created,
			Subject: "user_1", OccurredAt: now, ReceivedAt: now}
		evs = append(evs, ArchivedEvent{Event: e})
	}
	q := &countingQueue{}
	r := &Replayer{Router: mappings(t), Queue: q}
	sent, err := r.Send(context.Background(), r.Plan(evs, nil))
	if err != nil || sent["crm"] != len(evs) || sent["audit"] != len(evs) {
		t.Fatalf("sent %v, %v", sent, err)
	}
	if q.max > ReplayBatch || q.calls != 6 {
		t.Errorf("%d SendBatch calls of at most %d, want 6 of at most %d", q.calls, q.max, ReplayBatch)
	}
}

type countingQueue struct{ calls, max int }

func (q *countingQueue) SendBatch(_ context.Context, _ string, msgs []Message) error {
	q.calls++
	q.max = max(q.max, len(msgs))
	return nil
}
