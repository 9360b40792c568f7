package cidaas

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// user is the cidaas user as read here (field names UNCONFIRMED beyond the
// OIDC-style ones cidaas documents for userinfo).
type user struct {
	Sub                  string          `json:"sub"`
	Email                string          `json:"email"`
	EmailVerified        bool            `json:"email_verified"`
	GivenName            string          `json:"given_name"`
	FamilyName           string          `json:"family_name"`
	MiddleName           string          `json:"middle_name"`
	Name                 string          `json:"name"`
	Nickname             string          `json:"nickname"`
	PreferredUsername    string          `json:"preferred_username"`
	Picture              string          `json:"picture"`
	Gender               string          `json:"gender"`
	Birthdate            string          `json:"birthdate"`
	Locale               string          `json:"locale"`
	Zoneinfo             string          `json:"zoneinfo"`
	MobileNumber         string          `json:"mobile_number"`
	MobileNumberVerified bool            `json:"mobile_number_verified"`
	PhoneNumber          string          `json:"phone_number"`
	PhoneNumberVerified  bool            `json:"phone_number_verified"`
	UpdatedAt            json.RawMessage `json:"updated_at"`
	UpdatedTime          string          `json:"updatedTime"`
	CustomFields         map[string]any  `json:"customFields"`
	// Address is the OIDC address claim, which cidaas's userinfo follows.
	Address  *profile.Address `json:"address"`
	Consents json.RawMessage  `json:"consents"`
}

// decodeUser reads a user object, bare or inside cidaas's response
// envelope {"success":true,"status":200,"data":{...}}.
func decodeUser(b []byte) (*profile.Profile, error) {
	var env struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	if env.Success != nil && len(env.Data) > 0 {
		b = env.Data
	}
	var u user
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, err
	}
	p := &profile.Profile{
		Sub:               u.Sub,
		Name:              u.Name,
		GivenName:         u.GivenName,
		FamilyName:        u.FamilyName,
		MiddleName:        u.MiddleName,
		Nickname:          u.Nickname,
		PreferredUsername: u.PreferredUsername,
		Picture:           u.Picture,
		Email:             u.Email,
		EmailVerified:     u.EmailVerified,
		Gender:            u.Gender,
		Birthdate:         dateOnly(u.Birthdate),
		Locale:            u.Locale,
		Zoneinfo:          u.Zoneinfo,
		UpdatedAt:         updatedAt(u.UpdatedAt, u.UpdatedTime),
		Consents:          consents(u.Consents),
		Address:           u.Address,
	}
	// cidaas calls the phone "mobile_number"; OIDC calls it phone_number.
	if u.MobileNumber != "" {
		p.PhoneNumber, p.PhoneNumberVerified = u.MobileNumber, u.MobileNumberVerified
	} else {
		p.PhoneNumber, p.PhoneNumberVerified = u.PhoneNumber, u.PhoneNumberVerified
	}
	if len(u.CustomFields) > 0 {
		p.Custom = u.CustomFields
	}
	return p, nil
}

// dateOnly trims a timestamp birthdate ("1990-04-01T00:00:00Z") to the
// OIDC form.
func dateOnly(s string) string {
	if len(s) > 10 && s[4] == '-' && s[7] == '-' {
		return s[:10]
	}
	return s
}

func updatedAt(raw json.RawMessage, rfc string) *time.Time {
	var secs int64
	if json.Unmarshal(raw, &secs) == nil && secs > 0 {
		if t, ok := sourcekit.JSONTime(time.Unix(secs, 0)); ok {
			return &t
		}
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		rfc = s
	}
	if t, err := time.Parse(time.RFC3339Nano, rfc); err == nil {
		if t, ok := sourcekit.JSONTime(t); ok {
			return &t
		}
	}
	return nil
}

// consents reads the consents member leniently, as its shape is unknown:
// {"purpose": true}, {"purpose": {"accepted"|"granted": bool}}, or a list
// of objects naming the consent and its state. Unreadable entries are skipped.
func consents(raw json.RawMessage) map[string]profile.Consent {
	var list []map[string]any
	var byName map[string]any
	out := map[string]profile.Consent{}
	switch {
	case json.Unmarshal(raw, &byName) == nil:
		for name, v := range byName {
			if c, ok := consentState(v); ok {
				out[name] = c
			}
		}
	case json.Unmarshal(raw, &list) == nil:
		for _, m := range list {
			name := firstString(m, "consent_name", "consentName", "name", "purpose")
			if c, ok := consentState(m); ok && name != "" {
				out[name] = c
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func consentState(v any) (profile.Consent, bool) {
	switch v := v.(type) {
	case bool:
		return profile.Consent{Granted: v}, true
	case map[string]any:
		var c profile.Consent
		switch {
		case isBool(v["accepted"]):
			c.Granted = v["accepted"].(bool)
		case isBool(v["granted"]):
			c.Granted = v["granted"].(bool)
		case firstString(v, "status", "state") != "":
			c.Granted = strings.EqualFold(firstString(v, "status", "state"), "ACCEPTED")
		default:
			return c, false
		}
		c.Version = firstString(v, "version")
		if t, err := time.Parse(time.RFC3339Nano, firstString(v, "accepted_time", "acceptedTime", "updated_at", "updatedTime")); err == nil {
			c.At = &t
		}
		return c, true
	}
	return profile.Consent{}, false
}

func isBool(v any) bool { _, ok := v.(bool); return ok }

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
