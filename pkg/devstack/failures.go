package devstack

import (
	"context"
	"log/slog"
	"sync"
)

// retryScheduled is the sync handler's log message for a failed delivery
// it will retry (pkg/delivery); its attributes carry the failure's class.
const retryScheduled = "delivery failed; retry scheduled"

// failures remembers, per (target, event id), the class of the last failed
// delivery the stack's handlers logged, so an EventReport can say why a
// message is retrying. The queue keeps the attempts and the next attempt
// time but not the class, and the handler reports it only in its log;
// this watches the log rather than changing the handler. In memory: after
// a restart a retrying message shows its class again at its next failure.
type failures struct {
	mu   sync.Mutex
	last map[[2]string]string
}

func (f *failures) class(target, eventID string) string {
	if f == nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[[2]string{target, eventID}]
}

func (f *failures) record(target, eventID, class string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		f.last = map[[2]string]string{}
	}
	f.last[[2]string{target, eventID}] = class
}

// watch returns a logger that writes to next and tells f of every retry.
func (f *failures) watch(next *slog.Logger) *slog.Logger {
	return slog.New(failureHandler{f: f, next: next.Handler()})
}

type failureHandler struct {
	f     *failures
	next  slog.Handler
	attrs []slog.Attr // from WithAttrs, outside any group
}

func (h failureHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h failureHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == retryScheduled {
		var target, eventID, class string
		see := func(a slog.Attr) bool {
			switch a.Key {
			case "target":
				target = a.Value.String()
			case "event_id":
				eventID = a.Value.String()
			case "class":
				class = a.Value.String()
			}
			return true
		}
		for _, a := range h.attrs {
			see(a)
		}
		r.Attrs(see)
		if target != "" && eventID != "" {
			h.f.record(target, eventID, class)
		}
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h failureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return failureHandler{f: h.f, next: h.next.WithAttrs(as), attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}

// WithGroup stops watching: the handler's attributes are never grouped.
func (h failureHandler) WithGroup(name string) slog.Handler { return h.next.WithGroup(name) }
