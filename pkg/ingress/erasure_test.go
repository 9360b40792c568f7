package ingress

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/profile"
)

const userDeleted = `{"data":{"deleted":true,"id":"user_1","object":"user"},"object":"event","timestamp":1735725600123,"type":"user.deleted"}`

// A delete is recorded pending for each target it is routed to before it
// is queued; a create or update costs the ledger nothing.
func TestDeleteOpensItsErasuresBeforeItIsQueued(t *testing.T) {
	h, q := newHandler(t)
	ledger := &delivery.MemoryErasures{}
	h.Erasures = ledger

	if resp, _ := h.Handle(context.Background(), signed(userCreated)); resp.StatusCode != 200 || ledger.Calls() != 0 {
		t.Fatalf("create: %d, %d ledger calls; want 200 and none", resp.StatusCode, ledger.Calls())
	}
	resp, _ := h.Handle(context.Background(), signed(userDeleted))
	if resp.StatusCode != 200 || len(q.Messages("crm")) != 2 || len(q.Messages("audit")) != 2 {
		t.Fatalf("delete: %d %s", resp.StatusCode, resp.Body)
	}
	got := ledger.All()
	var targets []string
	for _, e := range got {
		targets = append(targets, e.Target)
		if e.Subject != "user_1" || e.EventID != "msg_1" || e.Status != delivery.ErasurePending ||
			!e.RequestedAt.Equal(time1735725600123()) {
			t.Errorf("erasure %+v", e)
		}
	}
	if !slices.Equal(targets, []string{"audit", "crm"}) || ledger.Calls() != 1 {
		t.Errorf("ledger holds %v in %d calls; want audit and crm in one", targets, ledger.Calls())
	}
}

// The ledger refusing the write fails the request (the CIAM resends) and
// nothing is queued; with the ledger back, the resend goes through.
func TestLedgerDownFailsTheDeleteAndQueuesNothing(t *testing.T) {
	h, q := newHandler(t)
	ledger := &delivery.MemoryErasures{Fail: errors.New("dynamodb down")}
	h.Erasures = ledger
	var verdicts []Verdict
	h.Meter = meterFunc(func(v Verdict) { verdicts = append(verdicts, v) })

	resp, _ := h.Handle(context.Background(), signed(userDeleted))
	if resp.StatusCode != 503 || q.Len() != 0 || resp.Body != `{"error":"temporarily unavailable, retry"}` {
		t.Fatalf("ledger down: %d %s, %d queued; want 503 and nothing", resp.StatusCode, resp.Body, q.Len())
	}
	if len(verdicts) != 1 || !verdicts[0].Unavailable || verdicts[0].Reason != ReasonErasureLedger {
		t.Errorf("verdicts %+v", verdicts)
	}
	if _, err := h.Enqueue(context.Background(), []profile.Event{{ID: "e1", Source: "cognito", Type: profile.Deleted,
		Subject: "s1", OccurredAt: now}}); !errors.Is(err, ErrUnavailable) || q.Len() != 0 {
		t.Errorf("Enqueue with the ledger down: %v, %d queued", err, q.Len())
	}
	// Creates do not touch the ledger, so they pass while it is down.
	if resp, _ := h.Handle(context.Background(), signed(userCreated)); resp.StatusCode != 200 {
		t.Errorf("create with the ledger down: %d", resp.StatusCode)
	}

	ledger.Fail = nil
	if resp, _ := h.Handle(context.Background(), signed(userDeleted)); resp.StatusCode != 200 || len(ledger.All()) != 2 {
		t.Errorf("resend: %d, ledger %+v", resp.StatusCode, ledger.All())
	}
}

func time1735725600123() time.Time { return time.UnixMilli(1735725600123).UTC() }

type meterFunc func(Verdict)

func (f meterFunc) Webhook(_ context.Context, v Verdict) { f(v) }

// BenchmarkClerkWebhook is the whole handler on a Clerk user webhook,
// with and without the erasure ledger (in memory, so the figure is the
// ingress's own work): a create must cost the ledger nothing, a delete
// one Open.
func BenchmarkClerkWebhook(b *testing.B) {
	for _, tc := range []struct {
		name, body string
		ledger     bool
	}{
		{"created", userCreated, false},
		{"created+ledger", userCreated, true},
		{"deleted", userDeleted, false},
		{"deleted+ledger", userDeleted, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h, q := newHandler(b)
			h.Log = slog.New(slog.DiscardHandler)
			if tc.ledger {
				h.Erasures = &delivery.MemoryErasures{}
			}
			req := signed(tc.body)
			b.ReportAllocs()
			for b.Loop() {
				if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != 200 {
					b.Fatalf("%d %s", resp.StatusCode, resp.Body)
				}
				q.Reset()
			}
		})
	}
}
