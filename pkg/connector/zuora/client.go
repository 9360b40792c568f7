// Package zuora is the Zuora Billing connector: it keeps one account
// contact per profile, found by a custom field that holds the record key
// (Object Query or ZOQL), created with POST /v1/contacts (with an
// Idempotency-Key, so a retried create cannot duplicate) or updated with
// PUT /v1/contacts/{id}, and deleted or scrubbed. It authenticates with the
// OAuth 2.0 client credentials flow, renewing the token before it expires
// and once more when Zuora refuses it.
//
// Zuora's v1 API can answer HTTP 200 with {"success": false, "reasons":
// [...]}; every answer is checked and classified by its reason code.
// Zuora contacts have no consent state, so there is no OptOut.
//
// Files: config.go (mapping settings and the secret), auth.go (the token
// request; connectorkit caches it), client.go (Upsert, Delete, the request loop), lookup.go (finding
// a contact by key), errors.go (response bodies and classification). The
// fake API lives in pkg/sandbox/zuora.
package zuora

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// FieldAccountID is the mapped field naming a new contact's account; the
// account_id setting is the default.
const FieldAccountID = "accountId"

// maxBody bounds how much of a response is read.
const maxBody = 1 << 20

// DefaultTimeout bounds one HTTP call when the caller passes no client.
const DefaultTimeout = 30 * time.Second

// Client writes contacts to one Zuora tenant. It is safe for concurrent
// use; its goroutines share one access token.
type Client struct {
	settings Settings
	base     string
	hc       *http.Client
	now      func() time.Time
	tokens   *connectorkit.ClientCredentials[token]
}

var _ connector.Connector = (*Client)(nil)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("zuora target %s: %w", name, err)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	base := strings.TrimRight(c.BaseURL, "/")
	cl := &Client{settings: s, base: base, hc: hc, now: time.Now}
	cl.tokens = newTokenSource(c, base, hc, func() time.Time { return cl.now() })
	return cl, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("zuora target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "zuora", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("zuora target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// Upsert updates the contact whose id_field holds r.Key, or creates one in
// the mapped accountId (else the account_id setting). The fields are Zuora
// contact fields (firstName, lastName, workEmail, …) and custom fields.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if r.Key == "" {
		return connector.Result{}, fault.New(fault.Permanent, 0, "", "record has no key")
	}
	sent := redact.SentValues(r.Fields, r.Key)
	id, err := c.find(ctx, r.Key, sent)
	if err != nil {
		return connector.Result{}, fmt.Errorf("find contact: %w", err)
	}
	body := make(map[string]any, len(r.Fields)+2)
	for k, v := range r.Fields {
		body[k] = v
	}
	body[c.settings.IDField] = r.Key
	if id != "" {
		delete(body, FieldAccountID) // moving a contact is a separate transfer call
		seg, err := connectorkit.PathSegment("zuora", "contact id", id)
		if err != nil {
			return connector.Result{}, err
		}
		if _, err := c.do(ctx, http.MethodPut, "/v1/contacts/"+seg, body, "", sent); err != nil {
			return connector.Result{}, fmt.Errorf("update contact: %w", err)
		}
		return connector.Result{ID: id}, nil
	}
	if s, _ := body[FieldAccountID].(string); s == "" {
		if c.settings.AccountID == "" {
			return connector.Result{}, fault.New(fault.Permanent, 0, "MISSING_ACCOUNT",
				`a new contact needs an account: map "`+FieldAccountID+`" or set "account_id"`)
		}
		body[FieldAccountID] = c.settings.AccountID
	}
	resp, err := c.do(ctx, http.MethodPost, "/v1/contacts", body, idempotencyKey(r), sent)
	if err != nil {
		return connector.Result{}, fmt.Errorf("create contact: %w", err)
	}
	var created struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(resp, &created) // the write happened; an odd body only costs the id
	return connector.Result{ID: created.ID, Created: true}, nil
}

// Delete deletes (or scrubs, per delete_mode) the contact whose id_field
// holds r.Key. A contact that is not there counts as deleted. Zuora refuses
// to delete an account's bill-to or sold-to contact; that is permanent.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	if r.Key == "" {
		return fault.New(fault.Permanent, 0, "", "record has no key")
	}
	sent := redact.SentValues(r.Fields, r.Key)
	id, err := c.find(ctx, r.Key, sent)
	if err != nil {
		return fmt.Errorf("find contact: %w", err)
	}
	if id == "" {
		return nil
	}
	seg, err := connectorkit.PathSegment("zuora", "contact id", id)
	if err != nil {
		return err
	}
	method, path := http.MethodDelete, "/v1/contacts/"+seg
	if c.settings.DeleteMode == DeleteScrub {
		method, path = http.MethodPut, path+"/scrub"
	}
	if _, err := c.do(ctx, method, path, nil, "", sent); err != nil && !notFound(err) {
		return fmt.Errorf("delete contact: %w", err)
	}
	return nil
}

// idempotencyKey is the same for every attempt at one change, so Zuora
// answers a resent create from its 24-hour cache instead of creating a
// second contact.
func idempotencyKey(r connector.Record) string {
	h := sha256.New()
	if r.Event.ID != "" {
		fmt.Fprintf(h, "%s\x00%s\x00create", r.Event.ID, r.Key)
	} else {
		b, _ := json.Marshal(r.Fields)
		fmt.Fprintf(h, "%s\x00%s\x00create", r.Key, b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// do sends one API request and returns the body of a successful answer.
// A 2xx answer with "success": false is a failure like any other. An auth
// failure drops the token and resends once; a second one is an Auth fault.
func (c *Client) do(ctx context.Context, method, path string, body any, idemKey string, sent []string) ([]byte, error) {
	payload, err := connectorkit.EncodeJSON(body, "fields")
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.Get(ctx)
		if err != nil {
			return nil, err
		}
		status, h, resp, err := c.send(ctx, tok, method, path, payload, idemKey)
		if err != nil {
			return nil, err
		}
		if status/100 == 2 && succeeded(resp) {
			return resp, nil
		}
		fe := classify(status, h, resp, sent)
		if fe.Class != fault.Auth || attempt == 1 {
			return nil, fe
		}
		c.tokens.Invalidate(tok)
	}
}

func (c *Client) send(ctx context.Context, tok *token, method, path string, body []byte, idemKey string) (int, http.Header, []byte, error) {
	h := connectorkit.JSONHeader(body)
	h.Set("Authorization", "Bearer "+tok.value)
	if idemKey != "" {
		h.Set("Idempotency-Key", idemKey)
	}
	if c.settings.EntityID != "" {
		h.Set("Zuora-Entity-Ids", c.settings.EntityID)
	}
	return connectorkit.Call(ctx, c.hc, method, c.base+path, h, body, maxBody)
}

// notFound reports a classified "no such object" answer.
func notFound(err error) bool {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return false
	}
	cat, _ := category(fe.Code)
	return fe.Status == http.StatusNotFound || cat == "40"
}
