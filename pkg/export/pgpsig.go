package export

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/binary"
	"math/big"
	"time"
)

// pgpSig is a v4 signature with the hashed subpackets this package reads.
type pgpSig struct {
	typ, algo, hash byte
	hashed          []byte // version through the hashed subpackets
	left16          []byte
	value           []byte // the signature's fields
	created         time.Time
	sigExpiry       time.Duration // 0: none
	keyExpiry       time.Duration
	flags           byte
	hasFlags        bool
	primaryUID      bool
	ciphers         []byte
}

// pgpKnownSubpackets are the subpacket types a signature may mark
// critical and still count: those this package reads, and those that
// say nothing about whether or how to encrypt to the key (issuer,
// preferences, features, revocation details). Notation data is not
// among them: a critical notation names a rule we cannot follow.
var pgpKnownSubpackets = map[byte]bool{
	2: true, 3: true, 4: true, 7: true, 9: true, 11: true, 12: true, 16: true, 21: true, 22: true, 23: true,
	24: true, 25: true, 26: true, 27: true, 28: true, 29: true, 30: true, 31: true, 32: true, 33: true, 34: true, 35: true, 39: true,
}

func parsePGPSig(b []byte) (*pgpSig, bool) {
	if len(b) < 6 || b[0] != 4 {
		return nil, false // v3 and v6 signatures are not on v4 self-signed keys we use
	}
	s := &pgpSig{typ: b[1], algo: b[2], hash: b[3]}
	hl := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 6+hl+2 {
		return nil, false
	}
	s.hashed = b[:6+hl]
	sub := b[6 : 6+hl]
	rest := b[6+hl:]
	ul := int(binary.BigEndian.Uint16(rest))
	if len(rest) < 2+ul+2 {
		return nil, false
	}
	s.left16, s.value = rest[2+ul:4+ul], rest[4+ul:]
	for len(sub) > 0 {
		n, hl := int(sub[0]), 1
		switch {
		case sub[0] >= 255:
			if len(sub) < 5 {
				return nil, false
			}
			n, hl = int(binary.BigEndian.Uint32(sub[1:])), 5
		case sub[0] >= 192:
			if len(sub) < 2 {
				return nil, false
			}
			n, hl = (int(sub[0])-192)<<8+int(sub[1])+192, 2
		}
		if n < 1 || len(sub)-hl < n {
			return nil, false
		}
		typ, d := sub[hl]&0x7f, sub[hl+1:hl+n]
		if sub[hl]&0x80 != 0 && !pgpKnownSubpackets[typ] {
			return nil, false // a critical subpacket we do not understand voids the signature (RFC 9580 5.2.3.7)
		}
		sub = sub[hl+n:]
		secs := func() time.Duration {
			if len(d) < 4 {
				return 0
			}
			return time.Duration(binary.BigEndian.Uint32(d)) * time.Second
		}
		switch typ {
		case 2:
			if len(d) >= 4 {
				s.created = time.Unix(int64(binary.BigEndian.Uint32(d)), 0)
			}
		case 3:
			s.sigExpiry = secs()
		case 9:
			s.keyExpiry = secs()
		case 11:
			s.ciphers = d
		case 25:
			s.primaryUID = len(d) > 0 && d[0] != 0
		case 27:
			if len(d) > 0 {
				s.flags, s.hasFlags = d[0], true
			}
		}
	}
	return s, true
}

// verify checks s, made by signer, over the parts (the primary key's
// and, for a binding, the subkey's or user id's encodings).
func (s *pgpSig) verify(signer *pgpKey, parts ...[]byte) bool {
	var h crypto.Hash
	switch s.hash {
	case 2:
		h = crypto.SHA1 // as go-crypto, for the self-signatures of older keys
	case 8:
		h = crypto.SHA256
	case 9:
		h = crypto.SHA384
	case 10:
		h = crypto.SHA512
	case 11:
		h = crypto.SHA224
	default:
		return false
	}
	d := h.New()
	for _, p := range parts {
		d.Write(p)
	}
	d.Write(s.hashed)
	d.Write([]byte{4, 0xff})
	d.Write(binary.BigEndian.AppendUint32(nil, uint32(len(s.hashed))))
	digest := d.Sum(nil)
	if !bytes.Equal(digest[:2], s.left16) || s.algo != signer.algo {
		return false
	}
	switch signer.algo {
	case pgpRSA, pgpRSASign:
		v, _, err := pgpMPI(s.value)
		k := (signer.rsa.N.BitLen() + 7) / 8
		if err != nil || len(v) > k {
			return false
		}
		padded := make([]byte, k)
		copy(padded[k-len(v):], v)
		return rsa.VerifyPKCS1v15(signer.rsa, h, digest, padded) == nil
	case pgpEdDSA:
		r, rest, err1 := pgpMPI(s.value)
		sv, _, err2 := pgpMPI(rest)
		if err1 != nil || err2 != nil || len(r) > 32 || len(sv) > 32 || !bytes.Equal(signer.oid, oidEd25519) ||
			len(signer.point) != 33 || signer.point[0] != 0x40 {
			return false
		}
		sig := make([]byte, 64)
		copy(sig[32-len(r):32], r)
		copy(sig[64-len(sv):], sv)
		return ed25519.Verify(signer.point[1:], digest, sig)
	case pgpEd25519:
		return len(s.value) >= 64 && ed25519.Verify(signer.point, digest, s.value[:64])
	case pgpECDSA:
		var c elliptic.Curve
		switch {
		case bytes.Equal(signer.oid, oidP256):
			c = elliptic.P256()
		case bytes.Equal(signer.oid, oidP384):
			c = elliptic.P384()
		case bytes.Equal(signer.oid, oidP521):
			c = elliptic.P521()
		default:
			return false
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(c, signer.point)
		r, rest, err1 := pgpMPI(s.value)
		sv, _, err2 := pgpMPI(rest)
		if err != nil || err1 != nil || err2 != nil {
			return false
		}
		return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(r), new(big.Int).SetBytes(sv))
	}
	return false // DSA, Ed448, brainpool curves: such keys are refused
}

// latest is the newest of sigs of the given types that verify, made
// before now; nil if none.
func (e *pgpEntity) latest(now time.Time, sigs []*pgpSig, types func(byte) bool, parts ...[]byte) *pgpSig {
	var best *pgpSig
	for _, s := range sigs {
		if types(s.typ) && !s.created.After(now) && (best == nil || s.created.After(best.created)) &&
			s.verify(e.primary, append([][]byte{e.primary.hashPrefix()}, parts...)...) {
			best = s
		}
	}
	return best
}

func (s *pgpSig) expired(now time.Time) bool {
	return s.sigExpiry > 0 && !now.Before(s.created.Add(s.sigExpiry))
}

func keyExpired(k *pgpKey, s *pgpSig, now time.Time) bool {
	return s.keyExpiry > 0 && !now.Before(k.created.Add(s.keyExpiry))
}
