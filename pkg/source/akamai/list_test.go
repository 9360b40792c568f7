package akamai

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	fake "github.com/profilesync/profilesync/pkg/sandbox/akamai"
)

// newFetcherOn is a second Fetcher on fk, as a resumed run would build.
func newFetcherOn(t *testing.T, fk *fake.Fake) *Fetcher {
	t.Helper()
	srv := newFakeServer(t, fk)
	cfg := testConfig(srv.URL+"/akamai/login/jwk", "a")
	cfg.CaptureURL = srv.URL + "/akamai"
	f, err := NewFetcher(cfg, egress.Client(egress.Local, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func seedRecords(fk *fake.Fake, n int) {
	for i := range n {
		fk.PutRecord(fmt.Sprintf("u%03d", i), map[string]any{"email": fmt.Sprintf("user%03d@example.com", i), "loyaltyTier": "gold"})
	}
}

// listAll pages from cursor to the end, calling between(page) after each
// page, and counts how often each uuid came.
func listAll(t *testing.T, f *Fetcher, cursor string, size int, between func(page int)) (map[string]int, int) {
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
			if p.Custom["loyaltyTier"] != "gold" || p.Email == "" {
				t.Fatalf("listed profile not mapped as Fetch maps it: %+v", p)
			}
			if _, leaked := p.Custom["id"]; leaked {
				t.Fatal("the record id leaked into Custom")
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

func checkOnce(t *testing.T, seen map[string]int, want int) {
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

func TestListEveryRecordOnce(t *testing.T) {
	for _, tt := range []struct {
		name      string
		size      int
		wantPages int
	}{
		{"size 100", 100, 3},
		{"default size", 0, 3},
		{"the maximum", MaxPageSize, 1},
		{"above the maximum, capped", 50000, 1},
		{"size 50, the last page full", 50, 6}, // 250/50: an empty page ends it
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, "csecret")
			seedRecords(fk, 250)
			seen, pages := listAll(t, f, "", tt.size, nil)
			checkOnce(t, seen, 250)
			if pages != tt.wantPages {
				t.Fatalf("%d pages, want %d", pages, tt.wantPages)
			}
			if got := fk.Calls("/entity.find"); got != tt.wantPages {
				t.Fatalf("%d entity.find calls, want %d", got, tt.wantPages)
			}
		})
	}
}

func TestListEmptyTenant(t *testing.T) {
	f, _ := newFetcher(t, "csecret")
	ps, next, err := f.List(context.Background(), "", 100)
	if err != nil || len(ps) != 0 || next != "" {
		t.Fatalf("empty tenant: %d profiles, next %q, %v", len(ps), next, err)
	}
}

// A throttled page is a Throttled fault with the server's Retry-After,
// and asking again with the same cursor gets the page.
func TestListThrottledThenSameCursor(t *testing.T) {
	f, fk := newFetcher(t, "csecret")
	seedRecords(fk, 250)
	_, cursor, err := f.List(context.Background(), "", 100)
	if err != nil || cursor == "" {
		t.Fatalf("first page: %q, %v", cursor, err)
	}
	fk.FailNext(1, http.StatusTooManyRequests, 7*time.Second)
	_, next, err := f.List(context.Background(), cursor, 100)
	fe := fault.As(err)
	if fe == nil || fe.Class != fault.Throttled || fe.RetryAfter != 7*time.Second || next != "" {
		t.Fatalf("throttled page: next %q, %v", next, err)
	}
	seen, _ := listAll(t, f, cursor, 100, nil)
	checkOnce(t, seen, 150)
}

// A run resumed at a cursor from the middle lists the rest, none of the
// pages before it.
func TestListResumesAtCursor(t *testing.T) {
	f, fk := newFetcher(t, "csecret")
	seedRecords(fk, 250)
	first, cursor, err := f.List(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	resumed := newFetcherOn(t, fk)
	rest, _ := listAll(t, resumed, cursor, 100, nil)
	checkOnce(t, rest, 150)
	for _, p := range first {
		if rest[p.Sub] != 0 {
			t.Fatalf("user %s of the first page listed again", p.Sub)
		}
	}
}

// Keyset paging: records created or deleted mid-run neither shift a
// record out of the listing nor repeat one; created ones come at the end.
func TestListStableWhileRecordsChange(t *testing.T) {
	f, fk := newFetcher(t, "csecret")
	seedRecords(fk, 250)
	seen, _ := listAll(t, f, "", 100, func(page int) {
		if page == 1 {
			fk.PutRecord("late", map[string]any{"email": "late@example.com", "loyaltyTier": "gold"})
			fk.Delete("u000") // already listed
		}
	})
	checkOnce(t, seen, 251)
	if seen["late"] != 1 {
		t.Fatal("the record created mid-run was not listed")
	}
}

func TestListBadCursor(t *testing.T) {
	f, fk := newFetcher(t, "csecret")
	for _, c := range []string{"-1", "abc", "1.5"} {
		if _, _, err := f.List(context.Background(), c, 10); fault.ClassOf(err) != fault.Permanent {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
	if n := fk.Calls("/entity.find"); n != 0 {
		t.Fatalf("%d requests for bad cursors", n)
	}
}

// Capture's own errors (HTTP 200, stat "error") are classified as
// Fetch classifies them: bad credentials are an Auth fault.
func TestListCaptureError(t *testing.T) {
	f, fk := newFetcher(t, "wrong")
	seedRecords(fk, 3)
	if _, _, err := f.List(context.Background(), "", 10); fault.ClassOf(err) != fault.Auth {
		t.Fatalf("bad credentials: %v", err)
	}
}
