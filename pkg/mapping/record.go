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
// an upsert never blanks a field the source simply did not send.
func (m *Mapping) Record(r *Rules, p *profile.Profile) (string, map[string]any, error) {
	doc, err := NewDocument(p)
	if err != nil {
		return "", nil, fmt.Errorf("encode profile: %w", err)
	}
	key, ok := doc.Lookup(m.Key)
	if !ok || key == nil || key == "" {
		return "", nil, fmt.Errorf("%w %q", ErrNoKey, m.Key)
	}
	out := make(map[string]any, len(r.fields)+len(r.constants))
	for to, from := range r.fields {
		if v, ok := doc.Lookup(from); ok {
			setPath(out, to, v)
		}
	}
	for to, v := range r.constants {
		setPath(out, to, v)
	}
	return fmt.Sprint(key), out, nil
}

// KeyOf returns the record key for a subject with no profile at hand (a
// delete): the subject itself when the key path is "sub".
func (m *Mapping) KeyOf(e profile.Event) (string, error) {
	if m.Key == "sub" {
		return e.Subject, nil
	}
	if e.Profile != nil {
		key, _, err := m.Record(m.RulesFor(e), e.Profile)
		return key, err
	}
	return "", fmt.Errorf("%w %q: a delete carries no profile; key deletes on sub", ErrNoKey, m.Key)
}
