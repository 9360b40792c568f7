package cognito

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// Trigger sources (the event's triggerSource) this adapter turns into
// events; every other trigger is authentic but carries no change.
const (
	ConfirmSignUp         = "PostConfirmation_ConfirmSignUp"
	ConfirmForgotPassword = "PostConfirmation_ConfirmForgotPassword"
)

var triggerTypes = map[string]profile.EventType{
	ConfirmSignUp:         profile.Created,
	ConfirmForgotPassword: profile.Updated,
}

// ErrOtherPool is Decode's error for an event of a user pool other than
// the configured one (it wraps source.ErrUnauthenticated): the trigger is
// attached to a pool this source does not stand for.
var ErrOtherPool = errors.New("event of another user pool")

// Parser decodes one Cognito source's trigger events. It is safe for
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

// Name is the source instance's name, the events' Source.
func (p *Parser) Name() string { return p.name }

// errNotHTTP answers every webhook: Cognito signs nothing it could post.
var errNotHTTP = errors.New("cognito events come through the trigger function, not over HTTP")

// Parse implements source.Parser by refusing: Cognito does not call
// webhooks, and a body posted to /webhooks/<name> carries no proof that
// Cognito sent it. Trigger events reach Decode through the
// CognitoTriggerFunction, whose only caller is Cognito (the Lambda
// resource policy).
func (p *Parser) Parse(context.Context, source.Request) ([]profile.Event, error) {
	return nil, fmt.Errorf("cognito %s: %w: %w", p.name, errNotHTTP, source.ErrUnauthenticated)
}

// triggerEvent is the common part of every user pool trigger event.
type triggerEvent struct {
	Version       string `json:"version"`
	Region        string `json:"region"`
	UserPoolID    string `json:"userPoolId"`
	UserName      string `json:"userName"`
	TriggerSource string `json:"triggerSource"`
	CallerContext struct {
		ClientID string `json:"clientId"`
	} `json:"callerContext"`
	Request struct {
		UserAttributes map[string]string `json:"userAttributes"`
	} `json:"request"`
}

// Decode turns a trigger event (the raw JSON Lambda was invoked with) into
// profile events, received at now. A trigger that is not a change yields
// none. Errors wrap source.ErrMalformed (not a trigger event, no sub) or
// source.ErrUnauthenticated (ErrOtherPool).
func (p *Parser) Decode(raw []byte, now time.Time) ([]profile.Event, error) {
	var ev triggerEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("cognito %s: decode trigger event: %w: %w", p.name, source.ErrMalformed, err)
	}
	if ev.TriggerSource == "" || ev.UserPoolID == "" {
		return nil, fmt.Errorf("cognito %s: no triggerSource or userPoolId: %w", p.name, source.ErrMalformed)
	}
	if ev.UserPoolID != p.cfg.UserPoolID {
		return nil, fmt.Errorf("cognito %s: %w: %w", p.name, ErrOtherPool, source.ErrUnauthenticated)
	}
	typ, ok := triggerTypes[ev.TriggerSource]
	if !ok {
		return nil, nil
	}
	attrs := ev.Request.UserAttributes
	sub := attrs["sub"]
	if sub == "" {
		return nil, fmt.Errorf("cognito %s: %s without a sub attribute: %w", p.name, ev.TriggerSource, source.ErrMalformed)
	}
	prof := profileOf(attrs)
	if prof.PreferredUsername == "" && ev.UserName != sub {
		prof.PreferredUsername = ev.UserName
	}
	e := profile.Event{
		ID:          dedupeKey(ev.UserPoolID, ev.UserName, ev.TriggerSource, attrs),
		Source:      p.name,
		Type:        typ,
		Subject:     sub,
		OccurredAt:  now, // the event carries no time: Cognito calls as it happens
		ReceivedAt:  now,
		Environment: p.cfg.Environment,
		ClientID:    ev.CallerContext.ClientID,
		SourceType:  ev.TriggerSource,
		Profile:     prof,
	}
	// A sub that is no key (invalid UTF-8, which encoding/json turns into
	// U+FFFD) is refused here, as not decoded, rather than as an event the
	// queue refuses. Validate names the field, never its value.
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("cognito %s: event: %v: %w", p.name, err, source.ErrMalformed)
	}
	return []profile.Event{e}, nil
}

// dedupeKey hashes what names one trigger of one user: the pool, the user
// name, the trigger and the attributes (sub among them), every part
// length-prefixed so no two tuples share a key. Cognito's retries of an
// invocation carry the same attributes and collapse into one event; a
// second password reset after a change of the profile is a new event, one
// without a change a duplicate that would sync nothing new.
func dedupeKey(pool, userName, trigger string, attrs map[string]string) string {
	h := sha256.New()
	part := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	part(pool)
	part(userName)
	part(trigger)
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		part(k)
		part(attrs[k])
	}
	return "cognito-" + hex.EncodeToString(h.Sum(nil))
}
