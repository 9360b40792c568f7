package logto

import (
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// user is Logto's user entity (webhook data and GET /api/users/{id}).
type user struct {
	ID           string         `json:"id"`
	Username     *string        `json:"username"`
	PrimaryEmail *string        `json:"primaryEmail"`
	PrimaryPhone *string        `json:"primaryPhone"`
	Name         *string        `json:"name"`
	Avatar       *string        `json:"avatar"`
	CustomData   map[string]any `json:"customData"`
	IsSuspended  bool           `json:"isSuspended"`
	UpdatedAt    int64          `json:"updatedAt"` // epoch ms
	Profile      struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
		MiddleName string `json:"middleName"`
		Nickname   string `json:"nickname"`
		Website    string `json:"website"`
		Gender     string `json:"gender"`
		Birthdate  string `json:"birthdate"`
		Zoneinfo   string `json:"zoneinfo"`
		Locale     string `json:"locale"`
		Address    *struct {
			Formatted     string `json:"formatted"`
			StreetAddress string `json:"streetAddress"`
			Locality      string `json:"locality"`
			Region        string `json:"region"`
			PostalCode    string `json:"postalCode"`
			Country       string `json:"country"`
		} `json:"address"`
	} `json:"profile"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// profile maps the user to a full snapshot. customData keeps its keys under
// Custom; a suspended user is marked there too.
func (u user) profile() *profile.Profile {
	pr := u.Profile
	p := &profile.Profile{
		Sub: u.ID, PreferredUsername: deref(u.Username), Name: deref(u.Name), Picture: deref(u.Avatar),
		GivenName: pr.GivenName, FamilyName: pr.FamilyName, MiddleName: pr.MiddleName, Nickname: pr.Nickname,
		Website: pr.Website, Gender: pr.Gender, Birthdate: pr.Birthdate, Zoneinfo: pr.Zoneinfo, Locale: pr.Locale,
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
	}
	if e := deref(u.PrimaryEmail); e != "" {
		p.Email, p.EmailVerified = e, true
	}
	if ph := deref(u.PrimaryPhone); ph != "" {
		if !strings.HasPrefix(ph, "+") {
			ph = "+" + ph // Logto stores E.164 digits without the plus
		}
		p.PhoneNumber, p.PhoneNumberVerified = ph, true
	}
	if a := pr.Address; a != nil {
		p.Address = &profile.Address{Formatted: a.Formatted, StreetAddress: a.StreetAddress, Locality: a.Locality,
			Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	if u.UpdatedAt > 0 {
		t := time.UnixMilli(u.UpdatedAt).UTC()
		p.UpdatedAt = &t
	}
	custom := map[string]any{}
	for k, v := range u.CustomData {
		custom[k] = v
	}
	if u.IsSuspended {
		custom["suspended"] = true
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p
}
