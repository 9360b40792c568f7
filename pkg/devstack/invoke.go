package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/claims"
	authorities "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/dirdest"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobsdispatch"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/verifierfn"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

// IngressFunctionID is the ingress function's logical id in template.yaml.
const IngressFunctionID = "IngressFunction"

// Function is one function of template.yaml.
type Function struct {
	LogicalID string // IngressFunction, SalesforceSyncFunction, ...
	Target    string // the sync function's target; "" for the ingress
}

// Functions lists the template's functions for the mappings in ms: the
// ingress, then one sync function per target.
func Functions(ms *mapping.Set) []Function {
	fns := []Function{{LogicalID: IngressFunctionID}}
	for _, m := range ms.All() {
		fns = append(fns, Function{LogicalID: SyncFunctionID(m.Name), Target: m.Name})
	}
	return append(fns, Function{LogicalID: VerifierFunctionID, Target: claims.QueueName}, Function{LogicalID: JobsFunctionID},
		Function{LogicalID: CognitoFunctionID})
}

// CognitoFunctionID is the optional Cognito trigger's logical id.
const CognitoFunctionID = "CognitoTriggerFunction"

// JobsFunctionID is the scheduled jobs function's logical id.
const JobsFunctionID = "JobsFunction"

// VerifierFunctionID is the claim verifier's logical id in template.yaml.
const VerifierFunctionID = "VerifierFunction"

// SyncFunctionID is the logical id of target's sync function, as the
// target generator writes it: the target title-cased per '-'-separated
// part, then "SyncFunction" (my-crm → MyCrmSyncFunction).
func SyncFunctionID(target string) string {
	var b strings.Builder
	for _, part := range strings.Split(target, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "SyncFunction"
}

// ResolveFunction finds the function name stands for: a logical id, or
// "ingress", or "sync:<target>".
func ResolveFunction(name string, ms *mapping.Set) (Function, error) {
	fns := Functions(ms)
	if name == "ingress" {
		return fns[0], nil
	}
	for _, fn := range fns {
		if fn.LogicalID == name || (fn.Target != "" && name == "sync:"+fn.Target) {
			return fn, nil
		}
	}
	known := make([]string, len(fns))
	for i, fn := range fns {
		known[i] = fn.LogicalID
	}
	return Function{}, fmt.Errorf("no function %q; known: %s (or ingress, sync:<target>)", name, strings.Join(known, ", "))
}

// InvokeOptions configure one Docker-free `sam local invoke`.
type InvokeOptions struct {
	Function string // see ResolveFunction
	Event    []byte // the Lambda event JSON, as `sam local invoke -e` takes
	DataDir  string // ingress: the queues and secrets; default .profilesync
	// URL is where the local stack is reached (default
	// http://127.0.0.1:3000): it replaces URLVar in the ingress's secret
	// files, so an Akamai SET's audience matches what `send` signs.
	URL      string
	Mappings fs.FS    // default the embedded ones
	Sources  []string // default DefaultSources
	Now      time.Time
	Log      *slog.Logger
}

// InvokeResult is what one invocation produced.
type InvokeResult struct {
	Function Function
	Response json.RawMessage // the handler's response, as Lambda returns it
	// Records are the sandbox's records of the sync function's target
	// after the handler ran (GET /sandbox/<target>/_sandbox/records); nil
	// for the ingress, or a target the sandbox has no fake of.
	Records json.RawMessage
	// DeadLetters are the messages the sync handler abandoned: on AWS they
	// would now be in the target's DLQ, with these reasons.
	DeadLetters []delivery.DeadMessage
}

// Invoke runs one function's handler in-process on an event:
//
//   - the ingress verifies with the secret files in <DataDir>/secrets and
//     writes to the SQLite queues in DataDir, so a running (or the next)
//     `profilesync dev` delivers what it enqueued. Requests for the local
//     stack's sandbox (an Akamai JWKS) are served by an in-process sandbox,
//     so the stack need not be running.
//   - a sync function delivers to a fresh sandbox on an ephemeral port,
//     with the sandbox's development secrets and in-memory sync state, so
//     every invoke delivers afresh and touches nothing on disk.
func Invoke(ctx context.Context, o InvokeOptions) (*InvokeResult, error) {
	o = o.withDefaults()
	ms, err := loadMappings(o.Mappings)
	if err != nil {
		return nil, err
	}
	fn, err := ResolveFunction(o.Function, ms)
	if err != nil {
		return nil, err
	}
	res := &InvokeResult{Function: fn}
	switch {
	case fn.LogicalID == VerifierFunctionID:
		res.Response, res.Records, res.DeadLetters, err = invokeVerifier(ctx, o, ms)
	case fn.LogicalID == JobsFunctionID:
		res.Response, res.Records, err = invokeJobs(ctx, o, ms)
	case fn.LogicalID == CognitoFunctionID:
		res.Response, err = invokeCognito(ctx, o, ms)
	case fn.Target == "":
		res.Response, err = invokeIngress(ctx, o, ms)
	default:
		res.Response, res.Records, res.DeadLetters, err = invokeSync(ctx, o, ms, fn.Target)
	}
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", fn.LogicalID, err)
	}
	return res, nil
}

func (o InvokeOptions) withDefaults() InvokeOptions {
	if o.DataDir == "" {
		o.DataDir = ".profilesync"
	}
	if o.URL == "" {
		o.URL = "http://127.0.0.1:3000"
	}
	o.URL = strings.TrimRight(o.URL, "/")
	if o.Sources == nil {
		o.Sources = DefaultSources
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

func invokeIngress(ctx context.Context, o InvokeOptions, ms *mapping.Set) (json.RawMessage, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(o.Event, &ev); err != nil {
		return nil, fmt.Errorf("event is not an API Gateway HTTP API (v2) request: %w", err)
	}
	fillSourceParameter(&ev)
	dir := filepath.Join(o.DataDir, "secrets")
	wrote, err := WriteDevSecrets(dir)
	if err != nil {
		return nil, fmt.Errorf("write development secrets: %w", err)
	}
	if len(wrote) > 0 {
		o.Log.Info("wrote sandbox development secrets", "dir", dir, "names", wrote)
	}
	rules, err := LoadRules(o.Mappings)
	if err != nil {
		return nil, err
	}
	db, queues, err := OpenQueues(o.DataDir, ms, rules, 0)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	hc, err := sandboxClient(o.URL)
	if err != nil {
		return nil, err
	}
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: FileSecrets{Dir: dir, BaseURL: o.URL}, HTTP: hc, Log: o.Log,
		Now: func() time.Time { return o.Now }}
	archive := local.NewArchive(db) // on the invocation's clock, so --now does not expire it at once
	archive.Now = fn.Now
	h, err := wiring.Ingress(ctx, wiring.IngressPorts{Function: fn, Queue: queues, Bodies: bodies(o.DataDir), Rules: rules, Archive: archive,
		Erasures: local.NewSyncLog(db, 0)})
	if err != nil {
		return nil, err
	}
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// fillSourceParameter sets the {source} path parameter from the path when
// an event written by hand has none, as API Gateway would.
func fillSourceParameter(ev *events.APIGatewayV2HTTPRequest) {
	if ev.PathParameters["source"] != "" {
		return
	}
	p := ev.RawPath
	if p == "" {
		p = ev.RequestContext.HTTP.Path
	}
	if name, ok := strings.CutPrefix(p, "/webhooks/"); ok && name != "" && !strings.Contains(name, "/") {
		if ev.PathParameters == nil {
			ev.PathParameters = map[string]string{}
		}
		ev.PathParameters["source"] = name
	}
}

// sandboxClient answers requests to base's sandbox paths from an
// in-process sandbox and sends every other request out as usual.
func sandboxClient(base string) (*http.Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("stack URL %q: want http://host:port", base)
	}
	sb, err := sandbox.New()
	if err != nil {
		return nil, err
	}
	t := &sandboxTransport{host: u.Host, sandbox: sb, next: egress.NewTransport(egress.Local)}
	return &http.Client{Transport: t, Timeout: 20 * time.Second, CheckRedirect: egress.Client(egress.Local, 0).CheckRedirect}, nil
}

type sandboxTransport struct {
	host    string
	sandbox http.Handler
	next    *egress.Transport
}

// EgressPolicy is the policy of the calls that leave the process, so
// connectors check their base URLs against it (egress.PolicyOf).
func (t *sandboxTransport) EgressPolicy() egress.Policy { return t.next.EgressPolicy() }

func (t *sandboxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != t.host || !strings.HasPrefix(r.URL.Path, sandbox.Prefix+"/") {
		return t.next.RoundTrip(r)
	}
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	in.Host = r.URL.Host
	rec := httptest.NewRecorder()
	t.sandbox.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func invokeSync(ctx context.Context, o InvokeOptions, ms *mapping.Set, target string) (json.RawMessage, json.RawMessage, []delivery.DeadMessage, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(o.Event, &ev); err != nil {
		return nil, nil, nil, fmt.Errorf("event is not an SQS event: %w", err)
	}
	if len(ev.Records) == 0 {
		return nil, nil, nil, errors.New("SQS event has no records")
	}
	base, stop, err := serveSandbox(o.Log)
	if err != nil {
		return nil, nil, nil, err
	}
	defer stop()
	q := &delivery.MemoryQueue{}
	h, err := wiring.Sync(ctx, invokePorts(o, ms, target, base, q))
	if err != nil {
		return nil, nil, nil, err
	}
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		return nil, nil, nil, err
	}
	if resp.BatchItemFailures == nil {
		resp.BatchItemFailures = []events.SQSBatchItemFailure{} // Lambda prints [] too
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, nil, nil, err
	}
	recs, err := SandboxRecords(ctx, egress.Client(egress.Local, 10*time.Second), base, target)
	if errors.Is(err, errNoFake) {
		return out, nil, q.Dead(), nil
	}
	return out, recs, q.Dead(), err
}

// invokePorts are a one-shot sync function's ports: the sandbox's
// development secrets, in-memory state, and q, which keeps what the
// handler schedules or dead-letters, so an invoke touches nothing on disk.
func invokePorts(o InvokeOptions, ms *mapping.Set, target, base string, q *delivery.MemoryQueue) wiring.SyncPorts {
	state := &delivery.MemoryState{}
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: MemorySecrets(sandbox.DevSecrets(base)), HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: o.Log}
	return wiring.SyncPorts{Function: fn, Plugins: plugins.All, Target: target, State: state, Queue: q, Abandoned: q}
}

// serveSandbox serves a fresh sandbox on an ephemeral loopback port.
func serveSandbox(log *slog.Logger) (string, func(), error) {
	sb, err := sandbox.New()
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for the sandbox: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(sandbox.Prefix+"/", sb)
	srv := newServer(mux, ServerTimeouts{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("sandbox server stopped", "error", err.Error())
		}
	}()
	stop := func() {
		_ = srv.Close()
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

var errNoFake = errors.New("the sandbox has no fake of this target")

// SandboxRecords reads what the sandbox fake of target holds (GET
// <base>/sandbox/<target>/_sandbox/records).
func SandboxRecords(ctx context.Context, hc *http.Client, base, target string) (json.RawMessage, error) {
	u := strings.TrimRight(base, "/") + sandbox.Prefix + "/" + url.PathEscape(target) + "/_sandbox/records"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("GET %s: %w", u, errNoFake)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	case !json.Valid(b):
		return nil, fmt.Errorf("GET %s: answer is not JSON", u)
	}
	return b, nil
}

// invokeVerifier runs the claim verifier's Lambda handler (the same
// dispatcher: SQS, API Gateway or a schedule, by the event's shape) on a
// fresh sandbox with an in-memory store; Records are the decisions it
// recorded.
func invokeVerifier(ctx context.Context, o InvokeOptions, ms *mapping.Set) (json.RawMessage, json.RawMessage, []delivery.DeadMessage, error) {
	rules, err := LoadRules(o.Mappings)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(rules.All()) == 0 {
		return nil, nil, nil, errors.New("no claim rules: the verifier has nothing to check")
	}
	base, stop, err := serveSandbox(o.Log)
	if err != nil {
		return nil, nil, nil, err
	}
	defer stop()
	q, store := &delivery.MemoryQueue{}, claims.NewMemoryStore()
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: MemorySecrets(sandbox.DevSecrets(base)),
		HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: o.Log}
	v, err := verifier.New(ctx, verifier.Ports{Function: fn, Rules: rules, Authorities: authorities.Build, Store: store,
		Queue: q, Continue: &ingress.MemoryQueue{}})
	if err != nil {
		return nil, nil, nil, err
	}
	out, err := verifierfn.New(v, o.Log).Handle(ctx, o.Event)
	if err != nil {
		return nil, nil, nil, err
	}
	resp, err := json.Marshal(out)
	if err != nil {
		return nil, nil, nil, err
	}
	recs, err := json.Marshal(store.All())
	return resp, recs, q.Dead(), err
}

// invokeJobs runs the jobs function's Lambda handler (the same
// dispatcher: a Scheduler invocation or SQS continuations) on a fresh
// sandbox, with in-memory checkpoints and the files in a temporary
// directory; Records are the files it wrote, by name and size.
func invokeJobs(ctx context.Context, o InvokeOptions, ms *mapping.Set) (json.RawMessage, json.RawMessage, error) {
	set, err := LoadJobs(o.Mappings)
	if err != nil {
		return nil, nil, err
	}
	base, stop, err := serveSandbox(o.Log)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "profilesync-invoke-jobs-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: MemorySecrets(sandbox.DevSecrets(base)),
		HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: o.Log}
	q := &ingress.MemoryQueue{}
	r, err := jobsfn.New(ctx, jobsfn.Ports{Function: fn, Jobs: set, Checkpoints: jobs.NewMemoryCheckpoints(), Queue: q,
		Reconcile: jobsfn.ReconcilePorts{Queue: q},
		Destinations: func(_ context.Context, j *jobs.Job) (export.Destination, error) {
			d := filepath.Join(dir, j.Name)
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
			return dirdest.New(d)
		}})
	if err != nil {
		return nil, nil, err
	}
	out, err := jobsdispatch.New(r, o.Log).Handle(ctx, o.Event)
	if err != nil {
		return nil, nil, err
	}
	resp, err := json.Marshal(out)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]int64{}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				rel, _ := filepath.Rel(dir, p)
				files[filepath.ToSlash(rel)] = info.Size()
			}
		}
		return nil
	})
	recs, err := json.Marshal(map[string]any{"files": files, "queued": q.Len()})
	return resp, recs, err
}
