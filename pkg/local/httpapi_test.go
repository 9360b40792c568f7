package local

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var update = flag.Bool("update", false, "rewrite golden files")

type apiHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// fixedGateway is a gateway with a fixed clock and request id, so the event
// it builds can be compared with a golden file.
func fixedGateway(t *testing.T, route string, h apiHandler) *gateway {
	t.Helper()
	g, err := newGateway(route, h)
	if err != nil {
		t.Fatal(err)
	}
	g.now = func() time.Time { return time.Date(2026, 3, 12, 19, 3, 58, 123e6, time.UTC) }
	g.newID = func() string { return "JKJaXmPLvHcESHA=" }
	return g
}

func accepted(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusAccepted}, nil
}

func TestAPIGatewayRequestGolden(t *testing.T) {
	var got events.APIGatewayV2HTTPRequest
	g := fixedGateway(t, "POST /webhooks/{source}", func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		got = ev
		return accepted(ctx, ev)
	})
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/webhooks/cidaas?b=2&a=1&a=3&q=x%20y",
		strings.NewReader(`{"event_type":"user.updated","uid":"u-1"}`))
	r.RemoteAddr = "192.0.2.10:53122"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "cidaas-webhook/1.0")
	r.Header.Set("X-Cidaas-Signature", "sha256=abc")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Add("Cookie", "session=s1; theme=dark")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d", w.Code)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	golden(t, "apigw_v2_post_webhook.json", b.Bytes())
	if w.Header().Get("Apigw-Requestid") != "JKJaXmPLvHcESHA=" {
		t.Errorf("response lacks apigw-requestid: %v", w.Header())
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestAPIGatewayBodyLimit(t *testing.T) {
	const limit = 256 << 10
	tests := []struct {
		name     string
		size     int
		wantSeen int
		status   int
	}{
		{"at the limit", limit, limit, http.StatusAccepted},
		{"one byte over", limit + 1, limit + 1, http.StatusRequestEntityTooLarge},
		{"far over: truncated to limit+1", 4 << 20, limit + 1, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen int
			h := APIGatewayHandler("POST /webhooks/{source}", func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
				seen = len(ev.Body)
				if seen > limit {
					return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusRequestEntityTooLarge,
						Headers: map[string]string{"content-type": "application/json"}, Body: `{"message":"payload too large"}`}, nil
				}
				return accepted(ctx, ev)
			})
			r := httptest.NewRequest(http.MethodPost, "/webhooks/auth0", bytes.NewReader(bytes.Repeat([]byte("a"), tc.size)))
			r.Header.Set("Content-Type", "text/plain")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status || seen != tc.wantSeen {
				t.Errorf("status %d, handler saw %d bytes; want %d and %d", w.Code, seen, tc.status, tc.wantSeen)
			}
		})
	}
}

func TestAPIGatewayBodyEncoding(t *testing.T) {
	tests := []struct {
		contentType string
		body        string
		base64      bool
	}{
		{"application/json", `{"a":1}`, false},
		{"application/json; charset=utf-8", `{"a":1}`, false},
		{"text/plain", "hi", false},
		{"application/xml", "<a/>", false},
		{"application/x-www-form-urlencoded", "a=1&b=2", true},
		{"application/octet-stream", "\x00\x01", true},
		{"application/secevent+jwt", "eyJ.x.y", true},
		{"", `{"a":1}`, true},
		{"application/json", "\xff\xfe", true}, // not UTF-8: cannot travel as text
	}
	for _, tc := range tests {
		t.Run(tc.contentType, func(t *testing.T) {
			var got events.APIGatewayV2HTTPRequest
			h := APIGatewayHandler("$default", func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
				got = ev
				return accepted(ctx, ev)
			})
			r := httptest.NewRequest(http.MethodPost, "/anything", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			want := tc.body
			if tc.base64 {
				want = base64.StdEncoding.EncodeToString([]byte(tc.body))
			}
			if got.IsBase64Encoded != tc.base64 || got.Body != want {
				t.Errorf("body %q base64 %v, want %q %v", got.Body, got.IsBase64Encoded, want, tc.base64)
			}
		})
	}
}

func TestAPIGatewayRouting(t *testing.T) {
	tests := []struct {
		route, method, path string
		status              int
		params              map[string]string
	}{
		{"POST /webhooks/{source}", "POST", "/webhooks/okta", 202, map[string]string{"source": "okta"}},
		{"POST /webhooks/{source}", "POST", "/webhooks/a%20b", 202, map[string]string{"source": "a b"}},
		{"POST /webhooks/{source}", "GET", "/webhooks/okta", 404, nil},
		{"POST /webhooks/{source}", "POST", "/webhooks", 404, nil},
		{"POST /webhooks/{source}", "POST", "/webhooks/okta/extra", 404, nil},
		{"ANY /claims/{proxy+}", "PUT", "/claims/a/b", 202, map[string]string{"proxy": "a/b"}},
		{"ANY /claims/{proxy+}", "GET", "/claims/", 404, nil},
		{"GET /health", "GET", "/health", 202, nil},
		{"$default", "DELETE", "/x/y", 202, nil},
	}
	for _, tc := range tests {
		t.Run(tc.route+" "+tc.method+" "+tc.path, func(t *testing.T) {
			var got events.APIGatewayV2HTTPRequest
			h := APIGatewayHandler(tc.route, func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
				got = ev
				return accepted(ctx, ev)
			})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, w.Body)
			}
			if tc.status == 404 {
				if w.Body.String() != `{"message":"Not Found"}` {
					t.Errorf("404 body %q", w.Body)
				}
				return
			}
			if len(got.PathParameters) != len(tc.params) {
				t.Errorf("path parameters %v, want %v", got.PathParameters, tc.params)
			}
			for k, v := range tc.params {
				if got.PathParameters[k] != v {
					t.Errorf("path parameters %v, want %v", got.PathParameters, tc.params)
				}
			}
			if got.RouteKey != tc.route || got.RequestContext.RouteKey != tc.route {
				t.Errorf("route key %q / %q", got.RouteKey, got.RequestContext.RouteKey)
			}
		})
	}
	if _, err := newGateway("webhooks", accepted); err == nil {
		t.Error("malformed route accepted")
	}
	if _, err := newGateway("ANY /{proxy+}/x", accepted); err == nil {
		t.Error("greedy parameter before the end accepted")
	}
}

func TestAPIGatewayResponse(t *testing.T) {
	tests := []struct {
		name       string
		resp       events.APIGatewayV2HTTPResponse
		err        error
		panic      bool
		status     int
		body       string
		headers    map[string][]string
		setCookies []string
	}{
		{
			name: "headers, multi-value headers and cookies",
			resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{"ok":true}`,
				Headers:           map[string]string{"content-type": "application/json", "x-one": "1"},
				MultiValueHeaders: map[string][]string{"x-many": {"a", "b"}},
				Cookies:           []string{"a=1; Path=/", "b=2; HttpOnly"}},
			status: 200, body: `{"ok":true}`,
			headers:    map[string][]string{"Content-Type": {"application/json"}, "X-One": {"1"}, "X-Many": {"a", "b"}},
			setCookies: []string{"a=1; Path=/", "b=2; HttpOnly"},
		},
		{
			name:   "base64 body is decoded",
			resp:   events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString([]byte{0, 1, 2}), IsBase64Encoded: true, Headers: map[string]string{"content-type": "application/octet-stream"}},
			status: 200, body: "\x00\x01\x02",
		},
		{
			name:   "content type defaults to JSON",
			resp:   events.APIGatewayV2HTTPResponse{StatusCode: 401, Body: `{"message":"unauthorized"}`},
			status: 401, body: `{"message":"unauthorized"}`,
			headers: map[string][]string{"Content-Type": {"application/json"}},
		},
		{name: "handler error", err: errors.New("db down"), status: 500, body: `{"message":"Internal Server Error"}`},
		{name: "handler panic", panic: true, status: 500, body: `{"message":"Internal Server Error"}`},
		{name: "status 0 is a handler bug", resp: events.APIGatewayV2HTTPResponse{Body: "x"}, status: 500, body: `{"message":"Internal Server Error"}`},
		{name: "bad base64", resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "***", IsBase64Encoded: true}, status: 500, body: `{"message":"Internal Server Error"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := APIGatewayHandler("$default", func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
				if tc.panic {
					panic("boom")
				}
				return tc.resp, tc.err
			})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Body, tc.status, tc.body)
			}
			for k, want := range tc.headers {
				if got := w.Header().Values(k); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("header %s = %v, want %v", k, got, want)
				}
			}
			if got := w.Header().Values("Set-Cookie"); strings.Join(got, "|") != strings.Join(tc.setCookies, "|") {
				t.Errorf("Set-Cookie %v, want %v", got, tc.setCookies)
			}
		})
	}
}
