package standardwebhooks

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/clerk"
)

// newClerkLister is a Fetcher on an empty fake Clerk instance.
func newClerkLister(t *testing.T, key string) (*Fetcher, *fake.Fake) {
	t.Helper()
	fk := fake.NewFake("sk_test_x")
	return clerkFetcherOn(t, fk, key), fk
}

func clerkFetcherOn(t *testing.T, fk *fake.Fake, key string) *Fetcher {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/clerk/", http.StripPrefix("/clerk", fk))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, APIURL: srv.URL + "/clerk", APIKey: key},
		egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func seedClerkUsers(fk *fake.Fake, n int) {
	for i := range n {
		putClerkUser(fk, fmt.Sprintf("user_%03d", i))
	}
}

func putClerkUser(fk *fake.Fake, id string) {
	fk.Put(&profile.Profile{Sub: id, Email: id + "@example.com", EmailVerified: true,
		Custom: map[string]any{"public_metadata": map[string]any{"tier": "gold"}}})
}

// listClerk pages from cursor to the end, calling between(page) after
// each page, and counts how often each user came.
func listClerk(t *testing.T, f *Fetcher, cursor string, size int, between func(page int)) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	pages := 0
	for {
		ps, next, err := f.List(context.Background(), cursor, size)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range ps {
			md, _ := p.Custom["public_metadata"].(map[string]any)
			if md["tier"] != "gold" || p.Email != p.Sub+"@example.com" || !p.EmailVerified {
				t.Fatalf("listed profile not mapped as Fetch maps it: %+v", p)
			}
			seen[p.Sub]++
		}
		if next == "" {
			return seen, pages
		}
		if pages > 300 {
			t.Fatal("List does not end")
		}
		if between != nil {
			between(pages)
		}
		cursor = next
	}
}

func checkClerkOnce(t *testing.T, seen map[string]int, want int) {
	t.Helper()
	if len(seen) != want {
		t.Fatalf("%d users listed, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("user %s listed %d times", id, n)
		}
	}
}

func TestClerkListEveryUserOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		size      int
		wantPages int
	}{
		{"size 100", 100, 3},
		{"default size", 0, 3},
		{"the maximum", MaxPageSize, 1},
		{"above the maximum, capped", 1000, 1},
		{"size 50, the last page full", 50, 6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newClerkLister(t, "sk_test_x")
			seedClerkUsers(fk, 250)
			seen, pages := listClerk(t, f, "", tt.size, nil)
			checkClerkOnce(t, seen, 250)
			if pages != tt.wantPages || fk.Calls("/v1/users") != tt.wantPages {
				t.Fatalf("%d pages, %d calls, want %d", pages, fk.Calls("/v1/users"), tt.wantPages)
			}
		})
	}
}

// List asks oldest first: the first page holds the first users created.
func TestClerkListOldestFirst(t *testing.T) {
	f, fk := newClerkLister(t, "sk_test_x")
	seedClerkUsers(fk, 5)
	ps, next, err := f.List(context.Background(), "", 2)
	if err != nil || next != "2" || len(ps) != 2 || ps[0].Sub != "user_000" || ps[1].Sub != "user_001" {
		t.Fatalf("first page %v, next %q, %v", ps, next, err)
	}
}

func TestClerkListEmptyInstance(t *testing.T) {
	f, _ := newClerkLister(t, "sk_test_x")
	ps, next, err := f.List(context.Background(), "", 100)
	if err != nil || len(ps) != 0 || next != "" {
		t.Fatalf("empty instance: %d profiles, next %q, %v", len(ps), next, err)
	}
}

func TestClerkListThrottledThenSameCursor(t *testing.T) {
	f, fk := newClerkLister(t, "sk_test_x")
	seedClerkUsers(fk, 250)
	_, cursor, err := f.List(context.Background(), "", 100)
	if err != nil || cursor != "100" {
		t.Fatalf("first page: %q, %v", cursor, err)
	}
	fk.FailNext(1, http.StatusTooManyRequests, 9*time.Second)
	_, next, err := f.List(context.Background(), cursor, 100)
	fe := fault.As(err)
	if fe == nil || fe.Class != fault.Throttled || fe.RetryAfter != 9*time.Second || next != "" {
		t.Fatalf("throttled page: next %q, %v", next, err)
	}
	seen, _ := listClerk(t, f, cursor, 100, nil)
	checkClerkOnce(t, seen, 150)
}

func TestClerkListResumesAtCursor(t *testing.T) {
	f, fk := newClerkLister(t, "sk_test_x")
	seedClerkUsers(fk, 250)
	first, cursor, err := f.List(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := listClerk(t, clerkFetcherOn(t, fk, "sk_test_x"), cursor, 100, nil)
	checkClerkOnce(t, rest, 150)
	for _, p := range first {
		if rest[p.Sub] != 0 {
			t.Fatalf("user %s of the first page listed again", p.Sub)
		}
	}
}

// Users created mid-run sort last (ascending created_at): each user is
// listed once, the new one included.
func TestClerkListStableWhenUsersAdded(t *testing.T) {
	f, fk := newClerkLister(t, "sk_test_x")
	seedClerkUsers(fk, 250)
	seen, _ := listClerk(t, f, "", 100, func(page int) {
		if page == 1 {
			putClerkUser(fk, "user_late")
		}
	})
	checkClerkOnce(t, seen, 251)
	if seen["user_late"] != 1 {
		t.Fatal("the user created mid-run was not listed")
	}
}

// Offsets are all Clerk has: a user deleted from a page already read
// shifts the rest back, and the run misses one user. This pins the
// limitation List documents.
func TestClerkListSkipsOneWhenAUserIsDeleted(t *testing.T) {
	f, fk := newClerkLister(t, "sk_test_x")
	seedClerkUsers(fk, 250)
	seen, _ := listClerk(t, f, "", 100, func(page int) {
		if page == 1 {
			fk.Delete("user_000")
		}
	})
	// 250 listed or still there less user_100, which slid onto page 1.
	if len(seen) != 249 || seen["user_000"] != 1 || seen["user_100"] != 0 {
		t.Fatalf("%d users listed (user_100: %d), want 249 with user_100 skipped", len(seen), seen["user_100"])
	}
}

func TestClerkListErrors(t *testing.T) {
	f, fk := newClerkLister(t, "sk_wrong")
	seedClerkUsers(fk, 3)
	if _, _, err := f.List(context.Background(), "", 10); fault.ClassOf(err) != fault.Auth {
		t.Fatalf("bad key: %v", err)
	}
	for _, c := range []string{"-1", "x"} {
		if _, _, err := f.List(context.Background(), c, 10); fault.ClassOf(err) != fault.Permanent {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
}
