package zitadel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// SignatureHeader carries the timestamp and the signatures.
const SignatureHeader = "Zitadel-Signature"

// Signature is the ZITADEL-Signature value for body sent at t under key:
// what a ZITADEL target receives. The sandbox and `profilesync send` sign
// with it.
func Signature(key string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac([]byte(key), ts, body))
}

func mac(key []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verify checks the header against the raw body and returns the signing
// time. Every failure is ErrUnauthenticated.
func (p *Parser) verify(header string, body []byte, now time.Time) (time.Time, error) {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return time.Time{}, p.unauth("missing or unreadable " + SignatureHeader)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, p.unauth("timestamp is not an integer")
	}
	sent := time.Unix(secs, 0).UTC()
	tol := time.Duration(p.cfg.ToleranceSeconds) * time.Second
	if now.IsZero() || sent.Before(now.Add(-tol)) || sent.After(now.Add(tol)) {
		return time.Time{}, p.unauth("timestamp outside the tolerance")
	}
	want := mac(p.key, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return time.Time{}, p.unauth("no signature matches")
	}
	return sent, nil
}

func (p *Parser) unauth(why string) error {
	return fmt.Errorf("zitadel %s: %s: %w", p.name, why, source.ErrUnauthenticated)
}
