// Package httpcheck is a generic claim authority for registries that
// answer JSON over HTTPS and have no package of their own (a
// professional chamber's member lookup, a dealer portal): the rule's
// settings say what to request (a URL and an optional JSON body, with
// {evidence} placeholders), which headers to send (with {secret.field}
// placeholders for API keys), and how to read the answer (expr-lang
// expressions over `answer` and `status`, dotted paths for the reference
// and the attributes).
//
// Placeholders are escaped for where they stand (URL path, query, JSON
// string) and may never choose the host. The expressions are compiled
// when the rule loads, so a typo is a `profilesync validate` error. 404 is
// a rejection ("http: not found"); 408, 429, 5xx, timeouts and network
// errors are claims.ErrUnavailable; refused credentials and answers that
// are not JSON are claims.ErrMisconfigured.
package httpcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

// DefaultTimeout bounds a call when Build gets no client.
const DefaultTimeout = 5 * time.Second

// Reasons this authority answers with.
const (
	ReasonMissing  = "http: missing evidence"
	ReasonVerified = "http: verified"
	ReasonRejected = "http: rejected"
	ReasonNoMatch  = "http: no match"
	ReasonNotFound = "http: not found"
)

// Spec is the httpcheck authority's settings and secret.
var Spec = spec.Component{
	Kind:    "httpcheck",
	Summary: "Any JSON-over-HTTPS registry: a request template, and expressions that read its answer.",
	Settings: []spec.Field{
		{Name: "method", Type: spec.String, Default: http.MethodGet, Enum: []string{http.MethodGet, http.MethodPost}, Description: "GET or POST."},
		{Name: "url", Type: spec.String, Required: true, Description: "https URL; {name} is evidence name, path- or query-escaped where it stands (never in the host). E.g. https://api.example/members/{member_id}?country={country}."},
		{Name: "headers", Type: spec.StringMap, Description: "Request headers; values may hold {secret.field} (e.g. Authorization: Bearer {secret.token})."},
		{Name: "body", Type: spec.String, Description: `POST only: a JSON template; {name} (evidence) and {secret.field} go inside JSON strings and are escaped: {"id": "{member_id}"}.`},
		{Name: "verified_when", Type: spec.String, Required: true, Description: `An expr-lang expression over answer (the decoded JSON) and status (the HTTP status): answer.status == "active". Use ?. for optional fields.`},
		{Name: "rejected_when", Type: spec.String, Description: `An expression saying the answer is a clear no (also on a 4xx other than 401, 403, 404); when neither holds the answer is rejected as "http: no match".`},
		{Name: "reference", Type: spec.String, Description: "Dotted path to the registry's id of the record, kept as evidence: member.id, items.0.number."},
		{Name: "attributes", Type: spec.StringMap, Description: "Attribute name → dotted path into the answer, for enrichment."},
	},
	Secret: []spec.Field{
		{Name: "fields", Type: spec.StringMap, Description: `Values the headers and body name as {secret.<field>}: {"fields": {"token": "…"}}.`},
	},
}

// Settings are a rule's settings for an httpcheck authority.
type Settings struct {
	Method       string            `json:"method"`
	URL          string            `json:"url"`
	Headers      map[string]string `json:"headers"`
	Body         string            `json:"body"`
	VerifiedWhen string            `json:"verified_when"`
	RejectedWhen string            `json:"rejected_when"`
	Reference    string            `json:"reference"`
	Attributes   map[string]string `json:"attributes"`
}

// Secret is the authority's secret.
type Secret struct {
	Fields map[string]string `json:"fields"`
}

// compiled is what Settings become once checked.
type compiled struct {
	url      template
	headers  map[string]template
	body     *template
	verified *vm.Program
	rejected *vm.Program
}

// env is what the expressions see.
type env struct {
	Answer any `expr:"answer"`
	Status int `expr:"status"`
}

var (
	pathRE   = lazyregexp.New(`^[^.\s]+(\.[^.\s]+)*$`)
	headerRE = lazyregexp.New("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// DecodeSettings reads settings and compiles their templates and
// expressions; errors are *spec.Error naming the field.
func DecodeSettings(m map[string]any) (Settings, *compiled, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, nil, err
	}
	c := &compiled{headers: map[string]template{}}
	var errs []error
	bad := func(err error, at ...string) { errs = append(errs, spec.Errorf(spec.At(at...), "%v", err)) }
	var err error
	if c.url, err = urlTemplate(s.URL); err != nil {
		bad(err, "url")
	}
	for _, k := range sortedKeys(s.Headers) {
		if !headerRE.MatchString(k) {
			bad(errors.New("not a header name"), "headers", k)
			continue
		}
		t := parseTemplate(s.Headers[k], verbatim)
		for _, n := range t.names() {
			if !strings.HasPrefix(n, secretPrefix) {
				bad(fmt.Errorf("{%s}: headers take {secret.<field>} only", n), "headers", k)
			}
		}
		c.headers[k] = t
	}
	if s.Body != "" {
		if s.Method != http.MethodPost {
			bad(errors.New("only with method POST"), "body")
		} else if t, err := bodyTemplate(s.Body); err != nil {
			bad(err, "body")
		} else {
			c.body = &t
		}
	}
	if c.verified, err = compile(s.VerifiedWhen); err != nil {
		bad(err, "verified_when")
	}
	if s.RejectedWhen != "" {
		if c.rejected, err = compile(s.RejectedWhen); err != nil {
			bad(err, "rejected_when")
		}
	}
	if s.Reference != "" && !pathRE.MatchString(s.Reference) {
		bad(errors.New("want a dotted path (a.b.0.c)"), "reference")
	}
	for _, k := range sortedKeys(s.Attributes) {
		if !pathRE.MatchString(s.Attributes[k]) {
			bad(errors.New("want a dotted path (a.b.0.c)"), "attributes", k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, nil, err
	}
	return s, c, nil
}

func compile(src string) (*vm.Program, error) {
	p, err := expr.Compile(src, expr.Env(env{}), expr.AsBool())
	if err != nil {
		// expr's message quotes the expression, which is the rule's own text.
		return nil, fmt.Errorf("expression: %v", err)
	}
	return p, nil
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, _, err := DecodeSettings(m)
	return err
}

// Authority asks one registry. Build it with Build.
type Authority struct {
	name     string
	settings Settings
	c        *compiled
	secret   map[string]string
	hc       *http.Client
}

var _ claims.Authority = (*Authority)(nil)

// Build is the registry's constructor: settings, the secret (JSON
// {"fields": {...}}; nil when the rule names none) and the egress
// client (nil: production, DefaultTimeout). Every {secret.field} the
// settings use must be in the secret.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Authority, error) {
	s, c, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("httpcheck authority %s settings: %w", name, err)
	}
	var sec Secret
	if len(secret) > 0 {
		if err := spec.DecodeJSON(Spec.Secret, secret, &sec); err != nil {
			return nil, fmt.Errorf("httpcheck authority %s secret: %w", name, err)
		}
	}
	var missing []string
	used := c.url.names()
	for _, t := range c.headers {
		used = append(used, t.names()...)
	}
	if c.body != nil {
		used = append(used, c.body.names()...)
	}
	for _, n := range used {
		f, ok := strings.CutPrefix(n, secretPrefix)
		if _, have := sec.Fields[f]; ok && !have && !slices.Contains(missing, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("httpcheck authority %s secret: fields %v are used but not given", name, missing)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	probe, _ := c.url.fill(func(string) (string, bool) { return "x", true })
	if err := egress.CheckURL(hc, probe); err != nil {
		return nil, fmt.Errorf("httpcheck authority %s: url: %w", name, err)
	}
	return &Authority{name: name, settings: s, c: c, secret: sec.Fields, hc: hc}, nil
}

// Check sends the request built from req.Evidence and judges the answer.
func (a *Authority) Check(ctx context.Context, req claims.Request) (claims.Answer, error) {
	lookup := func(name string) (string, bool) {
		if f, ok := strings.CutPrefix(name, secretPrefix); ok {
			v, ok := a.secret[f]
			return v, ok
		}
		v := strings.TrimSpace(req.Evidence[name])
		return v, v != ""
	}
	u, miss := a.c.url.fill(lookup)
	var body string
	if miss == "" && a.c.body != nil {
		body, miss = a.c.body.fill(lookup)
	}
	if miss != "" {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	res, call, err := a.do(ctx, u, body)
	calls := []claims.Call{call}
	if err != nil {
		return claims.Answer{Calls: calls}, err
	}
	out, err := a.judge(res)
	out.Calls = calls
	return out, err
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
