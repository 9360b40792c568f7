// Package source declares what a CIAM source adapter provides: a Parser
// that authenticates a webhook on its raw bytes and decodes it into
// profile.Events, and a Fetcher that reads a subject's current profile when
// the event was thin; a Fetcher may also be an Updater (write-back) and a
// Lister (backfill). One package per platform lives below (cidaas, akamai,
// standardwebhooks, okta, auth0, scim, …); the registry package lists them.
package source

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Request is an inbound webhook as the ingress saw it. Body is the raw bytes
// exactly as received: verify on them, never on a re-encoding.
type Request struct {
	Header http.Header // canonical keys
	Query  url.Values
	Body   []byte
	Now    time.Time // the ingress clock, for timestamp tolerances
}

// Errors that every Parser wraps so the ingress maps them to a status
// without knowing the source: ErrUnauthenticated → 401, ErrMalformed → 400.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrMalformed       = errors.New("malformed payload")
	ErrNotFound        = errors.New("subject not found")
)

// Parser authenticates and decodes one source's webhooks.
type Parser interface {
	// Parse verifies req (constant-time, failing closed on any doubt) and
	// only then decodes it. It returns no events, and no error, for an
	// authentic notification that carries no profile change (a login, a
	// test ping). Errors wrap ErrUnauthenticated or ErrMalformed.
	Parse(ctx context.Context, req Request) ([]profile.Event, error)
}

// Challenger is implemented by a Parser whose platform proves a webhook
// URL with a GET before it sends events to it (Okta Event Hooks' one-time
// verification). The ingress answers GET /webhooks/{source} only for such
// parsers; every other source keeps a POST-only URL.
type Challenger interface {
	// Challenge answers a verification GET (req.Body is empty): the JSON
	// body to return with 200, or an error wrapping ErrUnauthenticated or
	// ErrMalformed. It echoes nothing it has not checked.
	Challenge(ctx context.Context, req Request) ([]byte, error)
}

// Fetcher reads a subject's current profile from the CIAM.
type Fetcher interface {
	// Fetch returns the profile, ErrNotFound (wrapped) when the CIAM has no
	// such subject, or a fault.Error classifying the failure.
	Fetch(ctx context.Context, subject string) (*profile.Profile, error)
}

// Updater writes attributes back to a subject's profile in the CIAM: claim
// verdicts and enrichment. A platform's Fetcher implements it when its
// admin API can update a profile (the verifier asserts it).
type Updater interface {
	// Update sets attrs on subject's profile: each key is a custom
	// attribute name (what the platform's Fetch returns under
	// profile.Custom), each value a string, number, bool, nested object or
	// nil (remove the attribute). Attributes not named are left alone.
	// After Update returns nil, Fetch returns the new values. Errors wrap
	// ErrNotFound when the CIAM has no such subject, else are fault.Errors.
	Update(ctx context.Context, subject string, attrs map[string]any) error
}

// Lister pages through every profile a CIAM holds: scheduled exports,
// clean-ups and reconciliation read the CIAM with it. A platform's
// Fetcher implements it when its admin API can list users.
type Lister interface {
	// List returns one page of at most size profiles starting at cursor
	// ("" is the first page) and the cursor of the next page ("" when
	// this was the last). Profiles come in the platform's stable order,
	// so a run resumed at a cursor neither skips nor repeats. A CIAM
	// that throttles answers a fault.Error of class Throttled (with its
	// RetryAfter): the caller waits and asks for the same cursor again.
	List(ctx context.Context, cursor string, size int) (profiles []*profile.Profile, next string, err error)
}
