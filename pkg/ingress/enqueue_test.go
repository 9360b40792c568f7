package ingress

import (
	"context"
	"errors"
	"testing"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// failingQueue refuses every batch.
type failingQueue struct{}

func (failingQueue) SendBatch(context.Context, string, []Message) error {
	return errors.New("sqs down")
}

// Enqueue routes decoded events as a webhook's are, and says which
// failures a retry may cure.
func TestEnqueue(t *testing.T) {
	ev := profile.Event{ID: "e1", Source: "cognito", Type: profile.Created, Subject: "s1", OccurredAt: now,
		Profile: &profile.Profile{Sub: "s1", FamilyName: "Doe"}}
	h, q := newHandler(t)
	acc, err := h.Enqueue(context.Background(), []profile.Event{ev})
	if err != nil || acc.Events != 1 || acc.Enqueued != 2 || q.Len() != 2 {
		t.Fatalf("Enqueue = %+v, %v; %d queued, want 1 event for crm and audit", acc, err, q.Len())
	}
	if got := q.Messages("crm"); len(got) != 1 || got[0].Attributes["event_id"] != "e1" {
		t.Errorf("crm queue %+v", got)
	}

	invalid := ev
	invalid.Subject = ""
	if _, err := h.Enqueue(context.Background(), []profile.Event{invalid}); !errors.Is(err, source.ErrMalformed) || errors.Is(err, ErrUnavailable) {
		t.Errorf("invalid event: %v, want ErrMalformed", err)
	}

	h.Queue = failingQueue{}
	if _, err := h.Enqueue(context.Background(), []profile.Event{ev}); !errors.Is(err, ErrUnavailable) || errors.Is(err, source.ErrMalformed) {
		t.Errorf("queue down: %v, want ErrUnavailable", err)
	}
}
