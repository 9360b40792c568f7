package entra

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// ValidationParam is the query parameter of Graph's subscription
// validation request.
const ValidationParam = "validationToken"

// maxValidationToken bounds the echoed token (Graph's are about 100
// characters: "Validation: Testing client application reachability for
// subscription Request-Id: <guid>").
const maxValidationToken = 1024

// changeTypes maps Graph's changeType to profile events; others yield no
// events.
var changeTypes = map[string]profile.EventType{
	"created": profile.Created,
	"updated": profile.Updated,
	"deleted": profile.Deleted,
}

// Parser verifies and decodes one source's change notifications. It is
// safe for concurrent use.
type Parser struct {
	name       string
	cfg        Config
	tenantIsID bool
	log        *slog.Logger
}

var (
	_ source.Parser     = (*Parser)(nil)
	_ source.Handshaker = (*Parser)(nil)
	_ source.Answerer   = (*Parser)(nil)
)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg, tenantIsID: appIDRE.MatchString(cfg.TenantID), log: slog.Default()}, nil
}

// collection is a changeNotificationCollection, as far as it is read.
type collection struct {
	Value []notification `json:"value"`
	// ValidationTokens come with rich notifications only.
	ValidationTokens []string `json:"validationTokens"`
}

// notification is one changeNotification (or lifecycle notification).
type notification struct {
	ID             string  `json:"id"` // optional, not sent for users in v1.0
	SubscriptionID string  `json:"subscriptionId"`
	ChangeType     string  `json:"changeType"`
	Resource       string  `json:"resource"`
	ClientState    *string `json:"clientState"`
	TenantID       string  `json:"tenantId"`
	LifecycleEvent string  `json:"lifecycleEvent"`
	ResourceData   *struct {
		ODataType string `json:"@odata.type"`
		ID        string `json:"id"`
	} `json:"resourceData"`
	EncryptedContent json.RawMessage `json:"encryptedContent"`
}

// Parse implements source.Parser. The clientState is inside the body, so
// the body is decoded first; nothing of it is used before every
// clientState has been checked.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	var c collection
	if err := json.Unmarshal(req.Body, &c); err != nil {
		// Not a notification collection: nothing can prove it came from
		// Graph, so it is refused as unauthenticated.
		return nil, fmt.Errorf("entra %s: body is not a notification collection: %w", p.name, source.ErrUnauthenticated)
	}
	if err := p.authenticate(c.Value); err != nil {
		return nil, err
	}
	if len(c.ValidationTokens) > 0 {
		return nil, p.malformed("rich notifications (includeResourceData) are not supported: subscribe to users without includeResourceData")
	}
	var out []profile.Event
	for i := range c.Value {
		n := &c.Value[i]
		if len(n.EncryptedContent) > 0 && string(n.EncryptedContent) != "null" {
			return nil, p.malformed("value[%d] carries encryptedContent: rich notifications (includeResourceData) are not supported: subscribe to users without includeResourceData", i)
		}
		if n.LifecycleEvent != "" {
			// reauthorizationRequired, subscriptionRemoved, missed: the
			// subscription needs its owner, not a sync.
			p.log.Warn("entra lifecycle notification ignored: renew or recreate the Graph subscription",
				"source", p.name, "lifecycle_event", n.LifecycleEvent, "subscription_id", n.SubscriptionID)
			continue
		}
		typ, ok := changeTypes[n.ChangeType]
		if !ok {
			continue
		}
		sub, ok, err := n.user()
		if err != nil {
			return nil, p.malformed("value[%d]: %v", i, err)
		}
		if !ok {
			continue // not a user (the subscription's resource is another)
		}
		if n.SubscriptionID == "" {
			return nil, p.malformed("value[%d] without subscriptionId", i)
		}
		out = append(out, profile.Event{
			ID:          dedupeKey(n, req.Now),
			Source:      p.name,
			Type:        typ,
			Subject:     sub,
			OccurredAt:  req.Now, // Graph sends no event time
			ReceivedAt:  req.Now,
			Environment: p.cfg.Environment,
			SourceType:  n.ChangeType,
		})
	}
	return out, nil
}

// user is the user id of a notification whose resource is Users/{id}
// (resourceData.id, when present, must agree); ok false for any other
// resource.
func (n *notification) user() (string, bool, error) {
	kind, id, found := strings.Cut(n.Resource, "/")
	if !found || !strings.EqualFold(kind, "users") || strings.Contains(id, "/") {
		return "", false, nil
	}
	if n.ResourceData != nil && n.ResourceData.ID != "" && n.ResourceData.ID != id {
		return "", false, fmt.Errorf("resource and resourceData.id name different users")
	}
	if id == "" || !printable(id) {
		return "", false, fmt.Errorf("resource without a usable user id")
	}
	return id, true, nil
}

// dedupeKey: Graph sends no notification id for users, so the key is the
// subscription, resource and change type, with the notification's id
// when present and otherwise the minute it arrived. Repeats within that
// minute (Graph's prompt retries, several changes of one user) collapse;
// a retry in a later minute is a second event, which is harmless: every
// event is thin and the sync fetches the current user.
func dedupeKey(n *notification, now time.Time) string {
	h := sha256.New()
	for _, s := range []string{n.SubscriptionID, strings.ToLower(n.Resource), n.ChangeType} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if n.ID != "" {
		h.Write([]byte("id:" + n.ID))
	} else {
		h.Write([]byte("at:" + now.UTC().Truncate(time.Minute).Format(time.RFC3339)))
	}
	return "graph-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Handshake implements source.Handshaker: Graph's validation request
// (POST ?validationToken=…) is answered with the URL-decoded token as
// text/plain. It carries no clientState, so it proves nothing about the
// caller, and answering it reveals nothing: the token is only echoed,
// after checking it is printable text of reasonable length.
func (p *Parser) Handshake(_ context.Context, req source.Request) ([]byte, string, bool, error) {
	tokens, present := req.Query[ValidationParam]
	if !present {
		return nil, "", false, nil
	}
	if len(tokens) != 1 || tokens[0] == "" || len(tokens[0]) > maxValidationToken || !printable(tokens[0]) {
		return nil, "", true, p.malformed("no usable %s", ValidationParam)
	}
	return []byte(tokens[0]), "text/plain", true, nil
}

// AcceptedStatus implements source.Answerer: Graph documents 202 Accepted.
func (p *Parser) AcceptedStatus() int { return 202 }

// Rejection implements source.Answerer: the ingress's own answers stand.
func (p *Parser) Rejection(error) (int, []byte, bool) { return 0, nil, false }

func printable(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func (p *Parser) malformed(format string, args ...any) error {
	return fmt.Errorf("entra %s: %s: %w", p.name, fmt.Sprintf(format, args...), source.ErrMalformed)
}
