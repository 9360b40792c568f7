// Package lambdatest runs the shipped Lambda binaries (functions/*) the way
// the Lambda service does: built like `make build`, started as child
// processes that poll a Lambda Runtime API, talking to moto_server and the
// sandbox fakes. It also checks what the deployment binaries link.
//
// It holds tests and the Runtime API stand-in they drive (RuntimeAPI);
// nothing here ships, and unit tests of the handlers belong in pkg/.
package lambdatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Runtime API wire names (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	apiPrefix            = "/2018-06-01/runtime"
	headerRequestID      = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS     = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN    = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID        = "Lambda-Runtime-Trace-Id"
	trailerErrorType     = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody     = "Lambda-Runtime-Function-Error-Body"
	maxResponseBytes     = 6 << 20 // synchronous invocation payload limit
	defaultInvokeTimeout = 30 * time.Second
	queueDepth           = 16
)

// ErrClosed reports an Invoke on, or interrupted by, a closed RuntimeAPI.
var ErrClosed = errors.New("runtime api closed")

// RuntimeAPI is a stand-in for the Lambda Runtime API a function's bootstrap
// polls (AWS_LAMBDA_RUNTIME_API): one execution environment, invocations
// handed out one per GET .../invocation/next, results posted back. It
// listens on 127.0.0.1 and is safe for concurrent use.
type RuntimeAPI struct {
	// FunctionARN is sent as Lambda-Runtime-Invoked-Function-Arn.
	FunctionARN string
	// Timeout bounds an Invoke whose context has no deadline (the
	// template's function Timeout, 30 s, when zero).
	Timeout time.Duration

	ln        net.Listener
	srv       *http.Server
	queue     chan *invocation
	closed    chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	inflight  map[string]*invocation // queued or handed out, by request id
	initError []byte
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	traceID  string
	ctx      context.Context // the Invoke's: once done, nobody wants a result
	done     chan result     // buffered: the one result never blocks
}

type result struct {
	response   []byte
	errPayload []byte
}

// NewRuntimeAPI starts a Runtime API on 127.0.0.1 and a free port. Close it
// when done.
func NewRuntimeAPI(functionARN string) (*RuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api: listen: %w", err)
	}
	a := &RuntimeAPI{
		FunctionARN: functionARN,
		ln:          ln,
		queue:       make(chan *invocation, queueDepth),
		closed:      make(chan struct{}),
		inflight:    map[string]*invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", a.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) { a.result(w, r, false) })
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) { a.result(w, r, true) })
	mux.HandleFunc("POST "+apiPrefix+"/init/error", a.initFailed)
	// No WriteTimeout: /next is a long poll by design.
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Addr is the host:port to put in AWS_LAMBDA_RUNTIME_API.
func (a *RuntimeAPI) Addr() string { return a.ln.Addr().String() }

// Close stops the server. Pending Invokes return ErrClosed and blocked
// /next polls get 500, which tells a runtime to exit.
func (a *RuntimeAPI) Close() error {
	var err error
	a.closeOnce.Do(func() {
		close(a.closed)
		err = a.srv.Close()
	})
	return err
}

// InitError is the body a runtime posted to /runtime/init/error, or nil.
func (a *RuntimeAPI) InitError() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return bytes.Clone(a.initError)
}

// Invoke queues payload as one invocation and waits for the runtime's
// result: response is what it posted to .../response, errPayload what it
// posted to .../error (a function error, not a Go error). err is set when no
// result came: ctx ended (its deadline, or Timeout, is the invocation's
// Lambda-Runtime-Deadline-Ms) or the API closed.
func (a *RuntimeAPI) Invoke(ctx context.Context, payload []byte) (response, errPayload []byte, err error) {
	if _, ok := ctx.Deadline(); !ok {
		timeout := a.Timeout
		if timeout <= 0 {
			timeout = defaultInvokeTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	inv := &invocation{
		id:       newRequestID(),
		payload:  bytes.Clone(payload),
		deadline: deadline,
		traceID:  newTraceID(),
		ctx:      ctx,
		done:     make(chan result, 1),
	}
	a.mu.Lock()
	a.inflight[inv.id] = inv
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.inflight, inv.id)
		a.mu.Unlock()
	}()
	select {
	case a.queue <- inv:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("invoke %s: not queued: %w", inv.id, context.Cause(ctx))
	case <-a.closed:
		return nil, nil, fmt.Errorf("invoke %s: %w", inv.id, ErrClosed)
	}
	select {
	case res := <-inv.done:
		return res.response, res.errPayload, nil
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("invoke %s: no result: %w", inv.id, context.Cause(ctx))
	case <-a.closed:
		return nil, nil, fmt.Errorf("invoke %s: %w", inv.id, ErrClosed)
	}
}

// next hands out the oldest queued invocation whose caller still waits,
// blocking until there is one, the API closes or the runtime hangs up.
func (a *RuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	for {
		select {
		case inv := <-a.queue:
			if inv.ctx.Err() != nil {
				continue // its Invoke gave up while it sat in the queue
			}
			h := w.Header()
			h.Set(headerRequestID, inv.id)
			h.Set(headerDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
			h.Set(headerFunctionARN, a.FunctionARN)
			h.Set(headerTraceID, inv.traceID)
			h.Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(inv.payload)
			return
		case <-a.closed:
			writeAPIError(w, http.StatusInternalServerError, "Runtime.Closed", "runtime api closed; exit")
			return
		case <-r.Context().Done():
			return
		}
	}
}

// result takes a runtime's response or error for one invocation. A
// streamed response that failed midway carries its error in trailers.
func (a *RuntimeAPI) result(w http.ResponseWriter, r *http.Request, isError bool) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes+1))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", "read body")
		return
	}
	if len(body) > maxResponseBytes {
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "payload over 6 MB")
		return
	}
	a.mu.Lock()
	inv := a.inflight[id]
	delete(a.inflight, id)
	a.mu.Unlock()
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" in flight")
		return
	}
	var res result
	switch {
	case isError:
		res.errPayload = body
	case r.Trailer.Get(trailerErrorType) != "":
		res.errPayload, _ = base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		if len(res.errPayload) == 0 {
			res.errPayload = fmt.Appendf(nil, `{"errorType":%q}`, r.Trailer.Get(trailerErrorType))
		}
	default:
		res.response = body
	}
	inv.done <- res
	writeAccepted(w)
}

// initFailed records a runtime's init error report.
func (a *RuntimeAPI) initFailed(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", "read body")
		return
	}
	a.mu.Lock()
	a.initError = body
	a.mu.Unlock()
	writeAccepted(w)
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"errorType":%q,"errorMessage":%q}`, typ, msg)
}

// newRequestID is a random UUID (version 4), as Lambda's request ids are.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newTraceID is an X-Ray trace header, shaped as Lambda sends it.
func newTraceID() string {
	var root [12]byte
	var parent [8]byte
	_, _ = rand.Read(root[:])
	_, _ = rand.Read(parent[:])
	return fmt.Sprintf("Root=1-%08x-%x;Parent=%x;Sampled=0", time.Now().Unix(), root, parent)
}
