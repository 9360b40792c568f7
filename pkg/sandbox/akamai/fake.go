// Package akamai is an in-memory stand-in for the parts of Akamai Identity
// Cloud ProfileSync talks to: the Capture Entity API (POST /entity,
// /entity.update and /entity.find (see entityFind), HTTP Basic auth,
// answers as {"stat":"ok",...} or,
// with HTTP 200, {"stat":"error","code":...}), the Webhooks v3 JWKS (GET /login/jwk), and
// the signing side of Webhooks v3 (Sign) so tests and the dev stack can
// post SETs the way Akamai does. It is mounted under a path prefix with
// http.StripPrefix, so it serves paths relative to its root.
//
// The error code for bad client credentials (402 invalid_client_credentials)
// is UNCONFIRMED; 310 record_not_found is documented.
package akamai

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
	"strconv"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// keysKept is how many keys the JWKS publishes; Akamai keeps three pairs.
const keysKept = 3

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// Fake serves Capture's /entity and the JWKS from memory and signs SETs. It
// is safe for concurrent use.
type Fake struct {
	clientID, clientSecret string
	mux                    *http.ServeMux

	mu       sync.Mutex
	keys     []signingKey // newest last; the newest signs
	records  map[string]map[string]any
	failures fakekit.Injector[fakekit.Failure] // FailNext replaces, not queues
	calls    fakekit.Counter                   // by request path
	updates  []Update                          // entity.update calls applied, oldest first
	now      func() time.Time                  // stamps lastUpdated on an update
	lastID   int64                             // the id the newest record got (see PutRecord)
}

// NewFake returns a Fake with one signing key that accepts one API client.
func NewFake(clientID, clientSecret string) (*Fake, error) {
	f := &Fake{clientID: clientID, clientSecret: clientSecret, records: map[string]map[string]any{}, now: time.Now}
	if err := f.Rotate(); err != nil {
		return nil, err
	}
	f.mux = http.NewServeMux()
	f.mux.HandleFunc("POST /entity", f.entity)
	f.mux.HandleFunc("POST /entity.update", f.entityUpdate)
	f.mux.HandleFunc("POST /entity.find", f.entityFind)
	f.mux.HandleFunc("GET /login/jwk", f.jwks)
	return f, nil
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Inc(r.URL.Path)
	if fl, ok := f.failures.Next(); ok {
		// Truncated to whole seconds, as this fake has always sent it;
		// fakekit.SetRetryAfter would round.
		if fl.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(fl.RetryAfter/time.Second)))
		}
		http.Error(w, http.StatusText(fl.Status), fl.Status)
		return
	}
	f.mux.ServeHTTP(w, r)
}

// Rotate adds a new signing key (a 40-hex kid, as Akamai's) that Sign uses
// from now on; the JWKS keeps the newest three.
func (f *Fake) Rotate() error {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, signingKey{kid: hex.EncodeToString(b), priv: priv})
	if len(f.keys) > keysKept {
		f.keys = f.keys[len(f.keys)-keysKept:]
	}
	return nil
}

// UseKey adds a given signing key that Sign uses from now on (the local
// stack's fixed development key, so samples signed once keep verifying).
func (f *Fake) UseKey(kid string, priv *rsa.PrivateKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, signingKey{kid: kid, priv: priv})
	if len(f.keys) > keysKept {
		f.keys = f.keys[len(f.keys)-keysKept:]
	}
}

// KID is the kid Sign uses now.
func (f *Fake) KID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[len(f.keys)-1].kid
}

// Sign returns a compact RS256 SET over claims (any JSON-encodable value),
// with header {"typ":"secevent+jwt","alg":"RS256","kid":KID()}.
func (f *Fake) Sign(claims any) ([]byte, error) {
	f.mu.Lock()
	k := f.keys[len(f.keys)-1]
	f.mu.Unlock()
	return SignWith(k.priv, map[string]any{"typ": "secevent+jwt", "alg": "RS256", "kid": k.kid}, claims)
}

// SignWith signs claims under header with priv (RS256 whatever header
// says), for tests that need odd headers.
func SignWith(priv *rsa.PrivateKey, header, claims any) ([]byte, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
	if err != nil {
		return nil, err
	}
	return []byte(input + "." + enc.EncodeToString(sig)), nil
}

// FailNext answers the next n requests, to any path, with status; a
// non-zero retryAfter adds a Retry-After header in whole seconds.
func (f *Fake) FailNext(n, status int, retryAfter time.Duration) {
	f.failures.Replace(n, fakekit.Failure{Status: status, RetryAfter: retryAfter})
}

// Calls reports how many requests reached path ("/entity", "/login/jwk").
func (f *Fake) Calls(path string) int {
	return f.calls.Get(path)
}

// PutRecord seeds a raw Capture user record; rec["uuid"] is set to uuid.
// rec["id"] is the fake's own, as Capture assigns it: the next integer
// for a new uuid, the one it had for a uuid seeded again.
func (f *Fake) PutRecord(uuid string, rec map[string]any) {
	r := make(map[string]any, len(rec)+1)
	for k, v := range rec {
		r[k] = v
	}
	r["uuid"] = uuid
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.records[uuid]; ok {
		r["id"] = old["id"]
	} else {
		f.lastID++
		r["id"] = f.lastID
	}
	f.records[uuid] = r
}

// Put seeds a user from a canonical profile, in Capture attribute names.
func (f *Fake) Put(p *profile.Profile) { f.PutRecord(p.Sub, Record(p)) }

// Delete removes a record.
func (f *Fake) Delete(uuid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.records, uuid)
}

// Record renders p as a Capture user record.
func Record(p *profile.Profile) map[string]any {
	const ts = "2006-01-02 15:04:05.000000 -0700"
	r := map[string]any{"uuid": p.Sub, "id": 1, "email": nil, "emailVerified": nil, "givenName": nil, "familyName": nil}
	set := func(k, v string) {
		if v != "" {
			r[k] = v
		}
	}
	set("email", p.Email)
	set("givenName", p.GivenName)
	set("middleName", p.MiddleName)
	set("familyName", p.FamilyName)
	set("displayName", p.Name)
	set("gender", p.Gender)
	set("birthday", p.Birthdate)
	set("mobileNumber", p.PhoneNumber)
	if p.EmailVerified {
		r["emailVerified"] = "2025-01-01 10:00:00.000000 +0000"
	}
	if p.UpdatedAt != nil {
		r["lastUpdated"] = p.UpdatedAt.UTC().Format(ts)
	}
	if a := p.Address; a != nil {
		r["primaryAddress"] = map[string]any{"address1": a.StreetAddress, "city": a.Locality, "zip": a.PostalCode,
			"country": a.Country, "stateAbbreviation": a.Region}
	}
	if len(p.Consents) > 0 {
		cs := map[string]any{}
		for purpose, c := range p.Consents {
			m := map[string]any{"granted": c.Granted}
			if c.At != nil {
				m["updated"] = c.At.UTC().Format(ts)
			}
			cs[purpose] = m
		}
		r["consents"] = cs
	}
	for k, v := range p.Custom {
		r[k] = v
	}
	return r
}

func (f *Fake) entity(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != f.clientID || secret != f.clientSecret {
		writeJSON(w, captureError(402, "invalid_client_credentials", "the client id or secret is wrong"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, captureError(200, "invalid_argument", "unreadable form"))
		return
	}
	if r.Form.Get("type_name") != "user" {
		writeJSON(w, captureError(224, "unknown_entity_type", "type_name must be user"))
		return
	}
	uuid := r.Form.Get("uuid")
	if uuid == "" {
		writeJSON(w, map[string]any{"stat": "error", "code": 100, "error": "missing_argument",
			"argument_name": "uuid", "error_description": "missing required argument: uuid"})
		return
	}
	f.mu.Lock()
	rec, found := f.records[uuid]
	f.mu.Unlock()
	if !found {
		writeJSON(w, captureError(310, "record_not_found", "record not found"))
		return
	}
	writeJSON(w, map[string]any{"stat": "ok", "result": rec})
}

func (f *Fake) jwks(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	keys := make([]map[string]string, 0, len(f.keys))
	for _, k := range f.keys {
		keys = append(keys, map[string]string{
			"use": "sig", "kty": "RSA", "alg": "RS256", "kid": k.kid,
			"n": base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
		})
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"keys": keys})
}

func captureError(code int, name, desc string) map[string]any {
	return map[string]any{"stat": "error", "code": code, "error": name, "error_description": desc,
		"request_token": "fake000000000000"}
}

// writeJSON answers 200, as Capture does for its own errors too.
func writeJSON(w http.ResponseWriter, v any) {
	fakekit.WriteJSON(w, "application/json", http.StatusOK, v)
}
