package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
)

// List pages through 250 users and returns each exactly once, whether the
// server sends what was asked or caps it (the sandbox's maximum is 100).
func TestListReturnsEveryUserOnce(t *testing.T) {
	s := newStand(t)
	want := map[string]bool{}
	for i := range 250 {
		want[s.srv.Seed(map[string]any{"userName": fmt.Sprintf("user-%03d", i),
			DefaultExtension: map[string]any{"tier": "gold"}})] = true
	}
	for _, tt := range []struct {
		name      string
		extra     string
		size      int
		wantPages int
	}{
		{"page_size 100", "", 0, 3},
		{"page_size 1000, capped by the server", `,"page_size":1000`, 0, 3},
		{"size 60", "", 60, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := s.fetcher(tt.extra)
			seen := map[string]int{}
			page, pages := "", 0
			for {
				ps, next, err := f.List(context.Background(), page, tt.size)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, p := range ps {
					seen[p.Sub]++
					if p.Custom["tier"] != "gold" || p.PreferredUsername == "" {
						t.Fatalf("listed profile not mapped: %+v", p)
					}
				}
				if next == "" {
					break
				}
				if pages > 10 {
					t.Fatal("List does not end")
				}
				page = next
			}
			if pages != tt.wantPages || len(seen) != len(want) {
				t.Fatalf("%d pages, %d users, want %d pages, %d users", pages, len(seen), tt.wantPages, len(want))
			}
			for id, n := range seen {
				if !want[id] || n != 1 {
					t.Fatalf("user %s listed %d times (known %v)", id, n, want[id])
				}
			}
		})
	}
}

func TestListEmptyAndBadCursor(t *testing.T) {
	s := newStand(t)
	f := s.fetcher("")
	ps, next, err := f.List(context.Background(), "", 0)
	if err != nil || len(ps) != 0 || next != "" {
		t.Fatalf("empty: %v %q %v", ps, next, err)
	}
	for _, c := range []string{"0", "-1", "abc"} {
		if _, _, err := f.List(context.Background(), c, 0); err == nil || fault.ClassOf(err) != fault.Permanent {
			t.Errorf("cursor %q: %v", c, err)
		}
	}
}

// A provider that leaves out totalResults (it is REQUIRED) is paged until
// a page comes back empty, rather than stopping after the first.
func TestListWithoutTotalResults(t *testing.T) {
	const users = 5
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		count, _ := strconv.Atoi(r.URL.Query().Get("count"))
		var res []string
		for i := start; i < start+count && i <= users; i++ {
			res = append(res, fmt.Sprintf(`{"id":"u%d","userName":"user%d"}`, i, i))
		}
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"Resources":[%s]}`, strings.Join(res, ","))
	}))
	defer srv.Close()
	s := &stand{t: t, url: srv.URL}
	f := s.fetcher("")
	var got []string
	page := ""
	for range 10 {
		ps, next, err := f.List(context.Background(), page, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			got = append(got, p.Sub)
		}
		if page = next; page == "" {
			break
		}
	}
	if strings.Join(got, ",") != "u1,u2,u3,u4,u5" || page != "" {
		t.Fatalf("listed %v, cursor %q", got, page)
	}
}
