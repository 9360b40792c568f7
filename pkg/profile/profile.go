package profile

import "time"

// Profile is a customer profile in OIDC standard-claim terms, plus consents,
// self-declared claims and a bag for everything the standard does not name.
// JSON tags follow OpenID Connect Core §5.1 so mappings can use the names
// integrators already know.
type Profile struct {
	Sub                 string     `json:"sub"`
	Name                string     `json:"name,omitempty"`
	GivenName           string     `json:"given_name,omitempty"`
	FamilyName          string     `json:"family_name,omitempty"`
	MiddleName          string     `json:"middle_name,omitempty"`
	Nickname            string     `json:"nickname,omitempty"`
	PreferredUsername   string     `json:"preferred_username,omitempty"`
	Picture             string     `json:"picture,omitempty"`
	Website             string     `json:"website,omitempty"`
	Email               string     `json:"email,omitempty"`
	EmailVerified       bool       `json:"email_verified,omitempty"`
	Gender              string     `json:"gender,omitempty"`
	Birthdate           string     `json:"birthdate,omitempty"` // YYYY-MM-DD or YYYY, as OIDC says
	Zoneinfo            string     `json:"zoneinfo,omitempty"`
	Locale              string     `json:"locale,omitempty"`
	PhoneNumber         string     `json:"phone_number,omitempty"`
	PhoneNumberVerified bool       `json:"phone_number_verified,omitempty"`
	Address             *Address   `json:"address,omitempty"`
	UpdatedAt           *time.Time `json:"updated_at,omitempty"`

	// Consents by purpose (e.g. "newsletter", "marketing_email").
	Consents map[string]Consent `json:"consents,omitempty"`
	// Claims by name (e.g. "role", "qualification"): what the customer
	// declared and whether an authority has confirmed it.
	Claims map[string]Claim `json:"claims,omitempty"`
	// Custom holds source attributes with no standard claim, as decoded JSON.
	Custom map[string]any `json:"custom,omitempty"`
}

// Address is the OIDC address claim.
type Address struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"street_address,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Country       string `json:"country,omitempty"`
}

// Consent is the state of one consent purpose.
type Consent struct {
	Granted bool       `json:"granted"`
	At      *time.Time `json:"at,omitempty"`
	Version string     `json:"version,omitempty"`
}

// ClaimStatus says how far a claim has been checked.
type ClaimStatus string

const (
	ClaimDeclared ClaimStatus = "declared"
	ClaimVerified ClaimStatus = "verified"
	ClaimRejected ClaimStatus = "rejected"
)

// Claim is one self-declared attribute and its verification state.
type Claim struct {
	Value     any         `json:"value"`
	Status    ClaimStatus `json:"status"`
	Authority string      `json:"authority,omitempty"`
	CheckedAt *time.Time  `json:"checked_at,omitempty"`
}
