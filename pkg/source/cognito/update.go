package cognito

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/pkg/fault"
)

// Update implements source.Updater: each key becomes the custom attribute
// custom:<key> (it must exist in the pool's schema, else Cognito's
// InvalidParameterException, a permanent fault), set with
// AdminUpdateUserAttributes to the value's text (see attributeValue);
// nil values are removed with AdminDeleteUserAttributes.
func (f *Fetcher) Update(ctx context.Context, subject string, attrs map[string]any) error {
	if len(attrs) == 0 {
		return nil
	}
	u, err := f.bySub(ctx, subject)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var set []attribute
	var del []string
	for _, k := range keys {
		if k == "" || strings.HasPrefix(k, customPrefix) {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("cognito update: attribute %q: want the name without %q", k, customPrefix))
		}
		v := attrs[k]
		if v == nil {
			del = append(del, customPrefix+k)
			continue
		}
		s, ok := attributeValue(v)
		if !ok {
			return fault.New(fault.Permanent, 0, "", fmt.Sprintf("cognito update: attribute %q: value not encodable", k))
		}
		set = append(set, attribute{Name: customPrefix + k, Value: s})
	}
	if len(set) > 0 {
		in := map[string]any{"UserPoolId": f.cfg.UserPoolID, "Username": u.Username, "UserAttributes": set}
		if err := f.api.call(ctx, "AdminUpdateUserAttributes", in, nil); err != nil {
			return err
		}
	}
	if len(del) > 0 {
		in := map[string]any{"UserPoolId": f.cfg.UserPoolID, "Username": u.Username, "UserAttributeNames": del}
		if err := f.api.call(ctx, "AdminDeleteUserAttributes", in, nil); err != nil {
			return err
		}
	}
	return nil
}
