package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// webhookCall sends one signed request to the sandbox's generic target
// fake and returns the status.
func webhookCall(t *testing.T, s *Sandbox, method, path, body string) int {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(DevWebhookHMACKey))
	m.Write([]byte(ts + "." + body))
	req := httptest.NewRequest(method, Prefix+"/webhook"+path, strings.NewReader(body))
	req.Header.Set("X-ProfileSync-Signature", "t="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code
}

// TestJournalKeepsWrites: the generic target's writes go to its journal,
// not a snapshot; a reopened sandbox replays them (deletes and the id
// counter included) and cuts off a last line torn by a kill.
func TestJournalKeepsWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPut, "/contacts/k1", `{"record":{"email_hash":"a"}}`, http.StatusCreated},
		{http.MethodPut, "/contacts/k2", `{"record":{"email_hash":"b"}}`, http.StatusCreated},
		{http.MethodPatch, "/contacts/k1", `{"record":{"tier":"gold"}}`, http.StatusOK},
		{http.MethodDelete, "/contacts/k2", ``, http.StatusNoContent},
	} {
		if got := webhookCall(t, s, c.method, c.path, c.body); got != c.want {
			t.Fatalf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
	if _, err := os.Stat(dir + "/webhook.json"); !os.IsNotExist(err) {
		t.Errorf("a snapshot was written (%v); small changes belong in the journal", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := webhookCall(t, s, http.MethodPut, "/contacts/k9", `{"record":{}}`); got != http.StatusServiceUnavailable {
		t.Errorf("write after Close: %d, want 503", got)
	}
	// A kill in the middle of an append leaves a line without its newline.
	j, err := os.OpenFile(dir+"/webhook.journal", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.WriteString(`{"records":{"k3":{"id":"c-9","key":"k3"`); err != nil {
		t.Fatal(err)
	}
	j.Close()

	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got := again.Webhook.Records()
	if len(got) != 1 || got[0].Key != "k1" || got[0].Fields["tier"] != "gold" || got[0].Fields["email_hash"] != "a" {
		t.Fatalf("reopened webhook holds %+v, want k1 with both fields", got)
	}
	b, _ := os.ReadFile(dir + "/webhook.journal")
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Errorf("torn line kept: %q", b)
	}
	// The id counter came back: the next contact is c-3, not c-1 again.
	if code := webhookCall(t, again, http.MethodPut, "/contacts/k4", `{"record":{}}`); code != http.StatusCreated {
		t.Fatalf("PUT k4: %d", code)
	}
	for _, r := range again.Webhook.Records() {
		if r.Key == "k4" && r.ID != "c-3" {
			t.Errorf("k4 got id %s, want c-3", r.ID)
		}
	}
}

// TestJournalCompacts: once the journal outgrows the snapshot it becomes
// a new snapshot and starts again empty; nothing is lost on the way.
func TestJournalCompacts(t *testing.T) {
	old := compactAt
	compactAt = 1
	defer func() { compactAt = old }()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if code := webhookCall(t, s, http.MethodPut, "/contacts/k"+strconv.Itoa(i), `{"record":{"n":`+strconv.Itoa(i)+`}}`); code != http.StatusCreated {
			t.Fatalf("PUT %d: %d", i, code)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(dir + "/webhook.json")
	if err != nil || !strings.Contains(string(snap), `"k0"`) {
		t.Fatalf("no compacted snapshot: %v", err)
	}
	// Compaction waits for the journal to outgrow the snapshot.
	if fi, err := os.Stat(dir + "/webhook.journal"); err != nil || fi.Size() >= int64(len(snap)) {
		t.Errorf("journal after compactions: %v %v, want smaller than the %d-byte snapshot", fi, err, len(snap))
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if n := again.Webhook.Len(); n != 20 {
		t.Errorf("reopened webhook holds %d contacts, want 20", n)
	}
}
