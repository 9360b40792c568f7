package claims

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source"
)

type fixture struct {
	v     *Verifier
	s     *script
	ciam  *ciam
	store *MemoryStore
	clock *clock
}

func newFixture(t *testing.T, ruleFile string, ps ...*profile.Profile) *fixture {
	t.Helper()
	r := loadRule(t, ruleFile)
	f := &fixture{s: newScript(), ciam: newCIAM(ps...), store: NewMemoryStore(),
		clock: &clock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}}
	e, err := NewEngine(NewRuleSet(r), f.s.builder(nil))
	if err != nil {
		t.Fatal(err)
	}
	f.v = &Verifier{Rules: NewRuleSet(r), Engine: e, Store: f.store,
		Fetchers: map[string]source.Fetcher{"cidaas": f.ciam}, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler)}
	return f
}

func (f *fixture) verify(t *testing.T, sub string) Result {
	t.Helper()
	p, err := f.ciam.Fetch(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	ev := profile.Event{Type: profile.Updated, Source: "cidaas", Subject: sub}
	res, err := f.v.Verify(context.Background(), Input{Source: "cidaas", Profile: p, Event: &ev}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("results = %d", len(res))
	}
	return res[0]
}

// Verified, written back; the echo of the write-back is recognised (no
// authority call, no second write); new evidence is checked again; so is
// a verdict past its validity.
func TestVerifierWritesBackAndEndsTheEcho(t *testing.T) {
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile("s1", "1234567893"))
	f.s.set("first", scripted{verdict: Verified, ref: "1234567893", attrs: map[string]any{"taxonomy": "Pharmacist"}})
	f.s.set("second", yes)

	r := f.verify(t, "s1")
	if r.Decision.Verdict != Verified || r.Cached || !r.Written || f.s.total() != 2 {
		t.Fatalf("first run: %+v, calls %d", r, f.s.total())
	}
	p, _ := f.ciam.Fetch(context.Background(), "s1")
	want := map[string]any{"hcp_status": "verified", "hcp_verified_at": "2026-12-02T10:00:00Z", "hcp_reference": "1234567893",
		"hcp_taxonomy": "Pharmacist", "hcp_role": "hcp"}
	for k, v := range want {
		if p.Custom[k] != v {
			t.Errorf("profile %s = %v, want %v", k, p.Custom[k], v)
		}
	}
	// The update webhook our write-back caused.
	r = f.verify(t, "s1")
	if !r.Cached || r.Written || f.s.total() != 2 || f.ciam.updates != 1 {
		t.Errorf("echo: cached %v written %v calls %d updates %d", r.Cached, r.Written, f.s.total(), f.ciam.updates)
	}
	if h, _ := f.store.History(context.Background(), "s1"); len(h) != 1 {
		t.Errorf("history = %d decisions, want 1", len(h))
	}
	// New evidence: checked again.
	f.ciam.profiles["s1"].Custom["npi"] = "1245319599"
	r = f.verify(t, "s1")
	if r.Cached || f.s.total() != 4 {
		t.Errorf("new evidence: cached %v calls %d", r.Cached, f.s.total())
	}
	// Past the validity (30 days): checked again.
	f.clock.Add(31 * 24 * time.Hour)
	r = f.verify(t, "s1")
	if r.Cached || f.s.total() != 6 || !r.Written {
		t.Errorf("expired: cached %v calls %d written %v", r.Cached, f.s.total(), r.Written)
	}
}

// An authority that is down leaves the claim pending (written so), asks
// for a retry, and records one decision however often it is retried;
// when it recovers the claim is verified.
func TestVerifierPendingWhileAnAuthorityIsDown(t *testing.T) {
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile("s1", "1234567893"))
	f.s.set("first", down)
	f.s.set("second", yes)
	for i := 0; i < 3; i++ {
		r := f.verify(t, "s1")
		if r.Decision.Verdict != Pending || !r.Retry {
			t.Fatalf("attempt %d: %+v", i, r.Decision)
		}
	}
	if f.ciam.profiles["s1"].Custom["hcp_status"] != "pending" {
		t.Errorf("status = %v, want pending", f.ciam.profiles["s1"].Custom["hcp_status"])
	}
	if h, _ := f.store.History(context.Background(), "s1"); len(h) != 1 {
		t.Errorf("history = %d, want one pending decision", len(h))
	}
	f.s.set("first", yes)
	r := f.verify(t, "s1")
	if r.Decision.Verdict != Verified || r.Retry || f.ciam.profiles["s1"].Custom["hcp_status"] != "verified" {
		t.Errorf("after recovery: %+v", r.Decision)
	}
}

// A rejection removes what a verification granted.
func TestVerifierRejectionRevokesTheGrant(t *testing.T) {
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile("s1", "1234567893"))
	f.s.set("first", yes)
	f.s.set("second", yes)
	f.verify(t, "s1")
	f.ciam.profiles["s1"].Custom["npi"] = "1111111112"
	f.s.set("second", no)
	r := f.verify(t, "s1")
	c := f.ciam.profiles["s1"].Custom
	if r.Decision.Verdict != Rejected || c["hcp_status"] != "rejected" {
		t.Fatalf("verdict %s status %v", r.Decision.Verdict, c["hcp_status"])
	}
	for _, k := range []string{"hcp_role", "hcp_taxonomy", "hcp_reference"} {
		if _, ok := c[k]; ok && k != "hcp_reference" {
			t.Errorf("%s still set: %v", k, c[k])
		}
	}
}

// A dry run asks the authorities and changes nothing.
func TestVerifierDryRun(t *testing.T) {
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile("s1", "1234567893"))
	f.s.set("first", yes)
	f.s.set("second", yes)
	p, _ := f.ciam.Fetch(context.Background(), "s1")
	res, err := f.v.Verify(context.Background(), Input{Source: "cidaas", Profile: p}, Options{DryRun: true})
	if err != nil || len(res) != 1 || res[0].Decision.Verdict != Verified || len(res[0].Steps) != 2 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if h, _ := f.store.History(context.Background(), "s1"); len(h) != 0 || f.ciam.updates != 0 {
		t.Errorf("dry run recorded %d, updated %d", len(h), f.ciam.updates)
	}
}

// A failed write-back is an error to retry; the retry needs no authority.
func TestVerifierWriteBackFailureRetriesWithoutAuthorities(t *testing.T) {
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile("s1", "1234567893"))
	f.s.set("first", yes)
	f.s.set("second", yes)
	f.ciam.fail = fault.New(fault.Transient, 503, "", "down")
	p, _ := f.ciam.Fetch(context.Background(), "s1")
	_, err := f.v.Verify(context.Background(), Input{Source: "cidaas", Profile: p}, Options{})
	if err == nil || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v", err)
	}
	f.ciam.fail = nil
	r := f.verify(t, "s1")
	if !r.Cached || !r.Written || f.s.total() != 2 {
		t.Errorf("retry: cached %v written %v calls %d", r.Cached, r.Written, f.s.total())
	}
}

// A source without an update API cannot take a verdict: a clear error.
func TestVerifierNeedsAnUpdater(t *testing.T) {
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile("s1", "1234567893"))
	f.s.set("first", yes)
	f.s.set("second", yes)
	f.v.Fetchers = map[string]source.Fetcher{"cidaas": fetchOnly{f.ciam}}
	p, _ := f.ciam.Fetch(context.Background(), "s1")
	_, err := f.v.Verify(context.Background(), Input{Source: "cidaas", Profile: p}, Options{})
	if !errors.Is(err, ErrNoUpdater) {
		t.Errorf("err = %v", err)
	}
}

type fetchOnly struct{ c *ciam }

func (f fetchOnly) Fetch(ctx context.Context, s string) (*profile.Profile, error) {
	return f.c.Fetch(ctx, s)
}

func TestWriteBackOfEachVerdict(t *testing.T) {
	w := WriteBack{Status: "st", VerifiedAt: "at", Reference: "ref", Attributes: map[string]string{"tax": "taxonomy"},
		OnVerified: map[string]any{"role": "hcp"}, OnRejected: map[string]any{"flag": "review"}}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	d := Decision{Verdict: Verified, DecidedAt: now, ExpiresAt: now.Add(time.Hour), Reference: "r1", Attributes: map[string]any{"taxonomy": "T"}}
	got := fmt.Sprint(WriteBackOf(w, d))
	if want := "map[at:2026-12-02T10:00:00Z flag:<nil> ref:r1 role:hcp st:verified tax:T]"; got != want {
		t.Errorf("verified: %s\nwant %s", got, want)
	}
	d.Verdict = Rejected
	if got, want := fmt.Sprint(WriteBackOf(w, d)), "map[at:2026-12-02T10:00:00Z flag:review ref:r1 role:<nil> st:rejected tax:<nil>]"; got != want {
		t.Errorf("rejected: %s\nwant %s", got, want)
	}
	d.Verdict = Pending
	if got, want := fmt.Sprint(WriteBackOf(w, d)), "map[at:<nil> flag:<nil> ref:r1 role:<nil> st:pending tax:<nil>]"; got != want {
		t.Errorf("pending: %s\nwant %s", got, want)
	}
}

// Dotted write-back names nest: what is already there is not sent again,
// and a change goes as the nested object the CIAM merges.
func TestDiffersNestsDottedNames(t *testing.T) {
	custom := map[string]any{"public_metadata": map[string]any{"hcp_status": "pending", "plan": "gold"}, "flat": "x"}
	want := map[string]any{"public_metadata.hcp_status": "verified", "public_metadata.plan": "gold", "public_metadata.gone": nil, "flat": "x"}
	got := fmt.Sprint(Differs(custom, want))
	if got != "map[public_metadata:map[hcp_status:verified]]" {
		t.Errorf("Differs = %s", got)
	}
	custom["public_metadata"].(map[string]any)["hcp_status"] = "verified"
	custom["public_metadata"].(map[string]any)["old"] = true
	want["public_metadata.old"] = nil
	if got := fmt.Sprint(Differs(custom, want)); got != "map[public_metadata:map[old:<nil>]]" {
		t.Errorf("Differs after the write = %s", got)
	}
}

// The decision's log line carries the event id and the subject's hash,
// the keys the ingress and sync functions log too, never the subject.
func TestVerifierLogCorrelates(t *testing.T) {
	const sub = "sub_7Hq2LmX9pZ"
	f := newFixture(t, "testdata/hcp.yaml", hcpProfile(sub, "1234567893"))
	f.s.set("first", scripted{verdict: Verified, ref: "1234567893"})
	f.s.set("second", yes)
	var buf bytes.Buffer
	f.v.Log = slog.New(slog.NewJSONHandler(&buf, nil))
	p, err := f.ciam.Fetch(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	ev := profile.Event{ID: "evt-claims-1", Type: profile.Updated, Source: "cidaas", Subject: sub}
	if _, err := f.v.Verify(context.Background(), Input{Source: "cidaas", Profile: p, Event: &ev}, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `"msg":"claim decided"`) || !strings.Contains(out, `"event_id":"evt-claims-1"`) ||
		!strings.Contains(out, `"subject_hash":"`+redact.SubjectHash(sub)+`"`) {
		t.Errorf("no correlated decision line:\n%s", out)
	}
	if strings.Contains(out, sub) {
		t.Errorf("the subject is in the log:\n%s", out)
	}
}
