package delivery

import (
	"context"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// failSecond injects a permanent failure on the second upsert, a failure
// the Salesforce fake cannot target at one record of a batch.
type failSecond struct {
	inner connector.Connector
	mu    sync.Mutex
	n     int
}

func (f *failSecond) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if n == 2 {
		return connector.Result{}, fault.New(fault.Permanent, 400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "rejected by a validation rule")
	}
	return f.inner.Upsert(ctx, r)
}

func (f *failSecond) Delete(ctx context.Context, r connector.Record) error {
	return f.inner.Delete(ctx, r)
}

// failWith fails every call with err.
type failWith struct{ err error }

func (f *failWith) Upsert(context.Context, connector.Record) (connector.Result, error) {
	return connector.Result{}, f.err
}
func (f *failWith) Delete(context.Context, connector.Record) error { return f.err }

type deadLetterFunc func() error

func (f deadLetterFunc) DeadLetter(context.Context, events.SQSMessage, Reason) error { return f() }

// failKeys fails the calls for some record keys with their error and
// passes the rest to inner.
type failKeys struct {
	inner connector.Connector
	errs  map[string]error
}

func (f *failKeys) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if err := f.errs[r.Key]; err != nil {
		return connector.Result{}, err
	}
	return f.inner.Upsert(ctx, r)
}

func (f *failKeys) Delete(ctx context.Context, r connector.Record) error {
	if err := f.errs[r.Key]; err != nil {
		return err
	}
	return f.inner.Delete(ctx, r)
}
