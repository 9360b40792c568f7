package logto

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// eventTypes maps Logto hook events to profile events.
var eventTypes = map[string]profile.EventType{
	"PostRegister":      profile.Created,
	"User.Created":      profile.Created,
	"User.Data.Updated": profile.Updated,
	"User.Deleted":      profile.Deleted,
}

// Parser verifies and decodes one Logto source's webhooks. It is safe for
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

// payload is a hook request body, the fields a sync needs.
type payload struct {
	Event         string               `json:"event"`
	CreatedAt     string               `json:"createdAt"`
	UserID        string               `json:"userId"`
	User          *struct{ ID string } `json:"user"`
	ApplicationID string               `json:"applicationId"`
	Path          string               `json:"path"`
	Params        struct {
		UserID string `json:"userId"`
	} `json:"params"`
	// Data is decoded in the same pass as the envelope (a second pass
	// over the user doubled the cost); null for User.Deleted.
	Data *user `json:"data"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.verify(req.Header.Get(SignatureHeader), req.Body); err != nil {
		return nil, err
	}
	var pl payload
	if err := json.Unmarshal(req.Body, &pl); err != nil {
		// Another kind of event may carry a data object that is no user
		// (Role.*, Organization.*): ignore it rather than refuse it.
		var head struct{ Event string }
		if json.Unmarshal(req.Body, &head) == nil && head.Event != "" {
			if _, ours := eventTypes[head.Event]; !ours {
				return nil, nil
			}
		}
		return nil, fmt.Errorf("logto %s: decode body: %w: %w", p.name, source.ErrMalformed, err)
	}
	if pl.Event == "" {
		return nil, fmt.Errorf("logto %s: no event: %w", p.name, source.ErrMalformed)
	}
	typ, ok := eventTypes[pl.Event]
	if !ok {
		return nil, nil // authentic, but not a profile change
	}
	var snap *profile.Profile
	var dataID string
	if pl.Data != nil && typ != profile.Deleted {
		dataID, snap = pl.Data.ID, pl.Data.profile()
	}
	sub := firstNonEmpty(dataID, pl.UserID, pl.Params.UserID, userOf(pl), pathUserID(pl.Path))
	if sub == "" {
		return nil, fmt.Errorf("logto %s: %s without a user id: %w", p.name, pl.Event, source.ErrMalformed)
	}
	if snap != nil && snap.Sub != sub {
		snap = nil // data about another user than the event's: trust neither, fetch
	}
	e := profile.Event{
		Source:      p.name,
		Type:        typ,
		Subject:     sub,
		OccurredAt:  req.Now,
		ReceivedAt:  req.Now,
		Environment: p.cfg.Environment,
		ClientID:    pl.ApplicationID,
		SourceType:  pl.Event,
		Profile:     snap,
	}
	if t, err := time.Parse(time.RFC3339Nano, pl.CreatedAt); err == nil {
		e.OccurredAt = t.UTC()
	}
	// No event id: the same event hashes alike on every retry and from
	// every hook that delivers it.
	sum := sha256.Sum256([]byte(pl.Event + "\x00" + sub + "\x00" + pl.CreatedAt))
	e.ID = hex.EncodeToString(sum[:])
	return []profile.Event{e}, nil
}

func userOf(pl payload) string {
	if pl.User == nil {
		return ""
	}
	return pl.User.ID
}

// pathUserID reads the id from a Management API path, /users/{userId}.
func pathUserID(path string) string {
	rest, ok := strings.CutPrefix(path, "/users/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
