package export_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/profilesync/profilesync/pkg/export"
)

// goCryptoKey makes a key pair with go-crypto and its armored public key.
func goCryptoKey(t testing.TB, cfg *packet.Config) (*openpgp.Entity, string) {
	t.Helper()
	e, err := openpgp.NewEntity("export test", "", "export-test@example.invalid", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return e, buf.String()
}

// goCryptoConfigs are the key kinds go-crypto makes that this package
// encrypts to, beyond GnuPG's RSA and Curve25519: RFC 9580's X25519 (as
// go-crypto's Ed25519 keys have; GnuPG 2.2 does not read them) and ECDH
// on the NIST curves.
var goCryptoConfigs = map[string]*packet.Config{
	"rsa":       {Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048},
	"x25519":    {Algorithm: packet.PubKeyAlgoEd25519},
	"cv25519":   {Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519},
	"nist-p256": {Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256},
	"nist-p384": {Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP384},
	"nist-p521": {Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP521},
}

// go-crypto decrypts our files to each kind of key, and the manifest
// lists the key id it shows.
func TestGoCryptoDecrypts(t *testing.T) {
	plain, _ := encode(t, export.Format{Type: export.CSV}, sampleColumns, manyRows())
	for name, cfg := range goCryptoConfigs {
		t.Run(name, func(t *testing.T) {
			key, pub := goCryptoKey(t, cfg)
			f := export.Format{Type: export.CSV, Recipient: pub}
			if ids := keyIDs(t, f); len(ids) != 1 || ids[0] != key.PrimaryKey.KeyIdString() {
				t.Errorf("manifest key ids %v, want [%s]", ids, key.PrimaryKey.KeyIdString())
			}
			stored, _ := encode(t, f, sampleColumns, manyRows())
			md, err := openpgp.ReadMessage(bytes.NewReader(stored), openpgp.EntityList{key}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			enc, _ := key.EncryptionKey(time.Now())
			if len(md.EncryptedToKeyIds) != 1 || md.EncryptedToKeyIds[0] != enc.PublicKey.KeyId {
				t.Errorf("encrypted to %X, want go-crypto's encryption key %X", md.EncryptedToKeyIds, enc.PublicKey.KeyId)
			}
			got := decryptBody(t, md)
			if !bytes.Equal(got, plain) {
				t.Errorf("go-crypto's plaintext (%d bytes) differs (%d bytes)", len(got), len(plain))
			}
			if !md.IsEncrypted || md.DecryptedWith.PublicKey == nil {
				t.Error("not read as an encrypted message")
			}
		})
	}
}

func decryptBody(t *testing.T, md *openpgp.MessageDetails) []byte {
	t.Helper()
	b, err := io.ReadAll(md.UnverifiedBody) // fails if the MDC does not match
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A key that expired or was revoked is refused when the format is
// validated.
func TestExpiredOrRevokedKeyRefused(t *testing.T) {
	hourAgo := func() time.Time { return time.Now().Add(-time.Hour) }
	_, expired := goCryptoKey(t, &packet.Config{Algorithm: packet.PubKeyAlgoEd25519, KeyLifetimeSecs: 60, Time: hourAgo})
	revoked, _ := goCryptoKey(t, &packet.Config{Algorithm: packet.PubKeyAlgoEd25519, Time: hourAgo})
	if err := revoked.RevokeKey(packet.KeyCompromised, "", nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err := revoked.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	for want, pub := range map[string]string{"expired": expired, "revoked": buf.String()} {
		err := export.Format{Type: export.CSV, Recipient: pub}.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %s", err, want)
		}
	}
}
