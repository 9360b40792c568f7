package ingress

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/profile"
)

// oversized is a genuine user.created whose body fits the ingress limit
// but whose envelope does not: json.Marshal writes each '<' as \u003c.
func oversized(t *testing.T) string {
	t.Helper()
	body := strings.Replace(userCreated, `"created_at":`, `"public_metadata":{"bio":"`+strings.Repeat("<", 50_000)+`"},"created_at":`, 1)
	if len(body) > MaxBody {
		t.Fatalf("body of %d bytes is over the ingress limit", len(body))
	}
	return body
}

func TestOversizedEnvelopeGoesThinWhenTheSourceCanFetch(t *testing.T) {
	h, q := newHandler(t)
	h.Fetchable = map[string]bool{"clerk": true}
	resp, err := h.Handle(context.Background(), signed(oversized(t)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
	}
	for _, target := range []string{"audit", "crm"} {
		msgs := q.Messages(target)
		if len(msgs) != 1 || msgs[0].size() > profile.MaxMessage {
			t.Fatalf("%s: %d messages", target, len(msgs))
		}
		env, err := profile.UnmarshalEnvelope(msgs[0].Body)
		if err != nil {
			t.Fatal(err)
		}
		if env.Version != profile.EnvelopeVersion || env.Event.Profile != nil || env.Event.ID != "msg_1" || env.Event.Subject != "user_1" {
			t.Errorf("%s: envelope = %+v", target, env)
		}
	}
	if n := h.Counts.Thinned.Load(); n != 2 {
		t.Errorf("Thinned = %d, want 2", n)
	}
}

func TestOversizedEnvelopeIsStoredAsideWhenTheSourceCannotFetch(t *testing.T) {
	h, q := newHandler(t)
	bodies := &MemoryBodies{}
	h.Bodies = bodies
	resp, err := h.Handle(context.Background(), signed(oversized(t)))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
	}
	for _, target := range []string{"audit", "crm"} {
		msgs := q.Messages(target)
		if len(msgs) != 1 || msgs[0].size() > profile.MaxMessage {
			t.Fatalf("%s: %d messages", target, len(msgs))
		}
		ptr, err := profile.UnmarshalEnvelope(msgs[0].Body)
		if err != nil {
			t.Fatal(err)
		}
		if ptr.Version != profile.StoredVersion || !strings.HasPrefix(ptr.Stored, target+"/") || ptr.Event.Profile != nil || ptr.Event.ID != "msg_1" {
			t.Fatalf("%s: pointer = %+v", target, ptr)
		}
		stored, ok := bodies.Get(context.Background(), ptr.Stored)
		if !ok {
			t.Fatalf("%s: nothing stored under %s", target, ptr.Stored)
		}
		env, err := profile.UnmarshalEnvelope(stored)
		if err != nil {
			t.Fatal(err)
		}
		if env.Target != target || env.Event.Profile == nil || len(env.Event.Profile.Custom["public_metadata"].(map[string]any)["bio"].(string)) != 50_000 {
			t.Errorf("%s: the stored envelope lost its profile", target)
		}
	}
	if n := h.Counts.StoredAside.Load(); n != 2 {
		t.Errorf("StoredAside = %d, want 2", n)
	}
}

func TestOversizedEnvelopeWithNowhereToGoAsksForResend(t *testing.T) {
	for name, bodies := range map[string]BodyStore{
		"no body store":     nil,
		"body store failed": &MemoryBodies{Fail: errors.New("s3: SlowDown arn:aws:s3:::bucket")},
	} {
		t.Run(name, func(t *testing.T) {
			h, q := newHandler(t)
			h.Bodies = bodies
			resp, _ := h.Handle(context.Background(), signed(oversized(t)))
			if resp.StatusCode != 503 || strings.Contains(resp.Body, "s3") || q.Len() != 0 {
				t.Fatalf("%d %s, %d messages; want 503 and nothing queued", resp.StatusCode, resp.Body, q.Len())
			}
		})
	}
}
