package webhook

import (
	"fmt"
	"strconv"
	"strings"
)

// Path is a compiled JSON path: dotted object keys with array indexes,
// e.g. identity.traits.email, data.users[0].id, items[2][1]. Keys holding a
// dot or a bracket cannot be addressed; no wildcards, no filters.
type Path struct {
	text  string
	steps []step
}

// step is one object key, or an array index when key is "".
type step struct {
	key   string
	index int
}

// ParsePath compiles text; an error says what is wrong, at which byte.
func ParsePath(text string) (Path, error) {
	if text == "" {
		return Path{}, fmt.Errorf("empty path")
	}
	p := Path{text: text}
	rest := text
	for rest != "" {
		// A key, up to the next dot or bracket.
		end := strings.IndexAny(rest, ".[")
		if end < 0 {
			end = len(rest)
		}
		// Every step starts with a key: at the start, or after a dot.
		if end == 0 {
			return Path{}, fmt.Errorf("empty key at byte %d", len(text)-len(rest))
		}
		if strings.ContainsRune(rest[:end], ']') {
			return Path{}, fmt.Errorf("stray ] at byte %d", len(text)-len(rest))
		}
		p.steps = append(p.steps, step{key: rest[:end]})
		rest = rest[end:]
		// Any indexes after it.
		for strings.HasPrefix(rest, "[") {
			close := strings.IndexByte(rest, ']')
			if close < 0 {
				return Path{}, fmt.Errorf("unclosed [ at byte %d", len(text)-len(rest))
			}
			digits := rest[1:close]
			i, err := strconv.Atoi(digits)
			if err != nil || strings.Trim(digits, "0123456789") != "" {
				return Path{}, fmt.Errorf("want a non-negative index at byte %d", len(text)-len(rest)+1)
			}
			p.steps = append(p.steps, step{index: i})
			rest = rest[close+1:]
		}
		if rest == "" {
			break
		}
		if rest[0] != '.' {
			return Path{}, fmt.Errorf("want . or [ at byte %d", len(text)-len(rest))
		}
		rest = rest[1:]
		if rest == "" {
			return Path{}, fmt.Errorf("trailing dot")
		}
	}
	return p, nil
}

// String returns the path as written.
func (p Path) String() string { return p.text }

// Lookup returns the value at p in v (a value json.Unmarshal produced into
// an any), and whether it is there and not null.
func (p Path) Lookup(v any) (any, bool) {
	for _, s := range p.steps {
		if s.key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s.key]; !ok {
				return nil, false
			}
			continue
		}
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return nil, false
		}
		v = a[s.index]
	}
	return v, v != nil
}
