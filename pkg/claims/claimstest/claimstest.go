// Package claimstest is the contract every claims.Store keeps, as one
// test suite each implementation runs against itself: the in-memory
// store (this package's own test), the SQLite store of pkg/local and the
// DynamoDB store of pkg/awsadapter (against moto). A store that passes it
// can stand in for any other.
package claimstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
)

// t0 is the suite's clock: every time is UTC and whole microseconds
// apart, so a store that keeps nanoseconds and one that keeps JSON agree.
var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// Option changes what Run covers.
type Option func(*options)

type options struct{ noRaces string }

// WithoutRaces skips the subtests that race concurrent callers, for a
// stand-in that does not serialise concurrent writes as the real service
// does (moto's DynamoDB); reason says so in the test output. The store's
// own tests then force the interleavings one by one.
func WithoutRaces(reason string) Option { return func(o *options) { o.noRaces = reason } }

// Run runs the contract against stores newStore returns; each subtest
// gets a store of its own (an empty one, or one whose other contents do
// not share the subjects the subtest uses).
func Run(t *testing.T, newStore func(t *testing.T) claims.Store, opts ...Option) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	race := func(name string, f func(*testing.T, claims.Store)) {
		t.Run(name, func(t *testing.T) {
			if o.noRaces != "" {
				t.Skip(o.noRaces)
			}
			f(t, newStore(t))
		})
	}
	t.Run("Latest of nothing is nil", func(t *testing.T) { latestNone(t, newStore(t)) })
	t.Run("Latest and History", func(t *testing.T) { latestAndHistory(t, newStore(t)) })
	t.Run("OpenApproval keeps one open per evidence", func(t *testing.T) { openApproval(t, newStore(t)) })
	t.Run("OpenApproval after expiry creates", func(t *testing.T) { openAfterExpiry(t, newStore(t)) })
	race("OpenApproval races create one", openRace)
	t.Run("DecideApproval once", func(t *testing.T) { decideOnce(t, newStore(t)) })
	race("DecideApproval races decide once", decideRace)
	t.Run("unknown approval", func(t *testing.T) { unknown(t, newStore(t)) })
	t.Run("Reminded", func(t *testing.T) { reminded(t, newStore(t)) })
	t.Run("PendingApprovals", func(t *testing.T) { pending(t, newStore(t)) })
}

// Decision is a full decision for subject under rule at t0+minutes.
func Decision(id, subject, rule string, minutes int, v claims.Verdict) claims.Decision {
	at := t0.Add(time.Duration(minutes) * time.Minute)
	return claims.Decision{
		ID: id, Subject: subject, Source: "cidaas", Rule: rule, Claim: rule + "-claim", Value: "declared",
		Verdict: v, Reason: "reason-" + id, Authority: "auth", Reference: "ref-" + id,
		EvidenceHash: "hash-" + rule, Attributes: map[string]any{"status": string(v), "flag": true},
		DecidedAt: at, DecidedBy: "rule:" + rule, ExpiresAt: at.Add(30 * 24 * time.Hour),
		Environment: "prod", ClientID: "client-1",
	}
}

// Approval is a pending approval requested at t0+minutes.
func Approval(id, subject, rule, hash string, minutes int) claims.Approval {
	at := t0.Add(time.Duration(minutes) * time.Minute)
	return claims.Approval{
		ID: id, Subject: subject, Source: "cidaas", Rule: rule, Claim: rule + "-claim", Value: "declared",
		EvidenceHash: hash, Evidence: map[string]string{"licence": "L-1"}, Status: claims.ApprovalPending,
		RequestedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour), Environment: "prod", ClientID: "client-1",
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func latestNone(t *testing.T, s claims.Store) {
	d, err := s.Latest(ctx(t), "nobody", "hcp")
	if err != nil || d != nil {
		t.Fatalf("Latest = %v, %v; want nil, nil", d, err)
	}
	h, err := s.History(ctx(t), "nobody")
	if err != nil || len(h) != 0 {
		t.Fatalf("History = %v, %v; want none", h, err)
	}
}

func latestAndHistory(t *testing.T, s claims.Store) {
	recorded := []claims.Decision{
		Decision("d1", "sub-a", "hcp", 0, claims.Pending),
		Decision("d2", "sub-a", "employee", 1, claims.Verified),
		Decision("d3", "sub-a", "hcp", 2, claims.Verified),
		Decision("d4", "sub-b", "hcp", 3, claims.Rejected),
		Decision("d5", "sub-a", "hcp", 4, claims.Rejected),
	}
	for _, d := range recorded {
		if err := s.Record(ctx(t), d); err != nil {
			t.Fatalf("Record %s: %v", d.ID, err)
		}
	}
	for _, c := range []struct{ subject, rule, want string }{
		{"sub-a", "hcp", "d5"}, {"sub-a", "employee", "d2"}, {"sub-b", "hcp", "d4"}, {"sub-b", "employee", ""},
	} {
		got, err := s.Latest(ctx(t), c.subject, c.rule)
		if err != nil {
			t.Fatalf("Latest(%s, %s): %v", c.subject, c.rule, err)
		}
		switch {
		case c.want == "" && got != nil:
			t.Errorf("Latest(%s, %s) = %s, want nil", c.subject, c.rule, got.ID)
		case c.want != "" && got == nil:
			t.Errorf("Latest(%s, %s) = nil, want %s", c.subject, c.rule, c.want)
		case c.want != "" && got.ID != c.want:
			t.Errorf("Latest(%s, %s) = %s, want %s", c.subject, c.rule, got.ID, c.want)
		}
	}
	latest, _ := s.Latest(ctx(t), "sub-a", "hcp")
	if latest != nil && !reflect.DeepEqual(*latest, recorded[4]) {
		t.Errorf("Latest does not round-trip the decision:\n got %+v\nwant %+v", *latest, recorded[4])
	}
	h, err := s.History(ctx(t), "sub-a")
	if err != nil {
		t.Fatal(err)
	}
	want := []claims.Decision{recorded[0], recorded[1], recorded[2], recorded[4]}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("History(sub-a), oldest first:\n got %v\nwant %v", ids(h), ids(want))
		if len(h) == len(want) {
			for i := range h {
				if !reflect.DeepEqual(h[i], want[i]) {
					t.Errorf("History[%d]:\n got %+v\nwant %+v", i, h[i], want[i])
				}
			}
		}
	}
}

func openApproval(t *testing.T, s claims.Store) {
	first := Approval("ap-1", "sub-a", "hcp", "h1", 0)
	got, created, err := s.OpenApproval(ctx(t), first)
	if err != nil || !created || !reflect.DeepEqual(got, first) {
		t.Fatalf("OpenApproval(new) = %+v, %v, %v; want it created as given", got, created, err)
	}
	got, created, err = s.OpenApproval(ctx(t), Approval("ap-2", "sub-a", "hcp", "h1", 1))
	if err != nil || created || got.ID != "ap-1" {
		t.Fatalf("OpenApproval(same evidence) = %s, created %v, %v; want ap-1, not created", got.ID, created, err)
	}
	if _, err := s.Approval(ctx(t), "ap-2"); !errors.Is(err, claims.ErrNoApproval) {
		t.Errorf("Approval(ap-2) after it was not created: %v, want ErrNoApproval", err)
	}
	// Other evidence, rule or subject: an approval of its own.
	for i, a := range []claims.Approval{
		Approval("ap-3", "sub-a", "hcp", "h2", 2),
		Approval("ap-4", "sub-a", "dealer", "h1", 3),
		Approval("ap-5", "sub-b", "hcp", "h1", 4),
	} {
		got, created, err := s.OpenApproval(ctx(t), a)
		if err != nil || !created || got.ID != a.ID {
			t.Errorf("case %d: OpenApproval = %s, created %v, %v; want %s created", i, got.ID, created, err, a.ID)
		}
	}
	// A decided approval is returned, not replaced: its verdict stands.
	if _, err := s.DecideApproval(ctx(t), "ap-1", claims.ApprovalApproved, "approver-1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, created, err = s.OpenApproval(ctx(t), Approval("ap-6", "sub-a", "hcp", "h1", 5))
	if err != nil || created || got.ID != "ap-1" || got.Status != claims.ApprovalApproved || got.Approver != "approver-1" {
		t.Fatalf("OpenApproval after approval = %s %s by %q, created %v, %v; want ap-1 approved by approver-1",
			got.ID, got.Status, got.Approver, created, err)
	}
}

func openAfterExpiry(t *testing.T, s claims.Store) {
	if _, _, err := s.OpenApproval(ctx(t), Approval("old", "sub-a", "hcp", "h1", 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideApproval(ctx(t), "old", claims.ApprovalExpired, "", t0.Add(8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	fresh := Approval("new", "sub-a", "hcp", "h1", 8*24*60+1)
	got, created, err := s.OpenApproval(ctx(t), fresh)
	if err != nil || !created || got.ID != "new" {
		t.Fatalf("OpenApproval after expiry = %s, created %v, %v; want new created", got.ID, created, err)
	}
	again, created, err := s.OpenApproval(ctx(t), Approval("newer", "sub-a", "hcp", "h1", 8*24*60+2))
	if err != nil || created || again.ID != "new" {
		t.Fatalf("OpenApproval again = %s, created %v, %v; want new, not created", again.ID, created, err)
	}
	old, err := s.Approval(ctx(t), "old")
	if err != nil || old.Status != claims.ApprovalExpired {
		t.Errorf("the expired approval: %s, %v; want it kept as expired", old.Status, err)
	}
}

func openRace(t *testing.T, s claims.Store) {
	const n = 8
	var wg sync.WaitGroup
	got := make([]claims.Approval, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			got[i], created[i], errs[i] = s.OpenApproval(ctx(t), Approval(fmt.Sprintf("race-%d", i), "sub-a", "hcp", "h1", i))
		})
	}
	wg.Wait()
	winners := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("OpenApproval %d: %v", i, errs[i])
		}
		if created[i] {
			winners++
		}
		if got[i].ID != got[0].ID {
			t.Errorf("OpenApproval %d returned %s, another %s: two open approvals for one evidence", i, got[i].ID, got[0].ID)
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent OpenApproval calls created one, want exactly 1", winners, n)
	}
	p, err := s.PendingApprovals(ctx(t))
	if err != nil || len(p) != 1 {
		t.Errorf("PendingApprovals = %d, %v; want 1", len(p), err)
	}
}

func decideOnce(t *testing.T, s claims.Store) {
	if _, _, err := s.OpenApproval(ctx(t), Approval("ap-1", "sub-a", "hcp", "h1", 0)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	a, err := s.DecideApproval(ctx(t), "ap-1", claims.ApprovalRejected, "approver-1", at)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "ap-1" || a.Status != claims.ApprovalRejected || a.Approver != "approver-1" || !a.DecidedAt.Equal(at) || a.Subject != "sub-a" {
		t.Errorf("DecideApproval returned %+v", a)
	}
	stored, err := s.Approval(ctx(t), "ap-1")
	if err != nil || stored.Status != claims.ApprovalRejected || stored.Approver != "approver-1" || !stored.DecidedAt.Equal(at) {
		t.Errorf("Approval after the decision = %+v, %v", stored, err)
	}
	for _, st := range []claims.ApprovalStatus{claims.ApprovalApproved, claims.ApprovalRejected, claims.ApprovalExpired} {
		if _, err := s.DecideApproval(ctx(t), "ap-1", st, "approver-2", at.Add(time.Minute)); !errors.Is(err, claims.ErrAlreadyDecided) {
			t.Errorf("second decision (%s): %v, want ErrAlreadyDecided", st, err)
		}
	}
	stored, _ = s.Approval(ctx(t), "ap-1")
	if stored.Status != claims.ApprovalRejected || stored.Approver != "approver-1" {
		t.Errorf("a refused second decision changed the approval: %s by %q", stored.Status, stored.Approver)
	}
}

func decideRace(t *testing.T, s claims.Store) {
	if _, _, err := s.OpenApproval(ctx(t), Approval("ap-1", "sub-a", "hcp", "h1", 0)); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			st := claims.ApprovalApproved
			if i%2 == 1 {
				st = claims.ApprovalRejected
			}
			_, errs[i] = s.DecideApproval(ctx(t), "ap-1", st, fmt.Sprintf("approver-%d", i), t0.Add(time.Hour))
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("approvers %d and %d both decided", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, claims.ErrAlreadyDecided):
			t.Errorf("decision %d: %v, want nil or ErrAlreadyDecided", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no decision succeeded")
	}
	a, err := s.Approval(ctx(t), "ap-1")
	if err != nil || a.Approver != fmt.Sprintf("approver-%d", won) {
		t.Errorf("stored approver %q, %v; want approver-%d, the one that succeeded", a.Approver, err, won)
	}
}

func unknown(t *testing.T, s claims.Store) {
	if _, err := s.Approval(ctx(t), "nope"); !errors.Is(err, claims.ErrNoApproval) {
		t.Errorf("Approval(unknown): %v, want ErrNoApproval", err)
	}
	if _, err := s.DecideApproval(ctx(t), "nope", claims.ApprovalApproved, "approver-1", t0); !errors.Is(err, claims.ErrNoApproval) {
		t.Errorf("DecideApproval(unknown): %v, want ErrNoApproval", err)
	}
}

func reminded(t *testing.T, s claims.Store) {
	if _, _, err := s.OpenApproval(ctx(t), Approval("ap-1", "sub-a", "hcp", "h1", 0)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(24 * time.Hour)
	if err := s.Reminded(ctx(t), "ap-1", at); err != nil {
		t.Fatal(err)
	}
	a, err := s.Approval(ctx(t), "ap-1")
	if err != nil || !a.RemindedAt.Equal(at) {
		t.Errorf("Approval after Reminded: reminded_at %v, %v; want %v", a.RemindedAt, err, at)
	}
	p, err := s.PendingApprovals(ctx(t))
	if err != nil || len(p) != 1 || !p[0].RemindedAt.Equal(at) {
		t.Errorf("PendingApprovals after Reminded = %+v, %v; want ap-1 reminded at %v", p, err, at)
	}
	// A reminder leaves the decision alone, and a decision the reminder.
	if _, err := s.DecideApproval(ctx(t), "ap-1", claims.ApprovalApproved, "approver-1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a, _ = s.Approval(ctx(t), "ap-1")
	if a.Status != claims.ApprovalApproved || !a.RemindedAt.Equal(at) {
		t.Errorf("after the decision: %s, reminded_at %v; want approved, %v", a.Status, a.RemindedAt, at)
	}
}

func pending(t *testing.T, s claims.Store) {
	p, err := s.PendingApprovals(ctx(t))
	if err != nil || len(p) != 0 {
		t.Fatalf("PendingApprovals of an empty store = %v, %v", p, err)
	}
	for i, id := range []string{"p1", "p2", "p3", "p4"} {
		if _, _, err := s.OpenApproval(ctx(t), Approval(id, fmt.Sprintf("sub-%d", i), "hcp", "h1", i*10)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DecideApproval(ctx(t), "p2", claims.ApprovalApproved, "approver-1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DecideApproval(ctx(t), "p4", claims.ApprovalExpired, "", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	p, err = s.PendingApprovals(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p {
		got = append(got, a.ID)
		if a.Status != claims.ApprovalPending {
			t.Errorf("PendingApprovals lists %s as %s", a.ID, a.Status)
		}
	}
	if !reflect.DeepEqual(got, []string{"p1", "p3"}) {
		t.Errorf("PendingApprovals = %v, want [p1 p3], oldest first", got)
	}
	if len(p) > 0 && !reflect.DeepEqual(p[0], Approval("p1", "sub-0", "hcp", "h1", 0)) {
		t.Errorf("PendingApprovals does not round-trip the approval:\n got %+v\nwant %+v", p[0], Approval("p1", "sub-0", "hcp", "h1", 0))
	}
}

func ids(ds []claims.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}
