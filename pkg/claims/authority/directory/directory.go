// Package directory is the claim authority that looks the customer up in
// the company's own LDAP directory or Active Directory: a search filter
// template whose {evidence} placeholders are escaped with
// ldap.EscapeFilter finds one entry, which may have to be a member of a
// group and hold given attribute values; its attributes can be written
// back (enrichment: department, manager).
//
// It uses the ldap connector's secret (pkg/connector/ldap
// ParseCredentials: url, bind_dn, bind_password, start_tls, insecure,
// ca_cert_pem) and keeps one bound connection, reconnecting once when it
// dropped. A directory that is down or busy is claims.ErrUnavailable; a
// refused bind, a base or group that does not exist, or an untrusted
// certificate is claims.ErrMisconfigured. Files: directory.go (settings,
// Check), conn.go (the connection), judge.go (the verdict on the found
// entry). Tests run against a real slapd (internal/slapd).
package directory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/authority/internal/lookup"
	ldapconn "github.com/profilesync/profilesync/pkg/connector/ldap"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Reasons this authority answers with.
const (
	ReasonMissing   = "directory: missing evidence"
	ReasonNoEntry   = "directory: no entry"
	ReasonAmbiguous = "directory: ambiguous"
	ReasonNotInGrp  = "directory: not in group"
	ReasonAttribute = "directory: attribute mismatch"
	ReasonVerified  = "directory: match"
)

// Spec is the directory authority's settings and secret (the ldap
// connector's secret).
var Spec = spec.Component{
	Kind:    "directory",
	Summary: "An LDAP or Active Directory entry found by a filter template; optionally a group member with given attribute values.",
	Settings: []spec.Field{
		{Name: "base_dn", Type: spec.String, Required: true, Description: "Where the search starts (the whole subtree), e.g. ou=people,dc=example,dc=test."},
		{Name: "filter", Type: spec.String, Required: true,
			Description: "An LDAP filter with {evidence_name} placeholders, each escaped when substituted, e.g. (&(objectClass=inetOrgPerson)(mail={email}))."},
		{Name: "require_group", Type: spec.String, Description: "A group DN the entry must belong to: its memberOf when the entry has one, else the group's member or uniqueMember (direct membership only)."},
		{Name: "require_attribute", Type: spec.StringMap, Description: "Attribute → value the entry must hold (compared ignoring case), e.g. employeeType: dealer."},
		{Name: "attributes", Type: spec.StringMap, Description: "Attribute name → LDAP attribute of the entry to write back, e.g. department: departmentNumber, manager: manager."},
	},
	Secret: ldapconn.Spec.Secret,
}

// Settings are a rule's settings for a directory authority.
type Settings struct {
	BaseDN           string            `json:"base_dn"`
	Filter           string            `json:"filter"`
	RequireGroup     string            `json:"require_group"`
	RequireAttribute map[string]string `json:"require_attribute"`
	Attributes       map[string]string `json:"attributes"`
}

// attrRE is an attribute description: a name or OID, with options.
var attrRE = lazyregexp.New(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(;[A-Za-z0-9-]+)*$`)

// DecodeSettings reads settings as Spec says and checks the DNs, the
// filter and the attribute names; errors are *spec.Error.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	var errs []error
	if _, err := ldap.ParseDN(s.BaseDN); err != nil {
		errs = append(errs, spec.Errorf(spec.At("base_dn"), "not a DN"))
	}
	if s.RequireGroup != "" {
		if _, err := ldap.ParseDN(s.RequireGroup); err != nil {
			errs = append(errs, spec.Errorf(spec.At("require_group"), "not a DN"))
		}
	}
	if err := checkFilter(s.Filter); err != nil {
		errs = append(errs, spec.Errorf(spec.At("filter"), "%v", err))
	}
	for a := range s.RequireAttribute {
		if !attrRE.MatchString(a) {
			errs = append(errs, spec.Errorf(spec.At("require_attribute", a), "not an attribute name"))
		}
	}
	for name, a := range s.Attributes {
		if !attrRE.MatchString(a) {
			errs = append(errs, spec.Errorf(spec.At("attributes", name), "%q is not an attribute name", a))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// checkFilter wants at least one placeholder and a filter that compiles
// with every placeholder filled in.
func checkFilter(f string) error {
	if len(lookup.Placeholders(f)) == 0 {
		return errors.New("has no {evidence_name} placeholder, so it would decide every claim alike")
	}
	sample := map[string]string{}
	for _, n := range lookup.Names(f) {
		sample[n] = "x"
	}
	filled, _, _ := lookup.Expand(f, sample, ldap.EscapeFilter)
	if _, err := ldap.CompileFilter(filled); err != nil {
		return fmt.Errorf("not an LDAP filter: %v", err)
	}
	return nil
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// Authority answers claims with a directory search per check. It holds
// one connection; Close releases it.
type Authority struct {
	name     string
	settings Settings
	creds    ldapconn.Credentials

	mu   sync.Mutex
	conn *ldap.Conn
	dial func(context.Context) (*ldap.Conn, error) // tests count dials
}

var _ claims.Authority = (*Authority)(nil)

// New returns the authority called name for the directory creds names.
func New(name string, s Settings, creds ldapconn.Credentials) (*Authority, error) {
	a := &Authority{name: name, settings: s, creds: creds}
	d, err := dialer(creds)
	if err != nil {
		return nil, fmt.Errorf("directory authority %s: %w", name, err)
	}
	a.dial = d
	return a, nil
}

// Build is the registry's constructor: settings as Spec says, secret the
// ldap connector's. hc is unused: LDAP does not go through HTTP.
func Build(name string, settings map[string]any, secret []byte, _ *http.Client) (*Authority, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("directory authority %s settings: %w", name, err)
	}
	c, err := ldapconn.ParseCredentials(secret)
	if err != nil {
		return nil, fmt.Errorf("directory authority %s: %w", name, err)
	}
	return New(name, s, c)
}

// requested lists the attributes the search asks for.
func (a *Authority) requested() []string {
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			out = append(out, n)
		}
	}
	for _, v := range a.settings.Attributes {
		add(v)
	}
	for k := range a.settings.RequireAttribute {
		add(k)
	}
	if a.settings.RequireGroup != "" {
		add("memberOf")
	}
	if len(out) == 0 {
		add("1.1") // RFC 4511: no attributes
	}
	return out
}
