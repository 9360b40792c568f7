package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Kind is the "kind" value that selects this adapter.
const Kind = "webhook"

// The ways a sender can prove a hook is its own.
const (
	AuthAPIKey = "apikey"
	AuthBasic  = "basic"
	AuthHMAC   = "hmac"
)

// The encodings of an HMAC signature.
const (
	EncodingHex    = "hex"
	EncodingBase64 = "base64"
)

// MinSecretLen is the shortest API key or HMAC key accepted: a guessable
// key is no authentication.
const MinSecretLen = 16

// Spec is a generic web hook source's secret, once: decoding and the
// README table derive from it.
var Spec = spec.Component{
	Kind:    Kind,
	Summary: "Any JSON web hook (Ory Kratos / Ory Network, in-house systems): API key, Basic auth or HMAC-SHA256; fields picked by JSON paths.",
	Secret: []spec.Field{
		{Name: "kind", Type: spec.String, Enum: []string{Kind}, Description: "Selects this adapter."},
		{Name: "environment", Type: spec.String, Description: "The environment events are tagged with, e.g. prod."},
		{Name: "auth", Type: spec.String, Required: true, Enum: []string{AuthAPIKey, AuthBasic, AuthHMAC}, Description: "How the sender proves a hook is its own."},
		{Name: "header", Type: spec.String, Description: "auth apikey: the header carrying the key (default X-Api-Key); auth hmac: the header carrying the signature (default X-Signature)."},
		{Name: "secrets", Type: spec.StringList, Required: true, Description: "apikey: the key values; hmac: the HMAC keys (both at least 16 characters); basic: user:password pairs. Several verify side by side during a rotation."},
		{Name: "encoding", Type: spec.String, Enum: []string{EncodingHex, EncodingBase64}, Default: EncodingHex, Description: "auth hmac: how the signature is written."},
		{Name: "signature_prefix", Type: spec.String, Description: "auth hmac: a prefix the signature carries and that must be there, e.g. sha256=."},
		{Name: "timestamp_header", Type: spec.String, Description: "auth hmac: a header with the Unix time in seconds; when set, the HMAC covers timestamp + \".\" + body and old hooks are refused."},
		{Name: "tolerance_seconds", Type: spec.Int, Default: 300, Description: "auth hmac with timestamp_header: the replay window."},
		{Name: "subject_path", Type: spec.String, Required: true, Description: "The JSON path of the user id, e.g. identity_id or data.user.id."},
		{Name: "type_path", Type: spec.String, Required: true, Description: "The JSON path of the event type, e.g. event."},
		{Name: "event_types", Type: spec.StringMap, Required: true, Description: "Event type → created, updated, deleted, consent_granted or consent_revoked; other types are acknowledged and ignored."},
		{Name: "time_path", Type: spec.String, Description: "The JSON path of the event time: RFC 3339, or Unix seconds or milliseconds. Default: the time received."},
		{Name: "id_path", Type: spec.String, Description: "The JSON path of the event id (the dedupe key). Default: a hash of the body."},
		{Name: "client_id_path", Type: spec.String, Description: "The JSON path of the application the change came through (selects mapping overrides)."},
		{Name: "purpose_path", Type: spec.String, Description: "The JSON path of the consent purpose; required when a type maps to a consent event."},
		{Name: "fields", Type: spec.StringMap, Description: "Profile field → JSON path, e.g. email: traits.email, custom.tier: metadata_public.tier, consents.newsletter: traits.consents.newsletter. With fields, created and updated events carry the profile."},
		{Name: "fetch_url", Type: spec.String, Description: "For events without fields: GET this URL with {subject}, e.g. https://acme.projects.oryapis.com/admin/identities/{subject}."},
		{Name: "fetch_token", Type: spec.String, Description: "fetch_url: the bearer token it takes, if any."},
		{Name: "fetch_fields", Type: spec.StringMap, Description: "fetch_url: profile field → JSON path in the answer, e.g. email: traits.email; default fields."},
	},
}

// Config is a generic web hook source's secret, as JSON:
//
//	{"kind":"webhook","environment":"prod",
//	 "auth":"apikey","header":"X-Webhook-Secret","secrets":["…"],
//	 "subject_path":"identity_id","type_path":"event","id_path":"flow_id",
//	 "event_types":{"registration.after":"created","settings.after":"updated"},
//	 "fields":{"email":"traits.email","given_name":"traits.name.first"}}
type Config struct {
	Kind             string            `json:"kind"`
	Environment      string            `json:"environment"`
	Auth             string            `json:"auth"`
	Header           string            `json:"header"`
	Secrets          []string          `json:"secrets"`
	Encoding         string            `json:"encoding"`
	SignaturePrefix  string            `json:"signature_prefix"`
	TimestampHeader  string            `json:"timestamp_header"`
	ToleranceSeconds int               `json:"tolerance_seconds"`
	SubjectPath      string            `json:"subject_path"`
	TypePath         string            `json:"type_path"`
	EventTypes       map[string]string `json:"event_types"`
	TimePath         string            `json:"time_path"`
	IDPath           string            `json:"id_path"`
	ClientIDPath     string            `json:"client_id_path"`
	PurposePath      string            `json:"purpose_path"`
	Fields           map[string]string `json:"fields"`
	FetchURL         string            `json:"fetch_url"`
	FetchToken       string            `json:"fetch_token"`
	FetchFields      map[string]string `json:"fetch_fields"`
}

// String keeps secrets out of logs that print a Config.
func (c Config) String() string {
	return fmt.Sprintf("webhook{environment:%q auth:%q header:%q secrets:%d subject_path:%q type_path:%q fetch_url:%q}",
		c.Environment, c.Auth, c.Header, len(c.Secrets), c.SubjectPath, c.TypePath, c.FetchURL)
}

// ParseConfig decodes and validates a config. Unknown keys are errors;
// every problem names its field.
func ParseConfig(raw []byte) (Config, error) {
	var c Config
	if err := spec.DecodeJSON(Spec.Secret, raw, &c); err != nil {
		return Config{}, err
	}
	if _, err := c.compile(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// compiled is a Config checked and made ready for use: paths parsed,
// types resolved, defaults applied.
type compiled struct {
	cfg                                  Config
	header                               string
	subject, typ, time, id, client, purp *Path
	types                                map[string]profile.EventType
	fields, fetchFields                  []fieldPath
}

// compile checks c and everything that ties its fields together.
func (c Config) compile() (*compiled, error) {
	var errs []error
	if c.Kind != "" && c.Kind != Kind {
		errs = append(errs, sourcekit.Field("kind", "want %q, got %q", Kind, c.Kind))
	}
	k := &compiled{cfg: c}
	errs = append(errs, k.compileAuth()...)
	path := func(field, text string, required bool) *Path {
		if text == "" {
			if required {
				errs = append(errs, sourcekit.Field(field, "required"))
			}
			return nil
		}
		p, err := ParsePath(text)
		if err != nil {
			errs = append(errs, sourcekit.Field(field, "%v", err))
			return nil
		}
		return &p
	}
	k.subject = path("subject_path", c.SubjectPath, true)
	k.typ = path("type_path", c.TypePath, true)
	k.time = path("time_path", c.TimePath, false)
	k.id = path("id_path", c.IDPath, false)
	k.client = path("client_id_path", c.ClientIDPath, false)
	k.purp = path("purpose_path", c.PurposePath, false)
	k.types = map[string]profile.EventType{}
	if len(c.EventTypes) == 0 {
		errs = append(errs, sourcekit.Field("event_types", "required, at least one type"))
	}
	for _, name := range sortedKeys(c.EventTypes) {
		t := profile.EventType(c.EventTypes[name])
		if !t.Valid() {
			errs = append(errs, sourcekit.Field("event_types."+name, "want one of %v", profile.EventTypes))
			continue
		}
		if (t == profile.ConsentGranted || t == profile.ConsentRevoked) && c.PurposePath == "" {
			errs = append(errs, sourcekit.Field("purpose_path", "required: event_types maps %q to %s", name, t))
		}
		k.types[name] = t
	}
	var ferrs []error
	k.fields, ferrs = compileFields("fields", c.Fields)
	errs = append(errs, ferrs...)
	if c.FetchURL != "" {
		errs = append(errs, fetchURLError(c.FetchURL))
		src, name := c.FetchFields, "fetch_fields"
		if len(src) == 0 {
			src, name = c.Fields, "fields"
		}
		if len(src) == 0 {
			errs = append(errs, sourcekit.Field("fetch_fields", "required with fetch_url (or fields)"))
		}
		k.fetchFields, ferrs = compileFields(name, src)
		errs = append(errs, ferrs...)
	} else if c.FetchToken != "" || len(c.FetchFields) > 0 {
		errs = append(errs, sourcekit.Field("fetch_url", "required with fetch_token and fetch_fields"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *compiled) compileAuth() []error {
	c := k.cfg
	var errs []error
	if len(c.Secrets) == 0 {
		errs = append(errs, sourcekit.Field("secrets", "required, at least one"))
	}
	hmacOnly := func(field string, set bool) {
		if set && c.Auth != AuthHMAC {
			errs = append(errs, sourcekit.Field(field, "only with auth hmac"))
		}
	}
	hmacOnly("signature_prefix", c.SignaturePrefix != "")
	hmacOnly("timestamp_header", c.TimestampHeader != "")
	hmacOnly("encoding", c.Encoding != "" && c.Encoding != EncodingHex)
	switch c.Auth {
	case AuthAPIKey, AuthHMAC:
		k.header = c.Header
		if k.header == "" {
			k.header = map[string]string{AuthAPIKey: "X-Api-Key", AuthHMAC: "X-Signature"}[c.Auth]
		}
		for i, s := range c.Secrets {
			if len(s) < MinSecretLen {
				errs = append(errs, sourcekit.Field(fmt.Sprintf("secrets[%d]", i), "shorter than %d characters", MinSecretLen))
			}
		}
	case AuthBasic:
		k.header = "Authorization"
		if c.Header != "" {
			errs = append(errs, sourcekit.Field("header", "not with auth basic (it is Authorization)"))
		}
		for i, s := range c.Secrets {
			if u, p, ok := strings.Cut(s, ":"); !ok || u == "" || p == "" {
				errs = append(errs, sourcekit.Field(fmt.Sprintf("secrets[%d]", i), "want user:password"))
			}
		}
	default:
		errs = append(errs, sourcekit.Field("auth", "want %s, %s or %s", AuthAPIKey, AuthBasic, AuthHMAC))
	}
	if k.header != "" && !validHeaderName(k.header) {
		errs = append(errs, sourcekit.Field("header", "not a header name"))
	}
	if c.TimestampHeader != "" && !validHeaderName(c.TimestampHeader) {
		errs = append(errs, sourcekit.Field("timestamp_header", "not a header name"))
	}
	if c.ToleranceSeconds < 0 {
		errs = append(errs, sourcekit.Field("tolerance_seconds", "must not be negative"))
	}
	k.header = http.CanonicalHeaderKey(k.header)
	return errs
}

// fetchURLError checks the fetch template: an absolute http(s) URL with
// {subject} in its path or query.
func fetchURLError(t string) error {
	if !strings.Contains(t, "{subject}") {
		return sourcekit.Field("fetch_url", "want {subject} in the URL")
	}
	u, err := url.Parse(strings.ReplaceAll(t, "{subject}", "s"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return sourcekit.Field("fetch_url", "want an absolute http(s) URL without a fragment")
	}
	return nil
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for _, r := range h {
		if r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
