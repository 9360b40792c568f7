package devstack

import (
	"io/fs"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

func loadMappings(fsys fs.FS) (*mapping.Set, error) {
	if fsys == nil {
		fsys = mappings.FS
	}
	return plugins.All.LoadMappings(fsys, ".")
}

// OpenQueues opens the local database in dataDir with one queue (and DLQ)
// per mapping, as the local stack runs them. visibility 0 means the default.
func OpenQueues(dataDir string, ms *mapping.Set, visibility time.Duration) (*local.DB, *local.Queues, error) {
	db, err := local.Open(dataDir)
	if err != nil {
		return nil, nil, err
	}
	var cfgs []local.QueueConfig
	for _, m := range ms.All() {
		// The same default as the deployed template, so local retries
		// behave as they will on AWS.
		cfgs = append(cfgs, local.QueueConfig{Target: m.Name, VisibilityTimeout: visibility,
			MaxReceiveCount: delivery.Policy{}.ForTarget(m.Delivery).Receives()})
	}
	queues, err := local.NewQueues(db, cfgs...)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, queues, nil
}
