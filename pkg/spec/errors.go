package spec

import (
	"fmt"
	"strings"
)

// Path locates a key inside a settings block or a secret, outermost
// first: ["requests", "upsert", "method"]. A list element is "[i]".
type Path []string

// String joins the path as it reads in a message: requests.upsert.method,
// list_ids[2].
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 && !strings.HasPrefix(e, "[") {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}

// Index is the path element of list element i.
func Index(i int) string { return fmt.Sprintf("[%d]", i) }

// Error is one problem with one key. Msg never quotes the value: it may be
// a secret.
type Error struct {
	Path Path
	Msg  string
	// Value is true when the value is at fault (a bad type or enum),
	// false when the key itself is (unknown, missing). A mapping reports
	// the first at the value's position, the second at the key's.
	Value bool
}

func (e *Error) Error() string { return fmt.Sprintf("field %q: %s", e.Path.String(), e.Msg) }

// SettingPath is the path of the offending key; pkg/mapping finds its
// YAML node through it.
func (e *Error) SettingPath() []string { return e.Path }

// AtValue says whether the value (not the key) is at fault.
func (e *Error) AtValue() bool { return e.Value }

// Errorf returns an *Error about the value at path. Callers pass values
// in a only when they are not secret.
func Errorf(path Path, format string, a ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, a...), Value: true}
}

// At is a Path from its elements.
func At(elems ...string) Path { return Path(elems) }

// Leaves lists the errors inside err: the members of errors.Join (at any
// depth) or err itself.
func Leaves(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, Leaves(e)...)
	}
	return out
}
