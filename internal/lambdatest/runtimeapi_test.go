package lambdatest

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runtimeClient speaks the Runtime API as a bootstrap does.
type runtimeClient struct{ base string }

func newRuntime(t *testing.T) (*RuntimeAPI, runtimeClient) {
	t.Helper()
	api, err := NewRuntimeAPI("arn:aws:lambda:us-east-1:123456789012:function:probe")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	return api, runtimeClient{"http://" + api.Addr() + "/2018-06-01/runtime"}
}

func (c runtimeClient) next(t *testing.T) (http.Header, string) {
	t.Helper()
	resp, err := http.Get(c.base + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("next: %s %s", resp.Status, b)
	}
	return resp.Header, string(b)
}

func (c runtimeClient) post(t *testing.T, path string, body io.Reader, trailer http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Trailer = trailer
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type outcome struct {
	resp, errPayload []byte
	err              error
}

// invokeAsync runs Invoke in the background; read its outcome from the channel.
func invokeAsync(ctx context.Context, api *RuntimeAPI, payload string) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		r, e, err := api.Invoke(ctx, []byte(payload))
		ch <- outcome{r, e, err}
	}()
	return ch
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRuntimeAPIResponse(t *testing.T) {
	api, c := newRuntime(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	done := invokeAsync(ctx, api, `{"n":1}`)

	h, body := c.next(t)
	id := h.Get("Lambda-Runtime-Aws-Request-Id")
	if body != `{"n":1}` || !uuidPattern.MatchString(id) {
		t.Fatalf("next handed out id %q body %q", id, body)
	}
	if ms, _ := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); ms != deadline.UnixMilli() {
		t.Errorf("deadline %d, want %d", ms, deadline.UnixMilli())
	}
	if h.Get("Lambda-Runtime-Invoked-Function-Arn") != api.FunctionARN || !strings.HasPrefix(h.Get("Lambda-Runtime-Trace-Id"), "Root=1-") {
		t.Errorf("headers %v", h)
	}
	if code := c.post(t, "/invocation/"+id+"/response", strings.NewReader(`"ok"`), nil); code != http.StatusAccepted {
		t.Fatalf("response: status %d", code)
	}
	if o := <-done; o.err != nil || string(o.resp) != `"ok"` || o.errPayload != nil {
		t.Fatalf("Invoke = %q, %q, %v", o.resp, o.errPayload, o.err)
	}
	if code := c.post(t, "/invocation/"+id+"/response", strings.NewReader(`"again"`), nil); code != http.StatusBadRequest {
		t.Errorf("second response for %s: status %d, want 400", id, code)
	}
}

func TestRuntimeAPIErrors(t *testing.T) {
	api, c := newRuntime(t)
	const fnErr = `{"errorMessage":"boom","errorType":"errorString"}`

	done := invokeAsync(t.Context(), api, `{}`)
	h, _ := c.next(t)
	c.post(t, "/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/error", strings.NewReader(fnErr), nil)
	if o := <-done; o.err != nil || string(o.errPayload) != fnErr || o.resp != nil {
		t.Errorf("error post: Invoke = %q, %q, %v", o.resp, o.errPayload, o.err)
	}

	// A streamed response that failed midway reports the error in trailers.
	done = invokeAsync(t.Context(), api, `{}`)
	h, _ = c.next(t)
	trailer := http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
	body := &trailingReader{r: strings.NewReader("partial"), set: func() {
		trailer.Set("Lambda-Runtime-Function-Error-Type", "errorString")
		trailer.Set("Lambda-Runtime-Function-Error-Body", base64.StdEncoding.EncodeToString([]byte(fnErr)))
	}}
	c.post(t, "/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", body, trailer)
	if o := <-done; o.err != nil || string(o.errPayload) != fnErr || o.resp != nil {
		t.Errorf("trailer error: Invoke = %q, %q, %v", o.resp, o.errPayload, o.err)
	}

	if code := c.post(t, "/init/error", strings.NewReader(`{"errorType":"Runtime.Init"}`), nil); code != http.StatusAccepted {
		t.Errorf("init error: status %d", code)
	}
	if got := string(api.InitError()); got != `{"errorType":"Runtime.Init"}` {
		t.Errorf("InitError() = %q", got)
	}
}

func TestRuntimeAPIDeadline(t *testing.T) {
	api, c := newRuntime(t)
	// Nobody polls: the invocation expires in the queue...
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := api.Invoke(ctx, []byte(`"stale"`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke err = %v, want deadline exceeded", err)
	}
	// ...and is never handed out: the next poll gets the fresh one.
	done := invokeAsync(t.Context(), api, `"fresh"`)
	h, body := c.next(t)
	if body != `"fresh"` {
		t.Fatalf("next handed out %q, want the fresh invocation", body)
	}
	c.post(t, "/invocation/"+h.Get("Lambda-Runtime-Aws-Request-Id")+"/response", strings.NewReader(`1`), nil)
	if o := <-done; o.err != nil {
		t.Fatal(o.err)
	}
}

func TestRuntimeAPIClose(t *testing.T) {
	api, _ := newRuntime(t)
	pending := invokeAsync(context.Background(), api, `{}`) // no deadline, nobody polls
	if err := api.Close(); err != nil {
		t.Fatal(err)
	}
	if o := <-pending; !errors.Is(o.err, ErrClosed) {
		t.Fatalf("pending Invoke err = %v, want ErrClosed", o.err)
	}
	if _, _, err := api.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Invoke after Close err = %v, want ErrClosed", err)
	}
}

// trailingReader calls set just before it reports EOF, as the Lambda Go
// runtime fills its error trailers when a streamed body fails.
type trailingReader struct {
	r   io.Reader
	set func()
}

func (t *trailingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.EOF && t.set != nil {
		t.set()
		t.set = nil
	}
	return n, err
}
