package fakekit

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestInjectorConsumesInOrder(t *testing.T) {
	var q Injector[int]
	q.Add(0, 99) // ignored
	q.Add(2, 500)
	q.Add(1, 429)
	var got []int
	for {
		f, ok := q.Next()
		if !ok {
			break
		}
		got = append(got, f)
	}
	want := []int{500, 500, 429}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestInjectorReplace(t *testing.T) {
	var q Injector[int]
	q.Add(3, 500)
	q.Replace(1, 503)
	if f, ok := q.Next(); !ok || f != 503 {
		t.Fatalf("Next = %d, %v; want 503, true", f, ok)
	}
	if _, ok := q.Next(); ok {
		t.Fatal("queue not empty after Replace(1, …) was consumed")
	}
	q.Add(2, 500)
	q.Replace(0, 503)
	if _, ok := q.Next(); ok {
		t.Fatal("Replace(0, …) should clear the queue")
	}
}

func TestInjectorAnswer(t *testing.T) {
	var q Injector[Failure]
	write := func(w http.ResponseWriter, f Failure) {
		SetRetryAfter(w.Header(), f.RetryAfter)
		w.WriteHeader(f.Status)
	}
	rec := httptest.NewRecorder()
	if q.Answer(rec, write) {
		t.Fatal("Answer on an empty queue reported true")
	}
	q.Add(1, Failure{Status: 429, RetryAfter: 1500 * time.Millisecond})
	rec = httptest.NewRecorder()
	if !q.Answer(rec, write) || rec.Code != 429 || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("got %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestInjectorConcurrent(t *testing.T) {
	var q Injector[int]
	q.Add(100, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	hits := 0
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := q.Next(); ok {
				mu.Lock()
				hits++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if hits != 100 {
		t.Fatalf("hits = %d, want 100", hits)
	}
}

func TestCounter(t *testing.T) {
	var c Counter
	c.Inc("/a")
	c.Inc("/a")
	if c.Get("/a") != 2 || c.Get("/b") != 0 {
		t.Fatalf("got %d, %d", c.Get("/a"), c.Get("/b"))
	}
}

func TestSplitPath(t *testing.T) {
	segs, ok := SplitPath("/contacts/a%2Fb/")
	if !ok || len(segs) != 2 || segs[1] != "a/b" {
		t.Fatalf("got %q, %v", segs, ok)
	}
	if segs, ok := SplitPath("/contacts/%zz"); ok || segs != nil {
		t.Fatalf("bad escape: got %q, %v", segs, ok)
	}
}

func TestCopyMapNeverNil(t *testing.T) {
	if CopyMap(nil) == nil {
		t.Fatal("CopyMap(nil) = nil")
	}
}

func TestEcho(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"key":"olga@example.com","record":{"phone":"+4915112345679","n":2,"tags":["vip"]}}`,
			"+491 511 234 567 9, 2, OLGA@EXAMPLE.COM, VIP"},
		{`{"phone":"015112345679"}`, "015 112 345 679"},
		{`not json`, "NOT JSON"},
	}
	for _, tt := range tests {
		if got := Echo([]byte(tt.body)); got != tt.want {
			t.Errorf("Echo(%s) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
