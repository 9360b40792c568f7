package salesforce

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// orgID and userID are the fake org's ids, as an identity URL names them.
const (
	orgID  = "00D000000000001EAA"
	userID = "005000000000001AAA"
)

// serveToken is the OAuth 2.0 token endpoint for the client credentials
// flow. Errors are 400 {"error", "error_description"}, as Salesforce answers.
func (f *Fake) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls.Token++
	f.mu.Unlock()
	if r.Method != http.MethodPost {
		writeOAuthError(w, "invalid_request", "must use HTTP POST")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", "invalid request body")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		writeOAuthError(w, "invalid_request", "grant type not supported")
		return
	default:
		writeOAuthError(w, "unsupported_grant_type", "grant type not supported")
		return
	}
	if !equal(r.PostForm.Get("client_id"), f.clientID) {
		writeOAuthError(w, "invalid_client_id", "client identifier invalid")
		return
	}
	if !equal(r.PostForm.Get("client_secret"), f.clientSecret) {
		writeOAuthError(w, "invalid_client", "invalid client credentials")
		return
	}
	token := orgID[:15] + "!" + randomHex(32)
	f.mu.Lock()
	f.tokens[token] = true
	instance := f.instanceURL
	if instance == "" {
		instance = scheme(r) + "://" + r.Host + f.prefix
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": token,
		"signature":    base64.StdEncoding.EncodeToString([]byte(randomHex(16))),
		"scope":        "api",
		"instance_url": instance,
		"id":           "https://login.salesforce.com/id/" + orgID + "/" + userID,
		"token_type":   "Bearer",
		"issued_at":    strconv.FormatInt(time.Now().UnixMilli(), 10),
	})
}

// authorized reports whether r carries a live token ("Bearer" or the legacy
// "OAuth" scheme).
func (f *Fake) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "OAuth ")
	}
	if !ok {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[strings.TrimSpace(tok)]
}

func scheme(r *http.Request) string {
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func writeOAuthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
