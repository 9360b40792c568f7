package fusionauth

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// user is FusionAuth's User object, as in webhook events and the User API,
// the fields a profile needs.
type user struct {
	ID                 string         `json:"id"`
	Email              string         `json:"email"`
	Username           string         `json:"username"`
	FirstName          string         `json:"firstName"`
	MiddleName         string         `json:"middleName"`
	LastName           string         `json:"lastName"`
	FullName           string         `json:"fullName"`
	BirthDate          string         `json:"birthDate"` // YYYY-MM-DD
	MobilePhone        string         `json:"mobilePhone"`
	ImageURL           string         `json:"imageUrl"`
	PreferredLanguages []string       `json:"preferredLanguages"`
	Timezone           string         `json:"timezone"`
	Verified           bool           `json:"verified"`
	Active             *bool          `json:"active"`
	LastUpdateInstant  int64          `json:"lastUpdateInstant"` // epoch ms
	Data               map[string]any `json:"data"`
}

// profile maps the user. data{} goes to Custom as it is; a user that is not
// active says so in Custom["active"] (false), the deactivation marker
// mappings can test.
func (u user) profile() *profile.Profile {
	p := &profile.Profile{
		Sub: u.ID, Email: u.Email, EmailVerified: u.Verified && u.Email != "",
		PreferredUsername: u.Username, GivenName: u.FirstName, MiddleName: u.MiddleName, FamilyName: u.LastName,
		Name: u.FullName, Birthdate: u.BirthDate, PhoneNumber: u.MobilePhone, Picture: u.ImageURL, Zoneinfo: u.Timezone,
	}
	if p.Name == "" {
		p.Name = strings.Join(strings.Fields(u.FirstName+" "+u.MiddleName+" "+u.LastName), " ")
	}
	if len(u.PreferredLanguages) > 0 {
		p.Locale = strings.ReplaceAll(u.PreferredLanguages[0], "_", "-")
	}
	if u.LastUpdateInstant > 0 {
		if t, ok := sourcekit.JSONTime(time.UnixMilli(u.LastUpdateInstant)); ok {
			p.UpdatedAt = &t
		}
	}
	if len(u.Data) > 0 {
		p.Custom = map[string]any{}
		for k, v := range u.Data {
			p.Custom[k] = v
		}
	}
	if u.Active != nil && !*u.Active {
		if p.Custom == nil {
			p.Custom = map[string]any{}
		}
		p.Custom["active"] = false
	}
	return p
}

// userResponse is GET /api/user/{userId}'s answer.
type userResponse struct {
	User user `json:"user"`
}

// decodeUser reads a user object; it is its own function so the fetch and
// the webhook share one decoder.
func decodeUser(b []byte) (user, error) {
	var r userResponse
	err := json.Unmarshal(b, &r)
	return r.User, err
}
