package standardwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/source"
)

// headerSet names the three headers of one dialect.
type headerSet struct{ id, timestamp, signature string }

var (
	standardHeaders = headerSet{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}
	svixHeaders     = headerSet{"Svix-Id", "Svix-Timestamp", "Svix-Signature"}
)

// verify checks the signature headers and returns the message id and the
// header timestamp. All failures are ErrUnauthenticated.
func (p *Parser) verify(h http.Header, body []byte, now time.Time) (string, time.Time, error) {
	hs := standardHeaders
	if h.Get(hs.id) == "" {
		hs = svixHeaders
	}
	id, ts, sigs := h.Get(hs.id), h.Get(hs.timestamp), h.Get(hs.signature)
	if id == "" || ts == "" || sigs == "" {
		return "", time.Time{}, p.unauth("missing signature headers")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", time.Time{}, p.unauth("timestamp is not an integer")
	}
	sent := time.Unix(secs, 0).UTC()
	tol := time.Duration(p.cfg.ToleranceSeconds) * time.Second
	if now.IsZero() || sent.Before(now.Add(-tol)) {
		return "", time.Time{}, p.unauth("timestamp too old")
	}
	if sent.After(now.Add(tol)) {
		return "", time.Time{}, p.unauth("timestamp too new")
	}
	if !p.signatureMatches(id, ts, body, sigs) {
		return "", time.Time{}, p.unauth("no signature matches")
	}
	return id, sent, nil
}

// signatureMatches computes one MAC per secret and accepts if any v1
// signature in the list equals one; other versions are skipped.
func (p *Parser) signatureMatches(id, ts string, body []byte, sigs string) bool {
	var want [][]byte
	for _, k := range p.cfg.keys {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(id))
		m.Write([]byte{'.'})
		m.Write([]byte(ts))
		m.Write([]byte{'.'})
		m.Write(body)
		want = append(want, m.Sum(nil))
	}
	ok := false
	for _, s := range strings.Fields(sigs) {
		version, b64, found := strings.Cut(s, ",")
		if !found || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				ok = true
			}
		}
	}
	return ok
}

func (p *Parser) unauth(why string) error {
	return fmt.Errorf("standardwebhooks %s: %s: %w", p.name, why, source.ErrUnauthenticated)
}
