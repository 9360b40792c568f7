package connectorkit

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestCallSendsHeaderAndBodyAsGiven(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, gotBody = r, string(b)
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"ok":false}`)
	}))
	defer srv.Close()

	tests := []struct {
		name        string
		body        []byte
		contentType string
	}{
		{"with body", []byte(`{"a":1}`), "application/json"},
		{"without body", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := JSONHeader(tt.body)
			h.Set("authorization", "Bearer t") // canonicalized, as Header.Set would
			status, rh, resp, err := Call(context.Background(), srv.Client(), http.MethodPut, srv.URL+"/x", h, tt.body, DefaultMaxBody)
			if err != nil {
				t.Fatal(err)
			}
			if status != http.StatusTeapot || rh.Get("Retry-After") != "7" || string(resp) != `{"ok":false}` {
				t.Fatalf("got %d %v %q; want the answer as it came", status, rh, resp)
			}
			if got.Method != http.MethodPut || gotBody != string(tt.body) {
				t.Fatalf("sent %s %q", got.Method, gotBody)
			}
			if a, ct := got.Header.Get("Authorization"), got.Header.Get("Content-Type"); a != "Bearer t" || ct != tt.contentType {
				t.Fatalf("Authorization %q, Content-Type %q; want Bearer t, %q", a, ct, tt.contentType)
			}
			if got.Header.Get("Accept") != "application/json" {
				t.Fatalf("Accept = %q", got.Header.Get("Accept"))
			}
		})
	}
}

func TestCallReadsAtMostMaxBody(t *testing.T) {
	const max = 1 << 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 4*max))
	}))
	defer srv.Close()

	status, _, resp, err := Call(context.Background(), srv.Client(), http.MethodGet, srv.URL, nil, nil, max)
	if err != nil || status != http.StatusOK {
		t.Fatalf("status %d, err %v", status, err)
	}
	if len(resp) != max {
		t.Fatalf("read %d bytes, want the cap of %d", len(resp), max)
	}
}

func TestCallErrorsDoNotQuoteTheURL(t *testing.T) {
	// A closed listener: the dial fails at once.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	const key, secret = "jane.doe@example.com", "s3cr3t-pass"
	tests := []struct {
		name  string
		url   string
		class fault.Class
	}{
		{"transport", "http://admin:" + secret + "@" + addr + "/contacts/" + url.PathEscape(key) + "?token=" + secret, fault.Transient},
		{"unparsable", "http://" + addr + "/contacts/" + key + "\x7f?token=" + secret, fault.Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := Call(context.Background(), http.DefaultClient, http.MethodGet, tt.url, nil, nil, DefaultMaxBody)
			if err == nil {
				t.Fatal("want an error")
			}
			if c := fault.ClassOf(err); c != tt.class {
				t.Fatalf("class = %v, want %v (%v)", c, tt.class, err)
			}
			for _, leak := range []string{key, secret, "contacts"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("error %q quotes %q from the URL", err, leak)
				}
			}
		})
	}
}

func TestBasicAuthMatchesSetBasicAuth(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth("profilesync", "key:with:colons")
	if got, want := BasicAuth("profilesync", "key:with:colons"), req.Header.Get("Authorization"); got != want {
		t.Fatalf("BasicAuth = %q, want %q", got, want)
	}
}

func TestEncodeJSON(t *testing.T) {
	if b, err := EncodeJSON(nil, "fields"); b != nil || err != nil {
		t.Fatalf("nil value: %q, %v; want no body", b, err)
	}
	_, err := EncodeJSON(map[string]any{"f": func() {}}, "fields")
	if fault.ClassOf(err) != fault.Permanent || !strings.HasPrefix(fault.As(err).Err.Error(), "encode fields: ") {
		t.Fatalf("err = %v, want a Permanent \"encode fields: …\"", err)
	}
}

func TestPostClientCredentials(t *testing.T) {
	var form url.Values
	var ct string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form, ct = r.PostForm, r.Header.Get("Content-Type")
		io.WriteString(w, `{"access_token":"t"}`)
	}))
	defer srv.Close()

	status, _, body, err := PostClientCredentials(context.Background(), srv.Client(), "acme", srv.URL+"/oauth/token", "id", "se&cret", DefaultMaxBody)
	if err != nil || status != http.StatusOK || string(body) != `{"access_token":"t"}` {
		t.Fatalf("got %d %q %v", status, body, err)
	}
	if ct != "application/x-www-form-urlencoded" || form.Get("grant_type") != "client_credentials" ||
		form.Get("client_id") != "id" || form.Get("client_secret") != "se&cret" {
		t.Fatalf("sent Content-Type %q, form %v", ct, form)
	}

	srv.Close()
	_, _, _, err = PostClientCredentials(context.Background(), http.DefaultClient, "acme", srv.URL+"/oauth/token", "id", "se&cret", DefaultMaxBody)
	if fault.ClassOf(err) != fault.Transient || !strings.Contains(err.Error(), "acme token request: ") || strings.Contains(err.Error(), "oauth") {
		t.Fatalf("err = %v, want a Transient \"acme token request\" without the URL", err)
	}
}
