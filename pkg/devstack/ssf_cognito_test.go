package devstack

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/registry"
)

// purgeSET is a RISC account-purged SET's claims for sub, as `profilesync
// send --source ssf` takes them (it sets iss, aud, iat and jti).
func purgeSET(sub string) []byte {
	return []byte(`{"sub_id":{"format":"iss_sub","iss":"` + sandbox.SSFIssuer + `","sub":"` + sub + `"},` +
		`"events":{"https://schemas.openid.net/secevent/risc/event-type/account-purged":{}}}`)
}

// SSF through the local stack: a RISC account-purged SET, signed by `send`
// with the sandbox's transmitter key, deletes Jane's contact (created
// first through cidaas) and is answered 202; a tampered SET, or one for
// another audience, is answered 400 with RFC 8935's JSON error and queues
// nothing.
func TestSSFEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s := startStackIn(t, dir)
	now := time.Now()
	key := map[string]string{"apikey": sandbox.DevCidaasAPIKey, "content-type": "application/json"}
	if st, body := post(t, s.URL+"/webhooks/cidaas", key, cidaasBody("ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", janeSub, now)); st != 200 {
		t.Fatalf("cidaas: %d %s", st, body)
	}
	eventually(t, "Jane's contact", func() bool { return contact(s, janeSub) != nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })

	send := func(body []byte, edit func(w *Webhook)) SendResult {
		t.Helper()
		secret, err := FileSecrets{Dir: dir + "/secrets", BaseURL: s.URL}.Secret(context.Background(), "ssf")
		if err != nil {
			t.Fatal(err)
		}
		w, err := Sign(secret, body, time.Now(), SandboxSETSigner(context.Background(), egress.Client(egress.Local, 10*time.Second), s.URL))
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(w)
		}
		res, err := postWebhook(context.Background(), egress.Client(egress.Local, 10*time.Second), s.URL, "ssf", w)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for name, edit := range map[string]func(w *Webhook){
		"tampered": func(w *Webhook) {
			parts := strings.Split(string(w.Body), ".")
			parts[2] = strings.Repeat("A", len(parts[2]))
			w.Body = []byte(strings.Join(parts, "."))
		},
		"not a SET": func(w *Webhook) { w.Body = []byte("not-a-jws") },
	} {
		res := send(purgeSET(janeSub), edit)
		var rfc struct{ Err, Description string }
		if err := json.Unmarshal(res.Body, &rfc); res.Status != 400 || err != nil || rfc.Err == "" || rfc.Description == "" {
			t.Fatalf("%s: %d %s, want 400 with {err, description}", name, res.Status, res.Body)
		}
		if want := map[string]string{"tampered": "authentication_failed", "not a SET": "invalid_request"}[name]; rfc.Err != want {
			t.Errorf("%s: err %q, want %q", name, rfc.Err, want)
		}
		if s.totalDepth(t) != 0 {
			t.Fatalf("%s: something was queued", name)
		}
	}
	if contact(s, janeSub) == nil {
		t.Fatal("a refused SET deleted the contact")
	}

	res := send(purgeSET(janeSub), nil)
	if res.Status != 202 {
		t.Fatalf("account-purged: %d %s, want 202", res.Status, res.Body)
	}
	eventually(t, "Jane's contact deleted", func() bool { return contact(s, janeSub) == nil })
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

// Cognito through the local stack: `profilesync invoke
// CognitoTriggerFunction` on the events/ sample enqueues into the running
// stack's queues, which deliver the confirmed user's profile (carried in
// the event: no fetch) to the sandbox's Salesforce.
func TestCognitoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	s := startStackIn(t, dir)
	sample, err := os.ReadFile(eventsDir + "/cognito-post-confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Invoke(context.Background(), InvokeOptions{Function: CognitoFunctionID, Event: sample, DataDir: dir, URL: s.URL, Log: invokeLog()})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Response) != string(sample) {
		t.Fatalf("response %s, want the event unchanged", res.Response)
	}
	const sub = "8d3f2a1b-6c5e-4d7f-9a0b-1c2d3e4f5a6b" // the sample's sub attribute
	eventually(t, "the Cognito user's contact", func() bool { return contact(s, sub) != nil })
	c := contact(s, sub)
	for k, v := range map[string]any{"FirstName": "Jane", "LastName": "Doe", "Email": "jane.doe@example.com"} {
		if c[k] != v {
			t.Errorf("contact %s = %v, want %v", k, c[k], v)
		}
	}
	eventually(t, "queues drained", func() bool { return s.totalDepth(t) == 0 })
}

// events/webhooks/ssf-account-purged.json, as `profilesync send ssf` signs
// it, decodes to the deletion of the demo Max.
func TestRawSSFSample(t *testing.T) {
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	dev := sandbox.DevSecrets(srv.URL)
	body, err := os.ReadFile(eventsDir + "/webhooks/ssf-account-purged.json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	hc := egress.Client(egress.Local, 10*time.Second)
	w, err := Sign(dev["ssf"], body, now, SandboxSETSigner(context.Background(), hc, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := registry.New("ssf", dev["ssf"], hc)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := p.Parse(context.Background(), source.Request{Header: w.Header, Body: w.Body, Now: now})
	if err != nil || len(evs) != 1 || evs[0].Type != profile.Deleted || evs[0].Subject != maxSub {
		t.Fatalf("%+v %v, want Max deleted", evs, err)
	}
}
