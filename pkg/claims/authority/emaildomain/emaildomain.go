// Package emaildomain is the claim authority for "works at": a verified
// e-mail address at a domain the rule allows (employees, agents,
// associates). It calls nothing: the CIAM verified the address, this
// package judges its domain against the rule's allow list and refuses
// free-mail and disposable domains (short embedded lists of well-known
// providers, freemail.txt and disposable.txt).
//
// Domains are compared lower-cased and in IDNA A-label form (see
// NormalizeDomain), so "Müller.example" in a profile and
// "xn--mller-kva.example" in a rule are the same domain.
package emaildomain

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Reasons this authority answers with.
const (
	ReasonMissing     = "domain: missing evidence"
	ReasonNotVerified = "domain: e-mail not verified"
	ReasonInvalid     = "domain: invalid address"
	ReasonFreeMail    = "domain: free-mail"
	ReasonDisposable  = "domain: disposable"
	ReasonNotAllowed  = "domain: not allowed"
	ReasonAllowed     = "domain: allowed"
)

// Spec is the emaildomain authority's settings; it has no secret.
var Spec = spec.Component{
	Kind:    "emaildomain",
	Summary: `A verified e-mail (evidence "email", the profile's email_verified) at an allowed domain, not free-mail or disposable.`,
	Settings: []spec.Field{
		{Name: "allow", Type: spec.StringList, Description: `Allowed domains; "*.example.com" allows its subdomains (not example.com itself: list both). Empty: any domain not refused.`},
		{Name: "refuse_free_mail", Type: spec.Bool, Default: true, Description: "Refuse well-known free-mail domains (gmail.com, yahoo.*, outlook.*, gmx.*, …)."},
		{Name: "refuse_disposable", Type: spec.Bool, Default: true, Description: "Refuse well-known disposable-address domains (mailinator.com, 10minutemail.com, …)."},
	},
}

// Settings are a rule's settings for an emaildomain authority.
type Settings struct {
	Allow            []string `json:"allow"`
	RefuseFreeMail   bool     `json:"refuse_free_mail"`
	RefuseDisposable bool     `json:"refuse_disposable"`
}

// allowEntry is one normalised allow entry.
type allowEntry struct {
	domain     string
	subdomains bool // "*.domain": strictly below domain
}

// DecodeSettings reads settings as Spec says and checks each allow entry
// is a domain, and none is one the settings refuse anyway.
func DecodeSettings(m map[string]any) (Settings, []allowEntry, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, nil, err
	}
	var errs []error
	entries := make([]allowEntry, 0, len(s.Allow))
	for i, a := range s.Allow {
		at := spec.At("allow", spec.Index(i))
		sub := strings.HasPrefix(strings.TrimSpace(a), "*.")
		d, err := NormalizeDomain(strings.TrimPrefix(strings.TrimSpace(a), "*."))
		if err != nil {
			errs = append(errs, spec.Errorf(at, `want a domain (example.com) or "*.example.com"`))
			continue
		}
		if r := refused(s, d); r != "" {
			errs = append(errs, spec.Errorf(at, "%s is refused as %s; drop it or turn that refusal off", d, strings.TrimPrefix(r, "domain: ")))
			continue
		}
		entries = append(entries, allowEntry{domain: d, subdomains: sub})
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, nil, err
	}
	return s, entries, nil
}

// CheckSettings is what `profilesync validate` runs.
func CheckSettings(m map[string]any) error {
	_, _, err := DecodeSettings(m)
	return err
}

// Authority judges e-mail domains. Build it with Build.
type Authority struct {
	name     string
	settings Settings
	allow    []allowEntry
}

var _ claims.Authority = (*Authority)(nil)

// Build is the registry's constructor; it takes no secret and no client
// (it calls nothing) and ignores both.
func Build(name string, settings map[string]any, _ []byte, _ *http.Client) (*Authority, error) {
	s, allow, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("emaildomain authority %s settings: %w", name, err)
	}
	return &Authority{name: name, settings: s, allow: allow}, nil
}

// Check judges req.Evidence["email"]'s domain. The reference is the
// domain (never the address).
func (a *Authority) Check(_ context.Context, req claims.Request) (claims.Answer, error) {
	email := strings.TrimSpace(req.Evidence["email"])
	if email == "" {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	if !req.EmailVerified {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonNotVerified}, nil
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonInvalid}, nil
	}
	d, err := NormalizeDomain(email[at+1:])
	if err != nil {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonInvalid}, nil
	}
	if r := refused(a.settings, d); r != "" {
		return claims.Answer{Verdict: claims.Rejected, Reason: r, Reference: d}, nil
	}
	if len(a.allow) > 0 && !allowed(a.allow, d) {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonNotAllowed, Reference: d}, nil
	}
	return claims.Answer{Verdict: claims.Verified, Reason: ReasonAllowed, Reference: d, Attributes: map[string]any{"domain": d}}, nil
}

func allowed(entries []allowEntry, d string) bool {
	for _, e := range entries {
		if e.subdomains && strings.HasSuffix(d, "."+e.domain) || !e.subdomains && d == e.domain {
			return true
		}
	}
	return false
}

// refused returns the reason s refuses d for, or "".
func refused(s Settings, d string) string {
	switch {
	case s.RefuseDisposable && listed(disposable(), d):
		return ReasonDisposable
	case s.RefuseFreeMail && listed(freeMail(), d):
		return ReasonFreeMail
	}
	return ""
}

//go:embed freemail.txt
var freeMailTxt string

//go:embed disposable.txt
var disposableTxt string

// The lists are parsed when a rule first checks one, not at every cold
// start of the verifier.
var (
	freeMail   = sync.OnceValue(func() list { return parseList(freeMailTxt) })
	disposable = sync.OnceValue(func() list { return parseList(disposableTxt) })
)

// list is a parsed domain list: exact domains (which also cover their
// subdomains) and "name.*" entries.
type list struct {
	exact  map[string]bool
	anyTLD map[string]bool // "yahoo" for "yahoo.*"
}

func parseList(txt string) list {
	l := list{exact: map[string]bool{}, anyTLD: map[string]bool{}}
	sc := bufio.NewScanner(strings.NewReader(txt))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasSuffix(line, ".*"):
			l.anyTLD[strings.TrimSuffix(line, ".*")] = true
		default:
			l.exact[line] = true
		}
	}
	return l
}

// listed reports whether d or a domain above it is on l. "name.*" covers
// name followed by a suffix of one or two short labels (yahoo.de,
// yahoo.co.uk, hotmail.com.br), which is how those providers spell their
// country domains.
func listed(l list, d string) bool {
	for p := d; ; {
		if l.exact[p] {
			return true
		}
		_, rest, ok := strings.Cut(p, ".")
		if !ok {
			break
		}
		p = rest
	}
	labels := strings.Split(d, ".")
	for i := len(labels) - 3; i <= len(labels)-2; i++ {
		if i < 0 || !l.anyTLD[labels[i]] {
			continue
		}
		suffix := labels[i+1:]
		short := true
		for _, s := range suffix {
			short = short && len(s) <= 3
		}
		if short {
			return true
		}
	}
	return false
}
