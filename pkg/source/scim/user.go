package scim

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// user is the part of an RFC 7643 §4.1 User this source maps; the
// extensions are read from the raw object, by URN.
type user struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Name     struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
		MiddleName string `json:"middleName"`
	} `json:"name"`
	DisplayName  string    `json:"displayName"`
	NickName     string    `json:"nickName"`
	ProfileURL   string    `json:"profileUrl"`
	Locale       string    `json:"locale"`
	Timezone     string    `json:"timezone"`
	Active       *bool     `json:"active"`
	Emails       []multi   `json:"emails"`
	PhoneNumbers []multi   `json:"phoneNumbers"`
	Photos       []multi   `json:"photos"`
	Addresses    []address `json:"addresses"`
	Meta         struct {
		LastModified string `json:"lastModified"`
	} `json:"meta"`
}

// multi is a multi-valued attribute's entry. verified is no RFC 7643
// sub-attribute; some CIAMs add it to emails and phoneNumbers.
type multi struct {
	Value    string `json:"value"`
	Primary  bool   `json:"primary"`
	Verified *bool  `json:"verified"`
}

type address struct {
	Formatted     string `json:"formatted"`
	StreetAddress string `json:"streetAddress"`
	Locality      string `json:"locality"`
	Region        string `json:"region"`
	PostalCode    string `json:"postalCode"`
	Country       string `json:"country"`
	Primary       bool   `json:"primary"`
}

// primary is the entry marked primary, else the first; ok false for none.
func primary[T any](list []T, isPrimary func(T) bool) (T, bool) {
	for _, e := range list {
		if isPrimary(e) {
			return e, true
		}
	}
	if len(list) > 0 {
		return list[0], true
	}
	var none T
	return none, false
}

// toProfile maps one SCIM User (raw JSON) onto the canonical profile,
// ext being the configured extension's URN. The error names no value.
func toProfile(raw []byte, ext string) (*profile.Profile, error) {
	var u user
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &u) != nil || json.Unmarshal(raw, &obj) != nil {
		return nil, errors.New("not a SCIM User object")
	}
	if u.ID == "" {
		return nil, errors.New("a User without id")
	}
	p := &profile.Profile{
		Sub:               u.ID,
		PreferredUsername: u.UserName,
		GivenName:         u.Name.GivenName,
		FamilyName:        u.Name.FamilyName,
		MiddleName:        u.Name.MiddleName,
		Name:              u.DisplayName,
		Nickname:          u.NickName,
		Website:           u.ProfileURL,
		Locale:            u.Locale,
		Zoneinfo:          u.Timezone,
	}
	isPrimary := func(m multi) bool { return m.Primary }
	if e, ok := primary(u.Emails, isPrimary); ok {
		p.Email = e.Value
		p.EmailVerified = e.Verified != nil && *e.Verified
	}
	if ph, ok := primary(u.PhoneNumbers, isPrimary); ok {
		p.PhoneNumber = ph.Value
		p.PhoneNumberVerified = ph.Verified != nil && *ph.Verified
	}
	if ph, ok := primary(u.Photos, isPrimary); ok {
		p.Picture = ph.Value
	}
	if a, ok := primary(u.Addresses, func(a address) bool { return a.Primary }); ok {
		addr := profile.Address{Formatted: a.Formatted, StreetAddress: a.StreetAddress, Locality: a.Locality,
			Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
		if addr != (profile.Address{}) {
			p.Address = &addr
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, u.Meta.LastModified); err == nil {
		if t, ok := sourcekit.JSONTime(t); ok {
			p.UpdatedAt = &t
		}
	}
	custom := map[string]any{}
	if m, ok := extension(obj, ext); ok {
		for k, v := range m {
			if writable(k) {
				custom[k] = v
			}
		}
	}
	if m, ok := extension(obj, EnterpriseExtension); ok && len(m) > 0 {
		custom["enterprise"] = m
	}
	if u.Active != nil {
		custom["active"] = *u.Active
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p, nil
}

// extension returns the object under the URN urn, matched without regard
// to case (RFC 7643 §2.1: URNs in attribute names are case-insensitive).
func extension(obj map[string]json.RawMessage, urn string) (map[string]any, bool) {
	for k, v := range obj {
		if !strings.EqualFold(k, urn) {
			continue
		}
		var m map[string]any
		if json.Unmarshal(v, &m) != nil {
			return nil, false
		}
		return m, true
	}
	return nil, false
}
