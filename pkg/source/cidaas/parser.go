package cidaas

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Parser authenticates and decodes one cidaas source's webhooks.
type Parser struct {
	name    string
	cfg     Config
	totpKey []byte
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	p := &Parser{name: name, cfg: cfg}
	if cfg.Auth == AuthTOTP {
		key, err := decodeTOTPKey(cfg.TOTPKey)
		if err != nil {
			return nil, fmt.Errorf("cidaas config: field \"totp_key\": %w", err)
		}
		p.totpKey = key
	}
	return p, nil
}

// payload is the thin webhook body. Its shape is UNCONFIRMED, so every field
// but eventtype and a subject is optional and unknown fields are ignored.
type payload struct {
	EventType   string          `json:"eventtype"`
	ID          string          `json:"id"`
	Sub         string          `json:"sub"`
	TenantKey   string          `json:"tenant_key"`
	CreatedTime json.RawMessage `json:"createdTime"`
	ClientID    string          `json:"client_id"`
	consentNames
	Data json.RawMessage `json:"data"`
}

type consentNames struct {
	ConsentName      string `json:"consent_name"`
	ConsentNameCamel string `json:"consentName"`
}

type payloadData struct {
	Sub      string `json:"sub"`
	ClientID string `json:"client_id"`
	consentNames
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.authenticate(req); err != nil {
		return nil, err
	}
	var pl payload
	if err := json.Unmarshal(req.Body, &pl); err != nil {
		return nil, fmt.Errorf("cidaas %s: decode body: %w: %w", p.name, source.ErrMalformed, err)
	}
	var data payloadData
	if d := bytes.TrimSpace(pl.Data); len(d) > 0 && d[0] == '{' {
		if err := json.Unmarshal(d, &data); err != nil {
			return nil, fmt.Errorf("cidaas %s: decode data: %w: %w", p.name, source.ErrMalformed, err)
		}
	}
	if pl.EventType == "" {
		return nil, fmt.Errorf("cidaas %s: no eventtype: %w", p.name, source.ErrMalformed)
	}
	typ, ok := eventTypes[pl.EventType]
	if !ok {
		return nil, nil // authentic, but not a profile change
	}
	sub := firstNonEmpty(pl.Sub, data.Sub)
	if sub == "" {
		return nil, fmt.Errorf("cidaas %s: %s without sub: %w", p.name, pl.EventType, source.ErrMalformed)
	}
	e := profile.Event{
		ID:          pl.ID,
		Source:      p.name,
		Type:        typ,
		Subject:     sub,
		OccurredAt:  occurredAt(pl.CreatedTime, req.Now),
		ReceivedAt:  req.Now,
		Environment: p.cfg.Environment,
		ClientID:    firstNonEmpty(pl.ClientID, data.ClientID),
		SourceType:  pl.EventType,
	}
	if e.ID == "" {
		sum := sha256.Sum256(req.Body)
		e.ID = hex.EncodeToString(sum[:])
	}
	if typ == profile.ConsentGranted || typ == profile.ConsentRevoked {
		e.Purpose = firstNonEmpty(pl.ConsentName, pl.ConsentNameCamel, data.ConsentName, data.ConsentNameCamel, DefaultPurpose)
	}
	out := []profile.Event{e}
	if err := sourcekit.CheckEvents(out); err != nil {
		return nil, fmt.Errorf("cidaas %s: %w: %w", p.name, err, source.ErrMalformed)
	}
	return out, nil
}

// occurredAt reads createdTime as RFC 3339 (cidaas writes millis) or epoch
// ms, falling back to the ingress clock: the time is an ordering hint, not
// worth rejecting an authentic event over.
func occurredAt(raw json.RawMessage, now time.Time) time.Time {
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if t, ok := sourcekit.JSONTime(t); ok {
				return t
			}
		}
		return now
	}
	if ms, err := strconv.ParseInt(string(raw), 10, 64); err == nil && ms > 0 {
		if t, ok := sourcekit.JSONTime(time.UnixMilli(ms)); ok {
			return t
		}
	}
	return now
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
