package httpsdest

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

// NamePlaceholder is replaced in the URL by the file's name, escaped for
// where it stands (path or query).
const NamePlaceholder = "{name}"

// DefaultContentType is sent when the secret names none.
const DefaultContentType = "application/octet-stream"

// Spec is the HTTPS destination's secret: the URL may carry a signature
// or token, and the headers usually do.
var Spec = spec.Component{
	Kind:    "https",
	Summary: "Files uploaded with one HTTPS request each (PUT or POST), sent only when the whole file is written, with its SHA-256 digest.",
	Secret: []spec.Field{
		{Name: "url", Type: spec.String, Required: true, Description: "Where each file goes, with {name} for its name (e.g. https://upload.example.com/profiles/{name}); POST may leave {name} out, and the name goes in Content-Disposition."},
		{Name: "method", Type: spec.String, Enum: []string{http.MethodPut, http.MethodPost}, Default: http.MethodPut, Description: "PUT or POST."},
		{Name: "headers", Type: spec.StringMap, Description: "Headers sent with every request, e.g. Authorization."},
		{Name: "content_type", Type: spec.String, Default: DefaultContentType, Description: "The Content-Type of every file."},
	},
}

// Config is the decoded secret.
type Config struct {
	URL         string            `json:"url"`
	Method      string            `json:"method"`
	Headers     map[string]string `json:"headers"`
	ContentType string            `json:"content_type"`
}

// reserved headers are the client's to set: framing, the digest and what
// Config names otherwise.
var reserved = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "Content-Type",
	"Content-Digest", "Repr-Digest", "Digest", "Content-Disposition", "Expect", "Trailer", "Te", "Upgrade"}

// check validates cfg against the policy hc's calls meet and fills in
// defaults. Errors name the field, never its value, and quote at most the
// URL's host.
func (cfg *Config) check(hc *http.Client) error {
	var errs []error
	if cfg.Method == "" {
		cfg.Method = http.MethodPut
	}
	if cfg.ContentType == "" {
		cfg.ContentType = DefaultContentType
	}
	switch cfg.Method {
	case http.MethodPut, http.MethodPost:
	default:
		errs = append(errs, errors.New("method: want PUT or POST"))
	}
	n := strings.Count(cfg.URL, NamePlaceholder)
	switch {
	case cfg.URL == "":
		errs = append(errs, errors.New("url: required"))
	case n > 1:
		errs = append(errs, errors.New("url: {name} may appear once"))
	case n == 0 && cfg.Method != http.MethodPost:
		errs = append(errs, errors.New("url: {name} is required with PUT (each file needs its own URL)"))
	default:
		u, err := expand(cfg.URL, "name")
		if err == nil {
			err = egress.CheckURL(hc, u)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("url: %w", err))
		}
	}
	if mt, _, err := mime.ParseMediaType(cfg.ContentType); err != nil || !strings.Contains(mt, "/") {
		errs = append(errs, errors.New("content_type: want a media type such as text/csv"))
	}
	for name, value := range cfg.Headers {
		switch {
		case !token(name):
			errs = append(errs, errors.New("headers: a name is not a valid header name"))
		case isReserved(name):
			errs = append(errs, fmt.Errorf("headers: %s is set by the destination", http.CanonicalHeaderKey(name)))
		case strings.ContainsAny(value, "\r\n\x00"):
			errs = append(errs, fmt.Errorf("headers: the value of %s holds a line break", http.CanonicalHeaderKey(name)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("https destination: %w", errors.Join(errs...))
	}
	return nil
}

// expand puts name into tmpl: each path segment escaped in the path, or
// the whole name query-escaped after the '?'.
func expand(tmpl, name string) (string, error) {
	i := strings.Index(tmpl, NamePlaceholder)
	if i < 0 {
		return tmpl, nil
	}
	var esc string
	if q := strings.IndexByte(tmpl, '?'); q >= 0 && q < i {
		esc = url.QueryEscape(name)
	} else {
		segs := strings.Split(name, "/")
		for j, s := range segs {
			segs[j] = url.PathEscape(s)
		}
		esc = strings.Join(segs, "/")
	}
	out := tmpl[:i] + esc + tmpl[i+len(NamePlaceholder):]
	if _, err := url.Parse(out); err != nil {
		return "", errors.New("not a valid URL")
	}
	return out, nil
}

func isReserved(name string) bool {
	for _, r := range reserved {
		if strings.EqualFold(r, name) {
			return true
		}
	}
	return false
}

// token reports whether s is an RFC 9110 token (a valid header name).
func token(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
