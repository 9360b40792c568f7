package generic

import (
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
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
	settingsKeys = []string{"requests", "auth", "hmac_header", "headers"}
	requestKeys  = []string{"method", "path"}
	placeholders = []string{"key", "event_id", "event_type", "source"}
	placeholdRE  = regexp.MustCompile(`\{([^{}]*)\}`)
	headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
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

// DecodeSettings reads a mapping's settings, rejecting unknown keys at every
// level, and fills in defaults. Errors name the offending field by path
// (e.g. requests.updated.method).
func DecodeSettings(m map[string]any) (Settings, error) {
	if err := checkKeys(m); err != nil {
		return Settings{}, err
	}
	var s Settings
	if err := connectorkit.DecodeSettings(m, nil, &s); err != nil {
		return Settings{}, err
	}
	if s.HMACHeader == "" {
		s.HMACHeader = DefaultHMACHeader
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

// checkKeys names unknown keys with their path before JSON decoding, which
// would only say `unknown field "x"`.
func checkKeys(m map[string]any) error {
	if err := unknownKey("", m, settingsKeys); err != nil {
		return err
	}
	if hs, ok := m["headers"].(map[string]any); ok {
		for k, v := range hs {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("field %q: want a string", "headers."+k)
			}
		}
	}
	reqs, ok := m["requests"].(map[string]any)
	if !ok {
		return nil // absent or mistyped: decoding and Validate report it
	}
	if err := unknownKey("requests.", reqs, requestNames()); err != nil {
		return err
	}
	for name, v := range reqs {
		r, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("field %q: want an object with method and path", "requests."+name)
		}
		if err := unknownKey("requests."+name+".", r, requestKeys); err != nil {
			return err
		}
		for k, v := range r {
			if _, ok := v.(string); !ok {
				return fmt.Errorf("field %q: want a string", "requests."+name+"."+k)
			}
		}
	}
	return nil
}

func unknownKey(prefix string, m map[string]any, allowed []string) error {
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("field %q: unknown (want one of %s)", prefix+unknown[0], strings.Join(allowed, ", "))
}

// Validate checks every field and reports all problems at once.
func (s Settings) Validate() error {
	var errs []error
	switch s.Auth {
	case AuthBearer, AuthBasic, AuthHMAC, AuthNone:
	case "":
		errs = append(errs, errors.New(`field "auth": required (bearer, basic, hmac or none)`))
	default:
		errs = append(errs, fmt.Errorf(`field "auth": %q is not one of bearer, basic, hmac, none`, s.Auth))
	}
	if !headerNameRE.MatchString(s.HMACHeader) {
		errs = append(errs, fmt.Errorf(`field "hmac_header": %q is not a header name`, s.HMACHeader))
	}
	names := make([]string, 0, len(s.Headers))
	for name := range s.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.checkHeader(name, s.Headers[name]); err != nil {
			errs = append(errs, fmt.Errorf("field %q: %w", "headers."+name, err))
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
		return []error{errors.New(`field "requests": required (at least "deleted" and "upsert" or one entry per event type)`)}
	}
	var errs []error
	for _, name := range requestNames() {
		r, ok := s.Requests[name]
		if !ok {
			continue
		}
		field := "requests." + name
		if err := r.validate(name == string(profile.Deleted)); err != nil {
			errs = append(errs, fmt.Errorf("field %q: %w", field, err))
		}
	}
	for _, t := range profile.EventTypes {
		if _, ok := s.route(t); !ok {
			want := `"` + string(t) + `"`
			if t != profile.Deleted {
				want += ` or "upsert"`
			}
			errs = append(errs, fmt.Errorf(`field "requests": no entry for %s events (add %s)`, t, want))
		}
	}
	return errs
}

func (r Request) validate(isDelete bool) error {
	allowed := []string{http.MethodPost, http.MethodPut, http.MethodPatch}
	if isDelete {
		allowed = []string{http.MethodDelete, http.MethodPost}
	}
	var errs []error
	if !slices.Contains(allowed, r.Method) {
		errs = append(errs, fmt.Errorf("method %q is not one of %s", r.Method, strings.Join(allowed, ", ")))
	}
	if !strings.HasPrefix(r.Path, "/") {
		errs = append(errs, fmt.Errorf("path %q must start with /", r.Path))
	}
	rest := placeholdRE.ReplaceAllStringFunc(r.Path, func(p string) string {
		if !slices.Contains(placeholders, p[1:len(p)-1]) {
			errs = append(errs, fmt.Errorf("path placeholder %s is not one of {%s}", p, strings.Join(placeholders, "}, {")))
		}
		return ""
	})
	if strings.ContainsAny(rest, "{} \t\r\n") {
		errs = append(errs, fmt.Errorf("path %q has an unbalanced brace or whitespace", r.Path))
	}
	return errors.Join(errs...)
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

// ParseCredentials decodes the secret and checks the fields auth needs.
// Errors name fields, never values.
func ParseCredentials(secret []byte, auth AuthMode) (Credentials, error) {
	var c Credentials
	if err := connectorkit.DecodeJSON(secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("generic secret: %w", err)
	}
	var errs []error
	if u, err := url.Parse(c.BaseURL); c.BaseURL == "" {
		errs = append(errs, errors.New(`field "base_url": required`))
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, errors.New(`field "base_url": want an absolute http(s) URL without a query, e.g. https://api.example.com`))
	}
	need := map[AuthMode][]string{AuthBearer: {"token"}, AuthBasic: {"username", "password"}, AuthHMAC: {"hmac_secret"}}
	have := map[string]bool{"token": c.Token != "", "username": c.Username != "", "password": c.Password != "", "hmac_secret": c.HMACSecret != ""}
	for _, f := range need[auth] {
		if !have[f] {
			errs = append(errs, fmt.Errorf("field %q: required for auth %q", f, auth))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("generic secret: %w", err)
	}
	return c, nil
}
