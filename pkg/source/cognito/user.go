package cognito

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// customPrefix marks a pool's custom attributes ("custom:tier").
const customPrefix = "custom:"

// attribute is one of a user's attributes in the API's answers.
type attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// user is a user of AdminGetUser (UserAttributes) or ListUsers
// (Attributes).
type user struct {
	Username             string      `json:"Username"`
	Attributes           []attribute `json:"Attributes"`
	UserAttributes       []attribute `json:"UserAttributes"`
	Enabled              *bool       `json:"Enabled"`
	UserStatus           string      `json:"UserStatus"`
	UserLastModifiedDate float64     `json:"UserLastModifiedDate"`
}

// profile maps u. A disabled user keeps Custom["enabled"] = false so
// mappings can tell.
func (u user) profile() *profile.Profile {
	attrs := make(map[string]string, len(u.Attributes)+len(u.UserAttributes))
	for _, a := range append(u.Attributes, u.UserAttributes...) {
		attrs[a.Name] = a.Value
	}
	p := profileOf(attrs)
	if p.PreferredUsername == "" && u.Username != p.Sub {
		p.PreferredUsername = u.Username
	}
	if u.Enabled != nil && !*u.Enabled {
		if p.Custom == nil {
			p.Custom = map[string]any{}
		}
		p.Custom["enabled"] = false
	}
	if s := u.UserLastModifiedDate; s > 0 && s < 253402300800 { // before year 10000
		sec, frac := math.Modf(s)
		t := time.Unix(int64(sec), int64(frac*1e9)).UTC()
		p.UpdatedAt = &t
	}
	return p
}

// profileOf maps a user's attributes (every value a string, as both the
// trigger events and the API carry them) to OIDC claims; custom:<name>
// becomes Custom[<name>] (see customValue). Cognito's own attributes
// (cognito:user_status, cognito:mfa_enabled…) are left out.
func profileOf(a map[string]string) *profile.Profile {
	p := &profile.Profile{
		Sub: a["sub"], Name: a["name"], GivenName: a["given_name"], FamilyName: a["family_name"],
		MiddleName: a["middle_name"], Nickname: a["nickname"], PreferredUsername: a["preferred_username"],
		Picture: a["picture"], Website: a["website"], Email: a["email"], Gender: a["gender"],
		Birthdate: a["birthdate"], Zoneinfo: a["zoneinfo"], Locale: a["locale"], PhoneNumber: a["phone_number"],
		EmailVerified: a["email_verified"] == "true", PhoneNumberVerified: a["phone_number_verified"] == "true",
	}
	if s := a["address"]; s != "" {
		// Cognito keeps address as a string: the OIDC JSON object when
		// the app wrote one, else a formatted address.
		var addr profile.Address
		if json.Unmarshal([]byte(s), &addr) != nil || addr == (profile.Address{}) {
			addr = profile.Address{Formatted: s}
		}
		p.Address = &addr
	}
	if n, err := strconv.ParseInt(a["updated_at"], 10, 64); err == nil && n > 0 && n < 253402300800 {
		t := time.Unix(n, 0).UTC()
		p.UpdatedAt = &t
	}
	for k, v := range a {
		if name, ok := strings.CutPrefix(k, customPrefix); ok && name != "" {
			if p.Custom == nil {
				p.Custom = map[string]any{}
			}
			p.Custom[name] = customValue(v)
		}
	}
	return p
}

// customValue reads a custom attribute back as what Update wrote: Cognito
// stores strings, so Update writes a bool, number or object as its JSON
// text, and true/false, an object, an array or a number whose text is
// canonical come back typed. Any other text stays a string ("0042" does,
// as a Cognito Number attribute written "42" becomes 42).
func customValue(s string) any {
	switch {
	case s == "true":
		return true
	case s == "false":
		return false
	case strings.HasPrefix(s, "{") || strings.HasPrefix(s, "["):
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			return v
		}
	default:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && strconv.FormatFloat(f, 'f', -1, 64) == s {
			return f
		}
	}
	return s
}

// attributeValue is customValue's inverse for Update: Cognito's string.
func attributeValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), !math.IsInf(x, 0) && !math.IsNaN(x)
	case float32:
		return attributeValue(float64(x))
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		return x.String(), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}
