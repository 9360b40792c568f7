package entra

import (
	"encoding/json"
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
)

// selectFields are the user properties Fetch and List ask for ($select):
// Graph returns only a default set without it, and never the custom
// attributes.
var selectFields = []string{
	"id", "displayName", "givenName", "surname", "mail", "otherMails", "userPrincipalName", "identities",
	"mobilePhone", "businessPhones", "streetAddress", "city", "state", "postalCode", "country",
	"preferredLanguage", "accountEnabled", "createdDateTime",
}

// AccountEnabledAttribute is the Custom key of the user's accountEnabled.
const AccountEnabledAttribute = "entra_account_enabled"

// graphUser is a Graph user object, as far as a profile needs it; every
// property, the extensions included, stays in raw.
type graphUser struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	Mail              string   `json:"mail"`
	OtherMails        []string `json:"otherMails"`
	UserPrincipalName string   `json:"userPrincipalName"`
	Identities        []struct {
		SignInType       string `json:"signInType"`
		IssuerAssignedID string `json:"issuerAssignedId"`
	} `json:"identities"`
	MobilePhone       string   `json:"mobilePhone"`
	BusinessPhones    []string `json:"businessPhones"`
	StreetAddress     string   `json:"streetAddress"`
	City              string   `json:"city"`
	State             string   `json:"state"`
	PostalCode        string   `json:"postalCode"`
	Country           string   `json:"country"`
	PreferredLanguage string   `json:"preferredLanguage"`
	AccountEnabled    *bool    `json:"accountEnabled"`

	raw map[string]json.RawMessage
}

func decodeUser(b []byte) (*graphUser, error) {
	var u graphUser
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &u.raw); err != nil {
		return nil, err
	}
	return &u, nil
}

// profile maps the user; custom attributes (extension_<app>_<name>) come
// back under their short names in Custom.
func (u *graphUser) profile(cfg *Config) *profile.Profile {
	p := &profile.Profile{
		Sub:               u.ID,
		Name:              u.DisplayName,
		GivenName:         u.GivenName,
		FamilyName:        u.Surname,
		PreferredUsername: u.UserPrincipalName,
		Email:             u.Mail,
		PhoneNumber:       u.MobilePhone,
		Locale:            u.PreferredLanguage,
	}
	// External ID's local accounts sign in with an e-mail address kept in
	// identities, often with mail empty.
	for _, id := range u.Identities {
		if p.Email == "" && id.SignInType == "emailAddress" {
			p.Email = id.IssuerAssignedID
		}
	}
	if p.Email == "" && len(u.OtherMails) > 0 {
		p.Email = u.OtherMails[0]
	}
	if p.PhoneNumber == "" && len(u.BusinessPhones) > 0 {
		p.PhoneNumber = u.BusinessPhones[0]
	}
	addr := profile.Address{StreetAddress: u.StreetAddress, Locality: u.City, Region: u.State, PostalCode: u.PostalCode, Country: u.Country}
	if addr != (profile.Address{}) {
		p.Address = &addr
	}
	custom := map[string]any{}
	for _, name := range cfg.CustomAttributes {
		raw, ok := u.raw[cfg.extensionName(name)]
		if !ok || string(raw) == "null" {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) == nil {
			custom[name] = v
		}
	}
	if u.AccountEnabled != nil {
		custom[AccountEnabledAttribute] = *u.AccountEnabled
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p
}

// selectQuery is the $select value: the standard properties and the
// configured custom attributes.
func (c *Config) selectQuery() string {
	fields := append([]string(nil), selectFields...)
	for _, name := range c.CustomAttributes {
		fields = append(fields, c.extensionName(name))
	}
	return strings.Join(fields, ",")
}
