package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// Parser verifies and decodes one generic web hook source's hooks. It is
// safe for concurrent use.
type Parser struct {
	name string
	k    *compiled
	v    *verifier
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	k, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	return &Parser{name: name, k: k, v: newVerifier(name, k)}, nil
}

// Parse implements source.Parser: verify, decode once into a generic
// value, then pick the configured paths out of it.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.v.verify(req); err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(req.Body, &doc); err != nil {
		return nil, p.malformed("decode body: %w", err)
	}
	k := p.k
	raw, ok := k.typ.Lookup(doc)
	if !ok {
		return nil, p.malformed("no event type at %s", k.typ)
	}
	name, err := text(raw)
	if err != nil {
		return nil, p.malformed("event type at %s: %w", k.typ, err)
	}
	typ, ok := k.types[name]
	if !ok {
		return nil, nil // authentic, but not a type this source syncs
	}
	sub, err := p.text(doc, k.subject, true)
	if err != nil {
		return nil, err
	}
	e := profile.Event{
		Source:      p.name,
		Type:        typ,
		Subject:     sub,
		OccurredAt:  req.Now,
		ReceivedAt:  req.Now,
		Environment: k.cfg.Environment,
		SourceType:  name,
	}
	if e.ID, err = p.text(doc, k.id, false); err != nil {
		return nil, err
	}
	if e.ID == "" {
		sum := sha256.Sum256(req.Body)
		e.ID = hex.EncodeToString(sum[:])
	}
	if e.ClientID, err = p.text(doc, k.client, false); err != nil {
		return nil, err
	}
	if k.time != nil {
		if v, ok := k.time.Lookup(doc); ok {
			t, ok := timeOf(v)
			if !ok {
				return nil, p.malformed("event time at %s: want RFC 3339 or Unix seconds or milliseconds", k.time)
			}
			e.OccurredAt = t
		}
	}
	if typ == profile.ConsentGranted || typ == profile.ConsentRevoked {
		if e.Purpose, err = p.text(doc, k.purp, true); err != nil {
			return nil, err
		}
	}
	if len(k.fields) > 0 && typ != profile.Deleted {
		if e.Profile, err = buildProfile(k.fields, doc, sub); err != nil {
			return nil, p.malformed("%w", err)
		}
	}
	if err := e.Validate(); err != nil {
		return nil, p.malformed("%w", err) // a subject or id that is no key; Validate quotes no value
	}
	return []profile.Event{e}, nil
}

// text reads the text at path; a required path must be there and not empty.
func (p *Parser) text(doc any, path *Path, required bool) (string, error) {
	if path == nil {
		return "", nil
	}
	v, ok := path.Lookup(doc)
	if !ok {
		if required {
			return "", p.malformed("nothing at %s", path)
		}
		return "", nil
	}
	s, err := text(v)
	if err != nil {
		return "", p.malformed("%s: %w", path, err)
	}
	if s == "" && required {
		return "", p.malformed("empty at %s", path)
	}
	return s, nil
}

func (p *Parser) malformed(format string, args ...any) error {
	return fmt.Errorf("webhook %s: "+format+": %w", append(append([]any{p.name}, args...), source.ErrMalformed)...)
}
