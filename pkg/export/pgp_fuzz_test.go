package export

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// FuzzPGPRecipients feeds key parsing arbitrary packets, and arbitrary
// armor: it must not panic, and a key it accepts must encrypt, so that
// a job whose format validated never fails for its key when it sends.
// The seeds are keys of every kind it reads, as go-crypto writes them.
func FuzzPGPRecipients(f *testing.F) {
	for _, cfg := range []*packet.Config{
		{Algorithm: packet.PubKeyAlgoRSA, RSABits: 1024},
		{Algorithm: packet.PubKeyAlgoEd25519},
		{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519},
		{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256},
		{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP521},
	} {
		e, err := openpgp.NewEntity("fuzz", "", "fuzz@example.invalid", cfg)
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := e.Serialize(&b); err != nil {
			f.Fatal(err)
		}
		if _, err := pgpRecipients(armorKey(b.Bytes()), time.Now()); err != nil {
			f.Fatalf("seed %v: %v", cfg.Algorithm, err)
		}
		f.Add(b.Bytes(), false)
		f.Add(b.Bytes()[:b.Len()/2], false)
		f.Add([]byte(armorKey(b.Bytes())), true)
	}
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQ==\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, armored bool) {
		s := string(data)
		if !armored {
			s = armorKey(data)
		}
		rs, err := pgpRecipients(s, time.Now())
		if err != nil {
			return
		}
		if len(rs) == 0 {
			t.Fatal("no recipients and no error")
		}
		w, err := pgpEncrypt(io.Discard, rs, rand.Reader)
		if err != nil {
			t.Fatalf("accepted key does not encrypt: %v", err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// armorKey armors b as a public key block, without a checksum.
func armorKey(b []byte) string {
	var s strings.Builder
	s.WriteString("-----BEGIN " + pgpArmorType + "-----\n\n")
	enc := base64.StdEncoding.EncodeToString(b)
	for len(enc) > 64 {
		s.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	s.WriteString(enc + "\n-----END " + pgpArmorType + "-----\n")
	return s.String()
}
