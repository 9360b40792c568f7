// Package npi is the claim authority of the US National Provider
// Identifier registry (NPPES, API version 2.1): it looks a customer's NPI
// up by number and verifies that the record is active, of the expected
// enumeration type and, as the rule's settings ask, that its name matches
// the profile's, that it has one of the rule's taxonomies and a licence in
// the customer's state.
//
// The registry is public and needs no secret. The NPI's check digit is
// verified before any call, so a mistyped number never reaches the
// registry. Outages, throttling and timeouts are claims.ErrUnavailable,
// never a rejection. The fake the tests run against is pkg/sandbox/npi.
package npi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultBaseURL is the registry's API root.
const DefaultBaseURL = "https://npiregistry.cms.hhs.gov/api/"

// APIVersion is the registry API version asked for.
const APIVersion = "2.1"

// DefaultTimeout bounds a call when Build gets no client.
const DefaultTimeout = 5 * time.Second

// Enumeration types: a person, an organisation.
const (
	Individual   = "NPI-1"
	Organization = "NPI-2"
)

// Reasons this authority rejects with.
const (
	ReasonMissing      = "npi: missing evidence"
	ReasonBadNumber    = "npi: bad check digit"
	ReasonInvalidInput = "npi: invalid number"
	ReasonUnknown      = "npi: unknown"
	ReasonNotActive    = "npi: not active"
	ReasonType         = "npi: enumeration type"
	ReasonName         = "npi: name mismatch"
	ReasonTaxonomy     = "npi: taxonomy"
	ReasonState        = "npi: licence state"
)

// Spec is the npi authority's settings; it has no secret.
var Spec = spec.Component{
	Kind:    "npi",
	Summary: `The US NPI registry (NPPES): evidence "npi" (required), "first_name", "last_name", "state".`,
	Settings: []spec.Field{
		{Name: "base_url", Type: spec.String, Default: DefaultBaseURL, Description: "The registry API root; the query ?version=2.1&number=… is added."},
		{Name: "enumeration_type", Type: spec.String, Default: Individual, Enum: []string{Individual, Organization},
			Description: "The record type a claim needs: NPI-1 (a person) or NPI-2 (an organisation)."},
		{Name: "taxonomies", Type: spec.StringList, Description: "Taxonomy codes (207Q00000X) or description substrings (Family Medicine); one must match one of the record's taxonomies. Empty: any."},
		{Name: "match_name", Type: spec.Bool, Default: true, Description: `Evidence "first_name" and "last_name" must equal the record's, ignoring case, accents and punctuation (NPI-1 only).`},
		{Name: "licence_state", Type: spec.Bool, Default: false, Description: `A (matching) taxonomy must be licensed in evidence "state": its state equal, its licence number not empty.`},
	},
}

// Settings are a rule's settings for an npi authority.
type Settings struct {
	BaseURL         string   `json:"base_url"`
	EnumerationType string   `json:"enumeration_type"`
	Taxonomies      []string `json:"taxonomies"`
	MatchName       bool     `json:"match_name"`
	LicenceState    bool     `json:"licence_state"`
}

// DecodeSettings reads settings as Spec says; errors are *spec.Error.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	if u, err := url.Parse(s.BaseURL); err != nil || !u.IsAbs() || u.Host == "" {
		return Settings{}, spec.Errorf(spec.At("base_url"), "want an absolute https URL")
	}
	for i, t := range s.Taxonomies {
		if strings.TrimSpace(t) == "" {
			return Settings{}, spec.Errorf(spec.At("taxonomies", spec.Index(i)), "empty")
		}
	}
	return s, nil
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// Authority looks NPIs up in the registry. Build it with Build or New.
type Authority struct {
	name     string
	settings Settings
	hc       *http.Client
}

var _ claims.Authority = (*Authority)(nil)

// New returns the authority called name; a nil hc gets a production
// egress client with DefaultTimeout.
func New(name string, s Settings, hc *http.Client) (*Authority, error) {
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	if err := egress.CheckURL(hc, s.BaseURL); err != nil {
		return nil, fmt.Errorf("npi authority %s: base_url: %w", name, err)
	}
	return &Authority{name: name, settings: s, hc: hc}, nil
}

// Build is the registry's constructor; the npi authority takes no secret
// and ignores one.
func Build(name string, settings map[string]any, _ []byte, hc *http.Client) (*Authority, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("npi authority %s settings: %w", name, err)
	}
	return New(name, s, hc)
}

// Check looks req.Evidence["npi"] up and judges the record.
func (a *Authority) Check(ctx context.Context, req claims.Request) (claims.Answer, error) {
	raw := strings.TrimSpace(req.Evidence["npi"])
	if raw == "" {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	number, err := Normalize(raw)
	if err != nil {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonBadNumber}, nil
	}
	ans, call, err := a.lookup(ctx, number)
	calls := []claims.Call{call}
	if err != nil {
		return claims.Answer{Calls: calls}, err
	}
	out := judge(a.settings, req.Evidence, ans)
	out.Calls = calls
	return out, nil
}
