package mapping

import (
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// env is what paths and expressions read: the canonical profile under its
// OIDC claim names, plus the event. It mirrors profile.Profile with value
// types (no nil address, zero times) so an expression never trips over a
// missing attribute, and with `expr` tags so expressions use the same
// names as paths. TestEnvMirrorsProfile keeps the two in step.
type env struct {
	Sub                 string                `expr:"sub" json:"sub"`
	Name                string                `expr:"name" json:"name,omitempty"`
	GivenName           string                `expr:"given_name" json:"given_name,omitempty"`
	FamilyName          string                `expr:"family_name" json:"family_name,omitempty"`
	MiddleName          string                `expr:"middle_name" json:"middle_name,omitempty"`
	Nickname            string                `expr:"nickname" json:"nickname,omitempty"`
	PreferredUsername   string                `expr:"preferred_username" json:"preferred_username,omitempty"`
	Picture             string                `expr:"picture" json:"picture,omitempty"`
	Website             string                `expr:"website" json:"website,omitempty"`
	Email               string                `expr:"email" json:"email,omitempty"`
	EmailVerified       bool                  `expr:"email_verified" json:"email_verified,omitempty"`
	Gender              string                `expr:"gender" json:"gender,omitempty"`
	Birthdate           string                `expr:"birthdate" json:"birthdate,omitempty"`
	Zoneinfo            string                `expr:"zoneinfo" json:"zoneinfo,omitempty"`
	Locale              string                `expr:"locale" json:"locale,omitempty"`
	PhoneNumber         string                `expr:"phone_number" json:"phone_number,omitempty"`
	PhoneNumberVerified bool                  `expr:"phone_number_verified" json:"phone_number_verified,omitempty"`
	Address             addressEnv            `expr:"address" json:"address,omitempty"`
	UpdatedAt           time.Time             `expr:"updated_at" json:"updated_at,omitempty"`
	Consents            map[string]consentEnv `expr:"consents" json:"consents,omitempty"`
	Claims              map[string]claimEnv   `expr:"claims" json:"claims,omitempty"`
	Custom              map[string]any        `expr:"custom" json:"custom,omitempty"`
	// Event is not a profile attribute: expressions read event.type,
	// event.source, event.environment, event.client_id, event.purpose.
	Event eventEnv `expr:"event" json:"event"`
}

type addressEnv struct {
	Formatted     string `expr:"formatted" json:"formatted,omitempty"`
	StreetAddress string `expr:"street_address" json:"street_address,omitempty"`
	Locality      string `expr:"locality" json:"locality,omitempty"`
	Region        string `expr:"region" json:"region,omitempty"`
	PostalCode    string `expr:"postal_code" json:"postal_code,omitempty"`
	Country       string `expr:"country" json:"country,omitempty"`
}

type consentEnv struct {
	Granted bool      `expr:"granted" json:"granted"`
	At      time.Time `expr:"at" json:"at,omitempty"`
	Version string    `expr:"version" json:"version,omitempty"`
}

type claimEnv struct {
	Value     any       `expr:"value" json:"value"`
	Status    string    `expr:"status" json:"status"`
	Authority string    `expr:"authority" json:"authority,omitempty"`
	CheckedAt time.Time `expr:"checked_at" json:"checked_at,omitempty"`
}

type eventEnv struct {
	ID          string `expr:"id" json:"id,omitempty"`
	Type        string `expr:"type" json:"type,omitempty"`
	Source      string `expr:"source" json:"source,omitempty"`
	Environment string `expr:"environment" json:"environment,omitempty"`
	ClientID    string `expr:"client_id" json:"client_id,omitempty"`
	Purpose     string `expr:"purpose" json:"purpose,omitempty"`
	SourceType  string `expr:"source_type" json:"source_type,omitempty"`
}

// envs recycles env values: Record runs per event, and an env with its
// consent and claim maps is most of what a record allocates.
var envs = sync.Pool{New: func() any { return new(env) }}

// borrowEnv is newEnv from the pool; give it back with release once no
// value read from it is still referenced by it (records copy what they keep).
func borrowEnv(p *profile.Profile, e *profile.Event) *env {
	v := envs.Get().(*env)
	consents, claims := v.Consents, v.Claims
	fillEnv(v, p, e, consents, claims)
	return v
}

func (v *env) release() {
	consents, claims := v.Consents, v.Claims
	clear(consents)
	clear(claims)
	*v = env{Consents: consents, Claims: claims}
	envs.Put(v)
}

func newEnv(p *profile.Profile, e *profile.Event) *env {
	v := new(env)
	fillEnv(v, p, e, nil, nil)
	return v
}

// fillEnv copies p and e into v, reusing the given (empty) maps.
func fillEnv(v *env, p *profile.Profile, e *profile.Event, consents map[string]consentEnv, claims map[string]claimEnv) {
	*v = env{
		Sub: p.Sub, Name: p.Name, GivenName: p.GivenName, FamilyName: p.FamilyName,
		MiddleName: p.MiddleName, Nickname: p.Nickname, PreferredUsername: p.PreferredUsername,
		Picture: p.Picture, Website: p.Website, Email: p.Email, EmailVerified: p.EmailVerified,
		Gender: p.Gender, Birthdate: p.Birthdate, Zoneinfo: p.Zoneinfo, Locale: p.Locale,
		PhoneNumber: p.PhoneNumber, PhoneNumberVerified: p.PhoneNumberVerified,
		UpdatedAt: deref(p.UpdatedAt), Custom: p.Custom,
	}
	if a := p.Address; a != nil {
		v.Address = addressEnv{a.Formatted, a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country}
	}
	if len(p.Consents) > 0 {
		if consents == nil {
			consents = make(map[string]consentEnv, len(p.Consents))
		}
		v.Consents = consents
		for k, c := range p.Consents {
			v.Consents[k] = consentEnv{Granted: c.Granted, At: deref(c.At), Version: c.Version}
		}
	}
	if len(p.Claims) > 0 {
		if claims == nil {
			claims = make(map[string]claimEnv, len(p.Claims))
		}
		v.Claims = claims
		for k, c := range p.Claims {
			v.Claims[k] = claimEnv{Value: c.Value, Status: string(c.Status), Authority: c.Authority, CheckedAt: deref(c.CheckedAt)}
		}
	}
	if e != nil {
		v.Event = eventEnv{ID: e.ID, Type: string(e.Type), Source: e.Source, Environment: e.Environment,
			ClientID: e.ClientID, Purpose: e.Purpose, SourceType: e.SourceType}
	}
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
