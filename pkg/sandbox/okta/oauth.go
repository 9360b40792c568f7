package okta

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// TokenLifetime is the expires_in of the access tokens the fake issues
// (Okta's for service apps: one hour).
const TokenLifetime = time.Hour

// maxAssertionLifetime is the longest exp - iat Okta accepts in a client
// assertion.
const maxAssertionLifetime = time.Hour

// serviceApp is an API Services app whose client authentication is
// "Public key / Private key" (private_key_jwt).
type serviceApp struct {
	key    crypto.PublicKey
	scopes []string // the okta.* scopes granted to the app
}

type accessToken struct {
	clientID string
	scopes   []string
	expires  time.Time
}

// AddServiceApp registers an API Services app: clientID authenticates
// with a JWT signed by the private half of key (RSA or EC P-256) and may
// be granted scopes (okta.users.read, okta.users.manage).
func (f *Fake) AddServiceApp(clientID string, key crypto.PublicKey, scopes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apps == nil {
		f.apps = map[string]serviceApp{}
	}
	f.apps[clientID] = serviceApp{key: key, scopes: slices.Clone(scopes)}
}

// RevokeTokens invalidates every access token issued, as an admin
// clearing the app's sessions does: the next call answers 401.
func (f *Fake) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = nil
}

// TokensIssued reports how many access tokens the fake has issued.
func (f *Fake) TokensIssued() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issued
}

// issueToken serves POST /oauth2/v1/token, the org authorization server's
// token endpoint, for the client_credentials grant with private_key_jwt
// client authentication (RFC 7523): the assertion's iss and sub are the
// client ID, aud this endpoint's URL, exp in the future and at most an
// hour after iat, its jti unused. Failures are RFC 6749 §5.2 errors as
// Okta spells them.
func (f *Fake) issueToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form.")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || r.PostForm.Get("client_assertion") == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed. Either the client or the client credentials are invalid.")
		return
	}
	clientID, ok := f.checkAssertion(r.PostForm.Get("client_assertion"), tokenURL(r))
	if !ok || (r.PostForm.Get("client_id") != "" && r.PostForm.Get("client_id") != clientID) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The client_assertion token is invalid.")
		return
	}
	asked := strings.Fields(r.PostForm.Get("scope"))
	f.mu.Lock()
	defer f.mu.Unlock()
	app := f.apps[clientID]
	if len(asked) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	for _, s := range asked {
		if !slices.Contains(app.scopes, s) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "The following scopes were requested, but not granted: "+s)
			return
		}
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "eyJfake." + hex.EncodeToString(b)
	if f.tokens == nil {
		f.tokens = map[string]accessToken{}
	}
	f.tokens[tok] = accessToken{clientID: clientID, scopes: asked, expires: f.now().Add(TokenLifetime)}
	f.issued++
	w.Header().Set("Cache-Control", "no-store")
	fakekit.WriteJSON(w, "application/json", http.StatusOK, map[string]any{"token_type": "Bearer",
		"expires_in": int(TokenLifetime.Seconds()), "access_token": tok, "scope": strings.Join(asked, " ")})
}

// checkAssertion verifies a client assertion and returns its client ID.
func (f *Fake) checkAssertion(jwt, aud string) (string, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", false
	}
	dec := base64.RawURLEncoding.DecodeString
	hb, err1 := dec(parts[0])
	cb, err2 := dec(parts[1])
	sig, err3 := dec(parts[2])
	var h struct{ Alg string }
	var c struct {
		Iss, Sub, Aud, Jti string
		Iat, Exp           int64
	}
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &h) != nil || json.Unmarshal(cb, &c) != nil {
		return "", false
	}
	f.mu.Lock()
	app, known := f.apps[c.Iss]
	_, replayed := f.jtis[c.Jti]
	f.mu.Unlock()
	now := f.now()
	exp, iat := time.Unix(c.Exp, 0), time.Unix(c.Iat, 0)
	if !known || c.Sub != c.Iss || c.Aud != aud || c.Jti == "" || replayed || !now.Before(exp) || exp.Sub(iat) > maxAssertionLifetime {
		return "", false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch k := app.key.(type) {
	case *rsa.PublicKey:
		if h.Alg != "RS256" || rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) != nil {
			return "", false
		}
	case *ecdsa.PublicKey:
		if h.Alg != "ES256" || len(sig) != 64 || !ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return "", false
		}
	default:
		return "", false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.jtis == nil {
		f.jtis = map[string]bool{}
	}
	f.jtis[c.Jti] = true
	return c.Iss, true
}

// bearer checks an access token for a Users API call: 401 when it is
// unknown or expired, 403 insufficient_scope when it lacks the scope the
// method needs (okta.users.read to read, okta.users.manage to change;
// manage also reads).
func (f *Fake) bearer(w http.ResponseWriter, r *http.Request, tok string) bool {
	f.mu.Lock()
	t, ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok || !f.now().Before(t.expires) {
		writeError(w, http.StatusUnauthorized, "E0000011", "Invalid token provided")
		return false
	}
	need := "okta.users.manage"
	if r.Method == http.MethodGet && !slices.Contains(t.scopes, need) {
		need = "okta.users.read"
	}
	if !slices.Contains(t.scopes, need) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="IdP", scope="`+need+`", error="insufficient_scope", `+
			`error_description="The access token provided does not contain the required scopes."`)
		writeError(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
		return false
	}
	return true
}

// tokenURL is the token endpoint as the caller reached it, mount prefix
// included: the aud a client assertion must carry.
func tokenURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path, _, _ := strings.Cut(r.RequestURI, "?")
	return scheme + "://" + r.Host + path
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	fakekit.WriteJSON(w, "application/json", status, map[string]string{"error": code, "error_description": desc})
}
