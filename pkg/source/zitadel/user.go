package zitadel

import (
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// userResponse is the User Service v2 GetUserByID answer.
type userResponse struct {
	Details struct {
		ChangeDate string `json:"changeDate"`
	} `json:"details"`
	User user `json:"user"`
}

type user struct {
	UserID   string `json:"userId"`
	State    string `json:"state"`
	Username string `json:"username"`
	Human    *struct {
		Profile struct {
			GivenName         string `json:"givenName"`
			FamilyName        string `json:"familyName"`
			NickName          string `json:"nickName"`
			DisplayName       string `json:"displayName"`
			PreferredLanguage string `json:"preferredLanguage"`
			Gender            string `json:"gender"`
		} `json:"profile"`
		Email struct {
			Email      string `json:"email"`
			IsVerified bool   `json:"isVerified"`
		} `json:"email"`
		Phone struct {
			Phone      string `json:"phone"`
			IsVerified bool   `json:"isVerified"`
		} `json:"phone"`
	} `json:"human"`
}

// genders maps ZITADEL's enum to OIDC's words (ZITADEL's own userinfo does
// the same); GENDER_UNSPECIFIED becomes no gender.
var genders = map[string]string{"GENDER_FEMALE": "female", "GENDER_MALE": "male", "GENDER_DIVERSE": "diverse"}

// profile maps the answer. A user that is not active keeps its state in
// Custom so mappings can tell a locked or inactive user.
func (r userResponse) profile() *profile.Profile {
	u := r.User
	p := &profile.Profile{Sub: u.UserID, PreferredUsername: u.Username}
	if h := u.Human; h != nil {
		p.GivenName, p.FamilyName, p.Nickname = h.Profile.GivenName, h.Profile.FamilyName, h.Profile.NickName
		p.Name = h.Profile.DisplayName
		if p.Name == "" {
			p.Name = strings.TrimSpace(p.GivenName + " " + p.FamilyName)
		}
		p.Locale = h.Profile.PreferredLanguage
		p.Gender = genders[h.Profile.Gender]
		p.Email, p.EmailVerified = h.Email.Email, h.Email.IsVerified
		p.PhoneNumber, p.PhoneNumberVerified = h.Phone.Phone, h.Phone.IsVerified
	}
	if t, err := time.Parse(time.RFC3339Nano, r.Details.ChangeDate); err == nil {
		t = t.UTC()
		p.UpdatedAt = &t
	}
	if u.State != "" && u.State != "USER_STATE_ACTIVE" {
		p.Custom = map[string]any{"state": u.State}
	}
	return p
}
