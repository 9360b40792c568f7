package standardwebhooks

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "standardwebhooks"

// DefaultToleranceSeconds is the replay window of the reference libraries.
const DefaultToleranceSeconds = 300

const secretPrefix = "whsec_"

// Spec is a Standard Webhooks source's secret, once: decoding and the
// README table derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Standard Webhooks / Svix HMAC-SHA256 senders such as Clerk; the event carries the profile.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "secrets", Type: spec.StringList, Required: true, Description: "whsec_… signing secrets; several verify side by side during a rotation."},
		{Name: "tolerance_seconds", Type: spec.Int, Default: DefaultToleranceSeconds, Description: "The replay window."},
		{Name: "api_url", Type: spec.String, Description: "An API to fetch the user from, e.g. https://api.clerk.com; with api_key."},
		{Name: "api_key", Type: spec.String, Description: "Its bearer key; with api_url."},
	},
}

// Config is a Standard Webhooks source's secret, as JSON:
//
//	{"kind":"standardwebhooks","environment":"prod",
//	 "secrets":["whsec_..."], "tolerance_seconds":300,
//	 "api_url":"https://api.clerk.com", "api_key":"sk_live_..."}
//
// Several secrets verify side by side during a rotation. tolerance_seconds
// defaults to 300. api_url and api_key are optional and go together.
type Config struct {
	Kind             string   `json:"kind"`
	Environment      string   `json:"environment"`
	Secrets          []string `json:"secrets"`
	ToleranceSeconds int      `json:"tolerance_seconds"`
	APIURL           string   `json:"api_url"`
	APIKey           string   `json:"api_key"`

	keys [][]byte
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("standardwebhooks{environment:%q secrets:%d tolerance_seconds:%d api_url:%q}",
		c.Environment, len(c.Secrets), c.ToleranceSeconds, c.APIURL)
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

func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	if c.ToleranceSeconds == 0 {
		c.ToleranceSeconds = DefaultToleranceSeconds
	}
	if c.ToleranceSeconds < 0 {
		errs = append(errs, sourcekit.Field("tolerance_seconds", "must be positive"))
	}
	if len(c.Secrets) == 0 {
		errs = append(errs, sourcekit.Field("secrets", "required: at least one whsec_ secret"))
	}
	c.keys = nil
	for i, s := range c.Secrets {
		k, err := decodeSecret(s)
		if err != nil {
			errs = append(errs, sourcekit.Field(fmt.Sprintf("secrets[%d]", i), "%v", err))
			continue
		}
		c.keys = append(c.keys, k)
	}
	if (c.APIURL == "") != (c.APIKey == "") {
		errs = append(errs, sourcekit.Field("api_key", "api_url and api_key go together"))
	}
	if c.APIURL != "" {
		errs = append(errs, sourcekit.HTTPURL("api_url", c.APIURL))
		c.APIURL = strings.TrimRight(c.APIURL, "/")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return nil
}

// decodeSecret returns the HMAC key of a "whsec_<base64>" secret.
func decodeSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, errors.New(`want a secret starting with "whsec_"`)
	}
	k, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("the part after whsec_ is not base64")
	}
	if len(k) < 16 {
		return nil, fmt.Errorf("key is %d bytes, want at least 16", len(k))
	}
	return k, nil
}
