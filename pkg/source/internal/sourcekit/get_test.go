package sourcekit

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Get classifies what never got an answer: an egress refusal stays
// permanent (retrying cannot help), a connection that fails is transient;
// an answer of any status is returned as it came.
func TestGetClassifiesTransportErrors(t *testing.T) {
	ctx := context.Background()
	_, _, _, err := Get(ctx, egress.Client(egress.Production, time.Second), "test get user", "http://169.254.169.254/latest/meta-data", nil)
	if fault.ClassOf(err) != fault.Permanent {
		t.Errorf("egress refusal: %v (class %v), want permanent", err, fault.ClassOf(err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/users/1"
	ln.Close()
	if _, _, _, err := Get(ctx, egress.Client(egress.Local, time.Second), "test get user", closed, nil); fault.ClassOf(err) != fault.Transient {
		t.Errorf("closed port: %v (class %v), want transient", err, fault.ClassOf(err))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Accept") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"gone"}`))
	}))
	defer srv.Close()
	status, _, body, err := Get(ctx, egress.Client(egress.Local, time.Second), "test get user", srv.URL, Bearer("tok"))
	if err != nil || status != http.StatusNotFound || string(body) != `{"error":"gone"}` {
		t.Errorf("answer: %d %s %v, want the 404 as it came", status, body, err)
	}
}
