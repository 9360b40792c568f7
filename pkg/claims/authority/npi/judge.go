package npi

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/profilesync/profilesync/pkg/claims"
)

// judge turns the registry's answer into a verdict under s.
func judge(s Settings, ev map[string]string, ans answer) claims.Answer {
	reject := func(reason string) claims.Answer { return claims.Answer{Verdict: claims.Rejected, Reason: reason} }
	if len(ans.Errors) > 0 {
		// lookup let through only Errors about the number: the registry
		// refuses what Normalize accepted.
		return reject(ReasonInvalidInput)
	}
	if *ans.ResultCount == 0 || len(ans.Results) == 0 {
		return reject(ReasonUnknown)
	}
	rec := ans.Results[0]
	if rec.Basic.Status != "A" {
		return reject(ReasonNotActive)
	}
	if rec.EnumerationType != s.EnumerationType {
		return reject(ReasonType)
	}
	if s.MatchName && s.EnumerationType == Individual { // organisations have no first and last name
		first, last := ev["first_name"], ev["last_name"]
		if fold(first) == "" || fold(last) == "" ||
			fold(first) != fold(rec.Basic.FirstName) || fold(last) != fold(rec.Basic.LastName) {
			return reject(ReasonName)
		}
	}
	candidates := rec.Taxonomies
	if len(s.Taxonomies) > 0 {
		candidates = matching(rec.Taxonomies, s.Taxonomies)
		if len(candidates) == 0 {
			return reject(ReasonTaxonomy)
		}
	}
	if s.LicenceState {
		candidates = licensedIn(candidates, ev["state"])
		if len(candidates) == 0 {
			return reject(ReasonState)
		}
	}
	return claims.Answer{
		Verdict:    claims.Verified,
		Reason:     "npi: active",
		Reference:  number(rec),
		Attributes: attributes(rec, candidates),
	}
}

// matching returns the taxonomies that one of want names: equal to the
// code, or a substring of the description, ignoring case.
func matching(ts []Taxonomy, want []string) []Taxonomy {
	var out []Taxonomy
	for _, t := range ts {
		for _, w := range want {
			w = strings.TrimSpace(w)
			if strings.EqualFold(t.Code, w) || strings.Contains(strings.ToLower(t.Desc), strings.ToLower(w)) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// licensedIn returns the taxonomies licensed in state.
func licensedIn(ts []Taxonomy, state string) []Taxonomy {
	state = strings.TrimSpace(state)
	if state == "" {
		return nil
	}
	var out []Taxonomy
	for _, t := range ts {
		if strings.EqualFold(strings.TrimSpace(t.State), state) && strings.TrimSpace(t.License) != "" {
			out = append(out, t)
		}
	}
	return out
}

// pick prefers the primary taxonomy among ts.
func pick(ts []Taxonomy) (Taxonomy, bool) {
	for _, t := range ts {
		if t.Primary {
			return t, true
		}
	}
	if len(ts) > 0 {
		return ts[0], true
	}
	return Taxonomy{}, false
}

func attributes(rec Record, candidates []Taxonomy) map[string]any {
	attrs := map[string]any{}
	t, ok := pick(candidates)
	if rec.Basic.Credential != "" {
		attrs["credential"] = rec.Basic.Credential
	}
	if ok {
		attrs["taxonomy_code"] = t.Code
		attrs["taxonomy_desc"] = t.Desc
		if t.State != "" {
			attrs["licence_state"] = t.State
		}
	}
	return attrs
}

// number is the record's NPI, a JSON string or number.
func number(rec Record) string {
	return strings.Trim(string(rec.Number), `"`)
}

// fold makes names comparable: accents dropped (é → e), upper case, and
// every run of other characters than letters (hyphens, apostrophes,
// spaces, dots) one space, so "Lovelace-Example" equals "LOVELACE EXAMPLE".
func fold(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if gap && b.Len() > 0 {
				b.WriteByte(' ')
			}
			gap = false
			b.WriteString(strings.ToUpper(string(r)))
		default:
			gap = true
		}
	}
	return b.String()
}
