// Package apigw serves API Gateway HTTP API events (payload format 2.0)
// with a plain http.Handler, for the functions whose routes are easier
// to write as HTTP (the claim verifier's /claims/* routes). The local
// stack drives the same adapter through pkg/local's gateway, so a route
// works locally exactly as it will behind API Gateway.
package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// MaxBody bounds a request body (API Gateway's own limit is 10 MB; our
// routes take far less).
const MaxBody = 1 << 20

// Handler returns a Lambda handler that serves each event with h.
func Handler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		body := []byte(ev.Body)
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				return text(http.StatusBadRequest, "malformed body"), nil
			}
			body = b
		}
		if len(body) > MaxBody {
			return text(http.StatusRequestEntityTooLarge, "body too large"), nil
		}
		path := ev.RawPath
		if path == "" {
			path = "/"
		}
		u := &url.URL{Path: path, RawQuery: ev.RawQueryString}
		if p, err := url.PathUnescape(path); err == nil {
			u.Path, u.RawPath = p, path
		}
		method := ev.RequestContext.HTTP.Method
		if method == "" {
			method = http.MethodGet
		}
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			return text(http.StatusBadRequest, "malformed request"), nil
		}
		for k, v := range ev.Headers {
			// API Gateway joins repeated headers with commas.
			req.Header.Set(k, v)
		}
		if len(ev.Cookies) > 0 {
			req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
		}
		req.Host = ev.RequestContext.DomainName
		req.RemoteAddr = ev.RequestContext.HTTP.SourceIP
		req.ContentLength = int64(len(body))
		w := &recorder{header: http.Header{}}
		h.ServeHTTP(w, req)
		return w.response(), nil
	}
}

func text(status int, msg string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: msg + "\n"}
}

// recorder is the response as the handler wrote it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) response() events.APIGatewayV2HTTPResponse {
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	out := events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{}}
	for k, vs := range r.header {
		if http.CanonicalHeaderKey(k) == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		out.Headers[k] = strings.Join(vs, ",")
	}
	if b := r.body.Bytes(); utf8.Valid(b) {
		out.Body = string(b)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return out
}
