package emaildomain

import (
	"context"
	"errors"
	"testing"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/spec"
)

func build(t *testing.T, settings map[string]any) *Authority {
	t.Helper()
	a, err := Build("staff", settings, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func check(a *Authority, email string, verified bool) claims.Answer {
	got, err := a.Check(context.Background(), claims.Request{Evidence: map[string]string{"email": email}, EmailVerified: verified})
	if err != nil {
		panic(err) // Check never fails: it calls nothing
	}
	return got
}

func TestCheck(t *testing.T) {
	staff := map[string]any{"allow": []any{"example.com", "*.example.org", "Bücher.example"}}
	open := map[string]any{}
	for _, tc := range []struct {
		name     string
		settings map[string]any
		email    string
		verified bool
		verdict  claims.Verdict
		reason   string
		ref      string
	}{
		{"allowed", staff, "ada@example.com", true, claims.Verified, ReasonAllowed, "example.com"},
		{"case and trailing dot", staff, "Ada@EXAMPLE.COM.", true, claims.Verified, ReasonAllowed, "example.com"},
		{"subdomain wildcard", staff, "ada@lab.example.org", true, claims.Verified, ReasonAllowed, "lab.example.org"},
		{"wildcard is strictly below", staff, "ada@example.org", true, claims.Rejected, ReasonNotAllowed, "example.org"},
		{"exact entry is not a wildcard", staff, "ada@lab.example.com", true, claims.Rejected, ReasonNotAllowed, "lab.example.com"},
		{"lookalike suffix", staff, "ada@evilexample.com", true, claims.Rejected, ReasonNotAllowed, "evilexample.com"},
		{"unicode domain", staff, "ada@BÜCHER.example", true, claims.Verified, ReasonAllowed, "xn--bcher-kva.example"},
		{"a-label domain", staff, "ada@xn--bcher-kva.example", true, claims.Verified, ReasonAllowed, "xn--bcher-kva.example"},
		{"not verified", staff, "ada@example.com", false, claims.Rejected, ReasonNotVerified, ""},
		{"missing", staff, "", true, claims.Rejected, ReasonMissing, ""},
		{"no domain", staff, "ada@", true, claims.Rejected, ReasonInvalid, ""},
		{"no local part", staff, "@example.com", true, claims.Rejected, ReasonInvalid, ""},
		{"not an address", staff, "example.com", true, claims.Rejected, ReasonInvalid, ""},
		{"bad label", staff, "ada@exa_mple.com", true, claims.Rejected, ReasonInvalid, ""},
		{"gmail", open, "someone@gmail.com", true, claims.Rejected, ReasonFreeMail, "gmail.com"},
		{"yahoo country domain", open, "someone@yahoo.co.uk", true, claims.Rejected, ReasonFreeMail, "yahoo.co.uk"},
		{"hotmail brazil", open, "someone@hotmail.com.br", true, claims.Rejected, ReasonFreeMail, "hotmail.com.br"},
		{"gmx", open, "someone@gmx.de", true, claims.Rejected, ReasonFreeMail, "gmx.de"},
		{"yahoo lookalike", open, "someone@yahoo.example.com", true, claims.Verified, ReasonAllowed, "yahoo.example.com"},
		{"mailinator", open, "x@mailinator.com", true, claims.Rejected, ReasonDisposable, "mailinator.com"},
		{"disposable subdomain", open, "x@eu.mailinator.com", true, claims.Rejected, ReasonDisposable, "eu.mailinator.com"},
		{"free mail allowed when asked", map[string]any{"refuse_free_mail": false}, "someone@gmail.com", true, claims.Verified, ReasonAllowed, "gmail.com"},
		{"disposable allowed when asked", map[string]any{"refuse_disposable": false}, "x@yopmail.com", true, claims.Verified, ReasonAllowed, "yopmail.com"},
		{"any business domain", open, "ada@example.net", true, claims.Verified, ReasonAllowed, "example.net"},
		// Free-mail is refused before the allow list is consulted.
		{"free mail not allowed", staff, "someone@outlook.com", true, claims.Rejected, ReasonFreeMail, "outlook.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := check(build(t, tc.settings), tc.email, tc.verified)
			if got.Verdict != tc.verdict || got.Reason != tc.reason || got.Reference != tc.ref {
				t.Fatalf("got %s %q ref %q, want %s %q ref %q", got.Verdict, got.Reason, got.Reference, tc.verdict, tc.reason, tc.ref)
			}
			if got.Reference != "" && got.Reference == tc.email {
				t.Fatal("the reference is the address")
			}
		})
	}
}

func TestSettings(t *testing.T) {
	for name, tc := range map[string]struct {
		settings map[string]any
		field    string
	}{
		"unknown key":          {map[string]any{"deny": []any{"x.com"}}, "deny"},
		"not a domain":         {map[string]any{"allow": []any{"example.com", "not a domain"}}, "allow[1]"},
		"single label":         {map[string]any{"allow": []any{"localhost"}}, "allow[0]"},
		"allowing free mail":   {map[string]any{"allow": []any{"gmail.com"}}, "allow[0]"},
		"allowing a throwaway": {map[string]any{"allow": []any{"*.mailinator.com"}}, "allow[0]"},
		"wrong type":           {map[string]any{"refuse_free_mail": "no"}, "refuse_free_mail"},
	} {
		t.Run(name, func(t *testing.T) {
			var se *spec.Error
			if err := CheckSettings(tc.settings); !errors.As(err, &se) || se.Path.String() != tc.field {
				t.Fatalf("err = %v, want one at %s", err, tc.field)
			}
		})
	}
	if err := CheckSettings(map[string]any{"allow": []any{"gmail.com"}, "refuse_free_mail": false}); err != nil {
		t.Fatalf("free mail allowed explicitly: %v", err)
	}
}

func TestPunycode(t *testing.T) {
	for in, want := range map[string]string{
		"münchen": "mnchen-3ya",
		"bücher":  "bcher-kva",
		"ü":       "tda",
		// RFC 3492 section 7.1, sample (L).
		"3年b組金八先生": "3b-ww4c5e180e575a65lsy2b",
		// Sample (A), Arabic (Egyptian).
		"ليهمابتكلموشعربي؟": "egbpdaj6bu4bxfgehfvwxn",
	} {
		got, err := punycode(in)
		if err != nil || got != want {
			t.Errorf("punycode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM":    "example.com",
		"example.com.":   "example.com",
		"bücher.example": "xn--bcher-kva.example",
		"ＢÜＣＨＥＲ．example": "xn--bcher-kva.example", // full-width letters and dot
		"münchen。de":     "xn--mnchen-3ya.de",
	} {
		if got, err := NormalizeDomain(in); err != nil || got != want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "com", "a..b", "-a.com", "a-.com", "a b.com", "a@b.com"} {
		if got, err := NormalizeDomain(in); err == nil {
			t.Errorf("NormalizeDomain(%q) = %q, want an error", in, got)
		}
	}
}
