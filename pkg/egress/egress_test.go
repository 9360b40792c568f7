package egress

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
)

// server counts the requests it answers, so a test can tell a refusal
// before the call from one after it.
type server struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, tls bool, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if h != nil {
			h(w, r)
		}
	})
	if tls {
		s.Server = httptest.NewTLSServer(wrapped)
	} else {
		s.Server = httptest.NewServer(wrapped)
	}
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, hc *http.Client, u string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, u, strings.NewReader(`{"email":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("api-key", "s3cret-key")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// wantRefused checks err is a Permanent refusal whose text has want and
// no secret.
func wantRefused(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatal("call went through, want a refusal")
	}
	if !IsRefused(err) {
		t.Fatalf("err %v is not a refusal", err)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Permanent {
		t.Fatalf("err %v is not fault.Permanent", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "refused by the egress policy") || !strings.Contains(msg, want) {
		t.Fatalf("err %q, want it to say refused by the egress policy and %q", msg, want)
	}
	if strings.Contains(msg, "s3cret") {
		t.Fatalf("err %q leaks the header", msg)
	}
}

func TestRedirects(t *testing.T) {
	other := newServer(t, false, nil)
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/latest/meta-data/iam"
	tests := []struct {
		name   string
		tls    bool
		target string
		want   string
	}{
		{"to another host", false, otherURL, "redirect from 127.0.0.1 to another host, localhost"},
		{"to another port", false, other.URL + "/x", "another host"},
		{"https to http", true, other.URL + "/x", "redirect from https to http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := newServer(t, tt.tls, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.target, http.StatusTemporaryRedirect)
			})
			hc := Client(Local, 5*time.Second)
			if tt.tls {
				hc.Transport.(*Transport).next.TLSClientConfig = first.Client().Transport.(*http.Transport).TLSClientConfig
			}
			before := other.hits.Load()
			wantRefused(t, get(t, hc, first.URL+"/profile"), tt.want)
			if other.hits.Load() != before {
				t.Error("the redirect target was called")
			}
		})
	}
}

func TestRedirectOnTheSameHostIsFollowed(t *testing.T) {
	srv := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
		}
	})
	if err := get(t, Client(Local, 5*time.Second), srv.URL+"/old"); err != nil {
		t.Fatal(err)
	}
	if srv.hits.Load() != 2 {
		t.Errorf("%d requests, want 2", srv.hits.Load())
	}
}

func TestRefusedBeforeDialling(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		url    string
		want   string
	}{
		{"http without allowance", Policy{AllowLoopback: true}, "http://127.0.0.1:1/", "http to 127.0.0.1: https required (allow the host with EGRESS_ALLOW_HTTP_HOSTS)"},
		{"http allowed for another host", Policy{AllowHTTPHosts: []string{"crm.intra.example"}}, "http://api.example.com/", "https required"},
		{"metadata", Production, "https://169.254.169.254/latest/meta-data/iam", "169.254.169.254 is a link-local address"},
		{"metadata over allowed http", Policy{AllowHTTPHosts: []string{"169.254.169.254"}, AllowPrivate: true}, "http://169.254.169.254/", "link-local"},
		{"metadata IPv6", Production, "https://[fd00:ec2::254]/", "fd00:ec2::254 is a link-local address"},
		{"loopback", Production, "https://127.0.0.1:9001/", "127.0.0.1 is a loopback address"},
		{"IPv6 loopback", Production, "https://[::1]:9001/", "::1 is a loopback address"},
		{"private", Production, "https://10.1.2.3/", "10.1.2.3 is a private address (set EGRESS_ALLOW_PRIVATE=true to allow)"},
		{"CGNAT", Production, "https://100.64.0.1/", "100.64.0.1 is a shared (CGNAT) address"},
		{"unspecified", Production, "https://0.0.0.0/", "0.0.0.0 is a unspecified address"},
		{"decimal", Production, "http://2130706433/", "https required"},
		{"decimal over https", Production, "https://2130706433/", "127.0.0.1 is a loopback address (spelled 2130706433)"},
		{"hex dotted", Production, "https://0x7f.1/", "127.0.0.1 is a loopback address (spelled 0x7f.1)"},
		{"hex", Production, "https://0x7f000001/", "127.0.0.1 is a loopback address (spelled 0x7f000001)"},
		{"octal", Production, "https://0177.0.0.1/", "loopback address (spelled 0177.0.0.1)"},
		{"non-canonical but allowed", Local, "http://0x7f.1/", "https required"},
		{"non-canonical loopback over https", Local, "https://0x7f.1/", "0x7f.1 is a non-canonical spelling of the address 127.0.0.1"},
		{"scheme", Production, "ftp://example.com/", `scheme "ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefused(t, get(t, Client(tt.policy, 5*time.Second), tt.url), tt.want)
		})
	}
}

// A name is checked on the address it resolves to, when it is dialled: a
// DNS answer (or a rebinding one) pointing at loopback is refused.
func TestNameResolvingToLoopbackIsRefusedAtDial(t *testing.T) {
	srv := newServer(t, false, nil)
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	hc := Client(Policy{AllowHTTPHosts: []string{"localhost"}}, 5*time.Second)
	wantRefused(t, get(t, hc, u), "is a loopback address")
	if srv.hits.Load() != 0 {
		t.Error("the server was called")
	}
}

func TestLoopbackAllowedByPolicy(t *testing.T) {
	srv := newServer(t, false, nil)
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		if err := get(t, Client(Local, 5*time.Second), u); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	if srv.hits.Load() != 2 {
		t.Errorf("%d requests, want 2", srv.hits.Load())
	}
}

func TestClassify(t *testing.T) {
	for addr, want := range map[string]string{
		"93.184.216.34": "", "2606:2800:220:1::": "", "172.32.0.1": "", "100.128.0.1": "",
		"127.8.9.10": classLoopback, "::ffff:127.0.0.1": classLoopback,
		"169.254.169.254": classLinkLocal, "fe80::1": classLinkLocal, "fd00:ec2::254": classLinkLocal,
		"10.0.0.1": classPrivate, "172.16.5.4": classPrivate, "192.168.1.1": classPrivate, "fd12::1": classPrivate,
		"100.64.0.1": classShared, "100.127.255.255": classShared,
		"0.0.0.0": classUnspecified, "::": classUnspecified, "0.1.2.3": classUnspecified,
	} {
		if got := classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("classify(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestLegacyIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f.1": "127.0.0.1", "0x7f000001": "127.0.0.1", "0177.0.0.1": "127.0.0.1",
		"127.1": "127.0.0.1", "10.0x10.1": "10.16.0.1", "0": "0.0.0.0",
	} {
		a, ok := legacyIPv4(in)
		if !ok || a.String() != want {
			t.Errorf("legacyIPv4(%q) = %v, %v; want %s", in, a, ok, want)
		}
	}
	for _, in := range []string{"api.example.com", "4294967296", "1.2.3.4.5", "0x", "256.1.1.1", "1.2.3.256", "", "09"} {
		if a, ok := legacyIPv4(in); ok {
			t.Errorf("legacyIPv4(%q) = %v, want not an address", in, a)
		}
	}
}

func TestCheckURL(t *testing.T) {
	local := Client(Local, time.Second)
	tests := []struct {
		hc      *http.Client
		url     string
		wantErr string
	}{
		{nil, "https://api.example.com/v3", ""},
		{nil, "http://api.example.com", "https required"},
		{nil, "http://127.0.0.1:9001", "https required"},
		{nil, "https://127.0.0.1:9001", "loopback"},
		{nil, "https://169.254.169.254", "link-local"},
		{nil, "https://0x7f.1/", "loopback"},
		{nil, "https://user:pw@10.0.0.1/", "private"},
		{nil, "/relative", "absolute"},
		{&http.Client{}, "http://127.0.0.1:9001", "https required"}, // a client egress did not build gets Production
		{local, "http://127.0.0.1:9001", ""},
		{local, "http://localhost:9001", ""},
		{local, "https://169.254.169.254", "link-local"},
		{Client(Policy{AllowHTTPHosts: []string{"crm.intra.example"}, AllowPrivate: true}, time.Second), "http://CRM.intra.example:8080/api", ""},
	}
	for _, tt := range tests {
		err := CheckURL(tt.hc, tt.url)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckURL(%s) = %v, want %q", tt.url, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("CheckURL(%s) = %v leaks the userinfo", tt.url, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	p, err := FromEnv(env(map[string]string{EnvAllowHTTPHosts: " CRM.intra.example, 10.1.2.3 ,,[fd12::1]", EnvAllowPrivate: "true"}))
	if err != nil {
		t.Fatal(err)
	}
	if !p.AllowPrivate || p.AllowLoopback || !p.httpAllowed("crm.intra.example") || !p.httpAllowed("10.1.2.3") || !p.httpAllowed("fd12::1") || p.httpAllowed("api.example.com") {
		t.Errorf("policy %+v", p)
	}
	if p, err := FromEnv(env(nil)); err != nil || p.AllowPrivate || len(p.AllowHTTPHosts) != 0 {
		t.Errorf("empty environment: %+v, %v; want Production", p, err)
	}
	if p, err := FromEnv(env(map[string]string{EnvAllowLoopback: "1", EnvAllowHTTPHosts: "127.0.0.1"})); err != nil || !p.AllowLoopback || p.AllowPrivate || !p.httpAllowed("127.0.0.1") {
		t.Errorf("loopback: %+v, %v", p, err)
	}
	for _, bad := range []map[string]string{{EnvAllowHTTPHosts: "http://crm.intra.example"}, {EnvAllowHTTPHosts: "crm:8080"}, {EnvAllowPrivate: "yes please"}, {EnvAllowLoopback: "on"}} {
		if _, err := FromEnv(env(bad)); err == nil {
			t.Errorf("FromEnv(%v) = nil error", bad)
		}
	}
}
