package approval_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/claims/approval"
)

var (
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 32)
	t0   = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func testLinks(c *clock) approval.Links {
	return approval.Links{Key: key1, BaseURL: "https://sync.example.com/", TTL: 72 * time.Hour, Now: c.Now}
}

// token is the part of a link after LinkPath.
func token(t *testing.T, link string) string {
	t.Helper()
	_, tok, ok := strings.Cut(link, approval.LinkPath)
	if !ok || !strings.HasPrefix(link, "https://sync.example.com"+approval.LinkPath) {
		t.Fatalf("link %q not below the base URL", link)
	}
	return tok
}

func TestLinksRoundTrip(t *testing.T) {
	c := &clock{t0}
	l := testLinks(c)
	approve, reject, exp, err := l.New("apr_01HZX", "team:hcp-review")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(t0.Add(72 * time.Hour)) {
		t.Errorf("expires %v", exp)
	}
	a, err := l.Open(token(t, approve))
	if err != nil {
		t.Fatalf("open approve: %v", err)
	}
	r, err := l.Open(token(t, reject))
	if err != nil {
		t.Fatalf("open reject: %v", err)
	}
	if a.ID != "apr_01HZX" || a.Action != approval.ActionApprove || !a.Approved() || a.Approver != "team:hcp-review" || !a.Expires.Equal(exp) {
		t.Errorf("approve link %+v", a)
	}
	if r.ID != "apr_01HZX" || r.Action != approval.ActionReject || r.Approved() || r.Approver != "team:hcp-review" || !r.Expires.Equal(exp) {
		t.Errorf("reject link %+v", r)
	}
	if a.Nonce == "" || a.Nonce == r.Nonce {
		t.Errorf("nonces %q and %q: want distinct, non-empty", a.Nonce, r.Nonce)
	}
	again, _, _, _ := l.New("apr_01HZX", "team:hcp-review")
	if again == approve {
		t.Error("two New calls gave the same link")
	}
	if tok := token(t, approve); len(tok) > 160 || strings.ContainsAny(tok, "+/=") {
		t.Errorf("token %q: want compact base64url", tok)
	}
}

func TestLinksOpenRefuses(t *testing.T) {
	c := &clock{t0}
	l := testLinks(c)
	approve, _, _, err := l.New("apr_1", "ops")
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, approve)
	raw, _ := base64.RawURLEncoding.DecodeString(tok)

	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for name, bad := range map[string]string{
		"empty":            "",
		"not base64":       "!!!",
		"padded":           tok + "==",
		"truncated":        tok[:len(tok)-4],
		"action flipped":   flip(1),
		"expiry changed":   flip(9),
		"approver changed": flip(len(raw) - 33),
		"mac changed":      flip(len(raw) - 1),
		"appended":         base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), 0)),
		"too long":         strings.Repeat("A", 4096),
		"std base64 chars": strings.ReplaceAll(tok, "-", "+"),
	} {
		if name == "std base64 chars" && !strings.Contains(tok, "-") {
			continue
		}
		if _, err := l.Open(bad); !errors.Is(err, approval.ErrLinkInvalid) || err != approval.ErrLinkInvalid {
			t.Errorf("%s: err %v, want exactly ErrLinkInvalid", name, err)
		}
	}

	wrong := l
	wrong.Key = key2
	if _, err := wrong.Open(tok); err != approval.ErrLinkInvalid {
		t.Errorf("wrong key: %v", err)
	}
}

func TestLinksRotation(t *testing.T) {
	c := &clock{t0}
	old := testLinks(c)
	approve, _, _, err := old.New("apr_1", "ops")
	if err != nil {
		t.Fatal(err)
	}
	rotated := old
	rotated.Key, rotated.Previous = key2, [][]byte{key1}
	if got, err := rotated.Open(token(t, approve)); err != nil || got.ID != "apr_1" {
		t.Fatalf("link of the previous key: %+v %v", got, err)
	}
	fresh, _, _, err := rotated.New("apr_2", "ops")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Open(token(t, fresh)); err != approval.ErrLinkInvalid {
		t.Errorf("new key's link opened with only the old key: %v", err)
	}
	// Previous opens, it never signs: dropping it ends the old links.
	rotated.Previous = nil
	if _, err := rotated.Open(token(t, approve)); err != approval.ErrLinkInvalid {
		t.Errorf("old link after the previous key was dropped: %v", err)
	}
}

func TestLinksExpiry(t *testing.T) {
	c := &clock{t0}
	l := testLinks(c)
	approve, _, exp, err := l.New("apr_1", "ops")
	if err != nil {
		t.Fatal(err)
	}
	c.t = exp.Add(-time.Second)
	if _, err := l.Open(token(t, approve)); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	c.t = exp
	if _, err := l.Open(token(t, approve)); err != approval.ErrLinkExpired {
		t.Errorf("at expiry: %v, want ErrLinkExpired", err)
	}
	// Expired and forged is invalid: expiry is only read from genuine tokens.
	other := l
	other.Key = key2
	if _, err := other.Open(token(t, approve)); err != approval.ErrLinkInvalid {
		t.Errorf("expired token under the wrong key: %v, want ErrLinkInvalid", err)
	}
}

func TestLinksCheck(t *testing.T) {
	good := approval.Links{Key: key1, BaseURL: "https://sync.example.com", TTL: time.Hour}
	if err := good.Check(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, mut := range map[string]func(*approval.Links){
		"short key":          func(l *approval.Links) { l.Key = key1[:31] },
		"short previous key": func(l *approval.Links) { l.Previous = [][]byte{key2[:16]} },
		"relative base":      func(l *approval.Links) { l.BaseURL = "/claims" },
		"ftp base":           func(l *approval.Links) { l.BaseURL = "ftp://sync.example.com" },
		"no TTL":             func(l *approval.Links) { l.TTL = 0 },
	} {
		l := good
		mut(&l)
		if err := l.Check(); !errors.Is(err, approval.ErrLinkKey) {
			t.Errorf("%s: %v, want ErrLinkKey", name, err)
		}
		if _, _, _, err := l.New("apr_1", "ops"); err == nil {
			t.Errorf("%s: New made a link", name)
		}
	}
	short := good
	short.Key = key1[:16]
	if _, err := short.Open("x"); !errors.Is(err, approval.ErrLinkKey) {
		t.Errorf("Open with a short key: %v", err)
	}
	for name, f := range map[string][2]string{
		"empty id": {"", "ops"}, "empty approver": {"apr_1", ""}, "long id": {strings.Repeat("x", 257), "ops"},
		"bad utf-8": {"apr_\xff", "ops"},
	} {
		if _, _, _, err := good.New(f[0], f[1]); err == nil {
			t.Errorf("%s: New made a link", name)
		}
	}
}

// Longest fields still give a link Open takes.
func TestLinksLongestFields(t *testing.T) {
	c := &clock{t0}
	l := testLinks(c)
	id, who := strings.Repeat("i", 256), strings.Repeat("é", 128)
	approve, _, _, err := l.New(id, who)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Open(token(t, approve))
	if err != nil || got.ID != id || got.Approver != who {
		t.Fatalf("open: %v", err)
	}
}

// Open never panics, and whatever it accepts it could have made.
func FuzzOpen(f *testing.F) {
	c := &clock{t0}
	l := testLinks(c)
	approve, reject, _, err := l.New("apr_1", "ops")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "A", "AAAA", "!!", strings.Repeat("A", 64), approve[strings.Index(approve, approval.LinkPath)+len(approval.LinkPath):],
		reject[strings.Index(reject, approval.LinkPath)+len(approval.LinkPath):]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		link, err := l.Open(tok)
		if err != nil {
			if err != approval.ErrLinkInvalid && err != approval.ErrLinkExpired {
				t.Fatalf("error %v is neither invalid nor expired", err)
			}
			return
		}
		if link.ID == "" || link.Approver == "" || (link.Action != approval.ActionApprove && link.Action != approval.ActionReject) {
			t.Fatalf("accepted a link with empty parts: %+v", link)
		}
	})
}
