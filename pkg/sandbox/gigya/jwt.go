package gigya

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
)

// BodyHashClaim is the claim of the body's SHA-256 in the webhook JWT the
// fake signs (the adapter's; UNCONFIRMED against a live delivery).
const BodyHashClaim = "sha256"

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// UseKey sets the site's JWT signing key; without one, the fake makes a
// 2048-bit key when it first needs one.
func (f *Fake) UseKey(kid string, priv *rsa.PrivateKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.key = &signingKey{kid: kid, priv: priv}
}

func (f *Fake) signingKey() (*signingKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key == nil {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		f.key = &signingKey{kid: "profilesync-sandbox-gigya", priv: priv}
	}
	return f.key, nil
}

// SignJWT is the X-Gigya-Sig-JWT value SAP CDC sends with body (v2.0):
// RS256 under the site's key, claims apiKey, iat (now) and the body's
// SHA-256 (base64).
func (f *Fake) SignJWT(body []byte) (string, error) {
	sum := sha256.Sum256(body)
	return f.SignClaims(map[string]any{"apiKey": f.apiKey, "iat": f.now().Unix(),
		BodyHashClaim: base64.StdEncoding.EncodeToString(sum[:])})
}

// SignClaims signs any claims with the site's key, for tests that need odd
// ones (expired, another site's).
func (f *Fake) SignClaims(claims map[string]any) (string, error) {
	k, err := f.signingKey()
	if err != nil {
		return "", err
	}
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.kid})
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// getJWTPublicKey serves accounts.getJWTPublicKey: with V2=true the JWKS
// ({"keys":[…]}), else the one key's fields, beside the envelope.
func (f *Fake) getJWTPublicKey(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("apiKey") != f.apiKey {
		f.fail(w, CodeInvalidAPIKey, "")
		return
	}
	k, err := f.signingKey()
	if err != nil {
		f.fail(w, CodeServerError, "")
		return
	}
	enc := base64.RawURLEncoding
	jwk := map[string]any{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": k.kid,
		"n": enc.EncodeToString(k.priv.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes())}
	if r.Form.Get("V2") == "true" {
		f.ok(w, map[string]any{"keys": []any{jwk}})
		return
	}
	f.ok(w, jwk)
}

// Notification is a webhook body as SAP CDC sends it (v2.0): one event of
// typ (accountUpdated…) for uid, a fresh event id and nonce, stamped now.
func (f *Fake) Notification(typ, uid string) []byte {
	now := f.now().Unix()
	b, _ := json.Marshal(map[string]any{
		"events": []any{map[string]any{"type": typ, "id": uuid(), "timestamp": now, "callId": hexID(16),
			"version": "2.0", "apiKey": f.apiKey, "data": map[string]any{"uid": uid}}},
		"nonce": uuid(), "timestamp": now,
	})
	return b
}

func hexID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexd[c>>4], hexd[c&15])
	}
	return string(out)
}
