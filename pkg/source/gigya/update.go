package gigya

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
)

var _ source.Updater = (*Fetcher)(nil)

// Update implements source.Updater with accounts.setAccountInfo and
// data={...}: Gigya merges the data object into the account's (nested
// objects deeply) and a null removes a field. Only the attributes that
// would change are sent, read first with getAccountInfo (include=data),
// and nothing is sent when none would: every setAccountInfo fires an
// accountUpdated webhook, and a write-back that changes nothing must not
// start another round.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if subject == "" {
		return fault.New(fault.Permanent, 0, "", "gigya update: empty subject")
	}
	if len(attrs) == 0 {
		return nil
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return fault.New(fault.Permanent, 0, "", "gigya update: attributes not encodable as JSON")
	}
	var want map[string]any
	_ = json.Unmarshal(raw, &want) // what Gigya will read
	a, err := f.account(ctx, subject, "data")
	if err != nil {
		return err
	}
	changed := map[string]any{}
	for k, v := range want {
		cur, ok := a.Data[k]
		if !unchanged(cur, ok, v) {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return nil
	}
	data, _ := json.Marshal(changed) // decoded from JSON above: always encodes
	_, env, err := f.call(ctx, "accounts.setAccountInfo", url.Values{"UID": {subject}, "data": {string(data)}})
	if err != nil && env != nil && env.ErrorCode == CodeUnauthorizedUID {
		return fmt.Errorf("gigya account %s: %w", subject, source.ErrNotFound)
	}
	return err
}

// unchanged reports whether merging v into cur (present or not) leaves
// it as it is. Values are as encoding/json decodes them.
func unchanged(cur any, present bool, v any) bool {
	switch x := v.(type) {
	case nil:
		return !present
	case map[string]any:
		m, ok := cur.(map[string]any)
		if !present || !ok {
			return false
		}
		for k, vv := range x {
			c, ok := m[k]
			if !unchanged(c, ok, vv) {
				return false
			}
		}
		return true
	}
	return present && reflect.DeepEqual(cur, v)
}
