package httpcheck

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
)

// placeholderRE finds {name} and {secret.name} in templates.
var placeholderRE = lazyregexp.New(`\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}`)

// secretPrefix marks a placeholder filled from the secret's fields.
const secretPrefix = "secret."

// escaping says how a placeholder's value is written into its template.
type escaping int

const (
	inPath   escaping = iota // url.PathEscape, and dots-only values escaped
	inQuery                  // url.QueryEscape
	inJSON                   // the inside of a JSON string
	verbatim                 // header values
)

// template is a parsed template: literal text and placeholders, in order.
type template struct {
	parts []part
}

type part struct {
	literal string
	name    string // placeholder name when literal == "" and name != ""
	esc     escaping
}

// parseTemplate splits src. esc is the escaping of every placeholder,
// except for URLs (urlTemplate), where it depends on the position.
func parseTemplate(src string, esc escaping) template {
	var t template
	last := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(src, -1) {
		if m[0] > last {
			t.parts = append(t.parts, part{literal: src[last:m[0]]})
		}
		t.parts = append(t.parts, part{name: src[m[2]:m[3]], esc: esc})
		last = m[1]
	}
	if last < len(src) {
		t.parts = append(t.parts, part{literal: src[last:]})
	}
	return t
}

// urlTemplate parses a URL template: placeholders before the query are
// path-escaped, after it query-escaped; none may be in the scheme, host
// or port (evidence must never choose where a request goes) or in the
// fragment, and none may name the secret (URLs end up in logs and dry
// runs).
func urlTemplate(src string) (template, error) {
	scheme, rest, ok := strings.Cut(src, "://")
	if !ok || scheme == "" {
		return template{}, fmt.Errorf("want an absolute https URL")
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if strings.ContainsAny(scheme+rest[:end], "{}") {
		return template{}, fmt.Errorf("placeholders may not be in the scheme, host or port")
	}
	if strings.Contains(src, "#") {
		return template{}, fmt.Errorf("a fragment is never sent: drop it")
	}
	q := strings.IndexByte(src, '?')
	t := parseTemplate(src, inPath)
	pos := 0
	for i := range t.parts {
		p := &t.parts[i]
		if p.name == "" {
			pos += len(p.literal)
			continue
		}
		if strings.HasPrefix(p.name, secretPrefix) {
			return template{}, fmt.Errorf("{%s}: the secret may be used in headers and body, not in the URL", p.name)
		}
		if q >= 0 && pos > q {
			p.esc = inQuery
		}
		pos += len(p.name) + 2
	}
	probe, _ := t.fill(func(string) (string, bool) { return "x", true })
	if u, err := url.Parse(probe); err != nil || !u.IsAbs() || u.Host == "" {
		return template{}, fmt.Errorf("want an absolute https URL")
	}
	return t, nil
}

// bodyTemplate parses a JSON body template: it must be JSON once its
// placeholders (which sit inside JSON strings) are filled.
func bodyTemplate(src string) (template, error) {
	t := parseTemplate(src, inJSON)
	probe, _ := t.fill(func(string) (string, bool) { return "x", true })
	if !json.Valid([]byte(probe)) {
		return template{}, fmt.Errorf(`want JSON once filled; placeholders go inside strings: {"npi": "{npi}"}`)
	}
	return t, nil
}

// names lists the template's placeholders.
func (t template) names() []string {
	var out []string
	for _, p := range t.parts {
		if p.name != "" {
			out = append(out, p.name)
		}
	}
	return out
}

// fill writes the template with each placeholder's value from lookup,
// escaped for its position. It reports the first name lookup lacks.
func (t template) fill(lookup func(name string) (string, bool)) (string, string) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.literal)
			continue
		}
		v, ok := lookup(p.name)
		if !ok {
			return "", p.name
		}
		b.WriteString(escape(v, p.esc))
	}
	return b.String(), ""
}

func escape(v string, esc escaping) string {
	switch esc {
	case inPath:
		// PathEscape keeps "." and "..", which would walk up the path.
		if strings.Trim(v, ".") == "" {
			return strings.Repeat("%2E", len(v))
		}
		return url.PathEscape(v)
	case inQuery:
		return url.QueryEscape(v)
	case inJSON:
		b, _ := json.Marshal(v)
		return string(b[1 : len(b)-1])
	}
	return v
}
