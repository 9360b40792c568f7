package okta

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// hookEventType is the envelope's eventType on every Event Hook delivery.
const hookEventType = "com.okta.event_hook"

// ChallengeHeader carries the one-time verification value.
const ChallengeHeader = "X-Okta-Verification-Challenge"

// maxChallenge bounds the echoed value (Okta's are ~40 characters).
const maxChallenge = 256

// eventTypes maps System Log event types to profile events; others yield
// no events.
var eventTypes = map[string]profile.EventType{
	"user.lifecycle.create":           profile.Created,
	"user.account.update_profile":     profile.Updated,
	"user.lifecycle.activate":         profile.Updated,
	"user.lifecycle.reactivate":       profile.Updated,
	"user.lifecycle.deactivate":       profile.Updated,
	"user.lifecycle.suspend":          profile.Updated,
	"user.lifecycle.unsuspend":        profile.Updated,
	"user.lifecycle.delete.initiated": profile.Deleted,
	"user.lifecycle.delete.completed": profile.Deleted,
}

// Parser verifies and decodes one source's Event Hook deliveries. It is
// safe for concurrent use.
type Parser struct {
	name string
	cfg  Config
}

var (
	_ source.Parser     = (*Parser)(nil)
	_ source.Challenger = (*Parser)(nil)
)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg}, nil
}

// delivery is the Event Hook envelope, as far as it is read.
type delivery struct {
	EventType string `json:"eventType"`
	EventTime string `json:"eventTime"`
	Data      struct {
		Events []logEvent `json:"events"`
	} `json:"data"`
}

// logEvent is the part of a System Log LogEvent a profile event needs.
type logEvent struct {
	UUID      string `json:"uuid"`
	Published string `json:"published"`
	EventType string `json:"eventType"`
	Outcome   *struct {
		Result string `json:"result"`
	} `json:"outcome"`
	Client *struct {
		ID *string `json:"id"`
	} `json:"client"`
	Target []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"target"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.authenticate(req.Header); err != nil {
		return nil, err
	}
	var d delivery
	if err := json.Unmarshal(req.Body, &d); err != nil {
		return nil, p.malformed("decode body: %v", err)
	}
	if d.EventType != hookEventType {
		return nil, p.malformed("eventType %q is not %s", d.EventType, hookEventType)
	}
	sent := parseTime(d.EventTime, req.Now)
	var out []profile.Event
	for i, le := range d.Data.Events {
		typ, ok := eventTypes[le.EventType]
		if !ok || (le.Outcome != nil && le.Outcome.Result != "SUCCESS") {
			continue // not a profile change, or a change that did not happen
		}
		sub := le.user()
		if le.UUID == "" || sub == "" {
			return nil, p.malformed("events[%d] (%s) without uuid or User target", i, le.EventType)
		}
		e := profile.Event{
			ID:          le.UUID,
			Source:      p.name,
			Type:        typ,
			Subject:     sub,
			OccurredAt:  parseTime(le.Published, sent),
			ReceivedAt:  req.Now,
			Environment: p.cfg.Environment,
			SourceType:  le.EventType,
		}
		if le.Client != nil && le.Client.ID != nil {
			e.ClientID = *le.Client.ID
		}
		out = append(out, e)
	}
	return out, nil
}

// user is the id of the event's first target of type User.
func (le *logEvent) user() string {
	for _, t := range le.Target {
		if t.Type == "User" {
			return t.ID
		}
	}
	return ""
}

// Challenge implements source.Challenger: Okta's verification GET is
// answered with {"verification": <the header's value>}.
func (p *Parser) Challenge(_ context.Context, req source.Request) ([]byte, error) {
	if got := req.Header.Get(p.cfg.AuthHeader); got != "" && !p.matches(got) {
		return nil, fmt.Errorf("okta %s: challenge with a wrong header secret: %w", p.name, source.ErrUnauthenticated)
	}
	c := req.Header.Get(ChallengeHeader)
	if c == "" || len(c) > maxChallenge || !printable(c) {
		return nil, p.malformed("no usable %s header", ChallengeHeader)
	}
	return json.Marshal(struct {
		Verification string `json:"verification"`
	}{c})
}

func printable(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func parseTime(s string, fallback time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return fallback
}

func (p *Parser) malformed(format string, args ...any) error {
	return fmt.Errorf("okta %s: %s: %w", p.name, fmt.Sprintf(format, args...), source.ErrMalformed)
}
