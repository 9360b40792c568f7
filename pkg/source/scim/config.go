package scim

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/source/webhook"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "scim"

// DefaultExtension is the schema URN that holds the write-back attributes
// when the secret names none.
const DefaultExtension = "urn:ietf:params:scim:schemas:extension:profilesync:2.0:User"

// EnterpriseExtension is RFC 7643 §4.3's enterprise User extension.
const EnterpriseExtension = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// DefaultPageSize and MaxPageSize bound List's count.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Spec is a SCIM source's secret: the generic web hook's keys for the
// notifications (without its fetch_* keys: SCIM is the fetch API) and the
// SCIM endpoint's.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Any SCIM 2.0 CIAM: notifications as a generic JSON web hook, profiles read, written back (PATCH on an extension schema) and listed over SCIM /Users.",
	Secret:  secretFields(),
}

func secretFields() []spec.Field {
	out := []spec.Field{{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."}}
	for _, f := range webhook.Spec.Secret {
		if f.Name == "kind" || strings.HasPrefix(f.Name, "fetch_") {
			continue
		}
		out = append(out, f)
	}
	return append(out,
		spec.Field{Name: "base_url", Type: spec.String, Required: true, Description: "The SCIM endpoint root, e.g. https://idp.example.com/scim/v2 (Users is below it)."},
		spec.Field{Name: "token", Type: spec.String, Required: true, Description: "The bearer token the SCIM endpoint takes."},
		spec.Field{Name: "extension", Type: spec.String, Default: DefaultExtension, Description: "The User extension schema URN whose attributes Fetch returns as custom attributes and Update writes."},
		spec.Field{Name: "page_size", Type: spec.Int, Default: DefaultPageSize, Description: "List: users per page (count), at most 1000."},
	)
}

// Config is a SCIM source's secret, as JSON: the generic web hook's keys
// and four of its own.
//
//	{"kind":"scim","environment":"prod",
//	 "auth":"apikey","header":"X-Api-Key","secrets":["…"],
//	 "subject_path":"resource.id","type_path":"event","id_path":"id",
//	 "event_types":{"user.updated":"updated","user.created":"created"},
//	 "base_url":"https://idp.example.com/scim/v2","token":"…"}
type Config struct {
	webhook.Config
	BaseURL   string `json:"base_url"`
	Token     string `json:"token"`
	Extension string `json:"extension"`
	PageSize  int    `json:"page_size"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("scim{environment:%q auth:%q secrets:%d subject_path:%q base_url:%q extension:%q page_size:%d}",
		c.Environment, c.Auth, len(c.Secrets), c.SubjectPath, c.BaseURL, c.Extension, c.PageSize)
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

// hook is the web hook half of c, as pkg/source/webhook takes it.
func (c Config) hook() webhook.Config {
	h := c.Config
	h.Kind = webhook.Kind
	return h
}

func (c *Config) normalize() error {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	if _, err := webhook.NewParser("", c.hook()); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, sourcekit.HTTPURL("base_url", c.BaseURL), sourcekit.Required("token", c.Token))
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Extension == "" {
		c.Extension = DefaultExtension
	}
	if !validURN(c.Extension) {
		errs = append(errs, sourcekit.Field("extension", "want a schema URN, e.g. %s", DefaultExtension))
	} else if strings.EqualFold(c.Extension, EnterpriseExtension) {
		errs = append(errs, sourcekit.Field("extension", "not the enterprise extension: its attributes are standard, not write-back"))
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.PageSize < 1 || c.PageSize > MaxPageSize {
		errs = append(errs, sourcekit.Field("page_size", "want 1 to %d", MaxPageSize))
	}
	return errors.Join(errs...)
}

// urnPattern is RFC 8141's shape, loosely: urn:NID:NSS without spaces,
// which is all a PATCH path prefix needs.
var urnPattern = lazyregexp.New(`^(?i:urn):[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/?#]+$`)

func validURN(s string) bool { return urnPattern.MatchString(s) }

// attrName is RFC 7643 §2.1's ATTRNAME: ALPHA *(nameChar).
var attrName = lazyregexp.New(`^[A-Za-z][A-Za-z0-9_-]*$`)

// reserved are the Custom keys Fetch fills from outside the extension.
var reserved = []string{"active", "enterprise"}

// writable reports whether name can be an attribute Update writes.
func writable(name string) bool {
	return attrName.MatchString(name) && !slices.Contains(reserved, strings.ToLower(name))
}
