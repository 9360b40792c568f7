package generic

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// authorized checks r against the configured mode; body is the raw body, as
// the signature covers it. Unknown modes fail closed. Called with f.mu held.
func (f *Fake) authorized(r *http.Request, body []byte) bool {
	switch f.auth.Mode {
	case "", "none":
		return true
	case "bearer":
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && f.auth.Token != "" && same(tok, f.auth.Token)
	case "basic":
		u, p, ok := r.BasicAuth()
		return ok && same(u, f.auth.Username) && same(p, f.auth.Password)
	case "hmac":
		return f.verifyHMAC(r.Header.Get(f.auth.HMACHeader), body)
	}
	return false
}

// verifyHMAC checks "t=<unix>,v1=<hex>[,v1=<hex>...]": the timestamp within
// the tolerance and any v1 equal to HMAC-SHA256(secret, "<t>.<body>").
func (f *Fake) verifyHMAC(header string, body []byte) bool {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return false
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return false
	}
	if d := f.now().Sub(time.Unix(sec, 0)); d > f.auth.Tolerance || d < -f.auth.Tolerance {
		return false
	}
	m := hmac.New(sha256.New, []byte(f.auth.HMACSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	want := m.Sum(nil)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return true
		}
	}
	return false
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
