package okta

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// oktaUser is the Users API's user object, as far as a profile needs it.
type oktaUser struct {
	ID          string         `json:"id"`
	Status      string         `json:"status"`
	LastUpdated string         `json:"lastUpdated"`
	Profile     map[string]any `json:"profile"`
	Credentials *struct {
		Emails []struct {
			Value  string `json:"value"`
			Status string `json:"status"`
			Type   string `json:"type"`
		} `json:"emails"`
	} `json:"credentials"`
}

// mapped are the Okta base profile attributes that become standard claims;
// every other attribute (custom ones included) goes to Custom.
var mapped = map[string]bool{
	"login": true, "email": true, "firstName": true, "lastName": true, "middleName": true,
	"displayName": true, "nickName": true, "profileUrl": true, "mobilePhone": true, "primaryPhone": true,
	"streetAddress": true, "city": true, "state": true, "zipCode": true, "countryCode": true,
	"postalAddress": true, "locale": true, "timezone": true,
}

func decodeUser(b []byte) (*profile.Profile, error) {
	var u oktaUser
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, err
	}
	return u.profile(), nil
}

func (u oktaUser) profile() *profile.Profile {
	s := func(k string) string { v, _ := u.Profile[k].(string); return v }
	p := &profile.Profile{
		Sub:               u.ID,
		GivenName:         s("firstName"),
		FamilyName:        s("lastName"),
		MiddleName:        s("middleName"),
		Nickname:          s("nickName"),
		Name:              s("displayName"),
		PreferredUsername: s("login"),
		Website:           s("profileUrl"),
		Email:             s("email"),
		PhoneNumber:       s("mobilePhone"),
		// Okta writes locales as en_US; OIDC and BCP 47 as en-US.
		Locale:   strings.ReplaceAll(s("locale"), "_", "-"),
		Zoneinfo: s("timezone"),
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
	}
	if p.PhoneNumber == "" {
		p.PhoneNumber = s("primaryPhone")
	}
	if u.Credentials != nil {
		for _, e := range u.Credentials.Emails {
			if strings.EqualFold(e.Value, p.Email) && e.Status == "VERIFIED" {
				p.EmailVerified = true
			}
		}
	}
	addr := profile.Address{StreetAddress: s("streetAddress"), Locality: s("city"), Region: s("state"),
		PostalCode: s("zipCode"), Country: s("countryCode"), Formatted: s("postalAddress")}
	if addr != (profile.Address{}) {
		p.Address = &addr
	}
	if t, err := time.Parse(time.RFC3339Nano, u.LastUpdated); err == nil {
		t = t.UTC()
		p.UpdatedAt = &t
	}
	custom := map[string]any{}
	for k, v := range u.Profile {
		if !mapped[k] && v != nil {
			custom[k] = v
		}
	}
	if u.Status != "" {
		custom["okta_status"] = u.Status
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p
}
