package standardwebhooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// eventTypes maps Clerk event types to profile events; others (session.*,
// organization.*, email.created, …) yield no events.
var eventTypes = map[string]profile.EventType{
	"user.created": profile.Created,
	"user.updated": profile.Updated,
	"user.deleted": profile.Deleted,
}

// Parser verifies and decodes one source's webhooks. It is safe for
// concurrent use.
type Parser struct {
	name string
	cfg  Config
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg}, nil
}

// envelope is Clerk's event envelope.
type envelope struct {
	Type      string          `json:"type"`
	Timestamp int64           `json:"timestamp"` // epoch ms
	Data      json.RawMessage `json:"data"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	id, sent, err := p.verify(req.Header, req.Body, req.Now)
	if err != nil {
		return nil, err
	}
	var env envelope
	if err := json.Unmarshal(req.Body, &env); err != nil {
		return nil, fmt.Errorf("standardwebhooks %s: decode body: %w: %w", p.name, source.ErrMalformed, err)
	}
	typ, ok := eventTypes[env.Type]
	if !ok {
		return nil, nil
	}
	var u clerkUser
	if err := json.Unmarshal(env.Data, &u); err != nil {
		return nil, fmt.Errorf("standardwebhooks %s: decode %s data: %w: %w", p.name, env.Type, source.ErrMalformed, err)
	}
	if u.ID == "" {
		return nil, fmt.Errorf("standardwebhooks %s: %s without data.id: %w", p.name, env.Type, source.ErrMalformed)
	}
	e := profile.Event{
		ID:          id,
		Source:      p.name,
		Type:        typ,
		Subject:     u.ID,
		OccurredAt:  sent,
		ReceivedAt:  req.Now,
		Environment: p.cfg.Environment,
		SourceType:  env.Type,
	}
	if t, ok := epochMillis(env.Timestamp); ok {
		e.OccurredAt = t
	}
	if typ != profile.Deleted {
		e.Profile = u.profile()
	}
	out := []profile.Event{e}
	if err := sourcekit.CheckEvents(out); err != nil {
		return nil, fmt.Errorf("standardwebhooks %s: %w: %w", p.name, err, source.ErrMalformed)
	}
	return out, nil
}
