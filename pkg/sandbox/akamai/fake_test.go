package akamai

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestFakeSignsWithPublishedKey(t *testing.T) {
	f, err := NewFake("cid", "sec")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := f.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/login/jwk")
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []struct{ Kid, N, E string } }
	_ = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if len(set.Keys) != keysKept {
		t.Fatalf("%d keys published", len(set.Keys))
	}
	tok, err := f.Sign(map[string]any{"iss": "i"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(tok), ".")
	k := set.Keys[len(set.Keys)-1]
	if k.Kid != f.KID() {
		t.Fatal("newest key is not the signing key")
	}
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
		t.Fatal(err)
	}
}

func TestFakeEntity(t *testing.T) {
	f, _ := NewFake("cid", "sec")
	f.PutRecord("u1", map[string]any{"email": "a@example.com"})
	srv := httptest.NewServer(f)
	defer srv.Close()
	post := func(user, pass, uuid string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/entity", strings.NewReader(url.Values{"type_name": {"user"}, "uuid": {uuid}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("HTTP %d: Capture answers 200 even for errors", resp.StatusCode)
		}
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	if m := post("cid", "sec", "u1"); m["stat"] != "ok" {
		t.Fatal(m)
	}
	if m := post("cid", "sec", "u2"); m["stat"] != "error" || m["code"] != float64(310) {
		t.Fatal(m)
	}
	if m := post("cid", "bad", "u1"); m["stat"] != "error" || m["code"] != float64(402) {
		t.Fatal(m)
	}
}
