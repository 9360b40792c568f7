package cidaas

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "cidaas"

// Auth modes.
const (
	AuthAPIKey = "apikey"
	AuthTOTP   = "totp"
)

// Where the credential travels.
const (
	PlacementHeader = "header"
	PlacementQuery  = "query"
)

// Defaults applied by ParseConfig.
const (
	DefaultTokenPath  = "/token-srv/token"
	DefaultUserPath   = "/users-srv/user/{sub}"
	DefaultAPIKeyName = "apikey"
	DefaultTOTPName   = "totp"
)

// Spec is a cidaas source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "cidaas webhooks, authenticated by an API key or TOTP; the profile is fetched with a client-credentials token.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "auth", Type: spec.String, Required: true, Enum: []string{AuthAPIKey, AuthTOTP}, Description: "How cidaas proves a webhook is its own."},
		{Name: "apikey_name", Type: spec.String, Default: DefaultAPIKeyName, Description: "auth apikey: the header or query parameter carrying the key."},
		{Name: "apikey_placement", Type: spec.String, Enum: []string{PlacementHeader, PlacementQuery}, Default: PlacementHeader, Description: "auth apikey: where the key travels."},
		{Name: "apikey", Type: spec.String, Description: "auth apikey: the key (required with it)."},
		{Name: "totp_name", Type: spec.String, Default: DefaultTOTPName, Description: "auth totp: the header or query parameter carrying the code."},
		{Name: "totp_placement", Type: spec.String, Enum: []string{PlacementHeader, PlacementQuery}, Default: PlacementHeader, Description: "auth totp: where the code travels."},
		{Name: "totp_key", Type: spec.String, Description: "auth totp: the base32 secret, at least 10 bytes (required with it)."},
		{Name: "base_url", Type: spec.String, Required: true, Description: "The cidaas instance, e.g. https://acme.cidaas.eu."},
		{Name: "client_id", Type: spec.String, Required: true, Description: "The client that fetches profiles (client credentials)."},
		{Name: "client_secret", Type: spec.String, Required: true, Description: "Its secret."},
		{Name: "token_path", Type: spec.String, Default: DefaultTokenPath, Description: "The token endpoint below base_url."},
		{Name: "user_path", Type: spec.String, Default: DefaultUserPath, Description: "The profile endpoint below base_url, with {sub}."},
	},
}

// Config is a cidaas source's secret, as JSON:
//
//	{"kind":"cidaas","environment":"prod",
//	 "auth":"apikey", "apikey_name":"apikey", "apikey_placement":"header", "apikey":"...",
//	 "totp_name":"totp", "totp_placement":"header", "totp_key":"<base32>",
//	 "base_url":"https://acme.cidaas.de", "client_id":"...", "client_secret":"...",
//	 "token_path":"/token-srv/token", "user_path":"/users-srv/user/{sub}"}
//
// auth selects which credential fields are required. Names default to
// "apikey" / "totp", placements to "header", the paths as shown.
type Config struct {
	Kind            string `json:"kind"`
	Environment     string `json:"environment"`
	Auth            string `json:"auth"`
	APIKeyName      string `json:"apikey_name"`
	APIKeyPlacement string `json:"apikey_placement"`
	APIKey          string `json:"apikey"`
	TOTPName        string `json:"totp_name"`
	TOTPPlacement   string `json:"totp_placement"`
	TOTPKey         string `json:"totp_key"`
	BaseURL         string `json:"base_url"`
	ClientID        string `json:"client_id"`
	ClientSecret    string `json:"client_secret"`
	TokenPath       string `json:"token_path"`
	UserPath        string `json:"user_path"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("cidaas{environment:%q auth:%q base_url:%q client_id:%q}", c.Environment, c.Auth, c.BaseURL, c.ClientID)
}

// ParseConfig decodes and validates a cidaas config. Unknown keys are
// errors; every problem names its field.
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

// normalize fills defaults and validates. It is idempotent.
func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	c.APIKeyName = orDefault(c.APIKeyName, DefaultAPIKeyName)
	c.APIKeyPlacement = orDefault(c.APIKeyPlacement, PlacementHeader)
	c.TOTPName = orDefault(c.TOTPName, DefaultTOTPName)
	c.TOTPPlacement = orDefault(c.TOTPPlacement, PlacementHeader)
	c.TokenPath = orDefault(c.TokenPath, DefaultTokenPath)
	c.UserPath = orDefault(c.UserPath, DefaultUserPath)
	switch c.Auth {
	case AuthAPIKey:
		errs = append(errs, sourcekit.Required("apikey", c.APIKey), placement("apikey_placement", c.APIKeyPlacement))
	case AuthTOTP:
		if _, err := decodeTOTPKey(c.TOTPKey); err != nil {
			errs = append(errs, sourcekit.Field("totp_key", "%v", err))
		}
		errs = append(errs, placement("totp_placement", c.TOTPPlacement))
	case "":
		errs = append(errs, sourcekit.Field("auth", "required (%q or %q)", AuthAPIKey, AuthTOTP))
	default:
		errs = append(errs, sourcekit.Field("auth", "want %q or %q, got %q", AuthAPIKey, AuthTOTP, c.Auth))
	}
	errs = append(errs,
		sourcekit.HTTPURL("base_url", c.BaseURL),
		sourcekit.Required("client_id", c.ClientID),
		sourcekit.Required("client_secret", c.ClientSecret),
		path("token_path", c.TokenPath),
		path("user_path", c.UserPath),
	)
	if !strings.Contains(c.UserPath, "{sub}") {
		errs = append(errs, sourcekit.Field("user_path", "must contain {sub}"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func placement(field, v string) error {
	if v != PlacementHeader && v != PlacementQuery {
		return sourcekit.Field(field, "want %q or %q, got %q", PlacementHeader, PlacementQuery, v)
	}
	return nil
}

func path(field, v string) error {
	if !strings.HasPrefix(v, "/") {
		return sourcekit.Field(field, "must start with /")
	}
	return nil
}

// decodeTOTPKey reads a base32 secret the way authenticator apps do:
// case-insensitive, spaces and padding ignored.
func decodeTOTPKey(s string) ([]byte, error) {
	s = strings.ToUpper(strings.TrimRight(strings.ReplaceAll(s, " ", ""), "="))
	if s == "" {
		return nil, errors.New("required")
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, errors.New("not valid base32")
	}
	if len(key) < 10 {
		return nil, fmt.Errorf("key is %d bytes, want at least 10 (RFC 4226 §4)", len(key))
	}
	return key, nil
}
