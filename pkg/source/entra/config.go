package entra

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "entra"

// Defaults: the public cloud's Graph and sign-in endpoints.
const (
	DefaultGraphURL = "https://graph.microsoft.com"
	DefaultLoginURL = "https://login.microsoftonline.com"
)

// Graph takes a clientState of at most 128 characters; fewer than 16 are
// too easy to guess, and the clientState is all that authenticates a
// notification.
const (
	minClientState = 16
	maxClientState = 128
)

// Spec is an Entra source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Microsoft Entra External ID (and Entra ID) through Microsoft Graph change notifications on users, authenticated by the subscription's clientState; users are fetched from Graph with an app-only token.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "client_states", Type: spec.StringList, Required: true, Description: "The subscription's clientState, 16 to 128 characters; two side by side while subscriptions are renewed with a new one."},
		{Name: "tenant_id", Type: spec.String, Required: true, Description: "The tenant (directory) id or its domain, e.g. contoso.onmicrosoft.com."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "The app registration's application (client) id, granted User.Read.All (User.ReadWrite.All for write-back)."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "A client secret of that app registration."},
		{Name: "extensions_app_id", Type: spec.String, Description: "The application (client) id of the tenant's b2c-extensions-app, which owns the custom user attributes (extension_<id without dashes>_<name>)."},
		{Name: "custom_attributes", Type: spec.StringList, Description: "The custom user attributes to read (and write back), by the name given in the portal, e.g. loyaltyTier. Needs extensions_app_id."},
		{Name: "graph_url", Type: spec.String, Default: DefaultGraphURL, Description: "Microsoft Graph (a national cloud's, or the sandbox's)."},
		{Name: "login_url", Type: spec.String, Default: DefaultLoginURL, Description: "The Microsoft identity platform's token endpoint host."},
	},
}

// Config is an Entra source's secret, as JSON:
//
//	{"kind":"entra","environment":"prod","client_states":["<clientState>"],
//	 "tenant_id":"…","client_id":"…","client_secret":"…",
//	 "extensions_app_id":"…","custom_attributes":["loyaltyTier"]}
type Config struct {
	Kind             string   `json:"kind"`
	Environment      string   `json:"environment"`
	ClientStates     []string `json:"client_states"`
	TenantID         string   `json:"tenant_id"`
	ClientID         string   `json:"client_id"`
	ClientSecret     string   `json:"client_secret"`
	ExtensionsAppID  string   `json:"extensions_app_id"`
	CustomAttributes []string `json:"custom_attributes"`
	GraphURL         string   `json:"graph_url"`
	LoginURL         string   `json:"login_url"`

	digests [][sha256.Size]byte
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("entra{environment:%q client_states:%d tenant_id:%q graph_url:%q custom_attributes:%d}",
		c.Environment, len(c.ClientStates), c.TenantID, c.GraphURL, len(c.CustomAttributes))
}

// ParseConfig decodes and validates a config. Unknown keys are errors;
// every problem names its field.
func ParseConfig(raw []byte) (Config, error) {
	var c Config
	if err := spec.DecodeJSON(Spec.Secret, raw, &c); err != nil {
		return Config{}, err
	}
	if err := c.normalize(); err != nil {
		return Config{}, err
	}
	return c, nil
}

var (
	tenantRE    = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$`)
	appIDRE     = lazyregexp.New(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
	attributeRE = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)
)

// normalize fills defaults, validates and digests the clientStates. It is
// idempotent.
func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	if len(c.ClientStates) == 0 {
		errs = append(errs, sourcekit.Field("client_states", "required: the subscription's clientState"))
	}
	c.digests = c.digests[:0]
	for i, s := range c.ClientStates {
		if len(s) < minClientState || len(s) > maxClientState {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("client_states[%d]", i), "%d characters, want %d to %d (a random value)", len(s), minClientState, maxClientState))
			continue
		}
		c.digests = append(c.digests, sha256.Sum256([]byte(s)))
	}
	if c.TenantID == "" {
		errs = append(errs, sourcekit.Field("tenant_id", "required"))
	} else if !tenantRE.MatchString(c.TenantID) {
		errs = append(errs, sourcekit.Field("tenant_id", "not a tenant id or domain"))
	}
	errs = append(errs, sourcekit.Required("client_id", c.ClientID), sourcekit.Required("client_secret", c.ClientSecret))
	if c.ExtensionsAppID != "" && !appIDRE.MatchString(c.ExtensionsAppID) {
		errs = append(errs, sourcekit.Field("extensions_app_id", "not an application (client) id"))
	}
	if len(c.CustomAttributes) > 0 && c.ExtensionsAppID == "" {
		errs = append(errs, sourcekit.Field("custom_attributes", "need extensions_app_id, the app that owns them"))
	}
	for i, a := range c.CustomAttributes {
		if !attributeRE.MatchString(a) {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("custom_attributes[%d]", i), "not an attribute name: %q", a))
		}
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	if c.LoginURL == "" {
		c.LoginURL = DefaultLoginURL
	}
	errs = append(errs, sourcekit.HTTPURL("graph_url", c.GraphURL), sourcekit.HTTPURL("login_url", c.LoginURL))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")
	c.LoginURL = strings.TrimRight(c.LoginURL, "/")
	return nil
}

// extensionName is the Graph property of the custom attribute name:
// extension_<b2c-extensions-app id without dashes>_<name>.
func (c *Config) extensionName(name string) string {
	return "extension_" + strings.ToLower(strings.ReplaceAll(c.ExtensionsAppID, "-", "")) + "_" + name
}
