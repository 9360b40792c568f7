// Package claims verifies self-declared claims (a role, a qualification, a
// subscription) against authoritative sources and decides the verdict the
// verifier function writes back to the CIAM profile.
//
// The pieces:
//   - rules (mappings/claims/*.yaml, rules.go): which claim, where its
//     evidence is in the profile, which authorities decide and how they
//     combine, what a verdict writes back and how long it holds;
//   - authorities (one package per kind below pkg/claims/authority, listed
//     by pkg/claims/authority/registry): each answers one Check;
//   - the engine (engine.go): runs a rule's authorities, combines their
//     answers and produces a Decision;
//   - the verifier (verifier.go): the two ways in (POST /claims/verify and
//     the verifier queue), the audit store and the write-back.
package claims

import (
	"context"
	"errors"
)

// Verdict is what an authority, or a whole rule, concluded.
type Verdict string

const (
	// Verified: the authority confirms the claim.
	Verified Verdict = "verified"
	// Rejected: the authority answered and the claim does not hold (no
	// such record, inactive, a mismatch, a refused domain).
	Rejected Verdict = "rejected"
	// Pending: no verdict yet. An authority that is down, throttled or
	// slow answers Pending (through ErrUnavailable), never Rejected; a
	// manual approval is Pending until someone decides.
	Pending Verdict = "pending"
)

// ErrUnavailable wraps every failure that means "ask again later": the
// authority is down, throttled (429), timed out, or answered with an
// error of its own that is not about the evidence (VIES MS_UNAVAILABLE).
// The engine turns it into Pending and the verifier retries; it is never
// a rejection.
var ErrUnavailable = errors.New("authority unavailable")

// ErrMisconfigured wraps failures no retry can fix and that are not about
// the evidence either: refused credentials, an authority that answers
// something the authority package cannot read (a malformed answer). The
// engine records the claim Pending with this reason and the verifier
// alarms; it never rejects a customer for it.
var ErrMisconfigured = errors.New("authority misconfigured or answered malformed data")

// Request is one claim to check with one authority.
type Request struct {
	// Claim is the rule's claim name (e.g. "hcp"); Value is the value the
	// customer declared (e.g. "health_care_professional").
	Claim string
	Value string
	// Subject is the CIAM subject. Authorities must not send it anywhere
	// unless their settings say so.
	Subject string
	// Rule is the claim rule's name; Source, Environment and ClientID
	// say where the profile lives (the manual approval records them).
	Rule        string
	Source      string
	Environment string
	ClientID    string
	// Evidence holds the values the rule's evidence paths found in the
	// profile, by the rule's names (e.g. "npi", "last_name", "state",
	// "vat_id", "email"). Absent paths are absent keys.
	Evidence map[string]string
	// EmailVerified is the profile's email_verified (the e-mail domain
	// authority requires it).
	EmailVerified bool
}

// Answer is one authority's conclusion about one Request.
type Answer struct {
	Verdict Verdict
	// Reason says why, in words safe for logs and the audit: codes and
	// rule names, never the evidence values themselves (e.g. "npi: not
	// active", "vies: invalid", "domain: free-mail").
	Reason string
	// Reference identifies the authority's record of the check, kept as
	// evidence: the NPI number, the VIES consultation number, a CRM
	// account id, a directory DN, an approval id.
	Reference string
	// Attributes are values the authority found that a rule may write
	// back (enrichment): e.g. an account's customer number and segment,
	// a directory department. Keys are the authority's own names.
	Attributes map[string]any
	// Calls describe what was asked and answered, for the CLI's dry run
	// (profilesync claims verify). Redacted: no secrets.
	Calls []Call
}

// Call is one request an authority made, for a dry run's display.
type Call struct {
	Method string
	URL    string // query values that are evidence may appear: a dry run is the operator's own
	Status int
	Answer string // the answer, shortened
}

// Authority checks claims against one authoritative source. Check returns
// an Answer with Verified or Rejected when the source answered, or an
// error wrapping ErrUnavailable (try again later) or ErrMisconfigured.
// It must honour ctx's deadline: the synchronous way in gives it a slice
// of a CIAM hook's 3 s budget.
type Authority interface {
	Check(ctx context.Context, req Request) (Answer, error)
}
