package generic

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
)

// Sign returns the hmac-mode header value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". Signing the
// timestamp with the body lets the receiver refuse replays outside its
// tolerance window. Exported so receivers and fakes verify the same bytes.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// authorize sets the auth header for the configured mode on h, the header
// of a request whose body is body (nil for none).
func (c *Client) authorize(h http.Header, body []byte) {
	switch c.settings.Auth {
	case AuthBearer:
		h.Set("Authorization", "Bearer "+c.creds.Token)
	case AuthBasic:
		h.Set("Authorization", connectorkit.BasicAuth(c.creds.Username, c.creds.Password))
	case AuthHMAC:
		h.Set(c.settings.HMACHeader, Sign([]byte(c.creds.HMACSecret), c.now(), body))
	}
}
