// Package salesforce is the claim authority that looks the customer's
// evidence up in the company's own Salesforce org: a SOQL query template
// whose {evidence} placeholders become quoted literals (a partner Account
// by dealer number, say) decides the claim by how many records it finds,
// and the found record's fields can be written back (enrichment).
//
// It reads through the salesforce connector's read side
// (pkg/connector/salesforce Reader.Query, QuoteSOQL) with the connector's
// secret. Throttling (REQUEST_LIMIT_EXCEEDED), 5xx and network failures
// are claims.ErrUnavailable; a refused token, a query the org refuses or
// an unreadable answer is claims.ErrMisconfigured. The tests run against
// pkg/sandbox/salesforce.
package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/authority/internal/lookup"
	sfconn "github.com/profilesync/profilesync/pkg/connector/salesforce"
	"github.com/profilesync/profilesync/pkg/spec"
)

// What verified_when admits.
const (
	// One: exactly one record verifies; more are ambiguous (a rejection).
	One = "one"
	// Any: one record or more verifies.
	Any = "any"
)

// DefaultReference is the record field kept as the Answer's Reference.
const DefaultReference = "Id"

// Reasons this authority answers with.
const (
	ReasonMissing   = "salesforce: missing evidence"
	ReasonNoMatch   = "salesforce: no match"
	ReasonAmbiguous = "salesforce: ambiguous"
	ReasonVerified  = "salesforce: match"
)

// Spec is the salesforce authority's settings and secret (the salesforce
// connector's secret).
var Spec = spec.Component{
	Kind:    "salesforce",
	Summary: "A SOQL query in the company's Salesforce org; {evidence} placeholders become quoted literals.",
	Settings: []spec.Field{
		{Name: "query", Type: spec.String, Required: true,
			Description: "SOQL with {evidence_name} placeholders outside quotes, e.g. SELECT Id, Segment__c FROM Account WHERE Dealer_Number__c = {dealer_number} AND IsPartner = true LIMIT 2."},
		{Name: "verified_when", Type: spec.String, Default: One, Enum: []string{One, Any},
			Description: "one: exactly one record verifies, more are ambiguous (a rejection); any: one or more verify. With one, end the query with LIMIT 2."},
		{Name: "attributes", Type: spec.StringMap, Description: "Attribute name → record field (dotted for related records, Owner.Name) for the rule to write back; select them in the query."},
		{Name: "reference", Type: spec.String, Default: DefaultReference, Description: "The record field kept as the check's reference."},
		{Name: "api_version", Type: spec.String, Default: sfconn.DefaultAPIVersion, Description: "The REST API version, like v62.0."},
	},
	Secret: sfconn.Spec.Secret,
}

// Settings are a rule's settings for a salesforce authority.
type Settings struct {
	Query        string            `json:"query"`
	VerifiedWhen string            `json:"verified_when"`
	Attributes   map[string]string `json:"attributes"`
	Reference    string            `json:"reference"`
	APIVersion   string            `json:"api_version"`
}

var (
	fieldRE   = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	versionRE = lazyregexp.New(`^v[1-9][0-9]*\.[0-9]$`)
	selectRE  = lazyregexp.New(`(?is)^\s*SELECT\s.+\sFROM\s`)
	// selectListRE captures the field list of the outer SELECT.
	selectListRE = lazyregexp.New(`(?is)^\s*SELECT\s+(.+?)\s+FROM\s`)
)

// DecodeSettings reads settings as Spec says and checks the query
// template; errors are *spec.Error.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	var errs []error
	if err := checkQuery(s.Query); err != nil {
		errs = append(errs, spec.Errorf(spec.At("query"), "%v", err))
	}
	selected := selectedFields(s.Query)
	if !fieldRE.MatchString(s.Reference) {
		errs = append(errs, spec.Errorf(spec.At("reference"), "%q is not a field name", s.Reference))
	} else if selected != nil && !selected[strings.ToLower(s.Reference)] {
		errs = append(errs, spec.Errorf(spec.At("reference"), "%q is not selected by the query", s.Reference))
	}
	for name, f := range s.Attributes {
		switch {
		case !fieldRE.MatchString(f):
			errs = append(errs, spec.Errorf(spec.At("attributes", name), "%q is not a field name", f))
		case selected != nil && !selected[strings.ToLower(f)]:
			errs = append(errs, spec.Errorf(spec.At("attributes", name), "%q is not selected by the query", f))
		}
	}
	if !versionRE.MatchString(s.APIVersion) {
		errs = append(errs, spec.Errorf(spec.At("api_version"), "%q is not a version like %q", s.APIVersion, sfconn.DefaultAPIVersion))
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// checkQuery wants a SELECT with at least one placeholder, balanced
// quotes, and no placeholder inside a quoted string: there it would be
// substituted as a quoted literal inside another literal, which either
// breaks the query or, worse, ends the outer literal.
func checkQuery(q string) error {
	if !selectRE.MatchString(q) {
		return errors.New("want a SOQL SELECT … FROM … query")
	}
	if len(lookup.Placeholders(q)) == 0 {
		return errors.New("has no {evidence_name} placeholder, so it would decide every claim alike")
	}
	quoted := quotedRanges(q)
	if quoted == nil {
		return errors.New("has an unterminated string literal")
	}
	for _, p := range lookup.Placeholders(q) {
		for _, r := range quoted {
			if p.Start > r[0] && p.Start < r[1] {
				return fmt.Errorf("placeholder {%s} is inside quotes; write it bare, it is quoted when substituted", p.Name)
			}
		}
	}
	return nil
}

// selectedFields is the query's SELECT list, lower-cased; nil when the
// list holds more than plain field names (a function, a subquery), which
// the check then leaves alone.
func selectedFields(q string) map[string]bool {
	m := selectListRE.FindStringSubmatch(q)
	if m == nil {
		return nil
	}
	out := map[string]bool{}
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if !fieldRE.MatchString(f) {
			return nil
		}
		out[strings.ToLower(f)] = true
	}
	return out
}

// quotedRanges returns the [open, close] quote offsets of q's string
// literals (backslash escapes honoured); nil when one is unterminated.
func quotedRanges(q string) [][2]int {
	out := [][2]int{}
	for i := 0; i < len(q); i++ {
		if q[i] != '\'' {
			continue
		}
		j := i + 1
		for j < len(q) && q[j] != '\'' {
			if q[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(q) {
			return nil
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// querier is the part of the salesforce connector the authority uses.
type querier interface {
	Query(ctx context.Context, soql string) ([]map[string]any, error)
}

var _ querier = (*sfconn.Reader)(nil)

// Authority answers claims with one SOQL query per check.
type Authority struct {
	name     string
	settings Settings
	org      querier
}

var _ claims.Authority = (*Authority)(nil)

// New returns the authority called name reading through org.
func New(name string, s Settings, org querier) *Authority {
	return &Authority{name: name, settings: s, org: org}
}

// Build is the registry's constructor: settings as Spec says, secret the
// salesforce connector's (login_url, client_id, client_secret), hc the
// egress-checked client.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Authority, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("salesforce authority %s settings: %w", name, err)
	}
	r, err := sfconn.BuildReader(s.APIVersion, secret, hc)
	if err != nil {
		return nil, fmt.Errorf("salesforce authority %s: %w", name, err)
	}
	return New(name, s, r), nil
}

// Check runs the query with req's evidence and judges the records.
func (a *Authority) Check(ctx context.Context, req claims.Request) (claims.Answer, error) {
	soql, _, ok := lookup.Expand(a.settings.Query, req.Evidence, sfconn.QuoteSOQL)
	if !ok {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	call := claims.Call{Method: http.MethodGet, URL: "/services/data/" + a.settings.APIVersion + "/query?q=" + soql}
	recs, err := a.org.Query(ctx, soql)
	if err != nil {
		return claims.Answer{}, lookup.Classify("salesforce authority "+a.name+": query", err)
	}
	call.Status = http.StatusOK
	call.Answer = strconv.Itoa(len(recs)) + " records"
	ans := claims.Answer{Calls: []claims.Call{call}}
	switch {
	case len(recs) == 0:
		ans.Verdict, ans.Reason = claims.Rejected, ReasonNoMatch
		return ans, nil
	case len(recs) > 1 && a.settings.VerifiedWhen != Any:
		ans.Verdict, ans.Reason = claims.Rejected, ReasonAmbiguous
		return ans, nil
	}
	rec := recs[0]
	ans.Verdict = claims.Verified
	ans.Reason = ReasonVerified
	if v, ok := lookup.Field(rec, a.settings.Reference); ok {
		ans.Reference = lookup.String(v)
	}
	for name, field := range a.settings.Attributes {
		v, ok := lookup.Field(rec, field)
		if !ok || v == nil {
			continue
		}
		if ans.Attributes == nil {
			ans.Attributes = map[string]any{}
		}
		ans.Attributes[name] = plain(v)
	}
	return ans, nil
}

// plain turns the connector's json.Number into int64 or float64, so
// attributes hold the types a write-back expects.
func plain(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil && !strings.ContainsAny(n.String(), ".eE") {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	return n.String()
}
