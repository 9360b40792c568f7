package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/profilesync/profilesync/pkg/export"
)

// manyRows are enough rows for a file of several 64 KiB partial lengths.
func manyRows() [][]any {
	var rows [][]any
	for i := range 3000 {
		for _, r := range sampleRows() {
			r[0] = fmt.Sprintf("u-%d", i)
			rows = append(rows, r)
		}
	}
	return rows
}

// keyIDs are the key ids the manifest lists for f.
func keyIDs(t *testing.T, f export.Format) []string {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		KeyIDs []string `json:"key_ids"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	return j.KeyIDs
}

// GnuPG, what a consumer most likely decrypts with, reads our files
// encrypted to its RSA and its Curve25519 (ECDH) keys, with the MDC and
// AES-256; so does go-crypto with the same secret keys.
func TestGnuPGDecrypts(t *testing.T) {
	g := newGnuPG(t)
	for _, tc := range []struct{ name, primary, sub string }{
		{"rsa", "rsa2048", "rsa2048"},
		{"cv25519", "ed25519", "cv25519"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uid := tc.name + "@example.invalid"
			fpr := g.genKey(uid, tc.primary, "")
			g.addKey(fpr, tc.sub, "encr", "never", "")
			keys := g.keys(uid)
			f := export.Format{Type: export.CSV, Recipient: g.publicKey(uid)}
			if ids := keyIDs(t, f); len(ids) != 1 || ids[0] != keys[0].keyID {
				t.Errorf("manifest key ids %v, want the primary key's [%s]", ids, keys[0].keyID)
			}
			rows := manyRows()
			plain, _ := encode(t, export.Format{Type: export.CSV}, sampleColumns, rows)
			stored, _ := encode(t, f, sampleColumns, rows)
			got, status, err := g.decrypt(stored)
			if err != nil {
				t.Fatalf("gpg decrypt: %v", err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("gpg's plaintext (%d bytes) differs from the CSV (%d bytes)", len(got), len(plain))
			}
			if s := statusLine(status, "ENC_TO"); !strings.HasPrefix(s, "ENC_TO "+keys[1].keyID+" ") {
				t.Errorf("encrypted to %q, want the subkey %s", s, keys[1].keyID)
			}
			// DECRYPTION_INFO <mdc method> <cipher>: 2 is SHA-1 (the MDC), 9 AES-256.
			if s := statusLine(status, "DECRYPTION_INFO"); !strings.HasPrefix(s, "DECRYPTION_INFO 2 9") {
				t.Errorf("gpg says %q, want the MDC and AES-256", s)
			}
			secret, err := openpgp.ReadArmoredKeyRing(strings.NewReader(g.secretKey(uid)))
			if err != nil {
				t.Fatal(err)
			}
			if got := decrypt(t, secret[0], stored); !bytes.Equal(got, plain) {
				t.Error("go-crypto's plaintext differs from the CSV")
			}
		})
	}
}

// Of several encryption subkeys, the newest valid one is used: an
// expired one and a revoked one, both newer, are skipped.
func TestGnuPGSkipsExpiredAndRevokedSubkeys(t *testing.T) {
	g := newGnuPG(t)
	uid := "several@example.invalid"
	fpr := g.genKey(uid, "ed25519", "20200101T000000")
	g.addKey(fpr, "rsa2048", "encr", "never", "20200301T000000") // valid, older
	g.addKey(fpr, "cv25519", "encr", "never", "20200601T000000") // valid: the one to use
	g.addKey(fpr, "ed25519", "sign", "never", "20200901T000000") // signing only
	g.addKey(fpr, "cv25519", "encr", "1d", "20210101T000000")    // expired in 2021
	g.addKey(fpr, "cv25519", "encr", "never", "")                // revoked below
	keys := g.keys(uid)
	g.revokeSubkey(fpr, keys[5].keyID)
	if keys = g.keys(uid); keys[4].validity != "e" || keys[5].validity != "r" {
		t.Fatalf("setup: subkeys %+v, want the 4th expired and the 5th revoked", keys[1:])
	}
	f := export.Format{Type: export.NDJSON, Gzip: true, Recipient: g.publicKey(uid)}
	stored, _ := encode(t, f, sampleColumns, sampleRows())
	got, status, err := g.decrypt(stored)
	if err != nil {
		t.Fatalf("gpg decrypt: %v", err)
	}
	if s := statusLine(status, "ENC_TO"); !strings.HasPrefix(s, "ENC_TO "+keys[2].keyID+" ") {
		t.Errorf("encrypted to %q, want the newest valid subkey %s (subkeys %+v)", s, keys[2].keyID, keys[1:])
	}
	plain, _ := encode(t, export.Format{Type: export.NDJSON}, sampleColumns, sampleRows())
	if !bytes.Equal(gunzip(t, got), plain) {
		t.Error("gpg's plaintext differs from the NDJSON")
	}
}

// The cipher is the strongest every recipient prefers: a key that
// lists AES-192 first gets AES-192, alone or with an AES-256 key; each
// recipient decrypts, and the manifest lists both keys.
func TestGnuPGHonoursCipherPreferences(t *testing.T) {
	g := newGnuPG(t)
	g.addKey(g.genKey("aes192@example.invalid", "ed25519", "", "--default-preference-list", "AES192 AES SHA256"), "cv25519", "encr", "never", "")
	g.addKey(g.genKey("aes256@example.invalid", "rsa2048", ""), "rsa2048", "encr", "never", "")
	for _, tc := range []struct {
		uids   []string
		cipher string
	}{
		{[]string{"aes256@example.invalid"}, "9"},
		{[]string{"aes192@example.invalid"}, "8"},
		{[]string{"aes256@example.invalid", "aes192@example.invalid"}, "8"},
	} {
		f := export.Format{Type: export.CSV, Recipient: g.publicKey(tc.uids...)}
		if ids := keyIDs(t, f); len(ids) != len(tc.uids) {
			t.Errorf("%v: manifest key ids %v", tc.uids, ids)
		}
		stored, _ := encode(t, f, sampleColumns, sampleRows())
		_, status, err := g.decrypt(stored)
		if err != nil {
			t.Fatalf("%v: gpg decrypt: %v", tc.uids, err)
		}
		if s := statusLine(status, "DECRYPTION_INFO"); !strings.HasPrefix(s, "DECRYPTION_INFO 2 "+tc.cipher) {
			t.Errorf("%v: gpg says %q, want cipher %s", tc.uids, s, tc.cipher)
		}
		if n := strings.Count(status, "ENC_TO "); n != len(tc.uids) {
			t.Errorf("%v: %d session keys, want one per recipient", tc.uids, n)
		}
	}
}

// A changed byte anywhere in the encrypted data fails GnuPG's integrity
// check (the MDC): it reports the message as manipulated and exits with
// an error instead of handing out altered data.
func TestGnuPGDetectsTampering(t *testing.T) {
	g := newGnuPG(t)
	fpr := g.genKey("tamper@example.invalid", "ed25519", "")
	g.addKey(fpr, "cv25519", "encr", "never", "")
	f := export.Format{Type: export.CSV, Recipient: g.publicKey("tamper@example.invalid")}
	stored, _ := encode(t, f, sampleColumns, sampleRows())
	if _, _, err := g.decrypt(stored); err != nil {
		t.Fatalf("untouched file: %v", err)
	}
	for _, at := range []int{len(stored) / 2, len(stored) - 30, len(stored) - 1} {
		b := bytes.Clone(stored)
		b[at] ^= 0x01
		_, status, err := g.decrypt(b)
		if err == nil {
			t.Errorf("byte %d of %d changed: gpg decrypted without an error", at, len(b))
		}
		if !strings.Contains(status, "DECRYPTION_FAILED") {
			t.Errorf("byte %d of %d changed: status %q", at, len(b), status)
		}
	}
}

// Keys this package cannot encrypt to are refused when the format is
// validated, before a segment creates any file: a DSA primary key, an
// ElGamal-only encryption key, a key without an encryption key.
func TestGnuPGUnsupportedKeys(t *testing.T) {
	g := newGnuPG(t)
	g.must(nil, "--quick-gen-key", "dsa@example.invalid", "dsa2048", "default", "never")
	g.addKey(g.genKey("elg@example.invalid", "rsa2048", ""), "elg2048", "encr", "never", "")
	g.genKey("signonly@example.invalid", "ed25519", "")
	for _, tc := range []struct{ uid, want string }{
		{"dsa@example.invalid", "DSA (17) not supported"},
		{"elg@example.invalid", "no valid encryption key"},
		{"signonly@example.invalid", "no valid encryption key"},
	} {
		f := export.Format{Type: export.CSV, Recipient: g.publicKey(tc.uid)}
		if err := f.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate: %v, want %q", tc.uid, err, tc.want)
		}
		dest := export.NewMemory()
		if _, err := export.NewSegment(t.Context(), dest, "part-00001.csv.gpg", f, sampleColumns); err == nil {
			t.Errorf("%s: NewSegment accepted the key", tc.uid)
		}
		if _, ok := dest.File("part-00001.csv.gpg"); ok {
			t.Errorf("%s: a file was committed", tc.uid)
		}
	}
}
