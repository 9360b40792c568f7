package cidaas

import "github.com/profilesync/profilesync/pkg/profile"

// eventTypes maps cidaas event names to what they mean for a profile. Names
// not listed (LOGIN_WITH_CIDAAS, LOGOUT, MFA_REQUIRED, PASSWORD_CHANGED,
// GROUP_*, ACCOUNT_LOCKED, ACCOUNT_DELETION_SCHEDULED, …) are authentic
// but carry no profile change: Parse returns no events for them.
//
// USER_CREATED/UPDATED/DELETED appear in cidaas's integration guide though
// the webhook service sends the ACCOUNT_* names; both are accepted.
var eventTypes = map[string]profile.EventType{
	"ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY": profile.Created,
	"ACCOUNT_CREATED_WITH_SOCIAL_IDENTITY": profile.Created,
	"INVITE_ACCEPTED":                      profile.Created,
	"USER_CREATED":                         profile.Created,

	"ACCOUNT_MODIFIED":             profile.Updated,
	"EMAIL_CHANGED":                profile.Updated,
	"ACCOUNT_EMAIL_VERIFIED":       profile.Updated,
	"ACCOUNT_EMAIL_UNVERIFIED":     profile.Updated,
	"ACCOUNT_MOBILE_NO_VERIFIED":   profile.Updated,
	"ACCOUNT_MOBILE_NO_UNVERIFIED": profile.Updated,
	"ACCOUNT_ACTIVATED":            profile.Updated,
	"ACCOUNT_DEACTIVATED":          profile.Updated,
	"PROFILE_IMAGE_UPDATED":        profile.Updated,
	"COMBINED":                     profile.Updated,
	"USER_UPDATED":                 profile.Updated,
	"ACCOUNT_DELETED":              profile.Deleted,
	"USER_DELETED":                 profile.Deleted,
	"CONSENT_ACCEPTED":             profile.ConsentGranted,
	"CONSENT_REJECTED":             profile.ConsentRevoked,
	"CONSENT_REVOKED":              profile.ConsentRevoked,
}

// DefaultPurpose names a consent event's purpose when the body names none.
const DefaultPurpose = "default"
