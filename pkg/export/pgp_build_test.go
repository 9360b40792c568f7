package export

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// testKey builds a v4 key from its parts, independently of go-crypto and
// GnuPG: an Ed25519 primary key, a user id, an X25519 subkey, and their
// self-signatures, with extra hashed subpackets for each signature.
type testKey struct {
	created            time.Time
	uidExtra, subExtra []byte // hashed subpackets added to the uid and subkey signatures
}

// armored returns the armored key and its subkey's key id.
func (k testKey) armored(t *testing.T) (string, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	when := binary.BigEndian.AppendUint32(nil, uint32(k.created.Unix()))
	primary := append(append(append([]byte{4}, when...), pgpEd25519), pub...)
	subkey := append(append(append([]byte{4}, when...), pgpX25519), x.PublicKey().Bytes()...)
	uid := []byte("Built <built@example.invalid>")
	prefix := func(b []byte) []byte { return append([]byte{0x99, byte(len(b) >> 8), byte(len(b))}, b...) }
	uidPrefix := append(binary.BigEndian.AppendUint32([]byte{0xb4}, uint32(len(uid))), uid...)
	sign := func(typ byte, flags byte, extra []byte, parts ...[]byte) []byte {
		hashed := append([]byte{5, 0x80 | 2}, when...) // creation time, critical as GnuPG marks it
		hashed = append(hashed, 2, 0x80|27, flags)     // key flags, critical
		hashed = append(hashed, extra...)
		head := append([]byte{4, typ, pgpEd25519, 8}, byte(len(hashed)>>8), byte(len(hashed)))
		head = append(head, hashed...)
		h := sha256.New()
		for _, p := range parts {
			h.Write(p)
		}
		h.Write(head)
		h.Write(binary.BigEndian.AppendUint32([]byte{4, 0xff}, uint32(len(head))))
		digest := h.Sum(nil)
		sig := append(append(head, 0, 0), digest[:2]...) // no unhashed subpackets
		return append(sig, ed25519.Sign(priv, digest)...)
	}
	var b []byte
	for _, p := range []pgpPacket{
		{pgpKeyTag, primary},
		{pgpUIDTag, uid},
		{pgpSigTag, sign(0x13, 0x03, k.uidExtra, prefix(primary), uidPrefix)},
		{pgpSubkeyTag, subkey},
		{pgpSigTag, sign(0x18, 0x0c, k.subExtra, prefix(primary), prefix(subkey))},
	} {
		b = append(appendPacketHeader(b, p.tag, len(p.body)), p.body...)
	}
	sub, err := parsePGPKey(subkey)
	if err != nil {
		t.Fatal(err)
	}
	return armorKey(b), sub.KeyID()
}

// A key built by hand from RFC 9580 (Ed25519 primary, X25519 subkey) is
// read and encrypted to; a critical subpacket this package does not
// know voids the signature that carries it, so the key is refused.
func TestHandBuiltKey(t *testing.T) {
	now := time.Now()
	critical := []byte{2, 0x80 | 100, 1} // an experimental subpacket, marked critical
	notation := []byte{2, 0x80 | 20, 0}  // notation data (malformed too), marked critical
	harmless := []byte{2, 100, 1}        // the same, not critical
	for _, tc := range []struct {
		name string
		key  testKey
		want string // "" : accepted
	}{
		{"plain", testKey{created: now.Add(-time.Hour)}, ""},
		{"non-critical unknown", testKey{created: now.Add(-time.Hour), uidExtra: harmless, subExtra: harmless}, ""},
		{"critical on the uid", testKey{created: now.Add(-time.Hour), uidExtra: critical}, "no valid self-signature"},
		{"critical notation on the uid", testKey{created: now.Add(-time.Hour), uidExtra: notation}, "no valid self-signature"},
		{"critical on the subkey", testKey{created: now.Add(-time.Hour), subExtra: critical}, "no valid encryption key"},
		{"created in the future", testKey{created: now.Add(time.Hour)}, "no valid self-signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			armored, subID := tc.key.armored(t)
			rs, err := pgpRecipients(armored, now)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("pgpRecipients: %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].key.KeyID() != subID || rs[0].key.algo != pgpX25519 {
				t.Fatalf("recipients %+v, want the X25519 subkey %s", rs, subID)
			}
			var out bytes.Buffer
			w, err := pgpEncrypt(&out, rs, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("hello"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.Len() < 32+len("hello") || bytes.Contains(out.Bytes(), []byte("hello")) {
				t.Errorf("message of %d bytes", out.Len())
			}
		})
	}
}
