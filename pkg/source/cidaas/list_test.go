package cidaas

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
	fake "github.com/profilesync/profilesync/pkg/sandbox/cidaas"
)

func seedUsers(fk *fake.Fake, n int) {
	for i := range n {
		putUser(fk, fmt.Sprintf("sub-%05d", i))
	}
}

func putUser(fk *fake.Fake, sub string) {
	fk.Put(&profile.Profile{Sub: sub, Email: sub + "@example.com", EmailVerified: true, Custom: map[string]any{"tier": "gold"}})
}

// fetcherOn is a second Fetcher on fk, as a resumed run would build.
func fetcherOn(t *testing.T, fk *fake.Fake) *Fetcher {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/cidaas/", http.StripPrefix("/cidaas", fk))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{Auth: AuthAPIKey, APIKey: "k", BaseURL: srv.URL + "/cidaas", ClientID: "cid", ClientSecret: "csecret"},
		egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// listUsers pages from cursor to the end, calling between(page) after
// each page, and counts how often each sub came.
func listUsers(t *testing.T, f *Fetcher, cursor string, size int, between func(page int)) (map[string]int, int) {
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
			if p.Custom["tier"] != "gold" || p.Email != p.Sub+"@example.com" || !p.EmailVerified {
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

func checkListedOnce(t *testing.T, seen map[string]int, want int) {
	t.Helper()
	if len(seen) != want {
		t.Fatalf("%d users listed, want %d", len(seen), want)
	}
	for sub, n := range seen {
		if n != 1 {
			t.Fatalf("user %s listed %d times", sub, n)
		}
	}
}

func TestListEveryUserOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		size      int
		wantPages int
	}{
		{"size 100", 100, 3},
		{"default size", 0, 3},
		{"the maximum", MaxPageSize, 1},
		{"above the maximum, capped", 5000, 1},
		{"size 50, the last page full", 50, 6}, // the sixth is cidaas's 204
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, fk, _ := newFetcher(t)
			seedUsers(fk, 250)
			seen, pages := listUsers(t, f, "", tt.size, nil)
			checkListedOnce(t, seen, 250)
			if pages != tt.wantPages || fk.Calls(SearchPath) != tt.wantPages {
				t.Fatalf("%d pages, %d calls, want %d", pages, fk.Calls(SearchPath), tt.wantPages)
			}
			if n := fk.TokenCalls(); n != 1 {
				t.Fatalf("%d token calls, want the one token reused", n)
			}
		})
	}
}

func TestListEmptyTenant(t *testing.T) {
	f, _, _ := newFetcher(t)
	ps, next, err := f.List(context.Background(), "", 100)
	if err != nil || len(ps) != 0 || next != "" {
		t.Fatalf("empty tenant: %d profiles, next %q, %v", len(ps), next, err)
	}
}

func TestListThrottledThenSameCursor(t *testing.T) {
	f, fk, _ := newFetcher(t)
	seedUsers(fk, 250)
	_, cursor, err := f.List(context.Background(), "", 100)
	if err != nil || cursor != "100" {
		t.Fatalf("first page: %q, %v", cursor, err)
	}
	fk.FailNext(1, http.StatusTooManyRequests, 5*time.Second)
	_, next, err := f.List(context.Background(), cursor, 100)
	fe := fault.As(err)
	if fe == nil || fe.Class != fault.Throttled || fe.RetryAfter != 5*time.Second || next != "" {
		t.Fatalf("throttled page: next %q, %v", next, err)
	}
	seen, _ := listUsers(t, f, cursor, 100, nil)
	checkListedOnce(t, seen, 150)
}

func TestListResumesAtCursor(t *testing.T) {
	f, fk, _ := newFetcher(t)
	seedUsers(fk, 250)
	first, cursor, err := f.List(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := listUsers(t, fetcherOn(t, fk), cursor, 100, nil)
	checkListedOnce(t, rest, 150)
	for _, p := range first {
		if rest[p.Sub] != 0 {
			t.Fatalf("user %s of the first page listed again", p.Sub)
		}
	}
}

// Users created mid-run sort last (createdTime ascending): each user is
// listed once, the new one included.
func TestListStableWhenUsersAdded(t *testing.T) {
	f, fk, _ := newFetcher(t)
	seedUsers(fk, 250)
	seen, _ := listUsers(t, f, "", 100, func(page int) {
		if page == 1 {
			putUser(fk, "sub-late")
		}
	})
	checkListedOnce(t, seen, 251)
	if seen["sub-late"] != 1 {
		t.Fatal("the user created mid-run was not listed")
	}
}

// A token revoked mid-run is replaced once, as Fetch does.
func TestListRefreshesARevokedToken(t *testing.T) {
	f, fk, _ := newFetcher(t)
	seedUsers(fk, 250)
	seen, _ := listUsers(t, f, "", 100, func(page int) {
		if page == 1 {
			fk.ExpireTokens()
		}
	})
	checkListedOnce(t, seen, 250)
	if n := fk.TokenCalls(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
}

// cidaas's search reaches only the first 10,000 users: List fails there
// rather than end as if the tenant had no more.
func TestListStopsAtTheSearchWindow(t *testing.T) {
	f, fk, _ := newFetcher(t)
	seedUsers(fk, SearchWindow+5)
	cursor, pages := "", 0
	for {
		_, next, err := f.List(context.Background(), cursor, MaxPageSize)
		if err != nil {
			if fault.ClassOf(err) != fault.Permanent || cursor != "10000" || pages != 10 {
				t.Fatalf("after %d pages at %q: %v", pages, cursor, err)
			}
			return
		}
		if next == "" {
			t.Fatalf("List ended after %d pages though users remain", pages)
		}
		cursor, pages = next, pages+1
	}
}

func TestListBadCursor(t *testing.T) {
	f, fk, _ := newFetcher(t)
	for _, c := range []string{"-1", "x", "10000"} {
		if _, _, err := f.List(context.Background(), c, 10); fault.ClassOf(err) != fault.Permanent {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
	if n := fk.Calls(SearchPath); n != 0 {
		t.Fatalf("%d searches for bad cursors", n)
	}
}
