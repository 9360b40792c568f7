package gigya

import (
	"context"
	"fmt"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/gigya"
)

func TestListPagesWithACursor(t *testing.T) {
	fk, cfg, hc := newSite(t)
	for i := range 5 {
		fk.Put(&profile.Profile{Sub: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i)})
	}
	f := mustFetcher(t, cfg, hc)
	ctx := context.Background()
	var subs []string
	var sizes []int
	cursor := ""
	for range 10 {
		page, next, err := f.List(ctx, cursor, 2)
		if err != nil && fault.ClassOf(err) == fault.Throttled {
			continue // the same cursor again, as the jobs do
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page))
		for _, p := range page {
			subs = append(subs, p.Sub)
		}
		if next == "" {
			break
		}
		if len(subs) == 2 {
			fk.FailNext(1, fake.CodeRateLimit) // throttled in the middle
		}
		cursor = next
	}
	if fmt.Sprint(subs) != "[u0 u1 u2 u3 u4]" || fmt.Sprint(sizes) != "[2 2 1]" {
		t.Fatalf("subs %v, page sizes %v", subs, sizes)
	}
	if n := fk.Calls("/accounts.search"); n != 4 {
		t.Fatalf("%d search calls, want 3 pages and one throttled", n)
	}
}

func TestListEdges(t *testing.T) {
	fk, cfg, hc := newSite(t)
	f := mustFetcher(t, cfg, hc)
	ctx := context.Background()
	if page, next, err := f.List(ctx, "", 0); err != nil || len(page) != 0 || next != "" {
		t.Fatalf("empty site: %v %q %v", page, next, err)
	}
	fk.Put(&profile.Profile{Sub: "u1"})
	if page, next, err := f.List(ctx, "", MaxPageSize+1); err != nil || len(page) != 1 || next != "" {
		t.Fatalf("size above the maximum is capped: %v %q %v", page, next, err)
	}
	if _, _, err := f.List(ctx, "expired-cursor", 10); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("unknown cursor: %v", err)
	}
}
