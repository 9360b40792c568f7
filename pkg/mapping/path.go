package mapping

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/profilesync/profilesync/internal/lazyregexp"
)

var segmentRE = lazyregexp.New(`^[A-Za-z0-9_$@-]+$`)

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

// step is one resolved segment of a profile path: a struct field (by
// index) or a map key.
type step struct {
	field     int           // struct field index, or -1 for a map key
	key       string        // map key
	keyV      reflect.Value // key as a reflect.Value, made once
	omitEmpty bool          // a zero value counts as absent (the JSON tag says omitempty)
}

// attrPath is a compiled profile path. A path the canonical profile cannot have
// compiles to a path that never has a value (and a warning at load).
type attrPath struct {
	src   string
	steps []step
	never bool
}

var envType = reflect.TypeOf(env{})

// compilePath resolves p against the profile's shape. It returns an error
// for a malformed path and a warning for one the profile does not have.
func compilePath(p string) (attrPath, error, string) {
	if err := checkPath(p); err != nil {
		return attrPath{}, err, ""
	}
	out := attrPath{src: p}
	t := envType
	segs := strings.Split(p, ".")
	for i, s := range segs {
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSON(t, s)
			if !ok {
				out.never = true
				where := "profile has no attribute " + quote(s) + " (custom attributes go under custom.)"
				if i > 0 {
					where = fmt.Sprintf("%s has no field %q; it has %s", strings.Join(segs[:i], "."), s, strings.Join(jsonFields(t), ", "))
				}
				return out, nil, where
			}
			_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			out.steps = append(out.steps, step{field: f.Index[0], omitEmpty: opts == "omitempty"})
			t = f.Type
		case reflect.Map:
			out.steps = append(out.steps, step{field: -1, key: s, keyV: reflect.ValueOf(s), omitEmpty: true})
			t = t.Elem()
		case reflect.Interface: // custom.* and claims.*.value: free-form below
			out.steps = append(out.steps, step{field: -1, key: s, keyV: reflect.ValueOf(s), omitEmpty: true})
		default:
			out.never = true
			return out, nil, fmt.Sprintf("%s is a single value; it has no field %q", strings.Join(segs[:i], "."), s)
		}
	}
	switch t.Kind() {
	case reflect.Map:
		if t.Elem().Kind() == reflect.Struct { // consents.<purpose> without a field
			out.never = true
			return out, nil, fmt.Sprintf("%s is a map of objects; name one and a field, e.g. %s.<name>.%s", p, p, jsonFields(t.Elem())[0])
		}
	case reflect.Struct:
		if t != reflect.TypeOf(time.Time{}) && t != reflect.TypeOf(addressEnv{}) {
			out.never = true
			return out, nil, fmt.Sprintf("%s is an object; name one of its fields: %s", p, strings.Join(jsonFields(t), ", "))
		}
	}
	return out, nil, ""
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, n)
	}
	return out
}

// get reads the path from v. Absent attributes (a zero value of an
// omitempty field, a missing key, nil) report false, as the profile's JSON
// would leave them out.
func (p *attrPath) get(v *env) (any, bool) {
	if p.never {
		return nil, false
	}
	cur := reflect.ValueOf(v).Elem()
	for i, s := range p.steps {
		if cur.Kind() == reflect.Interface {
			if cur.IsNil() {
				return nil, false
			}
			if m, ok := cur.Interface().(map[string]any); ok { // custom.*: plain Go from here
				return lookupAny(m, p.steps[i:])
			}
			cur = cur.Elem()
		}
		switch {
		case s.field >= 0:
			cur = cur.Field(s.field)
		case cur.Kind() == reflect.Map && cur.Type().Key().Kind() == reflect.String:
			if m, ok := cur.Interface().(map[string]any); ok {
				return lookupAny(m, p.steps[i:])
			}
			cur = cur.MapIndex(s.keyV)
		default:
			return nil, false
		}
		if !cur.IsValid() || (s.omitEmpty && cur.IsZero()) {
			return nil, false
		}
	}
	if cur.Kind() == reflect.Interface && cur.IsNil() {
		return nil, false
	}
	switch cur.Kind() { // skip reflect's copy for the common leaves
	case reflect.String:
		return cur.String(), true
	case reflect.Bool:
		return cur.Bool(), true
	}
	out := cur.Interface()
	switch x := out.(type) {
	case time.Time:
		if x.IsZero() {
			return nil, false
		}
	case addressEnv: // the whole address, as the profile's JSON has it
		return structMap(cur), true
	}
	return out, true
}

// lookupAny walks free-form JSON values (custom.*) without reflection.
func lookupAny(m map[string]any, steps []step) (any, bool) {
	var cur any = m
	for _, s := range steps {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[s.key]; !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

// structMap turns a struct of strings into a map without its empty fields.
func structMap(v reflect.Value) map[string]any {
	out := map[string]any{}
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); !f.IsZero() {
			n, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			out[n] = f.Interface()
		}
	}
	return out
}

// setPath writes v at a dotted path, creating nested maps.
func setPath(dst map[string]any, p string, v any) { setSegs(dst, strings.Split(p, "."), v) }

func setSegs(dst map[string]any, segs []string, v any) {
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
