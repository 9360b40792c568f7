package fusionauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// eventTypes maps FusionAuth event types to profile events; each also
// stands for its ".complete" twin.
var eventTypes = map[string]profile.EventType{
	"user.create":                profile.Created,
	"user.update":                profile.Updated,
	"user.email.update":          profile.Updated,
	"user.email.verified":        profile.Updated,
	"user.deactivate":            profile.Updated,
	"user.reactivate":            profile.Updated,
	"user.registration.create":   profile.Updated,
	"user.registration.update":   profile.Updated,
	"user.registration.delete":   profile.Updated,
	"user.registration.verified": profile.Updated,
	"user.delete":                profile.Deleted,
}

// Parser verifies and decodes one FusionAuth source's webhooks. It is safe
// for concurrent use.
type Parser struct {
	name     string
	cfg      Config
	hmacKeys [][]byte
	jwks     *jose.Cache // nil without jwks_url
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name; hc fetches the
// JWKS (nil means a client with a 10 s timeout).
func NewParser(name string, cfg Config, hc *http.Client) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	p := &Parser{name: name, cfg: cfg}
	for _, k := range cfg.HMACKeys {
		p.hmacKeys = append(p.hmacKeys, []byte(k))
	}
	if cfg.JWKSURL != "" {
		if err := sourcekit.CheckEgress(hc, "jwks_url", cfg.JWKSURL); err != nil {
			return nil, err
		}
		p.jwks = jose.NewCache(cfg.JWKSURL, "fusionauth", sourcekit.Client(hc))
	}
	return p, nil
}

type envelope struct {
	Event struct {
		Type          string          `json:"type"`
		ID            string          `json:"id"`
		CreateInstant int64           `json:"createInstant"` // epoch ms
		TenantID      string          `json:"tenantId"`
		ApplicationID string          `json:"applicationId"`
		User          json.RawMessage `json:"user"`
	} `json:"event"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(ctx context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.verify(ctx, req.Header.Get(SignatureHeader), req.Body, req.Now); err != nil {
		return nil, err
	}
	var env envelope
	if err := json.Unmarshal(req.Body, &env); err != nil {
		return nil, fmt.Errorf("fusionauth %s: decode body: %w: %w", p.name, source.ErrMalformed, err)
	}
	ev := env.Event
	if ev.Type == "" {
		return nil, fmt.Errorf("fusionauth %s: no event.type: %w", p.name, source.ErrMalformed)
	}
	typ, ok := eventTypes[strings.TrimSuffix(ev.Type, ".complete")]
	if !ok || (p.cfg.TenantID != "" && ev.TenantID != "" && ev.TenantID != p.cfg.TenantID) {
		return nil, nil // authentic, but no profile change of this tenant
	}
	var u user
	if len(ev.User) > 0 {
		if err := json.Unmarshal(ev.User, &u); err != nil {
			return nil, fmt.Errorf("fusionauth %s: decode %s user: %w: %w", p.name, ev.Type, source.ErrMalformed, err)
		}
	}
	if u.ID == "" {
		return nil, fmt.Errorf("fusionauth %s: %s without user.id: %w", p.name, ev.Type, source.ErrMalformed)
	}
	e := profile.Event{
		ID:          ev.ID,
		Source:      p.name,
		Type:        typ,
		Subject:     u.ID,
		OccurredAt:  req.Now,
		ReceivedAt:  req.Now,
		Environment: p.cfg.Environment,
		ClientID:    ev.ApplicationID,
		SourceType:  ev.Type,
	}
	if e.ID == "" {
		sum := sha256.Sum256(req.Body)
		e.ID = hex.EncodeToString(sum[:])
	}
	if ev.CreateInstant > 0 {
		if t, ok := sourcekit.JSONTime(time.UnixMilli(ev.CreateInstant)); ok {
			e.OccurredAt = t
		}
	}
	if typ != profile.Deleted {
		e.Profile = u.profile()
	}
	out := []profile.Event{e}
	if err := sourcekit.CheckEvents(out); err != nil {
		return nil, fmt.Errorf("fusionauth %s: %w: %w", p.name, err, source.ErrMalformed)
	}
	return out, nil
}
