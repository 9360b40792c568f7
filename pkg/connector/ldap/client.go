// Package ldap is the LDAP / Active Directory connector: it keeps one
// directory entry per profile, found by an attribute that holds the CIAM
// id (id_attribute) under the DN template's base, and adds, modifies,
// deletes or disables it over one reused, re-binding connection
// (github.com/go-ldap/ldap/v3). The connection is encrypted (ldaps:// or
// StartTLS) unless the secret says insecure: true.
//
// Files: config.go (mapping settings and the secret), conn.go (the shared
// connection: dial, bind, reconnect once), entry.go (fields to attribute
// values, DNs, the add and modify requests), ad.go (Active Directory's
// userAccountControl and initial password), client.go (Upsert, Delete,
// Deactivate), errors.go (result codes to fault classes). The integration
// tests run a throwaway OpenLDAP slapd (internal/slapd), over StartTLS
// with its throwaway CA; AD is tested against a recording fake of the
// connection only.
package ldap

import (
	"context"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"slices"
	"sync"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Client writes profiles as entries of one directory. It is safe for
// concurrent use; calls share one connection and run one at a time.
type Client struct {
	settings Settings
	creds    Credentials
	rdnAttr  string // the DN template's first RDN attribute
	base     string // where entries are searched: the template below its first RDN
	dial     dialer

	mu   sync.Mutex
	conn directory // nil until the first call, or after a drop
}

// Compile-time checks that Client is every port the registry and the
// sync handler look for.
var (
	_ connector.Connector   = (*Client)(nil)
	_ connector.Deactivator = (*Client)(nil)
)

// New returns a Client for the target called name. It connects lazily, on
// the first call. hc is unused (LDAP is not HTTP); it is there so every
// connector's New has the same shape.
func New(name string, s Settings, c Credentials, _ *http.Client) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("ldap target %s: %w", name, err)
	}
	if c.plaintext() {
		return nil, fmt.Errorf("ldap target %s: %w", name, errPlaintext)
	}
	if err := s.checkTransport(c); err != nil {
		return nil, fmt.Errorf("ldap target %s: %w", name, err)
	}
	rdn, base, _ := s.parseTemplate()
	dial, err := dialURL(c)
	if err != nil {
		return nil, fmt.Errorf("ldap target %s: %w", name, err)
	}
	return &Client{settings: s, creds: c, rdnAttr: rdn, base: base, dial: dial}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client;
// it is the registry's constructor.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("ldap target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err != nil {
		return nil, fmt.Errorf("ldap target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// Upsert creates or updates the entry whose id attribute is r.Key. An
// existing entry gets only the attributes whose values changed (fields set
// to nil, "" or [] are removed) and is re-enabled if Deactivate disabled
// it; a new one is added at the DN template. Result.ID is the entry's DN.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	if r.Key == "" {
		return connector.Result{}, fault.New(fault.Permanent, 0, "", "record has no key")
	}
	attrs, err := c.attributes(r.Fields)
	if err != nil {
		return connector.Result{}, fault.Wrap(fault.Permanent, fmt.Errorf("upsert: %w", err))
	}
	var res connector.Result
	err = c.with(ctx, func(d directory) (err error) {
		res, err = c.upsert(d, r.Key, attrs)
		return err
	})
	if err != nil {
		return connector.Result{}, fmt.Errorf("upsert: %w", classify(err, false, redact.SentValues(r.Fields, r.Key)))
	}
	return res, nil
}

func (c *Client) upsert(d directory, key string, attrs []attribute) (connector.Result, error) {
	e, err := c.find(d, key, names(attrs, c.stateAttr()))
	if err != nil {
		return connector.Result{}, err
	}
	if e != nil {
		err := c.update(d, e.DN, e, key, attrs)
		if !isCode(err, ldap.LDAPResultNoSuchObject) {
			return connector.Result{ID: e.DN}, err
		}
		// Deleted between our search and modify: add it afresh.
	}
	dn := c.dn(key)
	err = c.create(d, dn, key, attrs)
	if isCode(err, ldap.LDAPResultEntryAlreadyExists) {
		// The entry at this profile's DN lacks the id attribute (added by
		// hand, or by a concurrent upsert): make it ours.
		return connector.Result{ID: dn}, c.update(d, dn, nil, key, attrs)
	}
	if err != nil {
		return connector.Result{}, err
	}
	return connector.Result{ID: dn, Created: true}, nil
}

// update modifies the entry at dn; have is what the search read of it, nil
// when it was not read.
func (c *Client) update(d directory, dn string, have *ldap.Entry, key string, attrs []attribute) error {
	req := modifyRequest(dn, have, attrs)
	if have == nil {
		req.Replace(c.settings.IDAttribute, []string{key})
	}
	c.enable(req, have)
	if len(req.Changes) == 0 {
		return nil // nothing changed: no write
	}
	return d.Modify(req)
}

// create adds the entry; AD entries are added disabled and then enabled.
func (c *Client) create(d directory, dn, key string, attrs []attribute) error {
	req := c.addRequest(dn, key, attrs)
	if c.settings.Flavor == AD {
		return c.createAD(d, req)
	}
	return d.Add(req)
}

// Delete removes the entry whose id attribute is r.Key; one that is not
// there counts as deleted.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	if r.Key == "" {
		return fault.New(fault.Permanent, 0, "", "record has no key")
	}
	err := c.with(ctx, func(d directory) error {
		e, err := c.find(d, r.Key, nil)
		if err != nil || e == nil {
			return err
		}
		err = d.Del(ldap.NewDelRequest(e.DN, nil))
		if isCode(err, ldap.LDAPResultNoSuchObject) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete: %w", classify(err, false, []string{r.Key}))
	}
	return nil
}

// Deactivate disables the entry whose id attribute is r.Key, keeping it:
// openldap writes disable_value into disable_attribute, AD sets the
// ACCOUNTDISABLE bit of userAccountControl. A missing or already disabled
// entry is left alone.
func (c *Client) Deactivate(ctx context.Context, r connector.Record) error {
	if r.Key == "" {
		return fault.New(fault.Permanent, 0, "", "record has no key")
	}
	err := c.with(ctx, func(d directory) error {
		e, err := c.find(d, r.Key, []string{c.stateAttr()})
		if err != nil || e == nil {
			return err
		}
		req := ldap.NewModifyRequest(e.DN, nil)
		c.disable(req, e)
		if len(req.Changes) == 0 {
			return nil
		}
		err = d.Modify(req)
		if isCode(err, ldap.LDAPResultNoSuchObject) {
			return nil // deleted meanwhile: nothing left to disable
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deactivate: %w", classify(err, false, []string{r.Key}))
	}
	return nil
}

// find returns the entry whose id attribute is key (with attrs read), or
// nil. Two or more matches are a directory problem no retry fixes.
func (c *Client) find(d directory, key string, attrs []string) (*ldap.Entry, error) {
	if len(attrs) == 0 {
		attrs = []string{"1.1"} // RFC 4511: no attributes
	}
	filter := "(" + c.settings.IDAttribute + "=" + ldap.EscapeFilter(key) + ")"
	res, err := d.Search(ldap.NewSearchRequest(c.base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, 0, false, filter, attrs, nil))
	if isCode(err, ldap.LDAPResultSizeLimitExceeded) || (err == nil && len(res.Entries) > 1) {
		return nil, fault.New(fault.Permanent, ldap.LDAPResultSizeLimitExceeded, "ambiguousId",
			fmt.Sprintf("more than one entry under the search base has this %s; make it unique", c.settings.IDAttribute))
	}
	if err != nil || len(res.Entries) == 0 {
		return nil, err
	}
	return res.Entries[0], nil
}

// stateAttr is the attribute that says whether an entry is disabled.
func (c *Client) stateAttr() string {
	if c.settings.Flavor == AD {
		return uacAttr
	}
	return c.settings.DisableAttribute
}

// enable adds to req what re-enables an entry Deactivate disabled. In the
// openldap flavor only the exact disable_value is removed, so a lock the
// directory set itself (a ppolicy lockout time) stays.
func (c *Client) enable(req *ldap.ModifyRequest, have *ldap.Entry) {
	if have == nil {
		return
	}
	if c.settings.Flavor == AD {
		if uac, ok := readUAC(have); ok && uac&uacDisabled != 0 {
			req.Replace(uacAttr, []string{fmt.Sprint(uac &^ uacDisabled)})
		}
		return
	}
	if slices.Contains(have.GetEqualFoldAttributeValues(c.settings.DisableAttribute), c.settings.DisableValue) {
		req.Delete(c.settings.DisableAttribute, []string{c.settings.DisableValue})
	}
}

// disable adds to req what disables the entry have, unless it already is.
func (c *Client) disable(req *ldap.ModifyRequest, have *ldap.Entry) {
	if c.settings.Flavor == AD {
		uac, ok := readUAC(have)
		if !ok {
			uac = uacNormal
		}
		if uac&uacDisabled == 0 {
			req.Replace(uacAttr, []string{fmt.Sprint(uac | uacDisabled)})
		}
		return
	}
	if !slices.Contains(have.GetEqualFoldAttributeValues(c.settings.DisableAttribute), c.settings.DisableValue) {
		req.Replace(c.settings.DisableAttribute, []string{c.settings.DisableValue})
	}
}
