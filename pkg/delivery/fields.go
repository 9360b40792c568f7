package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/profilesync/profilesync/pkg/mapping"
)

// The sync log's field diff. State.Fields keeps, per mapped field of the
// last record pushed, a print: a keyed fingerprint of the value (for the
// diff), followed, for a field the mapping logs masked or plain, by that
// form ("m" or "p" and the text). Raw values are kept only where the
// mapping says plain; everything else is a truncated HMAC-SHA256 under the
// deployment's sync-log key (Handler.LogKey), so a guessed e-mail cannot be
// hashed and looked up without the key.

// fingerprintLen is the hex length of a value's fingerprint: 48 bits tell
// a changed value from the last one with near certainty and keep a
// subject's state item small.
const fingerprintLen = 12

// plainMax bounds a plain value kept in the state and shown in the log.
const plainMax = 64

// fieldPrints returns the prints of a mapped record's fields by target
// path, or nil without a sync-log key.
func (h *Handler) fieldPrints(fields map[string]any) map[string]string {
	if len(h.LogKey) == 0 || len(fields) == 0 {
		return nil
	}
	out := map[string]string{}
	mac := hmac.New(sha256.New, h.LogKey) // Reset between values keeps the keyed state
	flatten("", fields, func(path string, v any) {
		out[path] = printWith(mac, h.Mapping.Log.For(path), v)
	})
	return out
}

// flatten calls leaf for every value below m that is not itself a map,
// with its dotted target path.
func flatten(prefix string, m map[string]any, leaf func(string, any)) {
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			flatten(p, sub, leaf)
			continue
		}
		leaf(p, v)
	}
}

// printOf is one value's print under mode.
func printOf(key []byte, mode mapping.LogValues, v any) string {
	return printWith(hmac.New(sha256.New, key), mode, v)
}

// printWith is printOf with a keyed MAC to reuse.
func printWith(mac hash.Hash, mode mapping.LogValues, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("?")
	}
	mac.Reset()
	mac.Write(b)
	fp := hex.EncodeToString(mac.Sum(nil))[:fingerprintLen]
	switch mode {
	case mapping.LogMask:
		return fp + "m" + mask(v)
	case mapping.LogPlain:
		return fp + "p" + plainText(v)
	}
	return fp
}

// shown is a stored print in the form mode allows now: a print stored
// plain is masked again for a field now logged masked, and one stored
// without its text shows its hash.
func shown(print string, mode mapping.LogValues) string {
	if len(print) < fingerprintLen || mode == mapping.LogOmit {
		return ""
	}
	fp, kind, text := print[:fingerprintLen], "", ""
	if len(print) > fingerprintLen {
		kind, text = print[fingerprintLen:fingerprintLen+1], print[fingerprintLen+1:]
	}
	switch {
	case mode == mapping.LogMask && kind == "m", mode == mapping.LogPlain && kind != "":
		return text
	case mode == mapping.LogMask && kind == "p":
		return maskString(text)
	}
	return "h:" + fp
}

// sameValue says whether two prints are of the same value.
func sameValue(a, b string) bool {
	return len(a) >= fingerprintLen && len(b) >= fingerprintLen && a[:fingerprintLen] == b[:fingerprintLen]
}

// diffFields lists the fields whose value differs between the last record
// pushed (old) and this one (new), sorted by field. An upsert leaves a
// field it does not send as it was, so only new's fields can change; with
// new nil (a delete) every old field goes.
func diffFields(old, new map[string]string, log mapping.LogSettings) []Change {
	var out []Change
	if new == nil {
		for f, p := range old {
			out = append(out, Change{Field: f, Old: shown(p, log.For(f))})
		}
	}
	for f, p := range new {
		if o, ok := old[f]; !ok || !sameValue(o, p) {
			out = append(out, Change{Field: f, Old: shown(old[f], log.For(f)), New: shown(p, log.For(f))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// mergePrints is the prints of the record the target holds after an upsert
// of new over old.
func mergePrints(old, new map[string]string) map[string]string {
	if new == nil {
		return nil
	}
	out := make(map[string]string, len(old)+len(new))
	for f, p := range old {
		out[f] = p
	}
	for f, p := range new {
		out[f] = p
	}
	return out
}

// mask keeps a value's shape and hides its content.
func mask(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return maskString(x)
	}
	return "***"
}

// maskString: j***@e***.com for an e-mail, +49***12 for a phone number,
// the first letter for anything else.
func maskString(s string) string {
	if s == "" {
		return ""
	}
	if at := strings.LastIndexByte(s, '@'); at > 0 {
		domain := s[at+1:]
		masked := firstRune(s[:at]) + "***@"
		if dot := strings.LastIndexByte(domain, '.'); dot > 0 {
			return masked + firstRune(domain) + "***" + domain[dot:]
		}
		return masked + firstRune(domain) + "***"
	}
	if digits, plus, ok := phoneDigits(s); ok {
		return plus + digits[:2] + "***" + digits[len(digits)-2:]
	}
	return firstRune(s) + "***"
}

// phoneDigits reads a phone number's digits when s is one: at least six
// digits and nothing but separators besides.
func phoneDigits(s string) (digits, plus string, ok bool) {
	s = strings.TrimSpace(s)
	if rest, found := strings.CutPrefix(s, "+"); found {
		s, plus = rest, "+"
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" ()./-", r):
		default:
			return "", "", false
		}
	}
	if b.Len() < 6 {
		return "", "", false
	}
	return b.String(), plus, true
}

func firstRune(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return "*"
	}
	return s[:n]
}

// plainText is a value as the log shows it plain: a string as it is,
// anything else as JSON, at most plainMax runes.
func plainText(v any) string {
	s, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			return "?"
		}
		s = string(b)
	}
	if utf8.RuneCountInString(s) > plainMax {
		s = string([]rune(s)[:plainMax-1]) + "…"
	}
	return s
}
