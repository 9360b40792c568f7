package keycloak

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

// eventTypes maps phasetwo's type strings to profile events; the rest
// (access.LOGIN, access.UPDATE_PASSWORD, admin.GROUP-…, *_ERROR, …) yield
// no events.
var eventTypes = map[string]profile.EventType{
	"admin.USER-CREATE":     profile.Created,
	"admin.USER-UPDATE":     profile.Updated,
	"admin.USER-DELETE":     profile.Deleted,
	"access.REGISTER":       profile.Created,
	"access.UPDATE_PROFILE": profile.Updated,
	"access.UPDATE_EMAIL":   profile.Updated,
	"access.VERIFY_EMAIL":   profile.Updated,
	"access.DELETE_ACCOUNT": profile.Deleted,
}

// Parser verifies and decodes one Keycloak source's webhooks. It is safe
// for concurrent use.
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
	return &Parser{name: name, cfg: cfg, key: []byte(cfg.Secret)}, nil
}

// payload is phasetwo's ExtendedAdminEvent, the fields a sync needs.
type payload struct {
	UID          string `json:"uid"`
	Time         int64  `json:"time"` // epoch ms
	Type         string `json:"type"`
	ResourcePath string `json:"resourcePath"`
	AuthDetails  struct {
		ClientID string `json:"clientId"`
		UserID   string `json:"userId"`
	} `json:"authDetails"`
	Details map[string]string `json:"details"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.verify(req.Header.Get(SignatureHeader), req.Body); err != nil {
		return nil, err
	}
	var pl payload
	if err := json.Unmarshal(req.Body, &pl); err != nil {
		return nil, fmt.Errorf("keycloak %s: decode body: %w: %w", p.name, source.ErrMalformed, err)
	}
	if pl.Type == "" {
		return nil, fmt.Errorf("keycloak %s: no type: %w", p.name, source.ErrMalformed)
	}
	typ, ok := eventTypes[pl.Type]
	if !ok {
		return nil, nil // authentic, but not a profile change
	}
	sub := subject(pl)
	if sub == "" {
		return nil, fmt.Errorf("keycloak %s: %s without a user id: %w", p.name, pl.Type, source.ErrMalformed)
	}
	e := profile.Event{
		ID:          pl.UID,
		Source:      p.name,
		Type:        typ,
		Subject:     sub,
		OccurredAt:  req.Now,
		ReceivedAt:  req.Now,
		Environment: p.cfg.Environment,
		ClientID:    pl.AuthDetails.ClientID,
		SourceType:  pl.Type,
	}
	if pl.Time > 0 {
		e.OccurredAt = time.UnixMilli(pl.Time).UTC()
	}
	if e.ID == "" {
		sum := sha256.Sum256(req.Body)
		e.ID = hex.EncodeToString(sum[:])
	}
	// A user id that is no key (invalid UTF-8, which encoding/json turns
	// into U+FFFD) is the sender's fault: ErrMalformed here rather than an
	// event the ingress refuses. Validate names the field, never its value.
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("keycloak %s: event: %v: %w", p.name, err, source.ErrMalformed)
	}
	return []profile.Event{e}, nil
}

// subject is the affected user: for an admin event the user in its
// resource path (details.userId, which phasetwo adds, or users/{id}); for
// an access event the user who acted.
func subject(pl payload) string {
	if !strings.HasPrefix(pl.Type, "admin.") {
		return pl.AuthDetails.UserID
	}
	if id := pl.Details["userId"]; id != "" {
		return id
	}
	rest, ok := strings.CutPrefix(pl.ResourcePath, "users/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
