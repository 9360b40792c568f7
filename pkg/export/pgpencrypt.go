package export

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"fmt"
	"hash"
	"io"
	"time"
)

// pgpRecipient is a key an export's files are encrypted to.
type pgpRecipient struct {
	primary string // the entity's key id, as the manifest lists it
	key     *pgpKey
	ciphers []byte // the entity's preferred symmetric algorithms
}

// pgpRecipients reads an armored public key block (one key or several)
// and picks each key's encryption key valid at now.
func pgpRecipients(armored string, now time.Time) ([]pgpRecipient, error) {
	b, err := pgpDearmor(armored)
	if err != nil {
		return nil, err
	}
	entities, err := parsePGPEntities(b)
	if err != nil {
		return nil, err
	}
	out := make([]pgpRecipient, 0, len(entities))
	for _, e := range entities {
		k, self, err := e.encryptionKey(now)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", e.primary.KeyID(), err)
		}
		out = append(out, pgpRecipient{primary: e.primary.KeyID(), key: k, ciphers: self.ciphers})
	}
	return out, nil
}

// Symmetric algorithms (RFC 9580 9.3).
const (
	pgpAES128 = 7
	pgpAES192 = 8
	pgpAES256 = 9
)

// pgpCipher is the strongest AES every recipient lists among its
// preferred ciphers: AES-256 by default, as GnuPG's keys list it first.
// AES-128, which every implementation must read, is tacitly at the end
// of every list (RFC 9580 5.2.3.14).
func pgpCipher(rs []pgpRecipient) (algo byte, keyLen int) {
	for _, c := range []struct {
		algo byte
		n    int
	}{{pgpAES256, 32}, {pgpAES192, 24}} {
		all := true
		for _, r := range rs {
			all = all && bytes.IndexByte(r.ciphers, c.algo) >= 0
		}
		if all {
			return c.algo, c.n
		}
	}
	return pgpAES128, 16
}

// pgpEncrypt starts a message to rs on w: a public-key encrypted session
// key for each recipient, then the data as a binary literal in a
// symmetrically encrypted, integrity protected packet (version 1, with
// its SHA-1 MDC). Close ends the message; it does not close w.
func pgpEncrypt(w io.Writer, rs []pgpRecipient, random io.Reader) (io.WriteCloser, error) {
	algo, keyLen := pgpCipher(rs)
	session := make([]byte, keyLen)
	if _, err := io.ReadFull(random, session); err != nil {
		return nil, err
	}
	for _, r := range rs {
		body, err := pgpSessionKeyPacket(r.key, algo, session, random)
		if err != nil {
			return nil, fmt.Errorf("openpgp: key %s: %w", r.key.KeyID(), err)
		}
		if _, err := w.Write(append(appendPacketHeader(nil, 1, len(body)), body...)); err != nil {
			return nil, err
		}
	}
	block, err := aes.NewCipher(session)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte{0xc0 | 18}); err != nil {
		return nil, err
	}
	m := &pgpMessage{outer: newPartialWriter(w, 1), mdc: sha1.New(), cfb: newPGPCFB(block)} // SEIPD version 1
	prefix := make([]byte, block.BlockSize()+2)
	if _, err := io.ReadFull(random, prefix[:block.BlockSize()]); err != nil {
		return nil, err
	}
	copy(prefix[block.BlockSize():], prefix[block.BlockSize()-2:block.BlockSize()])
	if _, err := m.plain(append(prefix, 0xc0|11)); err != nil {
		return nil, err
	}
	m.literal = newPartialWriter(plainWriter{m}, 'b', 0, 0, 0, 0, 0) // binary, no file name, no date
	return m, nil
}

// pgpMessage is the encrypted packet being written: the literal packet's
// body, partial length by partial length, goes through the MDC hash and
// the cipher into the encrypted packet's body.
type pgpMessage struct {
	outer, literal *partialWriter
	mdc            hash.Hash
	cfb            *pgpCFB
	enc            []byte
}

type plainWriter struct{ m *pgpMessage }

func (p plainWriter) Write(b []byte) (int, error) { return p.m.plain(b) }

func (m *pgpMessage) plain(b []byte) (int, error) {
	m.mdc.Write(b)
	return m.encrypt(b)
}

func (m *pgpMessage) encrypt(b []byte) (int, error) {
	m.enc = m.cfb.xor(m.enc[:0], b)
	if _, err := m.outer.Write(m.enc); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (m *pgpMessage) Write(b []byte) (int, error) { return m.literal.Write(b) }

func (m *pgpMessage) Close() error {
	if err := m.literal.Close(); err != nil {
		return err
	}
	if _, err := m.plain([]byte{0xd3, 0x14}); err != nil { // the MDC packet's header, hashed too
		return err
	}
	if _, err := m.encrypt(m.mdc.Sum(nil)); err != nil {
		return err
	}
	return m.outer.Close()
}

// partialWriter writes a packet body of unknown length in partial
// lengths of 64 KiB (RFC 9580 4.2.1.4) and ends it with a definite
// length. The packet's tag byte is written before it.
type partialWriter struct {
	w   io.Writer
	buf []byte
}

const pgpChunk = 1 << 16

// newPartialWriter starts a body with its first bytes.
func newPartialWriter(w io.Writer, first ...byte) *partialWriter {
	return &partialWriter{w: w, buf: append(make([]byte, 0, pgpChunk), first...)}
}

// Write keeps a full chunk until more follows: the last part of a body
// must have a definite length, and a partial one cannot be empty.
func (p *partialWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if len(p.buf) == pgpChunk {
			if _, err := p.w.Write([]byte{224 + 16}); err != nil { // 2^16 bytes follow
				return 0, err
			}
			if _, err := p.w.Write(p.buf); err != nil {
				return 0, err
			}
			p.buf = p.buf[:0]
		}
		k := copy(p.buf[len(p.buf):pgpChunk], b)
		p.buf, b = p.buf[:len(p.buf)+k], b[k:]
	}
	return n, nil
}

func (p *partialWriter) Close() error {
	if _, err := p.w.Write(appendPacketLength(nil, len(p.buf))); err != nil {
		return err
	}
	_, err := p.w.Write(p.buf)
	return err
}

// pgpCFB is the cipher feedback mode of SEIPD version 1: a zero IV, full
// block feedback, no resynchronisation.
type pgpCFB struct {
	b      cipher.Block
	reg    []byte
	stream []byte
	pos    int
}

func newPGPCFB(b cipher.Block) *pgpCFB {
	c := &pgpCFB{b: b, reg: make([]byte, b.BlockSize()), stream: make([]byte, b.BlockSize())}
	b.Encrypt(c.stream, c.reg)
	return c
}

func (c *pgpCFB) xor(dst, src []byte) []byte {
	for _, p := range src {
		x := p ^ c.stream[c.pos]
		dst = append(dst, x)
		c.reg[c.pos] = x
		if c.pos++; c.pos == len(c.reg) {
			c.b.Encrypt(c.stream, c.reg)
			c.pos = 0
		}
	}
	return dst
}
