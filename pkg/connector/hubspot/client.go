// Package hubspot is the HubSpot connector: it upserts CRM v3 contacts in
// batches of up to 100 through batch/upsert, keyed on a custom property with
// unique values that holds the CIAM subject; deletes them by archiving or
// by GDPR delete; and opts an email out of one subscription type through
// the communication preferences v3 API. It authenticates with a private
// app's access token.
//
// What a mapping produces: the key goes into id_property; every field is a
// contact property by its internal name (lower case: firstname, email,
// phone), flat, its value sent as a string ("" clears it). OptOut needs the
// "email" field.
//
// Files: config.go (mapping settings and the secret), client.go (the HTTP
// plumbing, Delete, OptOut), batch.go (Upsert, UpsertBatch and mapping a
// 200/207 answer back to records), errors.go (the error bodies and their
// classification), search.go (the read side: Search, Searcher). The fake
// API lives in pkg/sandbox/hubspot.
package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// maxBody bounds how much of a response is read.
const maxBody = 4 << 20

// DefaultTimeout bounds one HTTP call when the caller passes no client.
const DefaultTimeout = 30 * time.Second

const (
	contactsPath    = "/crm/v3/objects/contacts"
	upsertPath      = contactsPath + "/batch/upsert"
	gdprDeletePath  = contactsPath + "/gdpr-delete"
	unsubscribePath = "/communication-preferences/v3/unsubscribe"
)

// Client writes contacts to one HubSpot portal. It is safe for concurrent
// use.
type Client struct {
	settings Settings
	creds    Credentials
	hc       *http.Client
}

// Compile-time checks that Client is every port the registry and the
// sync handler look for.
var (
	_ connector.Batcher  = (*Client)(nil)
	_ connector.OptOuter = (*Client)(nil)
)

// New returns a Client for the target called name. A nil hc gets a client
// with DefaultTimeout.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("hubspot target %s: %w", name, err)
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
		return nil, fmt.Errorf("hubspot target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "hubspot", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("hubspot target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// Delete removes the contact whose id_property is r.Key, as delete_mode
// says. A contact that is already gone counts as deleted.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	if err := checkKey(r.Key); err != nil {
		return err
	}
	var err error
	if c.settings.DeleteMode == DeleteGDPR {
		err = c.gdprDelete(ctx, r.Key)
	} else {
		err = c.archive(ctx, r.Key)
	}
	if err != nil {
		return fmt.Errorf("delete contact: %w", err)
	}
	return nil
}

// gdprDelete permanently deletes the contact. 404 means there is none.
func (c *Client) gdprDelete(ctx context.Context, key string) error {
	body := map[string]string{"objectId": key, "idProperty": c.settings.IDProperty}
	status, h, resp, err := c.call(ctx, http.MethodPost, gdprDeletePath, nil, body)
	switch {
	case err != nil:
		return err
	case status/100 == 2, status == http.StatusNotFound:
		return nil
	}
	return classify(status, h, resp, []string{key})
}

// archive resolves the key to HubSpot's record id (the archive endpoint
// takes no idProperty) and archives that record. 404 at either step means
// there is none.
func (c *Client) archive(ctx context.Context, key string) error {
	q := url.Values{"idProperty": {c.settings.IDProperty}, "properties": {c.settings.IDProperty}}
	seg, err := connectorkit.PathSegment("hubspot", "record key", key)
	if err != nil {
		return err
	}
	status, h, resp, err := c.call(ctx, http.MethodGet, contactsPath+"/"+seg, q, nil)
	switch {
	case err != nil:
		return err
	case status == http.StatusNotFound:
		return nil
	case status != http.StatusOK:
		return classify(status, h, resp, []string{key})
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(resp, &obj) != nil || obj.ID == "" {
		return fault.New(fault.Transient, status, "", "contact read answered without an id")
	}
	if seg, err = connectorkit.PathSegment("hubspot", "contact id", obj.ID); err != nil {
		return err
	}
	status, h, resp, err = c.call(ctx, http.MethodDelete, contactsPath+"/"+seg, nil, nil)
	switch {
	case err != nil:
		return err
	case status/100 == 2, status == http.StatusNotFound:
		return nil
	}
	return classify(status, h, resp, []string{key})
}

// OptOut unsubscribes the record's email from the subscription type named
// by optout_subscription_id. r.Fields must carry the contact's "email"
// (HubSpot's email property). An email that is already unsubscribed counts
// as success.
func (c *Client) OptOut(ctx context.Context, r connector.Record) error {
	if c.settings.OptOutSubscriptionID == "" {
		return fault.New(fault.Permanent, 0, "", `opt-out needs settings field "optout_subscription_id"`)
	}
	email, _ := r.Fields["email"].(string)
	if email == "" {
		return fault.New(fault.Permanent, 0, "", `opt out contact: the record has no "email" field`)
	}
	body := map[string]string{"emailAddress": email, "subscriptionId": c.settings.OptOutSubscriptionID}
	status, h, resp, err := c.call(ctx, http.MethodPost, unsubscribePath, nil, body)
	if err != nil {
		return fmt.Errorf("opt out contact: %w", err)
	}
	if status/100 == 2 {
		return nil
	}
	if status == http.StatusBadRequest && strings.Contains(parseError(resp).Message, "already unsubscribed") {
		return nil
	}
	return fmt.Errorf("opt out contact: %w", classify(status, h, resp, []string{email}))
}

// checkKey refuses keys that cannot address a contact by URL path.
func checkKey(key string) error {
	_, err := connectorkit.PathSegment("hubspot", "record key", key)
	return err
}

// call sends one request with the private app token. Non-2xx statuses come
// back for the caller to read; errors are transport failures (Transient)
// or an unencodable body (Permanent).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body any) (int, http.Header, []byte, error) {
	b, err := connectorkit.EncodeJSON(body, "request")
	if err != nil {
		return 0, nil, nil, err
	}
	u := c.creds.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	h := connectorkit.JSONHeader(b)
	h.Set("Authorization", "Bearer "+c.creds.AccessToken)
	return connectorkit.Call(ctx, c.hc, method, u, h, b, maxBody)
}
