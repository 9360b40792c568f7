package delivery

import (
	"context"
	"sync"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/target"
)

// failSecond injects a permanent failure on the second upsert, a failure
// the Salesforce fake cannot target at one record of a batch.
type failSecond struct {
	inner target.Connector
	mu    sync.Mutex
	n     int
}

func (f *failSecond) Upsert(ctx context.Context, r target.Record) (target.Result, error) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if n == 2 {
		return target.Result{}, fault.New(fault.Permanent, 400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "rejected by a validation rule")
	}
	return f.inner.Upsert(ctx, r)
}

func (f *failSecond) Delete(ctx context.Context, r target.Record) error {
	return f.inner.Delete(ctx, r)
}
