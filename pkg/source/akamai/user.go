package akamai

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// mapped lists the record attributes mapRecord reads into named fields;
// secret lists those never copied anywhere. The rest go to Custom.
var (
	mapped = map[string]bool{
		"uuid": true, "email": true, "emailVerified": true, "givenName": true, "middleName": true,
		"familyName": true, "displayName": true, "birthday": true, "gender": true, "mobileNumber": true,
		"phoneNumber": true, "primaryAddress": true, "consents": true, "lastUpdated": true,
	}
	secret = map[string]bool{"password": true, "id": true, "created": true, "accessCredentials": true}
)

// captureTime reads Capture's timestamp forms.
func captureTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999 -0700", "2006-01-02 15:04:05 -0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return sourcekit.JSONTime(t)
		}
	}
	return time.Time{}, false
}

// mapRecord turns a Capture user record into a Profile.
func mapRecord(raw json.RawMessage) (*profile.Profile, error) {
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, err
	}
	str := func(k string) string { s, _ := rec[k].(string); return s }
	p := &profile.Profile{
		Sub:        str("uuid"),
		Email:      str("email"),
		GivenName:  str("givenName"),
		MiddleName: str("middleName"),
		FamilyName: str("familyName"),
		Name:       str("displayName"),
		Gender:     str("gender"),
		Birthdate:  birthdate(str("birthday")),
	}
	// emailVerified is the time of verification, or null.
	p.EmailVerified = str("emailVerified") != ""
	p.PhoneNumber = str("mobileNumber")
	if p.PhoneNumber == "" {
		p.PhoneNumber = str("phoneNumber")
	}
	if t, ok := captureTime(str("lastUpdated")); ok {
		p.UpdatedAt = &t
	}
	if a, ok := rec["primaryAddress"].(map[string]any); ok {
		p.Address = address(a)
	}
	if c, ok := rec["consents"].(map[string]any); ok {
		p.Consents = consents(c)
	}
	for k, v := range rec {
		if mapped[k] || secret[k] || v == nil {
			continue
		}
		if p.Custom == nil {
			p.Custom = map[string]any{}
		}
		p.Custom[k] = v
	}
	return p, nil
}

// birthdate keeps the date part of a Capture date or timestamp.
func birthdate(s string) string {
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		return s[:10]
	}
	return s
}

func address(a map[string]any) *profile.Address {
	str := func(k string) string { s, _ := a[k].(string); return s }
	street := strings.TrimSpace(strings.Join([]string{str("address1"), str("address2")}, "\n"))
	addr := &profile.Address{
		StreetAddress: street,
		Locality:      str("city"),
		Region:        str("stateAbbreviation"),
		PostalCode:    str("zip"),
		Country:       str("country"),
	}
	if *addr == (profile.Address{}) {
		return nil
	}
	return addr
}

func consents(cs map[string]any) map[string]profile.Consent {
	out := map[string]profile.Consent{}
	for purpose, v := range cs {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		granted, ok := m["granted"].(bool)
		if !ok {
			continue
		}
		c := profile.Consent{Granted: granted}
		if s, _ := m["updated"].(string); s != "" {
			if t, ok := captureTime(s); ok {
				c.At = &t
			}
		}
		out[purpose] = c
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
