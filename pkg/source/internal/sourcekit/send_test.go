package sourcekit

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Send classifies what never got an answer as Get does, and returns any
// answer as it came, with the method, body and headers sent as given.
func TestSend(t *testing.T) {
	ctx := context.Background()
	_, _, _, err := Send(ctx, egress.Client(egress.Production, time.Second), "test update", http.MethodPatch,
		"http://169.254.169.254/latest/meta-data", "application/json", []byte(`{}`), nil)
	if fault.ClassOf(err) != fault.Permanent {
		t.Errorf("egress refusal: %v (class %v), want permanent", err, fault.ClassOf(err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/users/1"
	ln.Close()
	if _, _, _, err := Send(ctx, egress.Client(egress.Local, time.Second), "test update", http.MethodPut, closed, "application/json", nil, nil); fault.ClassOf(err) != fault.Transient {
		t.Errorf("closed port: %v (class %v), want transient", err, fault.ClassOf(err))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, _ := r.BasicAuth()
		if r.Method != http.MethodPatch || r.Header.Get("Content-Type") != "application/merge-patch+json" ||
			r.Header.Get("Accept") != "application/json" || user != "cid" || pass != "p@ss" || string(body) != `{"a":null}` {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error":"busy"}`))
	}))
	defer srv.Close()
	status, _, body, err := Send(ctx, egress.Client(egress.Local, time.Second), "test update", http.MethodPatch, srv.URL,
		"application/merge-patch+json", []byte(`{"a":null}`), Basic("cid", "p@ss"))
	if err != nil || status != http.StatusConflict || string(body) != `{"error":"busy"}` {
		t.Errorf("answer: %d %s %v, want the 409 as it came", status, body, err)
	}
}

func TestSendJSONRefusesUnencodable(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	defer srv.Close()
	_, _, _, err := SendJSON(context.Background(), egress.Client(egress.Local, time.Second), "test update", http.MethodPost, srv.URL,
		map[string]any{"f": func() {}}, nil)
	if fault.ClassOf(err) != fault.Permanent || calls != 0 {
		t.Fatalf("%v (class %v) after %d calls, want permanent before any", err, fault.ClassOf(err), calls)
	}
}
