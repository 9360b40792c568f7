package export

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// OpenPGP public-key algorithms (RFC 9580 9.1).
const (
	pgpRSA       = 1
	pgpRSAEncr   = 2
	pgpRSASign   = 3
	pgpECDH      = 18
	pgpECDSA     = 19
	pgpEdDSA     = 22 // the legacy EdDSA of v4 keys
	pgpX25519    = 25
	pgpEd25519   = 27
	pgpKeyTag    = 6
	pgpSubkeyTag = 14
	pgpSigTag    = 2
	pgpUIDTag    = 13
	pgpUAttrTag  = 17
)

// Curve OIDs, as key packets carry them.
var (
	oidEd25519    = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01}
	oidCurve25519 = []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01}
	oidP256       = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	oidP384       = []byte{0x2b, 0x81, 0x04, 0x00, 0x22}
	oidP521       = []byte{0x2b, 0x81, 0x04, 0x00, 0x23}
)

// pgpKey is a v4 public key or subkey.
type pgpKey struct {
	body    []byte // the packet body: what fingerprints and signatures hash
	created time.Time
	algo    byte
	fpr     [20]byte
	rsa     *rsa.PublicKey
	oid     []byte // ECDH, ECDSA, EdDSA
	point   []byte // their MPI; X25519's and Ed25519's 32 bytes
	kdf     [2]byte
}

// KeyID is the key id as GnuPG shows it: the fingerprint's last 8
// bytes in upper-case hex.
func (k *pgpKey) KeyID() string { return fmt.Sprintf("%X", k.fpr[12:]) }

func parsePGPKey(body []byte) (*pgpKey, error) {
	if len(body) < 6 {
		return nil, errors.New("key packet: truncated")
	}
	if body[0] != 4 {
		return nil, fmt.Errorf("key version %d: only version 4 keys are supported", body[0])
	}
	if len(body) > 0xffff {
		return nil, errors.New("key packet: longer than a v4 key can be") // its fingerprint hashes a 2-byte length
	}
	k := &pgpKey{body: body, created: time.Unix(int64(binary.BigEndian.Uint32(body[1:])), 0), algo: body[5]}
	h := sha1.New()
	h.Write([]byte{0x99, byte(len(body) >> 8), byte(len(body))})
	h.Write(body)
	h.Sum(k.fpr[:0])
	b := body[6:]
	var err error
	switch k.algo {
	case pgpRSA, pgpRSAEncr, pgpRSASign:
		var n, e []byte
		if n, b, err = pgpMPI(b); err == nil {
			e, _, err = pgpMPI(b)
		}
		if err == nil && (len(n) == 0 || len(e) == 0 || len(e) > 4) {
			err = errors.New("rsa modulus or exponent out of range")
		}
		if err == nil {
			k.rsa = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	case pgpECDH, pgpECDSA, pgpEdDSA:
		if k.oid, b, err = pgpOID(b); err == nil {
			k.point, b, err = pgpMPI(b)
		}
		if err == nil && k.algo == pgpECDH {
			if len(b) < 4 || b[0] < 3 || b[1] != 1 {
				err = errors.New("ecdh kdf parameters malformed")
			} else {
				k.kdf = [2]byte{b[2], b[3]}
			}
		}
	case pgpX25519, pgpEd25519:
		if len(b) < 32 {
			err = errors.New("key truncated")
		} else {
			k.point = b[:32]
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", k.KeyID(), err)
	}
	return k, nil
}

// hashPrefix is how a key enters a signature's hash.
func (k *pgpKey) hashPrefix() []byte {
	return append([]byte{0x99, byte(len(k.body) >> 8), byte(len(k.body))}, k.body...)
}

// pgpEntity is one transferable public key: its primary key with the
// signatures on it, its user ids' and its subkeys'.
type pgpEntity struct {
	primary *pgpKey
	direct  []*pgpSig // key revocations and direct-key signatures
	uids    []pgpBound
	subkeys []pgpBound
}

// pgpBound is a user id or a subkey with its signatures.
type pgpBound struct {
	uid  []byte
	key  *pgpKey
	sigs []*pgpSig
}

// parsePGPEntities reads the transferable public keys in b.
func parsePGPEntities(b []byte) ([]*pgpEntity, error) {
	packets, err := pgpPackets(b)
	if err != nil {
		return nil, err
	}
	var out []*pgpEntity
	var cur *pgpEntity
	var bound *pgpBound // where the next signatures belong; nil: the primary key
	for _, p := range packets {
		switch p.tag {
		case pgpKeyTag:
			k, err := parsePGPKey(p.body)
			if err != nil {
				return nil, err
			}
			if !canCertify(k.algo) {
				return nil, fmt.Errorf("key %s: public-key algorithm %s not supported (RSA, ECDSA, EdDSA, Ed25519)", k.KeyID(), pgpAlgoName(k.algo))
			}
			cur, bound = &pgpEntity{primary: k}, nil
			out = append(out, cur)
			continue
		case 5, 7:
			return nil, errors.New("a secret key; the recipient is the public key")
		}
		if cur == nil {
			return nil, errors.New("packet before the public key")
		}
		switch p.tag {
		case pgpSigTag:
			s, ok := parsePGPSig(p.body)
			switch {
			case !ok:
			case bound == nil:
				cur.direct = append(cur.direct, s)
			default:
				bound.sigs = append(bound.sigs, s)
			}
		case pgpUIDTag:
			cur.uids = append(cur.uids, pgpBound{uid: p.body})
			bound = &cur.uids[len(cur.uids)-1]
		case pgpUAttrTag:
			bound = &pgpBound{} // a photo: its signatures go nowhere
		case pgpSubkeyTag:
			k, err := parsePGPKey(p.body)
			if err != nil {
				bound = &pgpBound{} // an algorithm or version we cannot use
				continue
			}
			cur.subkeys = append(cur.subkeys, pgpBound{key: k})
			bound = &cur.subkeys[len(cur.subkeys)-1]
		}
		// Trust and marker packets, and unknown ones, are skipped.
	}
	if len(out) == 0 {
		return nil, errors.New("no key")
	}
	return out, nil
}

// canEncrypt tells the keys this package encrypts to: RSA, ECDH on
// Curve25519 and the NIST curves, and X25519. It checks what encrypting
// would (the RSA size crypto/rsa accepts, the point, the KDF), so a key
// accepted when a job's format is validated cannot fail when it sends.
func canEncrypt(k *pgpKey) bool {
	switch k.algo {
	case pgpRSA, pgpRSAEncr:
		return k.rsa != nil && k.rsa.N.BitLen() >= 1024 && k.rsa.E >= 3 && k.rsa.E&1 == 1
	case pgpECDH:
		curve, ok := ecdhCurve(k.oid)
		if !ok || pgpKDFHash(k.kdf[0]) == 0 || pgpKEKLen(k.kdf[1]) == 0 {
			return false
		}
		point := k.point
		if curve == ecdh.X25519() {
			if len(point) != 33 || point[0] != 0x40 {
				return false
			}
			point = point[1:]
		}
		_, err := curve.NewPublicKey(point)
		return err == nil
	case pgpX25519:
		_, err := ecdh.X25519().NewPublicKey(k.point)
		return err == nil
	}
	return false
}

// pgpAlgoNames name the public-key algorithms in errors.
var pgpAlgoNames = map[byte]string{
	pgpRSA: "RSA", pgpRSAEncr: "RSA", pgpRSASign: "RSA", 16: "ElGamal", 17: "DSA", pgpECDH: "ECDH",
	pgpECDSA: "ECDSA", pgpEdDSA: "EdDSA", pgpX25519: "X25519", 26: "X448", pgpEd25519: "Ed25519", 28: "Ed448",
}

// pgpAlgoName is algo's name and number, "DSA (17)".
func pgpAlgoName(algo byte) string {
	if n, ok := pgpAlgoNames[algo]; ok {
		return fmt.Sprintf("%s (%d)", n, algo)
	}
	return fmt.Sprintf("unknown (%d)", algo)
}

// canCertify tells the primary key algorithms whose self-signatures
// this package verifies.
func canCertify(algo byte) bool {
	switch algo {
	case pgpRSA, pgpRSASign, pgpECDSA, pgpEdDSA, pgpEd25519:
		return true
	}
	return false
}

// pgpEncryptFlags are the key flags "encrypt communications" and
// "encrypt storage": an export's files are both, and keys carry either.
const pgpEncryptFlags = 0x04 | 0x08

// encryptionKey picks the key a message to e is encrypted to, as
// go-crypto's Entity.EncryptionKey does: e must have a valid,
// unexpired, unrevoked self-signature on a user id; then the newest
// valid encryption subkey, else the primary key if it may encrypt. It
// also returns the self-signature, whose cipher preferences count.
func (e *pgpEntity) encryptionKey(now time.Time) (*pgpKey, *pgpSig, error) {
	is := func(types ...byte) func(byte) bool {
		return func(t byte) bool { return bytes.IndexByte(types, t) >= 0 }
	}
	if e.latest(now, e.direct, is(0x20)) != nil {
		return nil, nil, errors.New("revoked")
	}
	var self *pgpSig
	for _, u := range e.uids {
		uid := append([]byte{0xb4}, binary.BigEndian.AppendUint32(nil, uint32(len(u.uid)))...)
		uid = append(uid, u.uid...)
		s := e.latest(now, u.sigs, is(0x10, 0x11, 0x12, 0x13), uid)
		if s == nil || e.latest(now, u.sigs, is(0x30), uid) != nil {
			continue
		}
		if self == nil || (s.primaryUID && !self.primaryUID) || (s.primaryUID == self.primaryUID && s.created.After(self.created)) {
			self = s
		}
	}
	switch {
	case self == nil:
		return nil, nil, errors.New("no valid self-signature on a user id")
	case keyExpired(e.primary, self, now) || self.expired(now):
		return nil, nil, errors.New("expired")
	}
	var best *pgpKey
	var bestSig *pgpSig
	for _, sk := range e.subkeys {
		s := e.latest(now, sk.sigs, is(0x18), sk.key.hashPrefix())
		if s == nil || !s.hasFlags || s.flags&pgpEncryptFlags == 0 || !canEncrypt(sk.key) || keyExpired(sk.key, s, now) || s.expired(now) ||
			e.latest(now, sk.sigs, is(0x28), sk.key.hashPrefix()) != nil {
			continue
		}
		if best == nil || s.created.After(bestSig.created) {
			best, bestSig = sk.key, s
		}
	}
	if best != nil {
		return best, self, nil
	}
	if self.hasFlags && self.flags&pgpEncryptFlags != 0 && canEncrypt(e.primary) {
		return e.primary, self, nil
	}
	return nil, nil, errors.New("no valid encryption key (expired, revoked, signing only, or not one this package encrypts to: RSA of 1024 bits or more, ECDH on Curve25519 or a NIST curve, X25519)")
}

// ecdhCurve is the curve of an ECDH key.
func ecdhCurve(oid []byte) (ecdh.Curve, bool) {
	switch {
	case bytes.Equal(oid, oidCurve25519):
		return ecdh.X25519(), true
	case bytes.Equal(oid, oidP256):
		return ecdh.P256(), true
	case bytes.Equal(oid, oidP384):
		return ecdh.P384(), true
	case bytes.Equal(oid, oidP521):
		return ecdh.P521(), true
	}
	return nil, false
}
