package mapping

import (
	"errors"
	"fmt"

	"github.com/profilesync/profilesync/pkg/profile"
)

// ErrNoKey is returned when the profile has no value at the mapping's key path.
var ErrNoKey = errors.New("profile has no value at the key path")

// Record maps a profile to the target's record: its key and its fields.
// Attributes the profile does not have are left out (not sent as null), so
// an upsert never blanks a field the source simply did not send. It applies
// no scope or consent rule; Decide does.
func (m *Mapping) Record(r *Rules, p *profile.Profile) (string, map[string]any, error) {
	if err := m.canEvaluate(); err != nil {
		return "", nil, err
	}
	v := borrowEnv(p, nil)
	defer v.release()
	key, fields, _, err := m.record(r, v)
	return key, fields, err
}

// record builds the record, and reports the fields left out (or given
// their default) because a transform could not convert their value.
func (m *Mapping) record(r *Rules, v *env) (key string, out map[string]any, dropped []Dropped, err error) {
	key, err = m.key(v)
	if err != nil {
		return "", nil, nil, err
	}
	out = make(map[string]any, r.topKeys)
	for i := range r.plan {
		o := &r.plan[i]
		if o.spec == nil {
			setSegs(out, o.segs, o.value)
			continue
		}
		val, ok, failed, err := o.spec.eval(v)
		if err != nil {
			return "", nil, nil, fmt.Errorf("%s field %s: %w", m.Name, o.to, err)
		}
		if failed != "" {
			dropped = append(dropped, Dropped{Field: o.to, Transform: failed, Default: ok})
		}
		if ok {
			setSegs(out, o.segs, val)
		}
	}
	return key, out, dropped, nil
}

func (m *Mapping) key(v *env) (string, error) {
	key, ok := m.keyPath.get(v)
	if !ok || empty(key) {
		return "", fmt.Errorf("%w %q", ErrNoKey, m.Key)
	}
	return checkedKey(m, stringOf(key))
}

// checkedKey refuses a key that is not text (profile.ErrInvalidKey): a
// profile fetched as JSON has had its invalid bytes turned into U+FFFD, and
// a record keyed on that is not the sender's record.
func checkedKey(m *Mapping, key string) (string, error) {
	if err := profile.CheckKey(fmt.Sprintf("record key (%s)", m.Key), key); err != nil {
		return "", err
	}
	return key, nil
}

// KeyOf returns the record key for a subject with no profile at hand (a
// delete): the subject itself when the key path is "sub".
func (m *Mapping) KeyOf(e profile.Event) (string, error) {
	if m.Key == "sub" {
		return checkedKey(m, e.Subject)
	}
	if e.Profile != nil {
		return m.key(newEnv(e.Profile, &e))
	}
	return "", fmt.Errorf("%w %q: a delete carries no profile; key deletes on sub", ErrNoKey, m.Key)
}
