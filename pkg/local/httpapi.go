package local

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// MaxPassedBody is how much of a request body reaches the handler: 256 KiB
// and one byte, so the handler itself sees a body is over its 256 KiB limit
// and answers 413. The rest is not read.
const MaxPassedBody = 256<<10 + 1

// integrationTimeout is API Gateway's HTTP API integration timeout.
const integrationTimeout = 30 * time.Second

// APIGatewayHandler serves route (an HTTP API route key such as
// "POST /webhooks/{source}", "ANY /claims/{proxy+}" or "$default") with h,
// translating each request into the API Gateway HTTP API payload 2.0 event
// and h's response back, as API Gateway does. A request that does not match
// the route gets API Gateway's 404. It panics on a malformed route, as
// http.ServeMux does on a bad pattern.
func APIGatewayHandler(route string, h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)) http.Handler {
	g, err := newGateway(route, h)
	if err != nil {
		panic(err)
	}
	return g
}

type gateway struct {
	routeKey string
	method   string   // "" for ANY or $default
	segments []string // nil for $default
	h        func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
	now      func() time.Time
	newID    func() string // request ids; fixed in golden tests
	log      *slog.Logger
}

func newGateway(route string, h func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)) (*gateway, error) {
	g := &gateway{routeKey: route, h: h, now: time.Now, newID: newRequestID, log: slog.Default()}
	if h == nil {
		return nil, fmt.Errorf("api gateway route %q: nil handler", route)
	}
	if route == "$default" {
		return g, nil
	}
	method, path, ok := strings.Cut(route, " ")
	if !ok || !strings.HasPrefix(path, "/") || method == "" {
		return nil, fmt.Errorf("api gateway route %q: want \"METHOD /path\" or \"$default\"", route)
	}
	if method != "ANY" {
		g.method = method
	}
	g.segments = strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range g.segments {
		if strings.HasSuffix(s, "+}") && i != len(g.segments)-1 {
			return nil, fmt.Errorf("api gateway route %q: greedy %s must be last", route, s)
		}
	}
	return g, nil
}

// match reports whether r is on the route, and its path parameters.
func (g *gateway) match(r *http.Request) (map[string]string, bool) {
	if g.segments == nil {
		return nil, true
	}
	if g.method != "" && r.Method != g.method {
		return nil, false
	}
	got := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	params := map[string]string{}
	for i, s := range g.segments {
		name, isParam := strings.CutPrefix(s, "{")
		if !isParam {
			if i >= len(got) || got[i] != s {
				return nil, false
			}
			continue
		}
		if greedy, ok := strings.CutSuffix(name, "+}"); ok {
			rest := strings.Join(got[i:], "/")
			if i >= len(got) || rest == "" {
				return nil, false
			}
			params[greedy] = rest
			return params, true
		}
		if i >= len(got) || got[i] == "" {
			return nil, false
		}
		params[strings.TrimSuffix(name, "}")] = got[i]
	}
	if len(got) != len(g.segments) {
		return nil, false
	}
	if len(params) == 0 {
		params = nil
	}
	return params, true
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := g.newID()
	w.Header().Set("Apigw-Requestid", requestID)
	params, ok := g.match(r)
	if !ok {
		writeGatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPassedBody))
	if err != nil {
		writeGatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	ev := g.event(r, body, params, requestID)
	ctx, cancel := context.WithTimeout(r.Context(), integrationTimeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newUUID(),
		InvokedFunctionArn: "arn:aws:lambda:" + Region + ":" + AccountID + ":function:ingress",
	})
	resp, err := g.call(ctx, ev)
	if err != nil {
		g.log.ErrorContext(ctx, "api handler failed", "route", g.routeKey, "request_id", requestID, "error", err)
		writeGatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	g.writeResponse(ctx, w, resp, requestID)
}

func (g *gateway) call(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			g.log.ErrorContext(ctx, "api handler panicked", "route", g.routeKey, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return g.h(ctx, ev)
}

// event builds the payload 2.0 event. HTTP APIs hand Lambda a decoded path,
// lower-cased headers with repeats joined by commas, the cookies apart, and
// the body as text only for text/*, JSON, XML and JavaScript: anything else,
// form posts and a missing Content-Type included, arrives base64-encoded.
func (g *gateway) event(r *http.Request, body []byte, params map[string]string, requestID string) events.APIGatewayV2HTTPRequest {
	now := g.now().UTC()
	clientIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		clientIP = r.RemoteAddr
	}
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			for _, v := range values {
				for c := range strings.SplitSeq(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lower] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	if r.ContentLength > 0 {
		headers["content-length"] = strconv.FormatInt(r.ContentLength, 10)
	}
	if prior := headers["x-forwarded-for"]; prior != "" {
		headers["x-forwarded-for"] = prior + ", " + clientIP
	} else {
		headers["x-forwarded-for"] = clientIP
	}
	proto, port := "http", "80"
	if r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	headers["x-forwarded-port"] = port
	headers["x-forwarded-proto"] = proto
	headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%s", now.Unix(), traceSuffix(requestID))

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              g.routeKey,
		RawPath:               r.URL.Path,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		PathParameters:        params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     g.routeKey,
			AccountID:    AccountID,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        "local",
			DomainName:   r.Host,
			DomainPrefix: domainPrefix(r.Host),
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  clientIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isTextContent(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// queryParameters decodes the query string, joining repeated keys with
// commas in the order they came; nil when there is none.
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	out := map[string]string{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			key, val = k, v
		}
		if prior, ok := out[key]; ok {
			val = prior + "," + val
		}
		out[key] = val
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func isTextContent(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}

func domainPrefix(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")
	return prefix
}

// writeResponse sends h's response as API Gateway does: headers,
// multi-value headers, each cookie as its own Set-Cookie, and a base64 body
// decoded. A status outside 100-599 or a body that is not valid base64 is the
// handler's bug, answered like a handler error.
func (g *gateway) writeResponse(ctx context.Context, w http.ResponseWriter, resp events.APIGatewayV2HTTPResponse, requestID string) {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			g.log.ErrorContext(ctx, "api handler returned a body that is not base64", "route", g.routeKey, "request_id", requestID)
			writeGatewayError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		body = b
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		g.log.ErrorContext(ctx, "api handler returned an invalid status", "route", g.routeKey, "request_id", requestID, "status", resp.StatusCode)
		writeGatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

// writeGatewayError answers as API Gateway does when it, not the function,
// ends a request.
func writeGatewayError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"message":%q}`, message)
}

// newRequestID is shaped like API Gateway's request ids ("JKJaXmPLvHcESHA=").
func newRequestID() string {
	var b [11]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// traceSuffix derives the 24 hex digits of the X-Ray trace id from the
// request id so one request's ids agree (and golden tests stay stable).
func traceSuffix(requestID string) string {
	s := hex.EncodeToString([]byte(requestID))
	for len(s) < 24 {
		s += "0"
	}
	return s[:24]
}
