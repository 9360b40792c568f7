// Package costbench measures what one profile change costs on AWS: the
// requests the shipped Lambda handlers (built as functions/* build them,
// pkg/lambdaenv then pkg/wiring) send to SQS, DynamoDB, Secrets Manager and
// EventBridge, the requests the SQS event source mapping makes on their
// behalf, and the handlers' own time. Its benchmark
// (BenchmarkCostPer1000Changes, in `make bench`) drives changes through
// the ingress and every sync function against moto_server and the sandbox
// fakes and prints the figures per 1,000 changes.
//
// What lives here: Counter, an http.RoundTripper that counts AWS requests by
// service and operation, Proxy, which puts one in front of moto_server for
// clients built from the environment (AWS_ENDPOINT_URL), and Table, which
// prints counts. Nothing here ships.
package costbench

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Op is one AWS operation: the signing service name (sqs, dynamodb,
// secretsmanager, events, s3) and the operation (SendMessageBatch, GetItem,
// ...; "GET /bucket/key"-style for S3).
type Op struct {
	Service string
	Name    string
}

func (o Op) String() string { return o.Service + ":" + o.Name }

// Counts are requests per operation.
type Counts map[Op]int

// Sub is c minus earlier.
func (c Counts) Sub(earlier Counts) Counts {
	out := Counts{}
	for op, n := range c {
		if d := n - earlier[op]; d != 0 {
			out[op] = d
		}
	}
	return out
}

// Add adds d to c.
func (c Counts) Add(d Counts) {
	for op, n := range d {
		c[op] += n
	}
}

// Total is the number of requests to service ("" for all).
func (c Counts) Total(service string) int {
	t := 0
	for op, n := range c {
		if service == "" || op.Service == service {
			t += n
		}
	}
	return t
}

// Ops are c's operations, sorted.
func (c Counts) Ops() []Op {
	ops := make([]Op, 0, len(c))
	for op := range c {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// Counter is an http.RoundTripper counting the AWS requests that pass it,
// then handing them to Next (http.DefaultTransport when nil). It is safe
// for concurrent use.
type Counter struct {
	Next http.RoundTripper

	mu sync.Mutex
	n  Counts
}

// RoundTrip counts r and sends it on.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op, err := opOf(r)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = Counts{}
	}
	c.n[op]++
	c.mu.Unlock()
	next := c.Next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

// Do makes Counter an aws.HTTPClient as well.
func (c *Counter) Do(r *http.Request) (*http.Response, error) { return c.RoundTrip(r) }

// Snapshot is a copy of the counts so far.
func (c *Counter) Snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(Counts, len(c.n))
	for op, n := range c.n {
		out[op] = n
	}
	return out
}

// opOf names r's operation: the X-Amz-Target of the JSON protocols
// (DynamoDB, SQS, Secrets Manager, EventBridge), the Action of the query
// protocol, else the method and the path's first segment (S3). The
// service is the SigV4 credential scope's.
func opOf(r *http.Request) (Op, error) {
	op := Op{Service: signingService(r.Header.Get("Authorization"))}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, name, _ := strings.Cut(t, ".")
		op.Name = name
		return op, nil
	}
	if r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return op, err
		}
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			op.Name = v.Get("Action")
			return op, nil
		}
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		op.Name = a
		return op, nil
	}
	bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	op.Name = r.Method + " /" + bucket
	return op, nil
}

// signingService reads the service of "AWS4-HMAC-SHA256
// Credential=AKID/20250101/us-east-1/sqs/aws4_request, ...".
func signingService(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "unsigned"
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return "unknown"
	}
	return parts[3]
}
