package export

import (
	"crypto"
	"crypto/aes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// pgpSessionKeyPacket is the body of a version 3 public-key encrypted
// session key packet for k.
func pgpSessionKeyPacket(k *pgpKey, algo byte, session []byte, random io.Reader) ([]byte, error) {
	out := append([]byte{3}, k.fpr[12:]...)
	out = append(out, k.algo)
	// RSA and ECDH encrypt the algorithm, the key and a checksum.
	block := append([]byte{algo}, session...)
	var sum uint16
	for _, c := range session {
		sum += uint16(c)
	}
	block = binary.BigEndian.AppendUint16(block, sum)
	switch k.algo {
	case pgpRSA, pgpRSAEncr:
		c, err := rsa.EncryptPKCS1v15(random, k.rsa, block)
		if err != nil {
			return nil, err
		}
		return appendMPI(out, c), nil
	case pgpECDH:
		return pgpECDHFields(out, k, block, random)
	case pgpX25519:
		pub, err := ecdh.X25519().NewPublicKey(k.point)
		if err != nil {
			return nil, err
		}
		eph, shared, err := pgpAgree(ecdh.X25519(), pub, random)
		if err != nil {
			return nil, err
		}
		ikm := append(append(eph.PublicKey().Bytes(), k.point...), shared...)
		kek, err := hkdf.Key(sha256.New, ikm, nil, "OpenPGP X25519", 16)
		if err != nil {
			return nil, err
		}
		wrapped, err := aesKeyWrap(kek, session) // no algorithm, no checksum
		if err != nil {
			return nil, err
		}
		out = append(out, eph.PublicKey().Bytes()...)
		out = append(out, byte(1+len(wrapped)), algo)
		return append(out, wrapped...), nil
	}
	return nil, errors.New("algorithm cannot encrypt")
}

// pgpECDHFields are an ECDH key's (RFC 9580 11.5): the ephemeral point,
// and the session key block padded to 40 bytes and AES-key-wrapped with
// the KDF of the shared point.
func pgpECDHFields(out []byte, k *pgpKey, block []byte, random io.Reader) ([]byte, error) {
	curve, _ := ecdhCurve(k.oid)
	point := k.point
	x25519 := curve == ecdh.X25519()
	if x25519 {
		if len(point) != 33 || point[0] != 0x40 {
			return nil, errors.New("curve25519 point malformed")
		}
		point = point[1:]
	}
	pub, err := curve.NewPublicKey(point)
	if err != nil {
		return nil, err
	}
	eph, shared, err := pgpAgree(curve, pub, random)
	if err != nil {
		return nil, err
	}
	h, kekLen := pgpKDFHash(k.kdf[0]), pgpKEKLen(k.kdf[1])
	if h == 0 || kekLen == 0 {
		return nil, fmt.Errorf("ecdh kdf %d/%d not supported", k.kdf[0], k.kdf[1])
	}
	d := h.New()
	d.Write([]byte{0, 0, 0, 1})
	d.Write(shared)
	d.Write(append([]byte{byte(len(k.oid))}, k.oid...))
	d.Write([]byte{pgpECDH, 3, 1, k.kdf[0], k.kdf[1]})
	d.Write([]byte("Anonymous Sender    "))
	d.Write(k.fpr[:])
	kek := d.Sum(nil)[:kekLen]
	padded := append([]byte{}, block...)
	for len(padded) < 40 {
		padded = append(padded, byte(40-len(block)))
	}
	wrapped, err := aesKeyWrap(kek, padded)
	if err != nil {
		return nil, err
	}
	v := eph.PublicKey().Bytes()
	if x25519 {
		v = append([]byte{0x40}, v...)
	}
	out = appendMPI(out, v)
	out = append(out, byte(len(wrapped)))
	return append(out, wrapped...), nil
}

// pgpKDFHash is an ECDH key's KDF hash; 0 if not supported.
func pgpKDFHash(id byte) crypto.Hash {
	return map[byte]crypto.Hash{8: crypto.SHA256, 9: crypto.SHA384, 10: crypto.SHA512}[id]
}

// pgpKEKLen is the key length of an ECDH key's key-wrap cipher; 0 if
// not supported.
func pgpKEKLen(id byte) int {
	return map[byte]int{pgpAES128: 16, pgpAES192: 24, pgpAES256: 32}[id]
}

// pgpAgree makes an ephemeral key on c and its shared secret with pub.
func pgpAgree(c ecdh.Curve, pub *ecdh.PublicKey, random io.Reader) (*ecdh.PrivateKey, []byte, error) {
	eph, err := c.GenerateKey(random)
	if err != nil {
		return nil, nil, err
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, nil, err
	}
	return eph, shared, nil
}

// aesKeyWrap is RFC 3394's key wrap of p (a multiple of 8 bytes).
func aesKeyWrap(kek, p []byte) ([]byte, error) {
	if len(p)%8 != 0 || len(p) < 16 {
		return nil, errors.New("key wrap: bad length")
	}
	c, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(p) / 8
	out := make([]byte, 8+len(p))
	a := out[:8]
	copy(a, []byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6})
	copy(out[8:], p)
	var b [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			copy(b[:8], a)
			copy(b[8:], out[8*i:8*i+8])
			c.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a, binary.BigEndian.Uint64(b[:8])^t)
			copy(out[8*i:], b[8:])
		}
	}
	return out, nil
}
