package gigya

import (
	"fmt"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// account is an accounts.getAccountInfo answer (and an accounts.search
// result), the parts a profile needs.
type account struct {
	UID                  string         `json:"UID"`
	LastUpdatedTimestamp int64          `json:"lastUpdatedTimestamp"` // ms
	Profile              accountProfile `json:"profile"`
	Data                 map[string]any `json:"data"`
	Preferences          map[string]any `json:"preferences"`
	Emails               *accountEmails `json:"emails"`
}

type accountProfile struct {
	Email      string `json:"email"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	Nickname   string `json:"nickname"`
	Username   string `json:"username"`
	PhotoURL   string `json:"photoURL"`
	Gender     string `json:"gender"`
	Locale     string `json:"locale"`
	BirthYear  int    `json:"birthYear"`
	BirthMonth int    `json:"birthMonth"`
	BirthDay   int    `json:"birthDay"`
	Address    string `json:"address"`
	City       string `json:"city"`
	State      string `json:"state"`
	Zip        string `json:"zip"`
	Country    string `json:"country"`
	Phones     []struct {
		Type   string `json:"type"`
		Number string `json:"number"`
	} `json:"phones"`
}

type accountEmails struct {
	Verified []string `json:"verified"`
}

var genders = map[string]string{"m": "male", "f": "female"}

// profile maps the account: profile.* to the OIDC fields, data.* to
// Custom, preferences (consent statements) to Consents by their dotted id.
func (a *account) profile() *profile.Profile {
	pr := a.Profile
	p := &profile.Profile{
		Sub: a.UID, GivenName: pr.FirstName, FamilyName: pr.LastName, Nickname: pr.Nickname,
		PreferredUsername: pr.Username, Picture: pr.PhotoURL, Email: pr.Email, Gender: genders[pr.Gender], Locale: pr.Locale,
	}
	p.Name = strings.TrimSpace(pr.FirstName + " " + pr.LastName)
	if a.Emails != nil && pr.Email != "" {
		for _, e := range a.Emails.Verified {
			if strings.EqualFold(e, pr.Email) {
				p.EmailVerified = true
			}
		}
	}
	switch {
	case pr.BirthYear > 0 && pr.BirthMonth > 0 && pr.BirthDay > 0:
		p.Birthdate = fmt.Sprintf("%04d-%02d-%02d", pr.BirthYear, pr.BirthMonth, pr.BirthDay)
	case pr.BirthYear > 0:
		p.Birthdate = fmt.Sprintf("%04d", pr.BirthYear)
	}
	for _, ph := range pr.Phones { // the mobile number, else the first
		if ph.Number != "" && (p.PhoneNumber == "" || strings.EqualFold(ph.Type, "mobile")) {
			p.PhoneNumber = ph.Number
		}
	}
	if pr.Address != "" || pr.City != "" || pr.State != "" || pr.Zip != "" || pr.Country != "" {
		p.Address = &profile.Address{StreetAddress: pr.Address, Locality: pr.City, Region: pr.State, PostalCode: pr.Zip, Country: pr.Country}
	}
	if a.LastUpdatedTimestamp > 0 {
		t := time.UnixMilli(a.LastUpdatedTimestamp).UTC()
		p.UpdatedAt = &t
	}
	if len(a.Data) > 0 {
		p.Custom = a.Data
	}
	consents(p, "", a.Preferences)
	return p
}

// consents walks the preferences tree: an object with isConsentGranted is
// a consent statement, named by its dotted path (terms.tos,
// marketing.newsletter).
func consents(p *profile.Profile, prefix string, node map[string]any) {
	for k, v := range node {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		id := k
		if prefix != "" {
			id = prefix + "." + k
		}
		granted, ok := m["isConsentGranted"].(bool)
		if !ok {
			consents(p, id, m)
			continue
		}
		c := profile.Consent{Granted: granted}
		if s, _ := m["lastConsentModified"].(string); s != "" {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				t = t.UTC()
				c.At = &t
			}
		}
		switch dv := m["docVersion"].(type) {
		case float64:
			c.Version = fmt.Sprint(dv)
		case string:
			c.Version = dv
		}
		if p.Consents == nil {
			p.Consents = map[string]profile.Consent{}
		}
		p.Consents[id] = c
	}
}
