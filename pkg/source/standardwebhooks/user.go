package standardwebhooks

import (
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// clerkUser is the part of Clerk's User object a profile needs.
type clerkUser struct {
	ID                    string         `json:"id"`
	Username              *string        `json:"username"`
	FirstName             *string        `json:"first_name"`
	LastName              *string        `json:"last_name"`
	ImageURL              string         `json:"image_url"`
	HasImage              bool           `json:"has_image"`
	Gender                string         `json:"gender"`
	Birthday              string         `json:"birthday"`
	PrimaryEmailAddressID *string        `json:"primary_email_address_id"`
	PrimaryPhoneNumberID  *string        `json:"primary_phone_number_id"`
	EmailAddresses        []clerkEmail   `json:"email_addresses"`
	PhoneNumbers          []clerkPhone   `json:"phone_numbers"`
	ExternalID            *string        `json:"external_id"`
	PublicMetadata        map[string]any `json:"public_metadata"`
	UnsafeMetadata        map[string]any `json:"unsafe_metadata"`
	UpdatedAt             int64          `json:"updated_at"` // epoch ms
}

type clerkVerification struct {
	Status string `json:"status"`
}

type clerkEmail struct {
	ID           string             `json:"id"`
	EmailAddress string             `json:"email_address"`
	Verification *clerkVerification `json:"verification"`
}

type clerkPhone struct {
	ID           string             `json:"id"`
	PhoneNumber  string             `json:"phone_number"`
	Verification *clerkVerification `json:"verification"`
}

func verified(v *clerkVerification) bool { return v != nil && v.Status == "verified" }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// profile maps the user to a full snapshot. Metadata keeps its Clerk name
// under Custom so mappings can tell public from unsafe (user-writable)
// values.
func (u clerkUser) profile() *profile.Profile {
	p := &profile.Profile{
		Sub:               u.ID,
		GivenName:         deref(u.FirstName),
		FamilyName:        deref(u.LastName),
		PreferredUsername: deref(u.Username),
		Gender:            u.Gender,
		Birthdate:         u.Birthday,
	}
	p.Name = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
	if u.HasImage {
		p.Picture = u.ImageURL
	}
	for _, e := range u.EmailAddresses {
		if u.PrimaryEmailAddressID != nil && e.ID == *u.PrimaryEmailAddressID {
			p.Email, p.EmailVerified = e.EmailAddress, verified(e.Verification)
		}
	}
	for _, ph := range u.PhoneNumbers {
		if u.PrimaryPhoneNumberID != nil && ph.ID == *u.PrimaryPhoneNumberID {
			p.PhoneNumber, p.PhoneNumberVerified = ph.PhoneNumber, verified(ph.Verification)
		}
	}
	if t, ok := epochMillis(u.UpdatedAt); ok {
		p.UpdatedAt = &t
	}
	custom := map[string]any{}
	if len(u.PublicMetadata) > 0 {
		custom["public_metadata"] = u.PublicMetadata
	}
	if len(u.UnsafeMetadata) > 0 {
		custom["unsafe_metadata"] = u.UnsafeMetadata
	}
	if u.ExternalID != nil && *u.ExternalID != "" {
		custom["external_id"] = *u.ExternalID
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p
}

// epochMillis reads a positive epoch-ms timestamp JSON can carry on.
func epochMillis(ms int64) (time.Time, bool) {
	if ms <= 0 {
		return time.Time{}, false
	}
	return sourcekit.JSONTime(time.UnixMilli(ms))
}
