package ssf

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Event type URIs this adapter acts on.
const (
	riscPrefix = "https://schemas.openid.net/secevent/risc/event-type/"
	caepPrefix = "https://schemas.openid.net/secevent/caep/event-type/"

	AccountPurged     = riscPrefix + "account-purged"
	AccountDisabled   = riscPrefix + "account-disabled"
	AccountEnabled    = riscPrefix + "account-enabled"
	IdentifierChanged = riscPrefix + "identifier-changed"
	CredentialChange  = caepPrefix + "credential-change"
)

// Parser verifies and decodes one SSF stream's SETs. It is safe for
// concurrent use.
type Parser struct {
	name string
	cfg  Config
	jwks *jose.Cache
}

var (
	_ source.Parser   = (*Parser)(nil)
	_ source.Answerer = (*Parser)(nil)
)

// NewParser returns a Parser for the source instance name; hc fetches the
// JWKS (nil means a client with a 10 s timeout).
func NewParser(name string, cfg Config, hc *http.Client) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if err := sourcekit.CheckEgress(hc, "jwks_url", cfg.JWKSURL); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg, jwks: jose.NewCache(cfg.JWKSURL, "ssf", sourcekit.Client(hc))}, nil
}

// New returns the Parser of the source instance name; SSF has no profile
// API, so the Fetcher is always nil.
func New(name string, cfg Config, hc *http.Client) (*Parser, *noFetcher, error) {
	p, err := NewParser(name, cfg, hc)
	return p, nil, err
}

// noFetcher only gives New the registry's shape; it is never built.
type noFetcher struct{}

func (*noFetcher) Fetch(context.Context, string) (*profile.Profile, error) {
	return nil, fmt.Errorf("ssf: no profile API: %w", source.ErrNotFound)
}

// subjectID is an RFC 9493 Subject Identifier.
type subjectID struct {
	Format string `json:"format"`
	Sub    string `json:"sub"`
	ID     string `json:"id"`
	Email  string `json:"email"`
	Phone  string `json:"phone_number"`
}

type claims struct {
	Iss    string                     `json:"iss"`
	Aud    audience                   `json:"aud"`
	Iat    float64                    `json:"iat"`
	Toe    float64                    `json:"toe"`
	Jti    string                     `json:"jti"`
	Sub    string                     `json:"sub"`
	SubID  *subjectID                 `json:"sub_id"`
	Events map[string]json.RawMessage `json:"events"`
}

// eventBody holds the members of the events this adapter reads.
type eventBody struct {
	Subject        *subjectID `json:"subject"` // pre-1.0 drafts
	EventTimestamp float64    `json:"event_timestamp"`
	Reason         string     `json:"reason"`
	NewValue       string     `json:"new-value"`
	ChangeType     string     `json:"change_type"`
	CredentialType string     `json:"credential_type"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(ctx context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.authorize(req.Header.Get("Authorization")); err != nil {
		return nil, err
	}
	payload, err := p.verifySET(ctx, req.Body, req.Now)
	if err != nil {
		return nil, err
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, p.refuse(ErrCodeInvalidRequest, "claims do not decode")
	}
	// A valid signature over another issuer or audience is still not for us.
	if c.Iss != p.cfg.Issuer {
		return nil, p.refuse(ErrCodeInvalidIssuer, "iss does not match")
	}
	if !contains(c.Aud, p.cfg.Audience) {
		return nil, p.refuse(ErrCodeInvalidAudience, "aud does not contain the configured audience")
	}
	if c.Jti == "" || len(c.Events) == 0 {
		return nil, p.refuse(ErrCodeInvalidRequest, "a SET needs jti and events")
	}
	names := make([]string, 0, len(c.Events))
	for n := range c.Events {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []profile.Event
	for _, name := range names {
		var ev eventBody
		if err := json.Unmarshal(c.Events[name], &ev); err != nil {
			return nil, p.refuse(ErrCodeInvalidRequest, "an event is not an object")
		}
		e, ok := p.event(name, ev, c, req.Now)
		if ok {
			out = append(out, e)
		}
	}
	if err := sourcekit.CheckEvents(out); err != nil {
		return nil, p.refuse(ErrCodeInvalidRequest, err.Error())
	}
	return out, nil
}

// event maps one event of the SET; ok false for one that changes no profile.
func (p *Parser) event(name string, ev eventBody, c claims, now time.Time) (profile.Event, bool) {
	if name == CredentialChange && !p.cfg.CredentialChange {
		return profile.Event{}, false
	}
	sid := c.SubID
	if sid == nil {
		sid = ev.Subject
	}
	if sid == nil && c.Sub != "" {
		sid = &subjectID{Format: "iss_sub", Sub: c.Sub}
	}
	subject := p.subject(sid)
	if subject == "" {
		return profile.Event{}, false
	}
	e := profile.Event{
		ID: c.Jti + "/" + name, Source: p.name, Subject: subject, Type: profile.Updated,
		OccurredAt: epoch(now, ev.EventTimestamp, c.Toe, c.Iat), ReceivedAt: now,
		Environment: p.cfg.Environment, SourceType: name,
	}
	snap := &profile.Profile{Sub: subject, Custom: map[string]any{"ssf_event": name}}
	switch name {
	case AccountPurged:
		e.Type = profile.Deleted
		return e, true
	case AccountDisabled:
		snap.Custom["active"] = false
		if ev.Reason != "" {
			snap.Custom["disabled_reason"] = ev.Reason
		}
	case AccountEnabled:
		snap.Custom["active"] = true
	case IdentifierChanged:
		switch sid.Format {
		case "email":
			snap.Email = ev.NewValue
		case "phone_number":
			snap.PhoneNumber = ev.NewValue
		}
	case CredentialChange:
		snap.Custom["credential_change"] = ev.ChangeType
		snap.Custom["credential_type"] = ev.CredentialType
	default:
		return profile.Event{}, false
	}
	e.Profile = snap
	return e, true
}

// subject keys the profile by sid when its format is one the config takes.
func (p *Parser) subject(sid *subjectID) string {
	if sid == nil || !contains(p.cfg.SubjectFormats, sid.Format) {
		return ""
	}
	switch sid.Format {
	case "iss_sub":
		return sid.Sub
	case "opaque":
		return sid.ID
	case "email":
		return sid.Email
	case "phone_number":
		return sid.Phone
	}
	return ""
}

// epoch returns the first plausible of the epoch-second times, else now.
func epoch(now time.Time, secs ...float64) time.Time {
	for _, s := range secs {
		if s > 0 && s < math.MaxInt32*4 {
			sec, frac := math.Modf(s)
			if t, ok := sourcekit.JSONTime(time.Unix(int64(sec), int64(frac*1e9))); ok {
				return t
			}
		}
	}
	return now
}
