// Package brevo is the Brevo (ex-Sendinblue) connector: it creates and
// updates contacts through the contacts API v3, keyed on the contact's
// ext_id (the CIAM subject, by default) or its email; keeps consent as
// membership of the configured lists; deletes contacts; and opts them out
// by blocklisting their email or unlinking the lists. It authenticates
// with an API key in the api-key header.
//
// What a mapping produces: the key is the ext_id (identifier: ext_id) or
// the email (identifier: email). Fields named email, subscribed (bool: join
// or leave list_ids; absent leaves membership alone), emailBlacklisted and
// smsBlacklisted (bools) are read as such, case-insensitively; ext_id is
// dropped; every other field is a contact attribute, upper-cased (firstname
// becomes FIRSTNAME), and must exist in the Brevo account.
//
// Files: config.go (mapping settings and the secret), body.go (mapped
// fields to request bodies), client.go (Upsert, Delete, OptOut and the HTTP
// plumbing), errors.go (the error body and its classification). The fake
// API lives in pkg/sandbox/brevo.
package brevo

import (
	"context"
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

// maxBody bounds how much of a response is read.
const maxBody = 1 << 20

// DefaultTimeout bounds one HTTP call when the caller passes no client.
const DefaultTimeout = 30 * time.Second

const contactsPath = "/v3/contacts"

// Client writes contacts to one Brevo account. It is safe for concurrent
// use.
type Client struct {
	settings Settings
	creds    Credentials
	hc       *http.Client
}

// Compile-time checks that Client is every port the registry and the
// sync handler look for.
var (
	_ connector.Connector = (*Client)(nil)
	_ connector.OptOuter  = (*Client)(nil)
)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("brevo target %s: %w", name, err)
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	return &Client{settings: s, creds: c, hc: hc}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("brevo target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "brevo", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("brevo target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// Upsert creates or updates the contact identified by r.Key.
//
// By email, with no list to leave, it is one POST with updateEnabled
// (201 created, 204 updated). Otherwise it updates by identifier (PUT;
// unlinkListIds exists only there) and creates on 404; a create that lost
// a race to another one (duplicate_parameter) updates once more.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if err := c.checkKey(r.Key); err != nil {
		return connector.Result{}, err
	}
	ct, err := parseFields(r.Fields)
	if err != nil {
		return connector.Result{}, fmt.Errorf("upsert contact: %w", err)
	}
	sent := redact.SentValues(r.Fields, r.Key)
	leaving := ct.subscribed != nil && !*ct.subscribed
	if c.settings.Identifier == ByEmail && !leaving {
		res, err := c.post(ctx, r.Key, ct, sent)
		return res, wrap("upsert", err)
	}
	found, err := c.put(ctx, r.Key, c.update(ct), sent)
	if err != nil || found {
		return connector.Result{}, wrap("upsert", err)
	}
	res, err := c.post(ctx, r.Key, ct, sent)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == codeDuplicate {
		if found, err2 := c.put(ctx, r.Key, c.update(ct), sent); err2 == nil && found {
			return connector.Result{}, nil
		}
	}
	return res, wrap("upsert", err)
}

// Delete deletes the contact identified by r.Key; a missing contact counts
// as deleted.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	if err := c.checkKey(r.Key); err != nil {
		return err
	}
	p, err := c.contactPath(r.Key)
	if err != nil {
		return err
	}
	status, h, resp, err := c.call(ctx, http.MethodDelete, p, nil)
	switch {
	case err != nil:
	case status/100 == 2, status == http.StatusNotFound:
		return nil
	default:
		err = classify(status, h, resp, []string{r.Key})
	}
	return wrap("delete", err)
}

// OptOut withdraws the contact's consent as opt_out says: blocklist sets
// emailBlacklisted, unlink_lists removes it from list_ids. A missing
// contact has nothing to opt out of.
func (c *Client) OptOut(ctx context.Context, r connector.Record) error {
	if err := c.checkKey(r.Key); err != nil {
		return err
	}
	b := updateBody{UnlinkListIDs: c.settings.ListIDs}
	if c.settings.OptOut == OptOutBlocklist {
		yes := true
		b = updateBody{EmailBlacklisted: &yes}
	}
	_, err := c.put(ctx, r.Key, b, []string{r.Key})
	return wrap("opt out", err)
}

// put updates the contact; found is false on 404.
func (c *Client) put(ctx context.Context, key string, b updateBody, sent []string) (found bool, err error) {
	p, err := c.contactPath(key)
	if err != nil {
		return false, err
	}
	status, h, resp, err := c.call(ctx, http.MethodPut, p, b)
	switch {
	case err != nil:
		return false, err
	case status/100 == 2:
		return true, nil
	case status == http.StatusNotFound:
		return false, nil
	}
	return false, classify(status, h, resp, sent)
}

// post creates the contact (or, with updateEnabled, updates the one that
// has its email). 201 carries the new contact's id.
func (c *Client) post(ctx context.Context, key string, ct contact, sent []string) (connector.Result, error) {
	status, h, resp, err := c.call(ctx, http.MethodPost, contactsPath, c.create(key, ct))
	switch {
	case err != nil:
		return connector.Result{}, err
	case status == http.StatusCreated:
		var created struct {
			ID json.Number `json:"id"`
		}
		_ = json.Unmarshal(resp, &created) // the write happened; an odd body only costs the id
		return connector.Result{ID: created.ID.String(), Created: true}, nil
	case status/100 == 2:
		return connector.Result{}, nil
	}
	return connector.Result{}, classify(status, h, resp, sent)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s contact: %w", op, err)
}

// contactPath addresses the contact by key with an explicit identifierType,
// the key escaped as one path segment.
func (c *Client) contactPath(key string) (string, error) {
	seg, err := connectorkit.PathSegment("brevo", "record key", key)
	if err != nil {
		return "", err
	}
	return contactsPath + "/" + seg + "?identifierType=" + c.settings.Identifier.identifierType(), nil
}

// checkKey refuses keys that cannot identify a contact.
func (c *Client) checkKey(key string) error {
	switch {
	case key == "" || key == "." || key == "..":
		_, err := connectorkit.PathSegment("brevo", "record key", key)
		return err
	case c.settings.Identifier == ByEmail && !strings.Contains(key, "@"):
		return fault.New(fault.Permanent, 0, "", `identifier is email, but the record key is not an email (set the mapping's key to the email)`)
	}
	return nil
}

// call sends one request with the api-key header. Non-2xx statuses come
// back for the caller to read; errors are transport failures (Transient)
// or an unencodable body (Permanent).
func (c *Client) call(ctx context.Context, method, path string, body any) (int, http.Header, []byte, error) {
	b, err := connectorkit.EncodeJSON(body, "request")
	if err != nil {
		return 0, nil, nil, err
	}
	h := connectorkit.JSONHeader(b)
	h.Set("api-key", c.creds.APIKey)
	return connectorkit.Call(ctx, c.hc, method, c.creds.BaseURL+path, h, b, maxBody)
}
