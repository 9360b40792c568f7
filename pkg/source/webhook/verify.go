package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// Signature is what a sender puts in the signature header for body with
// key: the HMAC-SHA256 of body, or of timestamp + "." + body when
// timestamp is not empty, in encoding (hex when empty), without a prefix.
// The tests and `profilesync send` sign with it.
func Signature(key, timestamp string, body []byte, encoding string) string {
	m := hmac.New(sha256.New, []byte(key))
	if timestamp != "" {
		m.Write([]byte(timestamp))
		m.Write([]byte{'.'})
	}
	m.Write(body)
	if encoding == EncodingBase64 {
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// BasicAuth is the Authorization value for user:password ("user:password").
func BasicAuth(pair string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(pair))
}

// verifier checks a request's proof. Every failure is ErrUnauthenticated;
// nothing it returns quotes what was sent.
type verifier struct {
	name    string
	auth    string
	header  string
	digests [][32]byte // apikey and basic: SHA-256 of each accepted value
	keys    [][]byte   // hmac
	base64  bool
	prefix  string
	tsHdr   string
	window  time.Duration
}

func newVerifier(name string, k *compiled) *verifier {
	c := k.cfg
	v := &verifier{name: name, auth: c.Auth, header: k.header, base64: c.Encoding == EncodingBase64,
		prefix: c.SignaturePrefix, tsHdr: c.TimestampHeader, window: time.Duration(c.ToleranceSeconds) * time.Second}
	if c.ToleranceSeconds == 0 {
		v.window = 300 * time.Second
	}
	for _, s := range c.Secrets {
		if c.Auth == AuthHMAC {
			v.keys = append(v.keys, []byte(s))
		} else {
			v.digests = append(v.digests, sha256.Sum256([]byte(s)))
		}
	}
	return v
}

func (v *verifier) fail(why string) error {
	return fmt.Errorf("webhook %s: %s: %w", v.name, why, source.ErrUnauthenticated)
}

func (v *verifier) verify(req source.Request) error {
	got := req.Header.Get(v.header)
	if got == "" {
		return v.fail("no " + v.header)
	}
	switch v.auth {
	case AuthAPIKey:
		return v.oneOf(got)
	case AuthBasic:
		scheme, cred, _ := strings.Cut(got, " ")
		pair, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if !strings.EqualFold(scheme, "Basic") || err != nil {
			return v.fail("no readable Basic credentials")
		}
		return v.oneOf(string(pair))
	case AuthHMAC:
		return v.signature(got, req)
	}
	return v.fail("no verifier") // unreachable after compile; closed all the same
}

// oneOf compares the digest of got with every accepted digest, all of
// them, in constant time: neither the match nor the lengths leak.
func (v *verifier) oneOf(got string) error {
	d := sha256.Sum256([]byte(got))
	match := 0
	for i := range v.digests {
		match |= subtle.ConstantTimeCompare(d[:], v.digests[i][:])
	}
	if match != 1 {
		return v.fail(v.header + " does not match")
	}
	return nil
}

func (v *verifier) signature(got string, req source.Request) error {
	if v.prefix != "" {
		var ok bool
		if got, ok = strings.CutPrefix(got, v.prefix); !ok {
			return v.fail("signature without its prefix")
		}
	}
	var sig []byte
	var err error
	if v.base64 {
		sig, err = base64.StdEncoding.DecodeString(got)
	} else {
		sig, err = hex.DecodeString(got)
	}
	if err != nil || len(sig) != sha256.Size {
		return v.fail("no readable signature")
	}
	ts := ""
	if v.tsHdr != "" {
		ts = req.Header.Get(v.tsHdr)
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return v.fail("no readable " + v.tsHdr)
		}
		// Bounds, not a difference: no int64 a sender writes overflows them.
		now, w := req.Now.Unix(), int64(v.window/time.Second)
		if sec < now-w || sec > now+w {
			return v.fail("timestamp outside the tolerance")
		}
	}
	ok := false
	for _, k := range v.keys {
		m := hmac.New(sha256.New, k)
		if ts != "" {
			m.Write([]byte(ts))
			m.Write([]byte{'.'})
		}
		m.Write(req.Body)
		ok = hmac.Equal(sig, m.Sum(nil)) || ok
	}
	if !ok {
		return v.fail("signature does not match")
	}
	return nil
}

// Authenticate sets on h what a sender configured as cfg sends with body
// at now, using the first secret: the API key header, the Basic
// credentials, or the signature (and timestamp) headers. `profilesync
// send` and the tests use it.
func Authenticate(cfg Config, h http.Header, body []byte, now time.Time) error {
	k, err := cfg.compile()
	if err != nil {
		return err
	}
	switch cfg.Auth {
	case AuthAPIKey:
		h.Set(k.header, cfg.Secrets[0])
	case AuthBasic:
		h.Set(k.header, BasicAuth(cfg.Secrets[0]))
	case AuthHMAC:
		ts := ""
		if cfg.TimestampHeader != "" {
			ts = strconv.FormatInt(now.Unix(), 10)
			h.Set(cfg.TimestampHeader, ts)
		}
		h.Set(k.header, cfg.SignaturePrefix+Signature(cfg.Secrets[0], ts, body, cfg.Encoding))
	}
	return nil
}
