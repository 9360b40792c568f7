// Package hubspot is the claim authority that looks the customer's
// evidence up in the company's own HubSpot portal: a CRM search of one
// object type (companies by default) with EQ filters whose values are
// {evidence} templates decides the claim by how many objects it finds,
// and the found object's properties can be written back (enrichment).
//
// It reads through the hubspot connector's read side (pkg/connector/hubspot
// Searcher.Search) with the connector's secret. 429, 5xx and network
// failures are claims.ErrUnavailable; a refused token, a search the
// portal refuses or an unreadable answer is claims.ErrMisconfigured. The
// tests run against pkg/sandbox/hubspot.
package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/authority/internal/lookup"
	hsconn "github.com/profilesync/profilesync/pkg/connector/hubspot"
	"github.com/profilesync/profilesync/pkg/spec"
)

// What verified_when admits.
const (
	One = "one" // exactly one object verifies; more are ambiguous
	Any = "any" // one object or more verify
)

// Defaults.
const (
	DefaultObjectType = "companies"
	// DefaultReference is the object's record id (not a property).
	DefaultReference = "id"
)

// Reasons this authority answers with.
const (
	ReasonMissing   = "hubspot: missing evidence"
	ReasonNoMatch   = "hubspot: no match"
	ReasonAmbiguous = "hubspot: ambiguous"
	ReasonVerified  = "hubspot: match"
)

// Spec is the hubspot authority's settings and secret (the hubspot
// connector's secret).
var Spec = spec.Component{
	Kind:    "hubspot",
	Summary: "A HubSpot CRM search (EQ filters, {evidence} placeholders in their values) in the company's portal.",
	Settings: []spec.Field{
		{Name: "object_type", Type: spec.String, Default: DefaultObjectType, Description: "The CRM object searched: companies, contacts, deals, or a custom object's type id."},
		{Name: "filters", Type: spec.StringMap, Required: true,
			Description: "Property → value, ANDed with EQ; a value is a literal or holds {evidence_name} placeholders, e.g. domain: {email_domain}, type: PARTNER."},
		{Name: "verified_when", Type: spec.String, Default: One, Enum: []string{One, Any},
			Description: "one: exactly one object verifies, more are ambiguous (a rejection); any: one or more verify."},
		{Name: "attributes", Type: spec.StringMap, Description: "Attribute name → property of the found object, for the rule to write back."},
		{Name: "reference", Type: spec.String, Default: DefaultReference, Description: "The property kept as the check's reference; id is the record id."},
	},
	Secret: hsconn.Spec.Secret,
}

// Settings are a rule's settings for a hubspot authority.
type Settings struct {
	ObjectType   string            `json:"object_type"`
	Filters      map[string]string `json:"filters"`
	VerifiedWhen string            `json:"verified_when"`
	Attributes   map[string]string `json:"attributes"`
	Reference    string            `json:"reference"`
}

var (
	propertyRE   = lazyregexp.New(`^[a-z][a-z0-9_]{0,99}$`)
	objectTypeRE = lazyregexp.New(`^[A-Za-z0-9_-]{1,100}$`)
)

// DecodeSettings reads settings as Spec says and checks names and
// placeholders; errors are *spec.Error.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	var errs []error
	if !objectTypeRE.MatchString(s.ObjectType) {
		errs = append(errs, spec.Errorf(spec.At("object_type"), "%q is not an object type", s.ObjectType))
	}
	placeholders := 0
	for p, v := range s.Filters {
		if !propertyRE.MatchString(p) {
			errs = append(errs, spec.Errorf(spec.At("filters", p), "not a property internal name (lower case, digits, underscores)"))
		}
		if strings.TrimSpace(v) == "" {
			errs = append(errs, spec.Errorf(spec.At("filters", p), "empty value"))
		}
		placeholders += len(lookup.Placeholders(v))
	}
	if len(s.Filters) > 0 && placeholders == 0 {
		errs = append(errs, spec.Errorf(spec.At("filters"), "no {evidence_name} placeholder, so it would decide every claim alike"))
	}
	if len(s.Filters) > 6 {
		errs = append(errs, spec.Errorf(spec.At("filters"), "HubSpot takes at most 6 filters in a group"))
	}
	for name, p := range s.Attributes {
		if !propertyRE.MatchString(p) {
			errs = append(errs, spec.Errorf(spec.At("attributes", name), "%q is not a property internal name", p))
		}
	}
	if s.Reference != DefaultReference && !propertyRE.MatchString(s.Reference) {
		errs = append(errs, spec.Errorf(spec.At("reference"), "%q is not a property internal name", s.Reference))
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

// searcher is the part of the hubspot connector the authority uses.
type searcher interface {
	Search(ctx context.Context, objectType string, req hsconn.SearchRequest) ([]hsconn.SearchResult, error)
}

var _ searcher = (*hsconn.Searcher)(nil)

// Authority answers claims with one CRM search per check.
type Authority struct {
	name     string
	settings Settings
	portal   searcher
}

var _ claims.Authority = (*Authority)(nil)

// New returns the authority called name searching through portal.
func New(name string, s Settings, portal searcher) *Authority {
	return &Authority{name: name, settings: s, portal: portal}
}

// Build is the registry's constructor: settings as Spec says, secret the
// hubspot connector's (access_token, base_url), hc the egress-checked
// client.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Authority, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("hubspot authority %s settings: %w", name, err)
	}
	p, err := hsconn.BuildSearcher(secret, hc)
	if err != nil {
		return nil, fmt.Errorf("hubspot authority %s: %w", name, err)
	}
	return New(name, s, p), nil
}

// Check searches with req's evidence and judges the objects found.
func (a *Authority) Check(ctx context.Context, req claims.Request) (claims.Answer, error) {
	sreq, ok := a.request(req.Evidence)
	if !ok {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	call := claims.Call{Method: http.MethodPost, URL: "/crm/v3/objects/" + a.settings.ObjectType + "/search " + describe(sreq)}
	found, err := a.portal.Search(ctx, a.settings.ObjectType, sreq)
	if err != nil {
		return claims.Answer{}, lookup.Classify("hubspot authority "+a.name+": search", err)
	}
	call.Status = http.StatusOK
	call.Answer = strconv.Itoa(len(found)) + " objects"
	ans := claims.Answer{Calls: []claims.Call{call}}
	switch {
	case len(found) == 0:
		ans.Verdict, ans.Reason = claims.Rejected, ReasonNoMatch
		return ans, nil
	case len(found) > 1 && a.settings.VerifiedWhen != Any:
		ans.Verdict, ans.Reason = claims.Rejected, ReasonAmbiguous
		return ans, nil
	}
	obj := found[0]
	ans.Verdict, ans.Reason = claims.Verified, ReasonVerified
	ans.Reference = obj.ID
	if a.settings.Reference != DefaultReference {
		ans.Reference = obj.Properties[a.settings.Reference]
	}
	for name, p := range a.settings.Attributes {
		if v, ok := obj.Properties[p]; ok {
			if ans.Attributes == nil {
				ans.Attributes = map[string]any{}
			}
			ans.Attributes[name] = v
		}
	}
	return ans, nil
}

// request builds the search: the filters in property order, the
// properties the answer needs, and no more results than the verdict
// needs (two tell "one" from "ambiguous").
func (a *Authority) request(evidence map[string]string) (hsconn.SearchRequest, bool) {
	props := make([]string, 0, len(a.settings.Filters))
	for p := range a.settings.Filters {
		props = append(props, p)
	}
	sort.Strings(props)
	var filters []hsconn.Filter
	for _, p := range props {
		v, _, ok := lookup.Expand(a.settings.Filters[p], evidence, func(s string) string { return s })
		if !ok {
			return hsconn.SearchRequest{}, false
		}
		filters = append(filters, hsconn.Filter{PropertyName: p, Operator: hsconn.OpEQ, Value: v})
	}
	want := map[string]bool{}
	for _, p := range a.settings.Attributes {
		want[p] = true
	}
	if a.settings.Reference != DefaultReference {
		want[a.settings.Reference] = true
	}
	var properties []string
	for p := range want {
		properties = append(properties, p)
	}
	sort.Strings(properties)
	if len(properties) == 0 {
		properties = []string{"hs_object_id"} // not the object's defaults: no names or e-mails we do not need
	}
	n := 2
	if a.settings.VerifiedWhen == Any {
		n = 1
	}
	return hsconn.SearchRequest{
		FilterGroups: []hsconn.FilterGroup{{Filters: filters}},
		Properties:   properties, Limit: n, MaxResults: n,
	}, true
}

// describe renders the filters for a dry run's display.
func describe(r hsconn.SearchRequest) string {
	var parts []string
	for _, g := range r.FilterGroups {
		for _, f := range g.Filters {
			parts = append(parts, f.PropertyName+" "+f.Operator+" "+strconv.Quote(f.Value))
		}
	}
	return strings.Join(parts, " AND ")
}
