package cognito

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "cognito"

// Spec is a Cognito source's secret, once: decoding and the README table
// derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Amazon Cognito user pool triggers (Post confirmation) through the CognitoTriggerFunction; users read and written with the Cognito Identity Provider API (AdminGetUser, ListUsers, AdminUpdateUserAttributes) under the function's role.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "user_pool_id", Type: spec.String, Required: true, Description: "The user pool, e.g. eu-central-1_AbCdEfGhI; trigger events of another pool are refused."},
		{Name: "region", Type: spec.String, Description: "The pool's region; empty: the user pool id's prefix."},
		{Name: "endpoint", Type: spec.String, Description: "The Cognito Identity Provider endpoint; empty: AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, else AWS's regional one."},
	},
}

// poolIDRE is a user pool id: "<region>_<id>".
var poolIDRE = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+$`)

// Config is a Cognito source's secret, as JSON:
//
//	{"kind":"cognito","environment":"prod","user_pool_id":"eu-central-1_AbCdEfGhI"}
//
// Credentials are the function's own (its execution role), never the
// secret's.
type Config struct {
	Kind        string `json:"kind"`
	Environment string `json:"environment"`
	UserPoolID  string `json:"user_pool_id"`
	Region      string `json:"region"`
	Endpoint    string `json:"endpoint"`
}

// String prints the config (it holds no secret).
func (c Config) String() string {
	return fmt.Sprintf("cognito{environment:%q user_pool_id:%q region:%q endpoint:%q}", c.Environment, c.UserPoolID, c.Region, c.Endpoint)
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
	m := poolIDRE.FindStringSubmatch(c.UserPoolID)
	switch {
	case c.UserPoolID == "":
		errs = append(errs, sourcekit.Required("user_pool_id", c.UserPoolID))
	case m == nil:
		errs = append(errs, sourcekit.Field("user_pool_id", "want <region>_<id>, e.g. eu-central-1_AbCdEfGhI"))
	case c.Region == "":
		c.Region = m[1]
	}
	if c.Endpoint != "" {
		errs = append(errs, sourcekit.HTTPURL("endpoint", c.Endpoint))
		c.Endpoint = strings.TrimRight(c.Endpoint, "/")
	}
	return errors.Join(errs...)
}
