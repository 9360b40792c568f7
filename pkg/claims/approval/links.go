package approval

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The actions a link can carry.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
)

// LinkPath is the path below Links.BaseURL where the links point and
// Handler serves.
const LinkPath = "/claims/approvals/"

// MinKeyBytes is the shortest key Links accepts: HMAC-SHA256's block of
// security, and what a generated secret gives.
const MinKeyBytes = 32

// maxField bounds the approval id and the approver, so a link stays short
// enough for every chat client and mail gateway.
const maxField = 256

// maxToken bounds what Open decodes: the longest token New can make.
const maxToken = (headerLen + 2*(binary.MaxVarintLen16+maxField) + macLen + 2) * 4 / 3

var (
	// ErrLinkInvalid: the token is malformed, or no key signed it. It says
	// nothing more on purpose.
	ErrLinkInvalid = errors.New("approval link invalid")
	// ErrLinkExpired: the token is genuine and its time is up.
	ErrLinkExpired = errors.New("approval link expired")
	// ErrLinkKey: a key is shorter than MinKeyBytes, or Links is otherwise
	// misconfigured; Check reports it when the configuration is loaded.
	ErrLinkKey = errors.New("approval links misconfigured")
)

// Links makes and opens the signed links of approval notices.
//
// A token is base64url (no padding) of a version byte, the action, the
// expiry (Unix seconds), a random nonce, the approval id and the approver,
// followed by an HMAC-SHA256 over all of that. It is signed, not
// encrypted: anyone holding a link can read the approval id and the
// approver, so the approver should be an approver id ("compliance",
// "team:hcp-review"), not a person's e-mail address.
type Links struct {
	// Key signs new links and opens them; at least MinKeyBytes, from a
	// secret.
	Key []byte
	// Previous keys still open links (after a rotation, until the longest
	// TTL has passed); they never sign.
	Previous [][]byte
	// BaseURL is the public origin of the handler, e.g.
	// https://sync.example.com (no trailing slash needed).
	BaseURL string
	// TTL is how long a link from New stays valid.
	TTL time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Link is what an opened token says.
type Link struct {
	ID       string // the approval id
	Action   string // ActionApprove or ActionReject
	Approver string
	Expires  time.Time
	// Nonce is random per link (base64url), for a store that also refuses
	// a link it has seen before.
	Nonce string
}

// Approved reports whether the link is an approve link.
func (k Link) Approved() bool { return k.Action == ActionApprove }

const (
	version   = 1
	nonceLen  = 16
	macLen    = sha256.Size
	headerLen = 1 + 1 + 8 + nonceLen // version, action, expiry, nonce
	macDomain = "profilesync approval link\x00"
)

// Check reports a configuration Links cannot work with: a short key, a
// base URL that is not an absolute http(s) URL, a TTL that is not
// positive.
func (l Links) Check() error {
	if len(l.Key) < MinKeyBytes {
		return fmt.Errorf("%w: key of %d bytes, want at least %d", ErrLinkKey, len(l.Key), MinKeyBytes)
	}
	for i, k := range l.Previous {
		if len(k) < MinKeyBytes {
			return fmt.Errorf("%w: previous key %d of %d bytes, want at least %d", ErrLinkKey, i+1, len(k), MinKeyBytes)
		}
	}
	u, err := url.Parse(l.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: base URL %q: want an absolute http(s) URL without query", ErrLinkKey, l.BaseURL)
	}
	if l.TTL <= 0 {
		return fmt.Errorf("%w: TTL %s: want a positive duration", ErrLinkKey, l.TTL)
	}
	return nil
}

// New returns the approve and the reject link of approval id for approver,
// both valid until now plus TTL.
func (l Links) New(id, approver string) (approve, reject string, expires time.Time, err error) {
	return l.NewUntil(id, approver, l.now().Add(l.TTL))
}

// NewUntil is New with the expiry given, e.g. the approval's own expiry.
// The expiry is kept to the second, rounded down.
func (l Links) NewUntil(id, approver string, expires time.Time) (approve, reject string, exp time.Time, err error) {
	if err := l.Check(); err != nil {
		return "", "", time.Time{}, err
	}
	if err := checkField("approval id", id); err != nil {
		return "", "", time.Time{}, err
	}
	if err := checkField("approver", approver); err != nil {
		return "", "", time.Time{}, err
	}
	exp = time.Unix(expires.Unix(), 0)
	base := strings.TrimRight(l.BaseURL, "/") + LinkPath
	a, err := l.token(id, ActionApprove, approver, exp)
	if err != nil {
		return "", "", time.Time{}, err
	}
	r, err := l.token(id, ActionReject, approver, exp)
	if err != nil {
		return "", "", time.Time{}, err
	}
	return base + a, base + r, exp, nil
}

func checkField(name, v string) error {
	if v == "" || len(v) > maxField || !utf8.ValidString(v) {
		return fmt.Errorf("approval link: %s: want 1 to %d bytes of UTF-8", name, maxField)
	}
	return nil
}

// token signs one link.
func (l Links) token(id, action, approver string, expires time.Time) (string, error) {
	b := make([]byte, headerLen, headerLen+2*binary.MaxVarintLen16+len(id)+len(approver)+macLen)
	b[0] = version
	b[1] = action[0] // 'a' or 'r'
	binary.BigEndian.PutUint64(b[2:10], uint64(expires.Unix()))
	if _, err := rand.Read(b[10:headerLen]); err != nil {
		return "", fmt.Errorf("approval link nonce: %w", err)
	}
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.AppendUvarint(b, uint64(len(approver)))
	b = append(b, approver...)
	b = append(b, mac(l.Key, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func mac(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(macDomain))
	m.Write(payload)
	return m.Sum(nil)
}

// Open verifies token with Key or one of Previous, then reads it. Every
// malformed or forged token is ErrLinkInvalid, with no detail; a genuine
// one past its expiry is ErrLinkExpired. The signature is checked on the
// raw bytes before anything in them is read.
func (l Links) Open(token string) (Link, error) {
	if len(l.Key) < MinKeyBytes {
		return Link{}, fmt.Errorf("%w: key of %d bytes", ErrLinkKey, len(l.Key))
	}
	if len(token) > maxToken {
		return Link{}, ErrLinkInvalid
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < headerLen+macLen {
		return Link{}, ErrLinkInvalid
	}
	payload, sig := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	ok := false
	for _, k := range append([][]byte{l.Key}, l.Previous...) {
		if len(k) >= MinKeyBytes && hmac.Equal(sig, mac(k, payload)) {
			ok = true
			break
		}
	}
	if !ok {
		return Link{}, ErrLinkInvalid
	}
	link, ok := parse(payload)
	if !ok {
		return Link{}, ErrLinkInvalid
	}
	if !l.now().Before(link.Expires) {
		return Link{}, ErrLinkExpired
	}
	return link, nil
}

// parse reads a payload whose signature is good; it still checks every
// length, since a key could have signed a different layout.
func parse(p []byte) (Link, bool) {
	if len(p) < headerLen || p[0] != version {
		return Link{}, false
	}
	var link Link
	switch p[1] {
	case 'a':
		link.Action = ActionApprove
	case 'r':
		link.Action = ActionReject
	default:
		return Link{}, false
	}
	exp := binary.BigEndian.Uint64(p[2:10])
	if exp > 1<<62 {
		return Link{}, false
	}
	link.Expires = time.Unix(int64(exp), 0)
	link.Nonce = base64.RawURLEncoding.EncodeToString(p[10:headerLen])
	rest := p[headerLen:]
	var ok bool
	if link.ID, rest, ok = field(rest); !ok {
		return Link{}, false
	}
	if link.Approver, rest, ok = field(rest); !ok || len(rest) != 0 {
		return Link{}, false
	}
	return link, true
}

// field reads one length-prefixed string.
func field(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n == 0 || n > maxField || uint64(len(b)-k) < n {
		return "", nil, false
	}
	s := string(b[k : k+int(n)])
	if !utf8.ValidString(s) {
		return "", nil, false
	}
	return s, b[k+int(n):], true
}

func (l Links) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
