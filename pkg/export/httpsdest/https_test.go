package httpsdest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/fault"
)

const authHeader = "Bearer s3cr3t-t0ken"

// received is one request as the receiver saw it.
type received struct {
	method, path, query string
	header              http.Header
	body                []byte
	digest              string // sha-256 of body, base64
}

type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status int
}

func newReceiver(t *testing.T, status int) *receiver {
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h := sha256.New()
		body, err := io.ReadAll(io.TeeReader(req.Body, h))
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		r.mu.Lock()
		r.got = append(r.got, received{req.Method, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Clone(), body,
			base64.StdEncoding.EncodeToString(h.Sum(nil))})
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "receiver says no to alice@example.test") // never quoted back
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func localClient() *http.Client { return egress.Client(egress.Local, 5*time.Second) }

// spool is a temp directory the test checks is left empty.
func spool(t *testing.T) string {
	dir := t.TempDir()
	t.Cleanup(func() {
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("spool files left behind: %v", left)
		}
	})
	return dir
}

func newDest(t *testing.T, cfg Config, dir string) *Destination {
	t.Helper()
	d, err := New(cfg, localClient(), WithTempDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func upload(t *testing.T, d export.Destination, name, body string) (int64, error) {
	t.Helper()
	o, err := d.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(o, body); err != nil {
		t.Fatal(err)
	}
	return o.Commit(context.Background())
}

func TestPutArrivesIntact(t *testing.T) {
	rcv := newReceiver(t, http.StatusCreated)
	dir := spool(t)
	d := newDest(t, Config{URL: rcv.URL + "/upload/{name}?v=1", Headers: map[string]string{"Authorization": authHeader},
		ContentType: "text/csv; charset=utf-8"}, dir)
	const name, body = "2026-12-02/part 1.csv", "id,plan\n1,gold\n"
	o, err := d.Create(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(o, body); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("%d requests before Commit", n)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("spool before Commit: %v", left)
	}
	size, err := o.Commit(context.Background())
	if err != nil || size != int64(len(body)) {
		t.Fatalf("Commit = %d, %v", size, err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	sum := sha256.Sum256([]byte(body))
	want := base64.StdEncoding.EncodeToString(sum[:])
	checks := []struct{ what, got, want string }{
		{"method", r.method, http.MethodPut},
		{"path", r.path, "/upload/2026-12-02/part%201.csv"},
		{"query", r.query, "v=1"},
		{"body", string(r.body), body},
		{"Authorization", r.header.Get("Authorization"), authHeader},
		{"Content-Type", r.header.Get("Content-Type"), "text/csv; charset=utf-8"},
		{"Content-Length", r.header.Get("Content-Length"), "15"},
		{"digest of what arrived", r.digest, want},
		{"Content-Digest", r.header.Get("Content-Digest"), "sha-256=:" + want + ":"},
		{"Repr-Digest", r.header.Get("Repr-Digest"), "sha-256=:" + want + ":"},
		{"Digest", r.header.Get("Digest"), "SHA-256=" + want},
		{"Content-Disposition", r.header.Get("Content-Disposition"), ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if err := o.Abort(context.Background()); err != nil || len(rcv.requests()) != 1 {
		t.Fatalf("Abort after Commit: %v", err)
	}
}

func TestPostWithoutNameInTheURL(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK)
	d := newDest(t, Config{URL: rcv.URL + "/inbox", Method: http.MethodPost}, spool(t))
	if _, err := upload(t, d, "daily/part-1.ndjson", "{}\n"); err != nil {
		t.Fatal(err)
	}
	r := rcv.requests()[0]
	if r.method != http.MethodPost || r.path != "/inbox" || r.header.Get("Content-Type") != DefaultContentType {
		t.Fatalf("got %s %s %s", r.method, r.path, r.header.Get("Content-Type"))
	}
	if got := r.header.Get("Content-Disposition"); got != `attachment; filename="daily/part-1.ndjson"` {
		t.Fatalf("Content-Disposition = %q", got)
	}
}

func TestAbortSendsNothing(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK)
	d := newDest(t, Config{URL: rcv.URL + "/{name}"}, spool(t))
	o, err := d.Create(context.Background(), "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(o, "data"); err != nil {
		t.Fatal(err)
	}
	if err := o.Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Commit(context.Background()); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("%d requests after Abort", n)
	}
}

func TestStatusClasses(t *testing.T) {
	tests := []struct {
		status int
		ok     bool
		class  fault.Class
	}{
		{200, true, 0}, {201, true, 0}, {204, true, 0},
		{429, false, fault.Throttled}, {500, false, fault.Transient}, {503, false, fault.Transient},
		{408, false, fault.Transient}, {401, false, fault.Auth},
		{400, false, fault.Permanent}, {403, false, fault.Permanent}, {404, false, fault.Permanent}, {413, false, fault.Permanent},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			rcv := newReceiver(t, tt.status)
			d := newDest(t, Config{URL: rcv.URL + "/{name}?sig=qu3ry-s3cret", Headers: map[string]string{"Authorization": authHeader}}, spool(t))
			_, err := upload(t, d, "a.csv", "data")
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || fault.ClassOf(err) != tt.class {
				t.Fatalf("err = %v (class %v), want %v", err, fault.ClassOf(err), tt.class)
			}
			for _, secret := range []string{"qu3ry-s3cret", "s3cr3t-t0ken", "alice@"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error quotes %q: %v", secret, err)
				}
			}
		})
	}
}

func TestReceiverDownIsTransient(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK)
	d := newDest(t, Config{URL: rcv.URL + "/{name}?sig=qu3ry-s3cret"}, spool(t))
	rcv.Close()
	_, err := upload(t, d, "a.csv", "data")
	if err == nil || fault.ClassOf(err) != fault.Transient {
		t.Fatalf("err = %v (class %v), want transient", err, fault.ClassOf(err))
	}
	if strings.Contains(err.Error(), "qu3ry-s3cret") {
		t.Fatalf("the error quotes the URL's query: %v", err)
	}
}

func TestConfigChecks(t *testing.T) {
	prod := egress.Client(egress.Production, time.Second)
	tests := []struct {
		name string
		cfg  Config
		hc   *http.Client
		want string
	}{
		{"plain http in production", Config{URL: "http://upload.example.com/{name}"}, prod, "https required"},
		{"loopback in production", Config{URL: "https://127.0.0.1/{name}"}, prod, "refused by the egress policy"},
		{"PUT without {name}", Config{URL: "https://upload.example.com/in"}, prod, "{name} is required with PUT"},
		{"{name} twice", Config{URL: "https://upload.example.com/{name}/{name}"}, prod, "once"},
		{"no url", Config{}, prod, "url: required"},
		{"PATCH", Config{URL: "https://upload.example.com/{name}", Method: "PATCH"}, prod, "method"},
		{"framing header", Config{URL: "https://upload.example.com/{name}", Headers: map[string]string{"content-length": "1"}}, prod, "Content-Length is set by the destination"},
		{"header injection", Config{URL: "https://upload.example.com/{name}", Headers: map[string]string{"X-Key": "a\r\nX-Evil: 1"}}, prod, "line break"},
		{"bad header name", Config{URL: "https://upload.example.com/{name}", Headers: map[string]string{"X Key": "a"}}, prod, "not a valid header name"},
		{"bad content type", Config{URL: "https://upload.example.com/{name}", ContentType: "csv"}, prod, "content_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.hc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{URL: "https://upload.example.com/{name}", Headers: map[string]string{"Authorization": authHeader}}, prod); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	d := newDest(t, Config{URL: "http://127.0.0.1:1/{name}"}, spool(t))
	for _, name := range []string{"", "/abs.csv", "../up.csv", "a//b.csv"} {
		if _, err := d.Create(context.Background(), name); err == nil || fault.ClassOf(err) != fault.Permanent {
			t.Errorf("Create(%q) = %v", name, err)
		}
	}
}

// TestLargeFileStreams spools 20 MiB in 64 KiB writes and sends it; the
// heap never holds anything near the whole file.
func TestLargeFileStreams(t *testing.T) {
	var gotSum string
	var gotLen int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		gotLen, _ = io.Copy(h, r.Body)
		gotSum = base64.StdEncoding.EncodeToString(h.Sum(nil))
	}))
	defer srv.Close()
	d := newDest(t, Config{URL: srv.URL + "/{name}"}, spool(t))
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	const size, chunk = 20 << 20, 64 << 10
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	o, err := d.Create(context.Background(), "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.New()
	buf := make([]byte, chunk)
	for i := 0; i < size/chunk; i++ {
		for j := range buf {
			buf[j] = byte(i*7 + j)
		}
		sum.Write(buf)
		if _, err := o.Write(buf); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if n, err := o.Commit(context.Background()); err != nil || n != size {
		t.Fatalf("Commit = %d, %v", n, err)
	}
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	if grew := peak - base; grew > 8<<20 {
		t.Errorf("heap grew by %d MiB for a %d MiB file", grew>>20, size>>20)
	}
	want := base64.StdEncoding.EncodeToString(sum.Sum(nil))
	if gotLen != size || gotSum != want {
		t.Fatalf("received %d bytes, digest %s; want %d, %s", gotLen, gotSum, size, want)
	}
}

// TestRedirectResendsTheBody follows a 307 on the same host, which must
// send the whole body again.
func TestRedirectResendsTheBody(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK)
	mux := http.NewServeMux()
	mux.HandleFunc("/old/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, "/new/"+strings.TrimPrefix(r.URL.Path, "/old/"), http.StatusTemporaryRedirect)
	})
	mux.Handle("/new/", rcv.Config.Handler)
	front := httptest.NewServer(mux)
	defer front.Close()
	d := newDest(t, Config{URL: front.URL + "/old/{name}"}, spool(t))
	if _, err := upload(t, d, "a.csv", "the body"); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].path != "/new/a.csv" || string(reqs[0].body) != "the body" {
		t.Fatalf("after the redirect: %+v", reqs)
	}
}
