package akamai

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// eventTypes maps the Webhooks v3 event names to profile events. Others
// (test, userCredentialUpdated, anything new) yield no events.
var eventTypes = map[string]profile.EventType{
	"entityCreated": profile.Created,
	"entityUpdated": profile.Updated,
	"entityDeleted": profile.Deleted,
}

// Parser verifies and decodes one Akamai source's SETs. It is safe for
// concurrent use.
type Parser struct {
	name string
	cfg  Config
	jwks *jose.Cache
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name; hc fetches the
// JWKS (nil means a client with a 10 s timeout).
func NewParser(name string, cfg Config, hc *http.Client) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if err := sourcekit.CheckEgress(hc, "jwks_url", cfg.JWKSURL); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg, jwks: jose.NewCache(cfg.JWKSURL, "akamai", sourcekit.Client(hc))}, nil
}

// New returns the Parser and Fetcher of the source instance name.
func New(name string, cfg Config, hc *http.Client) (*Parser, *Fetcher, error) {
	p, err := NewParser(name, cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFetcher(cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

type setClaims struct {
	Iss    string                     `json:"iss"`
	Aud    audience                   `json:"aud"`
	Iat    float64                    `json:"iat"`
	Toe    float64                    `json:"toe"`
	Jti    string                     `json:"jti"`
	Events map[string]json.RawMessage `json:"events"`
}

type entityEvent struct {
	ID                   string `json:"id"`
	Sub                  string `json:"sub"`
	EntityType           string `json:"entityType"`
	CaptureClientID      string `json:"captureClientId"`
	CaptureApplicationID string `json:"captureApplicationId"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(ctx context.Context, req source.Request) ([]profile.Event, error) {
	payload, err := p.verifyJWS(ctx, req.Body, req.Now)
	if err != nil {
		return nil, err
	}
	var c setClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("akamai %s: decode claims: %w: %w", p.name, source.ErrMalformed, err)
	}
	// A valid signature over another audience or issuer is still not for us.
	if c.Iss != p.cfg.Issuer {
		return nil, p.unauth("iss does not match")
	}
	if !c.Aud.contains(p.cfg.Audience) {
		return nil, p.unauth("aud does not contain the configured audience")
	}
	if len(c.Events) == 0 {
		return nil, fmt.Errorf("akamai %s: SET without events: %w", p.name, source.ErrMalformed)
	}
	names := make([]string, 0, len(c.Events))
	for name := range c.Events {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []profile.Event
	for _, name := range names {
		typ, ok := eventTypes[name]
		if !ok {
			continue
		}
		var ev entityEvent
		if err := json.Unmarshal(c.Events[name], &ev); err != nil {
			return nil, fmt.Errorf("akamai %s: decode %s: %w: %w", p.name, name, source.ErrMalformed, err)
		}
		if ev.EntityType != "" && ev.EntityType != p.cfg.TypeName {
			continue
		}
		if ev.Sub == "" {
			return nil, fmt.Errorf("akamai %s: %s without sub: %w", p.name, name, source.ErrMalformed)
		}
		out = append(out, profile.Event{
			ID:          eventID(ev.ID, c.Jti, name, req.Body),
			Source:      p.name,
			Type:        typ,
			Subject:     ev.Sub,
			OccurredAt:  epoch(c.Toe, c.Iat, req.Now),
			ReceivedAt:  req.Now,
			Environment: p.cfg.Environment,
			ClientID:    ev.CaptureClientID,
			SourceType:  name,
		})
	}
	if err := sourcekit.CheckEvents(out); err != nil {
		return nil, fmt.Errorf("akamai %s: %w: %w", p.name, err, source.ErrMalformed)
	}
	return out, nil
}

// eventID prefers the event's own id (stable across retries and
// redeliveries), then the notification's jti, then a body hash.
func eventID(id, jti, name string, body []byte) string {
	switch {
	case id != "":
		return id
	case jti != "":
		return jti + "/" + name
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]) + "/" + name
}

// epoch returns the first positive of toe and iat (epoch seconds), else now.
func epoch(toe, iat float64, now time.Time) time.Time {
	for _, s := range []float64{toe, iat} {
		if s > 0 && s < math.MaxInt32*4 {
			sec, frac := math.Modf(s)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC()
		}
	}
	return now
}
