// Package vies is the claim authority of the EU's VAT Information Exchange
// System (VIES): it checks a business customer's VAT id with the REST
// API's check-vat-number and keeps the consultation number
// (requestIdentifier) as evidence.
//
// VIES is public and needs no secret. The VAT id is normalised (spaces,
// dots, GR → EL) and its shape checked before any call. VIES relays to
// the member states' registers, which are often down or busy:
// MS_UNAVAILABLE, TIMEOUT, SERVICE_UNAVAILABLE, the *_MAX_CONCURRENT_REQ
// codes, 429 and 5xx are claims.ErrUnavailable, never "invalid"; they may
// come as errorWrappers or as a userError beside "valid": false, with any
// HTTP status. The fake the tests run against is pkg/sandbox/vies.
package vies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultBaseURL is the REST API's root.
const DefaultBaseURL = "https://ec.europa.eu/taxation_customs/vies/rest-api"

// DefaultTimeout bounds a call when Build gets no client.
const DefaultTimeout = 5 * time.Second

// Reasons this authority answers with.
const (
	ReasonMissing         = "vies: missing evidence"
	ReasonInvalidInput    = "vies: invalid input"
	ReasonCountryMismatch = "vies: country mismatch"
	ReasonInvalid         = "vies: invalid"
	ReasonValid           = "vies: valid"
	ReasonName            = "vies: name mismatch"
	// ReasonNameWithheld comes with a Pending verdict: the member state
	// (Germany, for one) does not disclose names, so match_name cannot
	// decide.
	ReasonNameWithheld = "vies: name withheld"
)

// Spec is the vies authority's settings; it has no secret.
var Spec = spec.Component{
	Kind:    "vies",
	Summary: `EU VIES VAT number check: evidence "vat_id" (required; DE123456789, EL…), "country" (optional), "company_name" (for match_name).`,
	Settings: []spec.Field{
		{Name: "base_url", Type: spec.String, Default: DefaultBaseURL, Description: "The REST API root; /check-vat-number is added."},
		{Name: "requester_country", Type: spec.String, Description: "Your own member state code (e.g. DE): with requester_vat, VIES issues a consultation number."},
		{Name: "requester_vat", Type: spec.String, Description: "Your own VAT number, without the country prefix."},
		{Name: "match_name", Type: spec.Bool, Default: false, Description: `Evidence "company_name" must equal the registered name, ignoring case, accents and punctuation; where the member state withholds names the answer is Pending.`},
	},
}

// Settings are a rule's settings for a vies authority.
type Settings struct {
	BaseURL          string `json:"base_url"`
	RequesterCountry string `json:"requester_country"`
	RequesterVAT     string `json:"requester_vat"`
	MatchName        bool   `json:"match_name"`
}

// DecodeSettings reads settings as Spec says; errors are *spec.Error.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	var errs []error
	if u, err := url.Parse(s.BaseURL); err != nil || !u.IsAbs() || u.Host == "" {
		errs = append(errs, spec.Errorf(spec.At("base_url"), "want an absolute https URL"))
	}
	if (s.RequesterCountry == "") != (s.RequesterVAT == "") {
		errs = append(errs, spec.Errorf(spec.At("requester_vat"), "requester_country and requester_vat go together"))
	}
	if s.RequesterCountry != "" {
		cc, number, err := Normalize(s.RequesterVAT, s.RequesterCountry)
		if err != nil {
			errs = append(errs, spec.Errorf(spec.At("requester_vat"), "not a VAT number of requester_country"))
		}
		s.RequesterCountry, s.RequesterVAT = cc, number
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

// Authority checks VAT numbers with VIES. Build it with Build or New.
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
		return nil, fmt.Errorf("vies authority %s: base_url: %w", name, err)
	}
	s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	return &Authority{name: name, settings: s, hc: hc}, nil
}

// Build is the registry's constructor; vies takes no secret and ignores one.
func Build(name string, settings map[string]any, _ []byte, hc *http.Client) (*Authority, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("vies authority %s settings: %w", name, err)
	}
	return New(name, s, hc)
}

// Check asks VIES about req.Evidence["vat_id"].
func (a *Authority) Check(ctx context.Context, req claims.Request) (claims.Answer, error) {
	raw := strings.TrimSpace(req.Evidence["vat_id"])
	if raw == "" {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	cc, number, err := Normalize(raw, req.Evidence["country"])
	switch {
	case errors.Is(err, ErrCountryMismatch):
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonCountryMismatch}, nil
	case err != nil:
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonInvalidInput}, nil
	}
	ans, call, err := a.checkVAT(ctx, cc, number)
	calls := []claims.Call{call}
	if err != nil {
		return claims.Answer{Calls: calls}, err
	}
	out := a.judge(req.Evidence, cc, number, ans)
	out.Calls = calls
	return out, nil
}

// judge turns a consultation that succeeded into a verdict.
func (a *Authority) judge(ev map[string]string, cc, number string, ans answer) claims.Answer {
	if ans.rejectedInput {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonInvalidInput}
	}
	ref := ans.RequestIdentifier
	if ref == "" {
		ref = cc + number // no requester settings: VIES issues no consultation number
	}
	if !*ans.Valid {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonInvalid, Reference: ref}
	}
	attrs := map[string]any{"country_code": cc, "vat_number": number}
	if ans.RequestDate != "" {
		attrs["request_date"] = ans.RequestDate
	}
	if disclosed(ans.Name) {
		attrs["name"] = ans.Name
	}
	if disclosed(ans.Address) {
		attrs["address"] = ans.Address
	}
	if a.settings.MatchName {
		switch {
		case !disclosed(ans.Name):
			return claims.Answer{Verdict: claims.Pending, Reason: ReasonNameWithheld, Reference: ref, Attributes: attrs}
		case fold(ev["company_name"]) == "" || fold(ev["company_name"]) != fold(ans.Name):
			return claims.Answer{Verdict: claims.Rejected, Reason: ReasonName, Reference: ref}
		}
	}
	return claims.Answer{Verdict: claims.Verified, Reason: ReasonValid, Reference: ref, Attributes: attrs}
}

// disclosed: VIES writes "---" where a member state withholds a field.
func disclosed(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s != "---"
}
