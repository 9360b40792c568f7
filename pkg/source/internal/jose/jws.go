// Package jose verifies compact JWS tokens for the source adapters that
// receive them (FusionAuth's signature JWT, OpenID SSF's Security Event
// Tokens): an allow-list of algorithms, keys from configured HMAC secrets
// or from a JWKS fetched only from a configured URL (Cache), and never a
// key or a key URL named by the token itself (jwk, jku, x5u are ignored).
// It decodes no claims: each adapter checks its own.
//
// The akamai adapter predates this package and keeps its RS256-only cache.
package jose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
)

// Header is the protected header, the parameters a verifier needs.
type Header struct {
	Typ  string   `json:"typ"`
	Alg  string   `json:"alg"`
	Kid  string   `json:"kid"`
	Crit []string `json:"crit"`
}

// Token is a compact JWS split and decoded, not yet verified.
type Token struct {
	Header       Header
	SigningInput []byte // header.payload, as received
	Payload      []byte // decoded
	Signature    []byte
}

// Parse splits a compact JWS. Its errors say what is wrong in words that
// quote nothing from the token.
func Parse(tok []byte) (*Token, error) {
	tok = bytes.TrimSpace(tok)
	first, last := bytes.IndexByte(tok, '.'), bytes.LastIndexByte(tok, '.')
	if first < 0 || first == last || bytes.IndexByte(tok[first+1:last], '.') >= 0 {
		return nil, errors.New("not a compact JWS")
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(string(tok[:first]))
	if err != nil {
		return nil, errors.New("header is not base64url")
	}
	var h Header
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, errors.New("header is not JSON")
	}
	if len(h.Crit) > 0 {
		return nil, errors.New("crit header parameters not understood")
	}
	payload, err := base64.RawURLEncoding.DecodeString(string(tok[first+1 : last]))
	if err != nil {
		return nil, errors.New("payload is not base64url")
	}
	sig, err := base64.RawURLEncoding.DecodeString(string(tok[last+1:]))
	if err != nil || len(sig) == 0 {
		return nil, errors.New("signature is not base64url")
	}
	return &Token{Header: h, SigningInput: tok[:last], Payload: payload, Signature: sig}, nil
}

// HMACAlgs and PublicKeyAlgs are the algorithms VerifyHMAC and VerifyKey
// accept; "none" is neither.
var (
	HMACAlgs      = []string{"HS256", "HS384", "HS512"}
	PublicKeyAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)

func hashOf(alg string) (crypto.Hash, func() hash.Hash) {
	switch alg[2:] {
	case "256":
		return crypto.SHA256, sha256.New
	case "384":
		return crypto.SHA384, sha512.New384
	case "512":
		return crypto.SHA512, sha512.New
	}
	return 0, nil
}

// VerifyHMAC checks an HS* token against each key in constant time (one
// MAC per key, all of them computed); several keys serve a rotation.
func (t *Token) VerifyHMAC(keys [][]byte) error {
	if !oneOf(t.Header.Alg, HMACAlgs) {
		return fmt.Errorf("alg %q not accepted", t.Header.Alg)
	}
	_, h := hashOf(t.Header.Alg)
	ok := 0
	for _, k := range keys {
		m := hmac.New(h, k)
		m.Write(t.SigningInput)
		if hmac.Equal(m.Sum(nil), t.Signature) {
			ok = 1
		}
	}
	if ok == 0 {
		return errors.New("bad signature")
	}
	return nil
}

// VerifyKey checks an RS*, PS* or ES* token against key; the key's type
// must be the algorithm's (an RSA key never verifies ES256).
func (t *Token) VerifyKey(key crypto.PublicKey) error {
	alg := t.Header.Alg
	if !oneOf(alg, PublicKeyAlgs) {
		return fmt.Errorf("alg %q not accepted", alg)
	}
	ch, h := hashOf(alg)
	m := h()
	m.Write(t.SigningInput)
	digest := m.Sum(nil)
	switch k := key.(type) {
	case *rsa.PublicKey:
		var err error
		switch alg[:2] {
		case "RS":
			err = rsa.VerifyPKCS1v15(k, ch, digest, t.Signature)
		case "PS":
			err = rsa.VerifyPSS(k, ch, digest, t.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		default:
			return errors.New("an RSA key for a non-RSA alg")
		}
		if err != nil {
			return errors.New("bad signature")
		}
		return nil
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		if alg[:2] != "ES" || curveAlg[k.Curve.Params().Name] != alg {
			return errors.New("an EC key for another alg")
		}
		if len(t.Signature) != 2*size {
			return errors.New("bad signature")
		}
		r, s := new(big.Int).SetBytes(t.Signature[:size]), new(big.Int).SetBytes(t.Signature[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return errors.New("bad signature")
		}
		return nil
	}
	return errors.New("unsupported key type")
}

var curveAlg = map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}
