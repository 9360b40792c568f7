package samgen

import (
	"fmt"

	"github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// Queue batch sizes for the SQS event source. A connector that takes many
// records per API call (registry.Kind.MaxBatch > 0, a connector.Batcher) gets
// batches as large as one call takes, capped at MaxBatchSize, gathered for
// up to DefaultBatchingWindow seconds; the handler (pkg/delivery) groups
// each batch into calls of at most MaxBatch records.
const (
	// DefaultBatchSize is Lambda's SQS default, and the most it allows
	// without a batching window.
	DefaultBatchSize = 10
	// MaxBatchSize caps a batching connector's batch: the handler still
	// reads state, fetches profiles and sends deletes one record at a time,
	// and the whole batch must fit in one function Timeout.
	MaxBatchSize = 100
	// DefaultBatchingWindow is how long, in seconds, Lambda gathers
	// messages for a batching connector before it invokes the function:
	// long enough to fill batches under steady traffic, short enough that a
	// lone change still lands within seconds. Mappings have no setting for
	// it yet; Options.BatchingWindow overrides it.
	DefaultBatchingWindow = 5
	// maxBatchingWindow is the most SQS event sources allow.
	maxBatchingWindow = 300
)

// batching is how the SQS event source of one target batches.
type batching struct {
	connector string // the mapping's connector kind
	maxBatch  int    // records per API call; 0 if the connector does not batch
	size      int    // BatchSize
	window    int    // MaximumBatchingWindowInSeconds; 0 for none
}

// batchingOf sizes m's queue batches from its connector kind, then applies
// opts.BatchingWindow.
func batchingOf(m *mapping.Mapping, opts Options) (batching, error) {
	b := batching{connector: m.Connector, size: DefaultBatchSize}
	// Matches pkg/delivery, which groups only for a MaxBatch of 2 or more.
	if k, ok := registry.Lookup(m.Connector); ok && k.MaxBatch > 1 {
		b.maxBatch = k.MaxBatch
		b.size, b.window = min(k.MaxBatch, MaxBatchSize), DefaultBatchingWindow
	}
	if opts.BatchingWindow != nil {
		b.window = opts.BatchingWindow(m)
	}
	switch {
	case b.window < 0 || b.window > maxBatchingWindow:
		return batching{}, fmt.Errorf("%s: batching window %d s outside 0-%d", m.File, b.window, maxBatchingWindow)
	case b.size > DefaultBatchSize && b.window < 1:
		// Lambda refuses the event source mapping otherwise.
		return batching{}, fmt.Errorf("%s: BatchSize %d needs a batching window of at least 1 s", m.File, b.size)
	}
	return b, nil
}

// BatchSize is the queue batch size the template gives m's sync function,
// for the local runtime to poll the same way.
func BatchSize(m *mapping.Mapping) int {
	b, err := batchingOf(m, Options{})
	if err != nil {
		return DefaultBatchSize
	}
	return b.size
}
