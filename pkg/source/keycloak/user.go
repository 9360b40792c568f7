package keycloak

import (
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
)

// user is the part of Keycloak's UserRepresentation a profile needs.
type user struct {
	ID            string              `json:"id"`
	Username      string              `json:"username"`
	Email         string              `json:"email"`
	EmailVerified bool                `json:"emailVerified"`
	FirstName     string              `json:"firstName"`
	LastName      string              `json:"lastName"`
	Enabled       *bool               `json:"enabled"`
	Attributes    map[string][]string `json:"attributes"`
}

// standardAttributes are user-profile attribute names (Keycloak's own and
// the OIDC spellings) that have a place in profile.Profile.
var standardAttributes = map[string]func(*profile.Profile, string){
	"locale":                func(p *profile.Profile, v string) { p.Locale = v },
	"phoneNumber":           func(p *profile.Profile, v string) { p.PhoneNumber = v },
	"phone_number":          func(p *profile.Profile, v string) { p.PhoneNumber = v },
	"phoneNumberVerified":   func(p *profile.Profile, v string) { p.PhoneNumberVerified = v == "true" },
	"phone_number_verified": func(p *profile.Profile, v string) { p.PhoneNumberVerified = v == "true" },
	"birthdate":             func(p *profile.Profile, v string) { p.Birthdate = v },
	"gender":                func(p *profile.Profile, v string) { p.Gender = v },
	"picture":               func(p *profile.Profile, v string) { p.Picture = v },
	"middleName":            func(p *profile.Profile, v string) { p.MiddleName = v },
	"middle_name":           func(p *profile.Profile, v string) { p.MiddleName = v },
	"nickname":              func(p *profile.Profile, v string) { p.Nickname = v },
	"website":               func(p *profile.Profile, v string) { p.Website = v },
	"zoneinfo":              func(p *profile.Profile, v string) { p.Zoneinfo = v },
}

// addressAttributes are the attribute names Keycloak's address mapper
// reads by default (its "street", "locality", … user attributes).
var addressAttributes = map[string]func(*profile.Address, string){
	"formatted":   func(a *profile.Address, v string) { a.Formatted = v },
	"street":      func(a *profile.Address, v string) { a.StreetAddress = v },
	"locality":    func(a *profile.Address, v string) { a.Locality = v },
	"region":      func(a *profile.Address, v string) { a.Region = v },
	"postal_code": func(a *profile.Address, v string) { a.PostalCode = v },
	"country":     func(a *profile.Address, v string) { a.Country = v },
}

// profile maps the user. Keycloak keeps no modification time, so
// UpdatedAt stays empty and ordering rests on event times. Attributes without a standard claim go to Custom
// under their own name: a one-element list as its string, longer lists as
// lists, so mappings read "custom.crm_id" as they would elsewhere.
func (u user) profile() *profile.Profile {
	p := &profile.Profile{
		Sub:               u.ID,
		PreferredUsername: u.Username,
		Email:             u.Email,
		EmailVerified:     u.EmailVerified,
		GivenName:         u.FirstName,
		FamilyName:        u.LastName,
	}
	p.Name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	var addr profile.Address
	custom := map[string]any{}
	for k, vs := range u.Attributes {
		if len(vs) == 0 {
			continue
		}
		if set, ok := standardAttributes[k]; ok {
			set(p, vs[0])
			continue
		}
		if set, ok := addressAttributes[k]; ok {
			set(&addr, vs[0])
			continue
		}
		if len(vs) == 1 {
			custom[k] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		custom[k] = list
	}
	if addr != (profile.Address{}) {
		p.Address = &addr
	}
	if u.Enabled != nil && !*u.Enabled {
		custom["enabled"] = false
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p
}
