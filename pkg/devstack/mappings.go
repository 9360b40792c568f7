package devstack

import (
	"io/fs"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
	authorities "github.com/profilesync/profilesync/pkg/claims/authority/registry"
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

// LoadRules loads the claim rules below claims/ of fsys (nil: the
// embedded ones) with the authority registry's settings checks: none
// when the directory is missing.
func LoadRules(fsys fs.FS) (*claims.RuleSet, error) {
	if fsys == nil {
		fsys = mappings.FS
	}
	return claims.Loader{CheckSettings: authorities.CheckSettings}.LoadFS(fsys, claims.RulesDir)
}

// OpenQueues opens the local database in dataDir with one queue (and DLQ)
// per mapping, and the claim verifier's when there are rules, as the local
// stack runs them. visibility 0 means the default.
func OpenQueues(dataDir string, ms *mapping.Set, rules *claims.RuleSet, visibility time.Duration) (*local.DB, *local.Queues, error) {
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
	if len(rules.All()) > 0 {
		cfgs = append(cfgs, local.QueueConfig{Target: claims.QueueName, VisibilityTimeout: visibility,
			MaxReceiveCount: delivery.Policy{Budget: rules.RetryFor()}.Receives()})
	}
	queues, err := local.NewQueues(db, cfgs...)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, queues, nil
}
