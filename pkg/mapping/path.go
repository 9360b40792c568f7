package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
)

var segmentRE = regexp.MustCompile(`^[A-Za-z0-9_$@-]+$`)

// checkPath validates a dotted path: non-empty segments of letters, digits,
// '_', '-', '$' and '@'.
func checkPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	for _, s := range strings.Split(p, ".") {
		if !segmentRE.MatchString(s) {
			return fmt.Errorf("bad path %q: segment %q", p, s)
		}
	}
	return nil
}

// profileFields are the JSON names of the canonical profile's fields, and
// for the structured ones the names below them ("*" means any key, then the
// listed names).
var profileFields = func() map[string][]string {
	out := map[string][]string{}
	t := reflect.TypeOf(profile.Profile{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = nil
	}
	out["address"] = jsonNames(reflect.TypeOf(profile.Address{}))
	out["consents"] = append([]string{"*"}, jsonNames(reflect.TypeOf(profile.Consent{}))...)
	out["claims"] = append([]string{"*"}, jsonNames(reflect.TypeOf(profile.Claim{}))...)
	out["custom"] = []string{"*", "*"} // free-form below custom
	return out
}()

func jsonNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// checkProfilePath rejects a path the canonical profile cannot have, so a
// typo such as "given_nmae" fails at load time.
func checkProfilePath(p string) error {
	if err := checkPath(p); err != nil {
		return err
	}
	segs := strings.Split(p, ".")
	sub, ok := profileFields[segs[0]]
	if !ok {
		return fmt.Errorf("profile has no attribute %q (custom attributes are under custom.)", segs[0])
	}
	rest := segs[1:]
	switch {
	case sub == nil:
		if len(rest) > 0 {
			return fmt.Errorf("profile attribute %q has no sub-fields", segs[0])
		}
	case segs[0] == "custom":
		if len(rest) == 0 {
			return errors.New("name an attribute under custom, e.g. custom.loyalty_tier")
		}
	case sub[0] == "*": // consents.<purpose>.<field>, claims.<name>.<field>
		if len(rest) != 2 || !containsStr(sub[1:], rest[1]) {
			return fmt.Errorf("want %s.<name>.<one of %v>", segs[0], sub[1:])
		}
	default: // address.<field>
		if len(rest) > 1 || (len(rest) == 1 && !containsStr(sub, rest[0])) {
			return fmt.Errorf("want %s or %s.<one of %v>", segs[0], segs[0], sub)
		}
	}
	return nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Document is a profile decoded into plain JSON values, read by paths.
type Document map[string]any

// NewDocument converts p for path lookups.
func NewDocument(p *profile.Profile) (Document, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var d Document
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	return d, nil
}

// Lookup returns the value at a dotted path, or nil and false.
func (d Document) Lookup(p string) (any, bool) {
	var cur any = map[string]any(d)
	for _, s := range strings.Split(p, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[s]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// setPath writes v at a dotted path, creating nested maps.
func setPath(dst map[string]any, p string, v any) {
	segs := strings.Split(p, ".")
	for _, s := range segs[:len(segs)-1] {
		next, ok := dst[s].(map[string]any)
		if !ok {
			next = map[string]any{}
			dst[s] = next
		}
		dst = next
	}
	dst[segs[len(segs)-1]] = v
}
