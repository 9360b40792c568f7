package zitadel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// eventTypes maps ZITADEL eventstore types to profile events.
var eventTypes = map[string]profile.EventType{
	"user.human.added":           profile.Created,
	"user.human.selfregistered":  profile.Created,
	"user.human.profile.changed": profile.Updated,
	"user.human.email.changed":   profile.Updated,
	"user.human.email.verified":  profile.Updated,
	"user.human.phone.changed":   profile.Updated,
	"user.human.phone.verified":  profile.Updated,
	"user.human.phone.removed":   profile.Updated,
	"user.human.address.changed": profile.Updated,
	"user.human.avatar.added":    profile.Updated,
	"user.human.avatar.removed":  profile.Updated,
	"user.username.changed":      profile.Updated,
	"user.removed":               profile.Deleted,
}

// Parser verifies and decodes one ZITADEL source's events. It is safe for
// concurrent use.
type Parser struct {
	name string
	cfg  Config
	key  []byte
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg, key: []byte(cfg.SigningKey)}, nil
}

// payload is an event execution's JSON body, the fields a sync needs.
type payload struct {
	AggregateID   string          `json:"aggregateID"`
	AggregateType string          `json:"aggregateType"`
	Sequence      json.Number     `json:"sequence"`
	EventType     string          `json:"event_type"`
	CreatedAt     string          `json:"created_at"`
	ResourceOwner string          `json:"resourceOwner"`
	EventPayload  json.RawMessage `json:"event_payload"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	sent, err := p.verify(req.Header.Get(SignatureHeader), req.Body, req.Now)
	if err != nil {
		return nil, err
	}
	var pl payload
	if err := json.Unmarshal(req.Body, &pl); err != nil {
		return nil, fmt.Errorf("zitadel %s: decode body: %w: %w", p.name, source.ErrMalformed, err)
	}
	if pl.EventType == "" {
		return nil, fmt.Errorf("zitadel %s: no event_type: %w", p.name, source.ErrMalformed)
	}
	typ, ok := eventTypes[pl.EventType]
	if !ok || pl.AggregateType != "user" {
		return nil, nil // authentic, but not a human user's change
	}
	if pl.AggregateID == "" {
		return nil, fmt.Errorf("zitadel %s: %s without aggregateID: %w", p.name, pl.EventType, source.ErrMalformed)
	}
	e := profile.Event{
		Source:      p.name,
		Type:        typ,
		Subject:     pl.AggregateID,
		OccurredAt:  sent,
		ReceivedAt:  req.Now,
		Environment: p.cfg.Environment,
		SourceType:  pl.EventType,
	}
	if t, err := time.Parse(time.RFC3339Nano, pl.CreatedAt); err == nil {
		e.OccurredAt = t.UTC()
	}
	if seq, err := strconv.ParseUint(pl.Sequence.String(), 10, 64); err == nil && seq > 0 {
		e.ID = pl.AggregateID + ":" + strconv.FormatUint(seq, 10)
	} else {
		sum := sha256.Sum256(req.Body)
		e.ID = hex.EncodeToString(sum[:])
	}
	// An aggregateID that is no key (invalid UTF-8, which encoding/json
	// turns into U+FFFD) is the sender's fault: ErrMalformed here rather
	// than an event the ingress refuses. Validate never quotes a value.
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("zitadel %s: event: %v: %w", p.name, err, source.ErrMalformed)
	}
	return []profile.Event{e}, nil
}
