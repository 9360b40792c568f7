package delivery

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
)

// A record key built from the profile that is not text (here a custom id
// whose invalid byte the queue's JSON turned into U+FFFD) is abandoned at
// once: the message goes to the DLQ as permanent and nothing is sent.
func TestInvalidUTF8RecordKeyDeadLetters(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	data, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := withPhone.Parse("salesforce.yaml", []byte(strings.Replace(string(data), "\nkey: sub\n", "\nkey: custom.crm_id\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := salesforce.Build("salesforce", m.Settings, []byte(`{"login_url":"`+srv.URL+`","client_id":"cid","client_secret":"csecret"}`), egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{fake: fake, h: &Handler{Target: "salesforce", Mapping: m, Connector: conn, State: &MemoryState{}}}
	q, _ := withQueue(r)

	bad, good := jane("Jane"), jane("Jane")
	bad.Custom = map[string]any{"crm_id": "crm-\xff42"}
	good.Custom = map[string]any{"crm_id": "crm-42"}
	good.Sub = "u-2"
	ev := received(batch(t, event("e1", profile.Created, "u-1", t0, bad), event("e2", profile.Created, "u-2", t0, good)), 1)
	resp, err := r.h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("want both messages settled, got %+v %v", resp, err)
	}
	dead := q.Dead()
	if len(dead) != 1 || dead[0].Msg.MessageId != "msg-a" {
		t.Fatalf("dead letters %+v, want msg-a only", dead)
	}
	if rs := dead[0].Reason; rs.Class != "permanent" || !strings.Contains(rs.Message, profile.ErrInvalidKey.Error()) || strings.Contains(rs.Message, "crm-") {
		t.Errorf("reason %+v, want permanent, invalid key, no value", rs)
	}
	if got := contacts(r); len(got) != 1 {
		t.Errorf("contacts %v, want only the valid one", got)
	}
}
