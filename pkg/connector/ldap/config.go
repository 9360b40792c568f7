package ldap

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Flavor is the kind of directory, which decides how an account is
// disabled.
type Flavor string

const (
	// OpenLDAP (and other RFC directories): Deactivate writes DisableValue
	// into DisableAttribute.
	OpenLDAP Flavor = "openldap"
	// AD is Active Directory: entries are created disabled
	// (userAccountControl 514), then enabled (512); Deactivate sets the
	// ACCOUNTDISABLE bit.
	AD Flavor = "ad"
)

// KeyPlaceholder is replaced in DNTemplate by the RDN-escaped record key.
const KeyPlaceholder = "{key}"

// OpenLDAP defaults for Deactivate: the ppolicy overlay's administrative
// lock ("000001010000Z" locks the account until an administrator clears it).
const (
	DefaultDisableAttribute = "pwdAccountLockedTime"
	DefaultDisableValue     = "000001010000Z"
)

// DefaultIDAttribute holds the CIAM id when a mapping names none.
const DefaultIDAttribute = "uid"

// Spec is the ldap connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "ldap",
	Summary: "LDAP and Active Directory entries found by an id attribute, added below a DN template.",
	Settings: []spec.Field{
		{Name: "dn_template", Type: spec.String, Required: true,
			Description: "The DN of a new entry, e.g. uid={key},ou=people,dc=example,dc=test: {key} is the whole value of the first RDN, the rest is the search base."},
		{Name: "object_classes", Type: spec.StringList, Description: "Object classes of a new entry; default top, person, organizationalPerson, inetOrgPerson (for ad: … user)."},
		{Name: "id_attribute", Type: spec.String, Default: DefaultIDAttribute, Description: "The attribute that holds the key; entries are found by it."},
		{Name: "flavor", Type: spec.String, Enum: []string{string(OpenLDAP), string(AD)}, Default: string(OpenLDAP), Description: "The kind of directory, which decides how an account is disabled."},
		{Name: "disable_attribute", Type: spec.String, Description: "openldap only: what Deactivate writes; default " + DefaultDisableAttribute + "."},
		{Name: "disable_value", Type: spec.String, Description: "openldap only: the value Deactivate writes; default " + DefaultDisableValue + " (locked until an administrator clears it)."},
		{Name: "initial_password", Type: spec.String, Enum: []string{InitialPasswordRandom, InitialPasswordNone}, Description: "ad only: a random initial password (the default) or none."},
	},
	Secret: []spec.Field{
		{Name: "url", Type: spec.String, Required: true, Description: "ldaps://host:636, or ldap://host:389 with start_tls (or insecure)."},
		{Name: "bind_dn", Type: spec.String, Required: true, Description: "The DN the connector binds as."},
		{Name: "bind_password", Type: spec.String, Required: true, Description: "Its password."},
		{Name: "start_tls", Type: spec.Bool, Default: false, Description: "Upgrade an ldap:// connection before binding."},
		{Name: "insecure", Type: spec.Bool, Default: false, Description: "Allow an ldap:// url without start_tls: the bind password and every entry cross the network in clear. Only for a directory on loopback or a network you trust."},
		{Name: "ca_cert_pem", Type: spec.String, Description: "The only CA trusted for ldaps and StartTLS (a directory's private CA); default the system pool."},
	},
}

// Settings are the non-secret options a mapping file gives an LDAP target.
type Settings struct {
	// DNTemplate is the DN of a new entry, e.g.
	// "uid={key},ou=people,dc=example,dc=test". {key} appears once, as the
	// whole value of the first RDN; the rest is the search base.
	DNTemplate string `json:"dn_template"`
	// ObjectClasses of a new entry; defaults depend on the flavor.
	ObjectClasses []string `json:"object_classes"`
	// IDAttribute stores the record key; entries are found by it, so a
	// renamed or moved entry is still the same profile.
	IDAttribute string `json:"id_attribute"`
	Flavor      Flavor `json:"flavor"`
	// DisableAttribute and DisableValue are what Deactivate writes in the
	// openldap flavor (not allowed for ad).
	DisableAttribute string `json:"disable_attribute"`
	DisableValue     string `json:"disable_value"`
	// InitialPassword is "random" (the ad default) or "none"; ad only.
	InitialPassword string `json:"initial_password"`
}

// Credentials come from the target's secret and are never logged.
type Credentials struct {
	// URL is ldaps://host:636, or ldap://host:389 with StartTLS or Insecure.
	URL          string `json:"url"`
	BindDN       string `json:"bind_dn"`
	BindPassword string `json:"bind_password"`
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool `json:"start_tls"`
	// Insecure allows ldap:// without StartTLS. Without it, a plain
	// connection is a configuration error: the bind password would cross
	// the network in clear.
	Insecure bool `json:"insecure"`
	// CACertPEM, when set, is the only CA trusted for ldaps and StartTLS
	// (a directory's private CA); otherwise the system pool is used.
	CACertPEM string `json:"ca_cert_pem"`
}

var (
	// attrNameRE is an attribute description: a name (or OID) with options.
	attrNameRE = lazyregexp.New(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(;[A-Za-z0-9-]+)*$`)
)

// DecodeSettings reads a mapping's settings as Spec says, fills in the
// defaults that depend on the flavor, and then checks what Spec cannot.
// Errors are *spec.Error, naming the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	if len(s.ObjectClasses) == 0 {
		s.ObjectClasses = []string{"top", "person", "organizationalPerson", "inetOrgPerson"}
		if s.Flavor == AD {
			s.ObjectClasses = []string{"top", "person", "organizationalPerson", "user"}
		}
	}
	if s.Flavor == AD && s.InitialPassword == "" {
		s.InitialPassword = InitialPasswordRandom
	}
	if s.Flavor == OpenLDAP {
		if s.DisableAttribute == "" {
			s.DisableAttribute = DefaultDisableAttribute
		}
		if s.DisableValue == "" {
			s.DisableValue = DefaultDisableValue
		}
	}
	return s, s.Validate()
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// Validate checks every field and reports all problems at once.
func (s Settings) Validate() error {
	errs := []error{spec.Validate(Spec.Settings, s)}
	if _, _, err := s.parseTemplate(); err != nil && s.DNTemplate != "" {
		errs = append(errs, spec.Errorf(spec.At("dn_template"), "%v", err))
	}
	for i, oc := range s.ObjectClasses {
		if !attrNameRE.MatchString(oc) {
			errs = append(errs, spec.Errorf(spec.At("object_classes", spec.Index(i)), "%q is not an object class name", oc))
		}
	}
	if !attrNameRE.MatchString(s.IDAttribute) {
		errs = append(errs, spec.Errorf(spec.At("id_attribute"), "%q is not an attribute name", s.IDAttribute))
	}
	switch s.Flavor {
	case OpenLDAP:
		if !attrNameRE.MatchString(s.DisableAttribute) {
			errs = append(errs, spec.Errorf(spec.At("disable_attribute"), "%q is not an attribute name", s.DisableAttribute))
		}
		if s.DisableValue == "" {
			errs = append(errs, spec.Errorf(spec.At("disable_value"), "required"))
		}
		if s.InitialPassword != "" {
			errs = append(errs, spec.Errorf(spec.At("initial_password"), `only for flavor "ad"`))
		}
	case AD:
		if s.DisableAttribute != "" || s.DisableValue != "" {
			errs = append(errs, spec.Errorf(spec.At("disable_attribute"), `not used with flavor "ad" (userAccountControl is)`))
		}
		if s.InitialPassword == "" {
			errs = append(errs, spec.Errorf(spec.At("initial_password"), `required with flavor "ad"`))
		}
	case "":
		errs = append(errs, spec.Errorf(spec.At("flavor"), "required"))
	}
	return errors.Join(errs...)
}

// parseTemplate checks DNTemplate and returns the attribute of its first
// RDN (which names the key) and the search base (the rest).
func (s Settings) parseTemplate() (rdnAttr, base string, err error) {
	if s.DNTemplate == "" {
		return "", "", errors.New(`required (e.g. "uid={key},ou=people,dc=example,dc=test")`)
	}
	if n := strings.Count(s.DNTemplate, KeyPlaceholder); n != 1 {
		return "", "", fmt.Errorf("want %s exactly once, found it %d times", KeyPlaceholder, n)
	}
	first, rest, ok := strings.Cut(s.DNTemplate, ",")
	attr, val, hasEq := strings.Cut(first, "=")
	if !ok || !hasEq || strings.TrimSpace(val) != KeyPlaceholder || strings.Contains(first, "+") {
		return "", "", fmt.Errorf("want %s as the whole value of the first RDN, below a base DN", KeyPlaceholder)
	}
	attr = strings.TrimSpace(attr)
	if !attrNameRE.MatchString(attr) {
		return "", "", fmt.Errorf("%q is not an attribute name", attr)
	}
	if _, err := ldap.ParseDN(strings.Replace(s.DNTemplate, KeyPlaceholder, "x", 1)); err != nil {
		return "", "", fmt.Errorf("not a DN: %w", err)
	}
	return attr, strings.TrimSpace(rest), nil
}

// ParseCredentials decodes the target's secret. Errors name fields, never
// values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	// bind_password is required because go-ldap would make an empty one
	// an unauthenticated bind that "succeeds" with no rights.
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("ldap secret: %w", err)
	}
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		errs = append(errs, spec.Errorf(spec.At("url"), "want ldap://host:389 or ldaps://host:636"))
	case u.Scheme == "ldaps" && c.StartTLS:
		errs = append(errs, spec.Errorf(spec.At("start_tls"), "ldaps:// is already TLS"))
	case c.plaintext():
		errs = append(errs, spec.Errorf(spec.At("url"), "%v", errPlaintext))
	}
	if _, err := ldap.ParseDN(c.BindDN); err != nil {
		errs = append(errs, spec.Errorf(spec.At("bind_dn"), "not a DN"))
	}
	if c.CACertPEM != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CACertPEM)) {
		errs = append(errs, spec.Errorf(spec.At("ca_cert_pem"), "no PEM certificate found"))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("ldap secret: %w", err)
	}
	return c, nil
}

var errPlaintext = errors.New("ldap:// sends the bind password in clear: use ldaps://, set start_tls, or set insecure to accept that")

// plaintext reports a connection that would stay unencrypted without the
// secret saying so.
func (c Credentials) plaintext() bool {
	u, err := url.Parse(c.URL)
	return err == nil && u.Scheme == "ldap" && !c.StartTLS && !c.Insecure
}
