// Package mailchimp is the Mailchimp Marketing API 3.0 connector: it keeps
// one audience member per profile, addressed by the subscriber hash (the
// MD5 of the lower-cased email), with PUT as the upsert, PATCH to
// unsubscribe on a consent revocation, and archive or permanent delete.
//
// Members are keyed by email, not by the CIAM subject: the mapping must
// produce "email_address" (and "previous_email_address" when the address
// changed, so the old member is renamed rather than a second one created).
//
// Files: config.go (mapping settings and the secret), client.go (Upsert,
// OptOut, Delete), errors.go (problem+json classification). The fake API
// lives in pkg/sandbox/mailchimp.
package mailchimp

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Field names the mapping produces.
const (
	// FieldEmail is the member's address; required for every operation.
	FieldEmail = "email_address"
	// FieldPreviousEmail is the address before a change; it is not sent.
	FieldPreviousEmail = "previous_email_address"
)

// maxBody bounds how much of a response is read.
const maxBody = 1 << 20

// DefaultTimeout bounds one HTTP call when the caller passes no client.
const DefaultTimeout = 30 * time.Second

// Client writes members of one audience. It is safe for concurrent use;
// Mailchimp allows 10 simultaneous connections per user, so keep the
// sender's concurrency at or below that.
type Client struct {
	settings Settings
	creds    Credentials
	base     string
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
		return nil, fmt.Errorf("mailchimp target %s: %w", name, err)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	return &Client{settings: s, creds: c, base: c.baseURL(), hc: hc}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("mailchimp target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "mailchimp", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, fmt.Errorf("mailchimp target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// SubscriberHash is Mailchimp's member id: the lowercase hex MD5 of the
// trimmed, lower-cased address.
func SubscriberHash(email string) string {
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

// member is the part of a member answer we use.
type member struct {
	ID string `json:"id"`
}

// Upsert creates or updates the member for r's email_address. When r names
// a different previous_email_address, the member under the old address is
// renamed (PATCH) first; if there is none, the new address is upserted.
// Mailchimp answers 200 both for a create and an update, so Result.Created
// is always false.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	email, err := emailOf(r)
	if err != nil {
		return connector.Result{}, err
	}
	sent := redact.SentValues(r.Fields, r.Key)
	body := c.memberBody(r, email)
	if prev, _ := r.Fields[FieldPreviousEmail].(string); strings.TrimSpace(prev) != "" && SubscriberHash(prev) != SubscriberHash(email) {
		patch := make(map[string]any, len(body))
		for k, v := range body {
			if k != "status_if_new" {
				patch[k] = v
			}
		}
		status, h, resp, err := c.call(ctx, http.MethodPatch, c.memberPath(prev)+c.query(), patch)
		if err != nil {
			return connector.Result{}, fmt.Errorf("rename member: %w", err)
		}
		switch {
		case status/100 == 2:
			return result(resp), nil
		case status != http.StatusNotFound:
			return connector.Result{}, fmt.Errorf("rename member: %w", classify(status, h, resp, sent))
		}
	}
	status, h, resp, err := c.call(ctx, http.MethodPut, c.memberPath(email)+c.query(), body)
	if err != nil {
		return connector.Result{}, fmt.Errorf("upsert member: %w", err)
	}
	if status/100 != 2 {
		return connector.Result{}, fmt.Errorf("upsert member: %w", classify(status, h, resp, sent))
	}
	return result(resp), nil
}

// OptOut unsubscribes the member (consent revoked). A member Mailchimp
// does not know needs no opt-out.
func (c *Client) OptOut(ctx context.Context, r connector.Record) error {
	path, err := c.memberPathOf(r)
	if err != nil {
		return err
	}
	status, h, resp, err := c.call(ctx, http.MethodPatch, path, map[string]any{"status": "unsubscribed"})
	if err != nil {
		return fmt.Errorf("unsubscribe member: %w", err)
	}
	if status/100 == 2 || status == http.StatusNotFound {
		return nil
	}
	return fmt.Errorf("unsubscribe member: %w", classify(status, h, resp, redact.SentValues(r.Fields, r.Key)))
}

// Delete archives or permanently deletes the member, per delete_mode. The
// address comes from email_address, else from the key when it is an email.
// A member that is not there counts as deleted.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	path, err := c.memberPathOf(r)
	if err != nil {
		return err
	}
	method := http.MethodDelete
	if c.settings.DeleteMode == DeletePermanent {
		method, path = http.MethodPost, path+"/actions/delete-permanent"
	}
	status, h, resp, err := c.call(ctx, method, path, nil)
	if err != nil {
		return fmt.Errorf("delete member: %w", err)
	}
	if status/100 == 2 || status == http.StatusNotFound {
		return nil
	}
	return fmt.Errorf("delete member: %w", classify(status, h, resp, redact.SentValues(r.Fields, r.Key)))
}

// emailOf finds the member's address: the email_address field, else a key
// that is an email (a mapping keyed by email, or a delete without fields).
func emailOf(r connector.Record) (string, error) {
	if e, ok := r.Fields[FieldEmail].(string); ok && strings.TrimSpace(e) != "" {
		return strings.TrimSpace(e), nil
	}
	if strings.Contains(r.Key, "@") {
		return strings.TrimSpace(r.Key), nil
	}
	return "", fault.New(fault.Permanent, 0, "MISSING_EMAIL",
		`mailchimp members are keyed by email: the mapping must produce "`+FieldEmail+`" (or key the target by email)`)
}

// memberBody is the PUT body: the mapped fields (without the previous
// address), the trimmed email, status_if_new from the settings unless the
// mapping set one, and the key in key_merge_field when configured.
func (c *Client) memberBody(r connector.Record, email string) map[string]any {
	body := make(map[string]any, len(r.Fields)+2)
	for k, v := range r.Fields {
		if k != FieldPreviousEmail {
			body[k] = v
		}
	}
	body[FieldEmail] = email
	if _, ok := body["status_if_new"]; !ok {
		body["status_if_new"] = c.settings.StatusIfNew
	}
	if tag := c.settings.KeyMergeField; tag != "" {
		merge := map[string]any{}
		if m, ok := body["merge_fields"].(map[string]any); ok {
			for k, v := range m {
				merge[k] = v
			}
		}
		merge[tag] = r.Key
		body["merge_fields"] = merge
	}
	return body
}

func (c *Client) memberPath(email string) string {
	return "/lists/" + url.PathEscape(c.settings.ListID) + "/members/" + SubscriberHash(email)
}

// memberPathOf addresses the member of r: by its e-mail (email_address,
// or a key that is one), else by the member id the sync state kept from
// an earlier upsert (Mailchimp's id is the subscriber hash), so a delete
// or an opt-out of a mapping keyed by subject, which carries no fields,
// still finds the member.
func (c *Client) memberPathOf(r connector.Record) (string, error) {
	email, err := emailOf(r)
	if err == nil {
		return c.memberPath(email), nil
	}
	if subscriberHashRE.MatchString(r.RecordID) {
		return "/lists/" + url.PathEscape(c.settings.ListID) + "/members/" + r.RecordID, nil
	}
	return "", err
}

// subscriberHashRE is a member id: the MD5 of the lower-cased address.
var subscriberHashRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (c *Client) query() string {
	if c.settings.SkipMergeValidation {
		return "?skip_merge_validation=true"
	}
	return ""
}

func result(resp []byte) connector.Result {
	var m member
	_ = json.Unmarshal(resp, &m) // the write happened; an odd body only costs the id
	return connector.Result{ID: m.ID}
}

// call sends one request and returns the status for the caller to read;
// errors are transport failures, already classified.
func (c *Client) call(ctx context.Context, method, path string, body any) (int, http.Header, []byte, error) {
	b, err := connectorkit.EncodeJSON(body, "fields")
	if err != nil {
		return 0, nil, nil, err
	}
	h := connectorkit.JSONHeader(b)
	if c.creds.AccessToken != "" {
		h.Set("Authorization", "Bearer "+c.creds.AccessToken)
	} else {
		h.Set("Authorization", connectorkit.BasicAuth("profilesync", c.creds.APIKey)) // any username works
	}
	return connectorkit.Call(ctx, c.hc, method, c.base+path, h, b, maxBody)
}
