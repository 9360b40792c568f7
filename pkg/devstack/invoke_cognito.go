package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/source/cognito"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// invokeCognito runs the Cognito trigger's handler on a trigger event, as
// functions/cognito does: the user pool is the "cognito" secret's (the
// deployed function has it as COGNITO_USER_POOL_ID), and the events go
// to the SQLite queues in DataDir, like the ingress's. The response is
// what Cognito gets back: the event, unchanged.
func invokeCognito(ctx context.Context, o InvokeOptions, ms *mapping.Set) (json.RawMessage, error) {
	if !json.Valid(o.Event) {
		return nil, errors.New("event is not JSON (a Cognito trigger event)")
	}
	dir := filepath.Join(o.DataDir, "secrets")
	if _, err := WriteDevSecrets(dir); err != nil {
		return nil, fmt.Errorf("write development secrets: %w", err)
	}
	secrets := FileSecrets{Dir: dir, BaseURL: o.URL}
	raw, err := secrets.Secret(ctx, cognito.Kind)
	if err != nil {
		return nil, err
	}
	cfg, err := cognito.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", cognito.Kind, err)
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
	fn := wiring.Function{Mappings: ms, Secrets: secrets, Log: o.Log, Now: func() time.Time { return o.Now }}
	t, err := wiring.CognitoTrigger(ctx, wiring.IngressPorts{Function: fn, Queue: queues, Bodies: bodies(o.DataDir), Rules: rules}, cfg)
	if err != nil {
		return nil, err
	}
	return t.Handle(ctx, o.Event)
}
