package local

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"maragu.dev/goqite"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// SQS limits a local run should trip over as the real queue would.
const (
	maxMessageAttributes = 10
	maxMessageBytes      = 1 << 20 // the largest MaximumMessageSize a queue can have
)

var (
	batchEntryIDRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	attributeNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)
)

func queueARN(name string) string {
	return "arn:aws:sqs:" + Region + ":" + AccountID + ":" + name
}

// normalizeMessage applies SendMessageBatch's rules the way the SQS adapter
// (pkg/awsadapter) does, so a batch fails locally exactly when it would on AWS: an
// empty entry id becomes "m<i>", empty attribute values are dropped (SQS
// refuses them; absent says the same); ids must then be unique and well
// formed, the body non-empty and of characters SQS accepts, at most ten
// attributes with valid names, and the message within SQS's 1 MiB ceiling.
func normalizeMessage(i int, m ingress.Message, seen map[string]bool) (ingress.Message, error) {
	if m.ID == "" {
		m.ID = "m" + strconv.Itoa(i)
	}
	if !batchEntryIDRE.MatchString(m.ID) {
		return m, fmt.Errorf("batch entry id %q: want 1-80 letters, digits, '-' or '_'", m.ID)
	}
	if seen[m.ID] {
		return m, fmt.Errorf("batch entry id %q: not unique in the batch", m.ID)
	}
	seen[m.ID] = true
	if len(m.Body) == 0 {
		return m, fmt.Errorf("entry %q: empty body", m.ID)
	}
	if err := validBodyChars(m.Body); err != nil {
		return m, fmt.Errorf("entry %q: %w", m.ID, err)
	}
	if len(m.Attributes) > maxMessageAttributes {
		return m, fmt.Errorf("entry %q: %d message attributes, SQS allows %d", m.ID, len(m.Attributes), maxMessageAttributes)
	}
	size := len(m.Body)
	attrs := make(map[string]string, len(m.Attributes))
	for name, v := range m.Attributes {
		lower := strings.ToLower(name)
		if !attributeNameRE.MatchString(name) || strings.HasPrefix(lower, "aws.") ||
			strings.HasPrefix(lower, "amazon.") || strings.HasPrefix(name, ".") ||
			strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
			return m, fmt.Errorf("entry %q: invalid message attribute name %q", m.ID, name)
		}
		if v == "" {
			continue
		}
		attrs[name] = v
		size += len(name) + len("String") + len(v)
	}
	if size > maxMessageBytes {
		return m, fmt.Errorf("entry %q: %d bytes, over SQS's maximum of %d", m.ID, size, maxMessageBytes)
	}
	m.Attributes = attrs
	return m, nil
}

// validBodyChars enforces SQS's allowed body characters: #x9, #xA, #xD and
// #x20 upwards, valid Unicode only.
func validBodyChars(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("body is not valid UTF-8 at byte %d", i)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("body has character %U at byte %d, which SQS refuses", r, i)
		}
		i += size
	}
	return nil
}

// messageID shows a goqite id ("m_" and 32 hex digits) in the UUID form of
// SQS message ids; goqiteID reverses it.
func messageID(id goqite.ID) string {
	s := string(id)
	h, ok := strings.CutPrefix(s, "m_")
	if !ok || len(h) != 32 {
		return s
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func goqiteID(messageID string) string {
	h := strings.ReplaceAll(messageID, "-", "")
	if len(h) != 32 || len(messageID) != 36 {
		return messageID
	}
	if _, err := hex.DecodeString(h); err != nil {
		return messageID
	}
	return "m_" + h
}

// A receipt handle names the queue, the message and which receive it came
// from, so a handle from an earlier receive cannot delete or hide a message
// another consumer has since received — SQS's rule.
func encodeReceipt(queue, id string, received int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(queue + "\n" + id + "\n" + strconv.Itoa(received)))
}

var errBadReceipt = errors.New("receipt handle is invalid")

func decodeReceipt(receipt string) (queue, id string, received int, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(receipt)
	if err != nil {
		return "", "", 0, errBadReceipt
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 {
		return "", "", 0, errBadReceipt
	}
	received, err = strconv.Atoi(parts[2])
	if err != nil || parts[0] == "" || parts[1] == "" {
		return "", "", 0, errBadReceipt
	}
	return parts[0], parts[1], received, nil
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// md5OfAttributes is SQS's MD5OfMessageAttributes: for each attribute in
// name order, the length-prefixed name, data type and value with the String
// transport byte. Empty when there are no attributes, as SQS leaves it.
func md5OfAttributes(attrs map[string]string) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	h := md5.New()
	put := func(s string) {
		_ = binary.Write(h, binary.BigEndian, uint32(len(s)))
		_, _ = h.Write([]byte(s))
	}
	for _, n := range names {
		put(n)
		put("String")
		_, _ = h.Write([]byte{1})
		put(attrs[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func lambdaAttributes(attrs map[string]string) map[string]events.SQSMessageAttribute {
	out := make(map[string]events.SQSMessageAttribute, len(attrs))
	for n, v := range attrs {
		out[n] = events.SQSMessageAttribute{
			StringValue:      &v,
			StringListValues: []string{},
			BinaryListValues: [][]byte{},
			DataType:         "String",
		}
	}
	return out
}

// stringAttributes reads back the string attributes of a Lambda record.
func stringAttributes(attrs map[string]events.SQSMessageAttribute) map[string]string {
	out := make(map[string]string, len(attrs))
	for n, a := range attrs {
		if a.StringValue != nil {
			out[n] = *a.StringValue
		}
	}
	return out
}

// goqiteTime formats t as goqite stores timeouts; its queries compare them
// as strings, so the format must match exactly.
func goqiteTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
