package ldap

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
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
	// URL is ldap://host:389 or ldaps://host:636.
	URL          string `json:"url"`
	BindDN       string `json:"bind_dn"`
	BindPassword string `json:"bind_password"`
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool `json:"start_tls"`
	// CACertPEM, when set, is the only CA trusted for ldaps and StartTLS
	// (a directory's private CA); otherwise the system pool is used.
	CACertPEM string `json:"ca_cert_pem"`
}

var (
	settingsKeys = []string{"dn_template", "object_classes", "id_attribute", "flavor", "disable_attribute", "disable_value", "initial_password"}
	// attrNameRE is an attribute description: a name (or OID) with options.
	attrNameRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)(;[A-Za-z0-9-]+)*$`)
)

// DecodeSettings reads a mapping's settings, rejecting unknown keys, and
// fills in defaults. Errors name the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := connectorkit.DecodeSettings(m, settingsKeys, &s); err != nil {
		return Settings{}, err
	}
	if s.Flavor == "" {
		s.Flavor = OpenLDAP
	}
	if s.IDAttribute == "" {
		s.IDAttribute = DefaultIDAttribute
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
	var errs []error
	if _, _, err := s.parseTemplate(); err != nil {
		errs = append(errs, fmt.Errorf(`field "dn_template": %w`, err))
	}
	for i, oc := range s.ObjectClasses {
		if !attrNameRE.MatchString(oc) {
			errs = append(errs, fmt.Errorf(`field "object_classes[%d]": %q is not an object class name`, i, oc))
		}
	}
	if !attrNameRE.MatchString(s.IDAttribute) {
		errs = append(errs, fmt.Errorf(`field "id_attribute": %q is not an attribute name`, s.IDAttribute))
	}
	switch s.Flavor {
	case OpenLDAP:
		if !attrNameRE.MatchString(s.DisableAttribute) {
			errs = append(errs, fmt.Errorf(`field "disable_attribute": %q is not an attribute name`, s.DisableAttribute))
		}
		if s.DisableValue == "" {
			errs = append(errs, errors.New(`field "disable_value": required`))
		}
		if s.InitialPassword != "" {
			errs = append(errs, errors.New(`field "initial_password": only for flavor "ad"`))
		}
	case AD:
		if s.DisableAttribute != "" || s.DisableValue != "" {
			errs = append(errs, errors.New(`field "disable_attribute": not used with flavor "ad" (userAccountControl is)`))
		}
		if s.InitialPassword != InitialPasswordRandom && s.InitialPassword != InitialPasswordNone {
			errs = append(errs, fmt.Errorf(`field "initial_password": %q is not one of random, none`, s.InitialPassword))
		}
	default:
		errs = append(errs, fmt.Errorf(`field "flavor": %q is not one of openldap, ad`, s.Flavor))
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
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("ldap secret: %w", err)
	}
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		errs = append(errs, errors.New(`field "url": required`))
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		errs = append(errs, errors.New(`field "url": want ldap://host:389 or ldaps://host:636`))
	case u.Scheme == "ldaps" && c.StartTLS:
		errs = append(errs, errors.New(`field "start_tls": ldaps:// is already TLS`))
	}
	if c.BindDN == "" {
		errs = append(errs, errors.New(`field "bind_dn": required`))
	} else if _, err := ldap.ParseDN(c.BindDN); err != nil {
		errs = append(errs, errors.New(`field "bind_dn": not a DN`))
	}
	if c.BindPassword == "" {
		// go-ldap refuses an empty password anyway: it would be an
		// unauthenticated bind that "succeeds" with no rights.
		errs = append(errs, errors.New(`field "bind_password": required`))
	}
	if c.CACertPEM != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CACertPEM)) {
		errs = append(errs, errors.New(`field "ca_cert_pem": no PEM certificate found`))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("ldap secret: %w", err)
	}
	return c, nil
}
