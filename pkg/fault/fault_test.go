package fault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestHTTPClass(t *testing.T) {
	tests := []struct {
		status int
		want   Class
	}{
		{408, Transient}, {429, Throttled}, {500, Transient}, {502, Transient}, {503, Transient}, {504, Transient},
		{401, Auth}, {400, Permanent}, {403, Permanent}, {404, Permanent}, {409, Permanent}, {422, Permanent},
		{301, Permanent}, {302, Permanent},
	}
	for _, tt := range tests {
		if got := HTTPClass(tt.status); got != tt.want {
			t.Errorf("HTTPClass(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestFromHTTPRetryAfter(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		status int
		header string
		class  Class
		after  time.Duration
	}{
		{"429 seconds", 429, "7", Throttled, 7 * time.Second},
		{"503 with Retry-After is a throttle", 503, "30", Throttled, 30 * time.Second},
		{"503 without", 503, "", Transient, 0},
		{"429 HTTP date", 429, now.Add(2 * time.Minute).UTC().Format(http.TimeFormat), Throttled, 2 * time.Minute},
		{"garbage header ignored", 429, "soon", Throttled, 0},
		{"negative ignored", 429, "-5", Throttled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			e := FromHTTP(tt.status, h, "CODE", "msg")
			if e.Class != tt.class {
				t.Errorf("class %v, want %v", e.Class, tt.class)
			}
			// HTTP dates have one-second resolution.
			if d := e.RetryAfter - tt.after; d > time.Second || d < -time.Second {
				t.Errorf("retry after %v, want %v", e.RetryAfter, tt.after)
			}
		})
	}
}

func TestAsAndClassOf(t *testing.T) {
	if As(nil) != nil {
		t.Fatal("As(nil) != nil")
	}
	plain := errors.New("connection reset")
	if ClassOf(plain) != Transient || !Retryable(plain) {
		t.Error("unclassified errors must be transient")
	}
	wrapped := fmt.Errorf("upsert contact: %w", New(Permanent, 400, "INVALID_FIELD", "No such column"))
	if ClassOf(wrapped) != Permanent || Retryable(wrapped) {
		t.Error("wrapped permanent error lost its class")
	}
	if got := As(wrapped).Error(); got != "permanent (status 400) INVALID_FIELD: No such column" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(Wrap(Auth, plain), plain) {
		t.Error("Wrap must unwrap to the cause")
	}
}

func TestWaitAsksAgainWhileWaitingCanHelp(t *testing.T) {
	ctx := context.Background()
	calls := 0
	v, err := Wait(ctx, 5, func(context.Context) (int, error) {
		calls++
		if calls < 3 {
			return 0, &Error{Class: Throttled, Status: 429, RetryAfter: time.Millisecond}
		}
		return 7, nil
	})
	if err != nil || v != 7 || calls != 3 {
		t.Errorf("throttled twice: %d %v after %d calls", v, err, calls)
	}
	calls = 0
	_, err = Wait(ctx, 5, func(context.Context) (int, error) { calls++; return 0, New(Permanent, 400, "BAD", "bad") })
	if ClassOf(err) != Permanent || calls != 1 {
		t.Errorf("permanent: %v after %d calls", err, calls)
	}
	calls = 0
	_, err = Wait(ctx, 3, func(context.Context) (int, error) {
		calls++
		return 0, &Error{Class: Transient, Status: 503, RetryAfter: time.Millisecond}
	})
	if err == nil || calls != 3 {
		t.Errorf("down throughout: %v after %d calls, want 3", err, calls)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Wait(cctx, 5, func(context.Context) (int, error) { return 0, &Error{Class: Throttled, RetryAfter: time.Hour} })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: %v", err)
	}
}
