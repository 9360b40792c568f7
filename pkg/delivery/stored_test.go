package delivery

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/profile"
)

type mapBodies map[string][]byte

func (m mapBodies) Get(_ context.Context, key string) ([]byte, error) {
	b, ok := m[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotStored)
	}
	return b, nil
}

// pointerTo is the queue message of env stored aside under key.
func pointerTo(t *testing.T, env profile.Envelope, key string) events.SQSEvent {
	t.Helper()
	b, err := env.Pointer(key).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return events.SQSEvent{Records: []events.SQSMessage{{MessageId: "msg-a", Body: string(b)}}}
}

func TestStoredEnvelopeIsReadBack(t *testing.T) {
	full := profile.NewEnvelope("salesforce", event("e1", profile.Created, "u-1", t0, jane("Jane")))
	body, err := full.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := profile.NewEnvelope("salesforce", event("e9", profile.Created, "u-1", t0, jane("Eve"))).Marshal()
	tests := []struct {
		name   string
		stored StoredBodies
		dead   string // the DLQ reason, "" when delivered
	}{
		{"stored", mapBodies{"salesforce/k": body}, ""},
		{"nothing under the key", mapBodies{}, "no body stored"},
		{"another event under the key", mapBodies{"salesforce/k": other}, "not the envelope the pointer names"},
		{"no body store", nil, "no body store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			q := &MemoryQueue{}
			r.h.DeadLetters = q
			if tt.stored != nil {
				r.h.Stored = tt.stored
			}
			resp, err := r.h.Handle(context.Background(), pointerTo(t, full, "salesforce/k"))
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("%v %v", err, resp.BatchItemFailures)
			}
			dead := q.Dead()
			if tt.dead == "" {
				if len(dead) != 0 || len(contacts(r)) != 1 || contacts(r)[0]["FirstName"] != "Jane" {
					t.Fatalf("dead %v, contacts %v", dead, contacts(r))
				}
				return
			}
			if len(dead) != 1 || !strings.Contains(dead[0].Reason.Message, tt.dead) || len(contacts(r)) != 0 {
				t.Fatalf("dead %v, contacts %v; want one dead letter for %q", dead, contacts(r), tt.dead)
			}
		})
	}
}

func TestStoredEnvelopeReadFailureIsRetried(t *testing.T) {
	r := newRig(t, nil)
	r.h.Stored = failingBodies{}
	full := profile.NewEnvelope("salesforce", event("e1", profile.Created, "u-1", t0, jane("Jane")))
	resp, err := r.h.Handle(context.Background(), pointerTo(t, full, "salesforce/k"))
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Fatalf("%v %v: want the message retried", err, resp.BatchItemFailures)
	}
}

type failingBodies struct{}

func (failingBodies) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("s3: SlowDown")
}
