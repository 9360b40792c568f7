package export

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// The OpenPGP pieces (pgppacket.go, pgpkey.go, pgpencrypt.go) are our own
// writer of the one kind of message an export needs: a file encrypted to
// the recipients' public keys (RFC 9580; v4 keys, SEIPD version 1 with
// its MDC, as GnuPG and every other implementation reads). They replace
// ProtonMail/go-crypto, which with cloudflare/circl's post-quantum
// schemes added 1.4 MB to the jobs function (see internal/lambdatest's
// maxBytes) for decryption, signing and key generation an export never
// does. The tests decrypt with go-crypto and with GnuPG.

// pgpArmorType is the only armor block a recipient may be.
const pgpArmorType = "PGP PUBLIC KEY BLOCK"

// pgpDearmor returns the bytes of the first public key block in s,
// checking its CRC-24 when it has one.
func pgpDearmor(s string) ([]byte, error) {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	state := 0 // 0: before the block, 1: headers, 2: body
	var body strings.Builder
	crc := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch state {
		case 0:
			if line == "-----BEGIN "+pgpArmorType+"-----" {
				state = 1
			} else if strings.HasPrefix(line, "-----BEGIN ") {
				return nil, fmt.Errorf("armor block %s, want %s", strings.Trim(line, "- "), pgpArmorType)
			}
		case 1:
			if line == "" {
				state = 2
			} else if !strings.Contains(line, ": ") {
				state = 2 // no blank line after the headers: tolerated
				body.WriteString(line)
			}
		case 2:
			switch {
			case line == "-----END "+pgpArmorType+"-----":
				b, err := base64.StdEncoding.DecodeString(body.String())
				if err != nil {
					return nil, fmt.Errorf("armor: %w", err)
				}
				if crc != "" {
					want, err := base64.StdEncoding.DecodeString(crc)
					if err != nil || len(want) != 3 {
						return nil, errors.New("armor: unreadable checksum")
					}
					if got := pgpCRC24(b); got != uint32(want[0])<<16|uint32(want[1])<<8|uint32(want[2]) {
						return nil, errors.New("armor: checksum mismatch")
					}
				}
				return b, nil
			case strings.HasPrefix(line, "="):
				crc = line[1:]
			default:
				body.WriteString(line)
			}
		}
	}
	return nil, errors.New("not an armored OpenPGP public key (no \"-----BEGIN " + pgpArmorType + "-----\" line)")
}

func pgpCRC24(b []byte) uint32 {
	crc := uint32(0xb704ce)
	for _, c := range b {
		crc ^= uint32(c) << 16
		for range 8 {
			crc <<= 1
			if crc&0x1000000 != 0 {
				crc ^= 0x1864cfb
			}
		}
	}
	return crc & 0xffffff
}

// pgpPacket is one packet of a key: its tag and body.
type pgpPacket struct {
	tag  byte
	body []byte
}

// pgpPackets splits b into packets (old and new header formats; a key
// has no partial lengths).
func pgpPackets(b []byte) ([]pgpPacket, error) {
	var out []pgpPacket
	for len(b) > 0 {
		h := b[0]
		if h&0x80 == 0 {
			return nil, errors.New("packet: bad header")
		}
		var tag byte
		var n, hl int
		if h&0x40 != 0 { // new format
			tag = h & 0x3f
			if len(b) < 2 {
				return nil, errors.New("packet: truncated")
			}
			switch l := b[1]; {
			case l < 192:
				n, hl = int(l), 2
			case l < 224:
				if len(b) < 3 {
					return nil, errors.New("packet: truncated")
				}
				n, hl = (int(l)-192)<<8+int(b[2])+192, 3
			case l == 255:
				if len(b) < 6 {
					return nil, errors.New("packet: truncated")
				}
				n, hl = int(binary.BigEndian.Uint32(b[2:])), 6
			default:
				return nil, errors.New("packet: partial length in a key")
			}
		} else {
			tag = (h >> 2) & 0x0f
			switch h & 3 {
			case 0:
				if len(b) < 2 {
					return nil, errors.New("packet: truncated")
				}
				n, hl = int(b[1]), 2
			case 1:
				if len(b) < 3 {
					return nil, errors.New("packet: truncated")
				}
				n, hl = int(binary.BigEndian.Uint16(b[1:])), 3
			case 2:
				if len(b) < 5 {
					return nil, errors.New("packet: truncated")
				}
				n, hl = int(binary.BigEndian.Uint32(b[1:])), 5
			default:
				return nil, errors.New("packet: indeterminate length in a key")
			}
		}
		if n < 0 || len(b)-hl < n {
			return nil, errors.New("packet: truncated")
		}
		out = append(out, pgpPacket{tag: tag, body: b[hl : hl+n]})
		b = b[hl+n:]
	}
	return out, nil
}

// pgpMPI reads a multiprecision integer: a bit count, then the bytes.
func pgpMPI(b []byte) (v, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, errors.New("mpi: truncated")
	}
	n := (int(binary.BigEndian.Uint16(b)) + 7) / 8
	if len(b)-2 < n {
		return nil, nil, errors.New("mpi: truncated")
	}
	return b[2 : 2+n], b[2+n:], nil
}

// appendMPI writes v (big-endian, leading zeros dropped) as an MPI.
func appendMPI(dst, v []byte) []byte {
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	n := 0
	if len(v) > 0 {
		n = (len(v)-1)*8 + bits.Len8(v[0])
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	return append(dst, v...)
}

// pgpOID reads a curve OID field: a length byte, then the OID's bytes.
func pgpOID(b []byte) (oid, rest []byte, err error) {
	if len(b) < 1 || b[0] == 0 || b[0] == 0xff || len(b)-1 < int(b[0]) {
		return nil, nil, errors.New("curve oid: malformed")
	}
	return b[1 : 1+b[0]], b[1+b[0]:], nil
}

// appendPacketHeader writes a new-format header of a packet of n bytes.
func appendPacketHeader(dst []byte, tag byte, n int) []byte {
	return appendPacketLength(append(dst, 0xc0|tag), n)
}

func appendPacketLength(dst []byte, n int) []byte {
	switch {
	case n < 192:
		return append(dst, byte(n))
	case n < 8384:
		n -= 192
		return append(dst, byte(n>>8)+192, byte(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, 255), uint32(n))
}
