package gigya

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/jose"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// eventTypes maps webhook event types to profile events.
var eventTypes = map[string]profile.EventType{
	"accountCreated":      profile.Created,
	"accountRegistered":   profile.Created,
	"accountUpdated":      profile.Updated,
	"subscriptionUpdated": profile.Updated,
	"accountDeleted":      profile.Deleted,
}

// Parser verifies and decodes one Gigya source's notifications. It is
// safe for concurrent use.
type Parser struct {
	name string
	cfg  Config
	jwks *jose.Cache // the site's public keys; nil for hmac
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name; hc fetches the
// site's public keys for the jwt scheme (nil means a client with a 10 s
// timeout).
func NewParser(name string, cfg Config, hc *http.Client) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	p := &Parser{name: name, cfg: cfg}
	if cfg.Signature == SchemeJWT {
		if err := sourcekit.CheckEgress(hc, "base_url", cfg.BaseURL); err != nil {
			return nil, err
		}
		p.jwks = jose.NewCache(JWKSURL(cfg), "gigya", sourcekit.Client(hc))
	}
	return p, nil
}

// JWKSURL is where the site's public keys are read: accounts.getJWTPublicKey
// with V2=true, which answers a JWKS.
func JWKSURL(cfg Config) string {
	return cfg.BaseURL + "/accounts.getJWTPublicKey?" + url.Values{"apiKey": {cfg.APIKey}, "V2": {"true"}}.Encode()
}

// notification is a webhook's body.
type notification struct {
	Events    []event     `json:"events"`
	Nonce     string      `json:"nonce"`
	Timestamp json.Number `json:"timestamp"`
}

type event struct {
	Type      string      `json:"type"`
	ID        string      `json:"id"`
	Timestamp json.Number `json:"timestamp"`
	APIKey    string      `json:"apiKey"`
	Data      struct {
		UID string `json:"uid"`
	} `json:"data"`
}

// maxEvents is SAP's documented batch size.
const maxEvents = 100

// Parse implements source.Parser.
func (p *Parser) Parse(ctx context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.verify(ctx, req); err != nil {
		return nil, err
	}
	var n notification
	if err := json.Unmarshal(req.Body, &n); err != nil {
		return nil, p.malformed("decode body: %v", err)
	}
	if n.Events == nil || len(n.Events) > maxEvents {
		return nil, p.malformed("want 0 to %d events", maxEvents)
	}
	sent, ok := unix(n.Timestamp)
	if tol := time.Duration(p.cfg.ToleranceSeconds) * time.Second; tol > 0 && p.cfg.Signature == SchemeHMAC {
		if !ok || req.Now.IsZero() || sent.Before(req.Now.Add(-tol)) || sent.After(req.Now.Add(tol)) {
			return nil, p.unauth("timestamp outside the tolerance")
		}
	}
	if !ok {
		sent = req.Now
	}
	var out []profile.Event
	for i, ev := range n.Events {
		typ, known := eventTypes[ev.Type]
		if !known || (ev.APIKey != "" && ev.APIKey != p.cfg.APIKey) {
			continue // a login, or another site of the partner
		}
		if ev.ID == "" || ev.Data.UID == "" {
			return nil, p.malformed("events[%d] (%s) without id or data.uid", i, ev.Type)
		}
		at, ok := unix(ev.Timestamp)
		if !ok {
			at = sent
		}
		out = append(out, profile.Event{
			ID:          ev.ID,
			Source:      p.name,
			Type:        typ,
			Subject:     ev.Data.UID,
			OccurredAt:  at,
			ReceivedAt:  req.Now,
			Environment: p.cfg.Environment,
			SourceType:  ev.Type,
		})
	}
	if err := sourcekit.CheckEvents(out); err != nil {
		return nil, p.malformed("%v", err)
	}
	return out, nil
}

// unix reads epoch seconds that JSON can carry on; anything else is not a
// time.
func unix(n json.Number) (time.Time, bool) {
	s, err := n.Int64()
	if err != nil || s <= 0 {
		return time.Time{}, false
	}
	return sourcekit.JSONTime(time.Unix(s, 0))
}

func (p *Parser) malformed(format string, args ...any) error {
	return fmt.Errorf("gigya %s: %s: %w", p.name, fmt.Sprintf(format, args...), source.ErrMalformed)
}
