package gigya

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "gigya"

// The signature schemes a webhook subscription can use.
const (
	SchemeHMAC = "hmac"
	SchemeJWT  = "jwt"
)

// Spec is a Gigya source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "SAP Customer Data Cloud (Gigya) webhooks (X-Gigya-Sig-Hmac-Sha1 or X-Gigya-Sig-JWT); accounts are fetched, listed and updated with the accounts REST API.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "api_key", Type: spec.String, Required: true, Description: "The site's API key."},
		{Name: "data_center", Type: spec.String, Description: "The site's data center (us1, eu1, eu2, au1, …): the API is https://accounts.<data_center>.gigya.com. Set this or base_url (China's data center has its own domain)."},
		{Name: "base_url", Type: spec.String, Description: "The accounts API's base URL instead of data_center (a proxy, the sandbox)."},
		{Name: "user_key", Type: spec.String, Description: "An application's user key; empty: the partner secret authenticates."},
		{Name: "secret", Type: spec.String, Required: true, Description: "The user key's secret (or the partner secret), base64 as the console shows it."},
		{Name: "signature", Type: spec.String, Enum: []string{SchemeHMAC, SchemeJWT}, Default: SchemeHMAC, Description: "How webhooks are signed: hmac (X-Gigya-Sig-Hmac-Sha1) or jwt (X-Gigya-Sig-JWT, v2.0)."},
		{Name: "webhook_secrets", Type: spec.StringList, Description: "For hmac: the signing secrets (base64), two side by side during a rotation; empty: secret signs."},
		{Name: "tolerance_seconds", Type: spec.Int, Description: "When set, the notification's timestamp (hmac) or the JWT's iat must be this recent. Off by default: whether a retry is re-stamped is UNCONFIRMED."},
	},
}

// Config is a Gigya source's secret, as JSON:
//
//	{"kind":"gigya","environment":"prod","api_key":"4_…","data_center":"eu1",
//	 "user_key":"AB…","secret":"<base64>","signature":"hmac"}
type Config struct {
	Kind             string   `json:"kind"`
	Environment      string   `json:"environment"`
	APIKey           string   `json:"api_key"`
	DataCenter       string   `json:"data_center"`
	BaseURL          string   `json:"base_url"`
	UserKey          string   `json:"user_key"`
	Secret           string   `json:"secret"`
	Signature        string   `json:"signature"`
	WebhookSecrets   []string `json:"webhook_secrets"`
	ToleranceSeconds int      `json:"tolerance_seconds"`

	hmacKeys [][]byte
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("gigya{environment:%q api_key:%q base_url:%q signature:%q webhook_secrets:%d}",
		c.Environment, c.APIKey, c.BaseURL, c.Signature, len(c.WebhookSecrets))
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

var dataCenter = lazyregexp.New(`^[a-z]{2}[0-9]$`)

// normalize fills defaults, validates and decodes the HMAC keys. It is
// idempotent.
func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	errs = append(errs, sourcekit.Required("api_key", c.APIKey))
	switch {
	case c.DataCenter != "" && c.BaseURL != "":
		errs = append(errs, sourcekit.Field("base_url", "set data_center or base_url, not both"))
	case c.DataCenter != "":
		if !dataCenter.MatchString(c.DataCenter) {
			errs = append(errs, sourcekit.Field("data_center", "want a data center such as us1 or eu1"))
		} else {
			c.BaseURL = "https://accounts." + c.DataCenter + ".gigya.com"
			c.DataCenter = ""
		}
	default:
		errs = append(errs, sourcekit.HTTPURL("base_url", c.BaseURL))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if _, err := decodeSecret(c.Secret); err != nil {
		errs = append(errs, sourcekit.Field("secret", "%v", err))
	}
	if c.Signature == "" {
		c.Signature = SchemeHMAC
	}
	if c.Signature != SchemeHMAC && c.Signature != SchemeJWT {
		errs = append(errs, sourcekit.Field("signature", "want %q or %q", SchemeHMAC, SchemeJWT))
	}
	if c.ToleranceSeconds < 0 {
		errs = append(errs, sourcekit.Field("tolerance_seconds", "must not be negative"))
	}
	c.hmacKeys = c.hmacKeys[:0]
	secrets := c.WebhookSecrets
	if len(secrets) == 0 {
		secrets = []string{c.Secret}
	}
	if c.Signature == SchemeJWT && len(c.WebhookSecrets) > 0 {
		errs = append(errs, sourcekit.Field("webhook_secrets", "only for the hmac signature (a jwt is checked with the site's public key)"))
	}
	if len(c.WebhookSecrets) > 2 {
		errs = append(errs, sourcekit.Field("webhook_secrets", "at most two (the old and the new during a rotation)"))
	}
	for i, s := range c.WebhookSecrets {
		if _, err := decodeSecret(s); err != nil {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("webhook_secrets[%d]", i), "%v", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, s := range secrets {
		k, _ := decodeSecret(s)
		c.hmacKeys = append(c.hmacKeys, k)
	}
	return nil
}

// decodeSecret reads a Gigya secret: standard base64, padded or not.
func decodeSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("required")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(b) < 16 {
		return nil, errors.New("want the base64 secret the console shows (at least 16 bytes)")
	}
	return b, nil
}
