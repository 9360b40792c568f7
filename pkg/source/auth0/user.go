package auth0

import (
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// auth0User is the Management API's (and Event Streams') user object, as
// far as a profile needs it.
type auth0User struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Username      string         `json:"username"`
	PhoneNumber   string         `json:"phone_number"`
	PhoneVerified bool           `json:"phone_verified"`
	Name          string         `json:"name"`
	GivenName     string         `json:"given_name"`
	FamilyName    string         `json:"family_name"`
	Nickname      string         `json:"nickname"`
	Picture       string         `json:"picture"`
	UpdatedAt     string         `json:"updated_at"`
	Blocked       bool           `json:"blocked"`
	UserMetadata  map[string]any `json:"user_metadata"`
	AppMetadata   map[string]any `json:"app_metadata"`
}

// profile maps the user to a snapshot. Metadata keeps its Auth0 name under
// Custom, so mappings can tell user-editable (user_metadata) values from
// those only the tenant's admins and rules write (app_metadata).
func (u *auth0User) profile() *profile.Profile {
	p := &profile.Profile{
		Sub: u.UserID, Email: u.Email, EmailVerified: u.EmailVerified, PreferredUsername: u.Username,
		PhoneNumber: u.PhoneNumber, PhoneNumberVerified: u.PhoneVerified, Name: u.Name,
		GivenName: u.GivenName, FamilyName: u.FamilyName, Nickname: u.Nickname, Picture: u.Picture,
	}
	if t, err := time.Parse(time.RFC3339Nano, u.UpdatedAt); err == nil {
		t = t.UTC()
		p.UpdatedAt = &t
	}
	custom := map[string]any{}
	if len(u.UserMetadata) > 0 {
		custom["user_metadata"] = u.UserMetadata
	}
	if len(u.AppMetadata) > 0 {
		custom["app_metadata"] = u.AppMetadata
	}
	if u.Blocked {
		custom["blocked"] = true
	}
	if len(custom) > 0 {
		p.Custom = custom
	}
	return p
}
