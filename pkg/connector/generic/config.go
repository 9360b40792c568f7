package generic

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/spec"
)

// AuthMode is how requests prove who sends them.
type AuthMode string

const (
	AuthBearer AuthMode = "bearer" // Authorization: Bearer <token>
	AuthBasic  AuthMode = "basic"  // Authorization: Basic <username:password>
	AuthHMAC   AuthMode = "hmac"   // <hmac_header>: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
	AuthNone   AuthMode = "none"
)

// DefaultHMACHeader carries the signature in hmac mode unless hmac_header
// names another.
const DefaultHMACHeader = "X-ProfileSync-Signature"

// UpsertFallback is the requests entry an upsert uses when its event type
// has none of its own.
const UpsertFallback = "upsert"

// Spec is the generic connector's settings and secret, once: decoding, the
// mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "generic",
	Summary: "Any HTTPS JSON API: one request per event type, with bearer, basic, HMAC or no auth.",
	Settings: []spec.Field{
		{Name: "requests", Type: spec.ObjectMap, Required: true, Keys: requestNames(),
			Description: "The call per event type, or upsert as the fallback; every event type must resolve, so deleted is always needed.",
			Fields: []spec.Field{
				{Name: "method", Type: spec.String, Required: true, Description: "POST, PUT or PATCH for upserts; DELETE or POST for deleted (which sends no body)."},
				{Name: "path", Type: spec.String, Required: true, Description: "Below base_url, with {key}, {event_id}, {event_type} and {source}, each escaped as one segment (one query value after ?)."},
			}},
		{Name: "auth", Type: spec.String, Required: true, Enum: []string{string(AuthBearer), string(AuthBasic), string(AuthHMAC), string(AuthNone)},
			Description: "How requests prove who sends them; the secret holds what it needs."},
		{Name: "hmac_header", Type: spec.String, Default: DefaultHMACHeader, Description: "The header of the hmac signature, t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>."},
		{Name: "headers", Type: spec.StringMap, Description: "Extra headers on every request; not the ones the connector sets (Authorization, Content-Type, Idempotency-Key, the HMAC header)."},
	},
	Secret: []spec.Field{
		{Name: "base_url", Type: spec.String, Required: true, Description: "The API root without a query, e.g. https://api.example.com."},
		{Name: "token", Type: spec.String, Description: "auth bearer: the bearer token."},
		{Name: "username", Type: spec.String, Description: "auth basic: the user."},
		{Name: "password", Type: spec.String, Description: "auth basic: the password."},
		{Name: "hmac_secret", Type: spec.String, Description: "auth hmac: the HMAC-SHA256 key."},
	},
}

// Settings are the non-secret options a mapping file gives a generic target.
type Settings struct {
	// Requests maps an event type (or "upsert") to the call it makes. An
	// upsert uses the entry for its event's type, else "upsert"; a delete
	// uses "deleted". Every event type must resolve, so a mapping cannot
	// load and then fail at send time.
	Requests   map[string]Request `json:"requests"`
	Auth       AuthMode           `json:"auth"`
	HMACHeader string             `json:"hmac_header"`
	// Headers are sent on every request; they cannot replace the ones the
	// connector sets (auth, content type, idempotency key).
	Headers map[string]string `json:"headers"`
}

// Request is one call: a method and a path below the secret's base_url
// with {key}, {event_id}, {event_type} and {source} placeholders, each
// replaced by the URL-path-escaped value (query-escaped after a "?").
// Upserts use POST, PUT or PATCH; "deleted" uses DELETE or POST, and a
// delete never sends a body.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Credentials come from the target's secret; which fields are required
// depends on Settings.Auth.
type Credentials struct {
	BaseURL    string `json:"base_url"`
	Token      string `json:"token"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	HMACSecret string `json:"hmac_secret"`
}

var (
	placeholders = []string{"key", "event_id", "event_type", "source"}
	placeholdRE  = lazyregexp.New(`\{([^{}]*)\}`)
	headerNameRE = lazyregexp.New("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// managed headers are set by the connector and cannot be configured.
	managed = []string{"Authorization", "Content-Type", "Content-Length", "Host", "Idempotency-Key"}
)

// requestNames lists the keys "requests" admits, in a stable order.
func requestNames() []string {
	out := make([]string, 0, len(profile.EventTypes)+1)
	for _, t := range profile.EventTypes {
		out = append(out, string(t))
	}
	return append(out, UpsertFallback)
}

// DecodeSettings reads a mapping's settings as Spec says (unknown keys are
// refused at every level, named by path such as requests.updated.method)
// and then checks what Spec cannot. Errors are *spec.Error.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	for k, r := range s.Requests {
		r.Method = strings.ToUpper(r.Method)
		s.Requests[k] = r
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
	if !headerNameRE.MatchString(s.HMACHeader) {
		errs = append(errs, spec.Errorf(spec.At("hmac_header"), "%q is not a header name", s.HMACHeader))
	}
	names := make([]string, 0, len(s.Headers))
	for name := range s.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.checkHeader(name, s.Headers[name]); err != nil {
			errs = append(errs, spec.Errorf(spec.At("headers", name), "%v", err))
		}
	}
	errs = append(errs, s.checkRequests()...)
	return errors.Join(errs...)
}

func (s Settings) checkHeader(name, value string) error {
	canon := http.CanonicalHeaderKey(name)
	switch {
	case !headerNameRE.MatchString(name):
		return errors.New("not a header name")
	case slices.Contains(managed, canon) || canon == http.CanonicalHeaderKey(s.HMACHeader):
		return errors.New("set by the connector, cannot be configured")
	case strings.ContainsAny(value, "\r\n\x00"):
		return errors.New("value contains a control character")
	}
	return nil
}

func (s Settings) checkRequests() []error {
	if len(s.Requests) == 0 {
		return nil // spec.Validate reports it missing
	}
	var errs []error
	for _, name := range requestNames() {
		if r, ok := s.Requests[name]; ok {
			errs = append(errs, r.validate(name, name == string(profile.Deleted))...)
		}
	}
	for _, t := range profile.EventTypes {
		if _, ok := s.route(t); !ok {
			want := `"` + string(t) + `"`
			if t != profile.Deleted {
				want += ` or "upsert"`
			}
			errs = append(errs, spec.Errorf(spec.At("requests"), "no entry for %s events (add %s)", t, want))
		}
	}
	return errs
}

// validate checks the request called name; its errors are at
// requests.<name>.method and requests.<name>.path.
func (r Request) validate(name string, isDelete bool) []error {
	allowed := []string{http.MethodPost, http.MethodPut, http.MethodPatch}
	if isDelete {
		allowed = []string{http.MethodDelete, http.MethodPost}
	}
	method, path := spec.At("requests", name, "method"), spec.At("requests", name, "path")
	var errs []error
	if !slices.Contains(allowed, r.Method) {
		errs = append(errs, spec.Errorf(method, "%q is not one of %s", r.Method, strings.Join(allowed, ", ")))
	}
	if !strings.HasPrefix(r.Path, "/") {
		errs = append(errs, spec.Errorf(path, "%q must start with /", r.Path))
	}
	rest := placeholdRE.ReplaceAllStringFunc(r.Path, func(p string) string {
		if !slices.Contains(placeholders, p[1:len(p)-1]) {
			errs = append(errs, spec.Errorf(path, "placeholder %s is not one of {%s}", p, strings.Join(placeholders, "}, {")))
		}
		return ""
	})
	if strings.ContainsAny(rest, "{} \t\r\n") {
		errs = append(errs, spec.Errorf(path, "%q has an unbalanced brace or whitespace", r.Path))
	}
	return errs
}

// route is the request an event of type t makes.
func (s Settings) route(t profile.EventType) (Request, bool) {
	if r, ok := s.Requests[string(t)]; ok {
		return r, true
	}
	if t == profile.Deleted {
		return Request{}, false
	}
	r, ok := s.Requests[UpsertFallback]
	return r, ok
}

// ParseCredentials decodes the secret; which of its fields auth needs is
// CheckAuth's to say, since the secret alone does not know the mapping's
// auth. Errors name fields, never values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("generic secret: %w", err)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return Credentials{}, fmt.Errorf("generic secret: %w", spec.Errorf(spec.At("base_url"), "want an absolute http(s) URL without a query, e.g. https://api.example.com"))
	}
	return c, nil
}

// CheckAuth reports the fields auth needs that c lacks.
func (c Credentials) CheckAuth(auth AuthMode) error {
	need := map[AuthMode][]string{AuthBearer: {"token"}, AuthBasic: {"username", "password"}, AuthHMAC: {"hmac_secret"}}
	have := map[string]bool{"token": c.Token != "", "username": c.Username != "", "password": c.Password != "", "hmac_secret": c.HMACSecret != ""}
	var errs []error
	for _, f := range need[auth] {
		if !have[f] {
			errs = append(errs, spec.Errorf(spec.At(f), "required for auth %q", auth))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("generic secret: %w", err)
	}
	return nil
}
