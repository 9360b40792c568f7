package awsadapter

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// ArchivePrefix is where the archive's objects live in their bucket; the
// ingress's policy allows PutObject under it only.
const ArchivePrefix = "archive/"

// MaxArchiveObject bounds what Read takes of one object: a webhook
// request's events, and API Gateway takes at most 10 MB.
const MaxArchiveObject = 32 << 20

// ArchiveStore is the object calls S3Archive makes (ObjectStore).
type ArchiveStore interface {
	PutObjectWith(ctx context.Context, bucket, key string, body []byte, opt ObjectOptions) error
	GetObject(ctx context.Context, bucket, key string, limit int64) ([]byte, error)
	ListObjects(ctx context.Context, bucket, prefix string) ([]string, error)
}

var _ ArchiveStore = (*ObjectStore)(nil)

// S3Archive is the archive of accepted events on AWS (ingress.Archive):
// one object per webhook request under
// archive/YYYY/MM/DD/HH/<received unix nanoseconds>-<hash of the first
// event id>.ndjson, one ingress.ArchivedEvent per line. The hour in the
// key lets `profilesync replay` list a time range without reading the
// rest; the bucket's lifecycle rule expires it (ArchiveRetentionDays).
// pkg/local.Archive is its SQLite twin.
type S3Archive struct {
	store  ArchiveStore
	bucket string
}

var _ ingress.Archive = (*S3Archive)(nil)

// NewS3Archive returns the archive in bucket (ARCHIVE_BUCKET).
func NewS3Archive(store ArchiveStore, bucket string) *S3Archive {
	return &S3Archive{store: store, bucket: bucket}
}

// ArchiveKey is the object key of a request whose first event is first,
// received at.
func ArchiveKey(at time.Time, firstID string) string {
	at = at.UTC()
	sum := sha256.Sum256([]byte(firstID))
	return fmt.Sprintf("%s%s%d-%s.ndjson", ArchivePrefix, hourPrefix(at), at.UnixNano(), hex.EncodeToString(sum[:8]))
}

func hourPrefix(at time.Time) string { return at.UTC().Format("2006/01/02/15/") }

// Archive writes evs as one object. The key holds no event id, only its
// hash: ids may be personal data in some sources' formats.
func (a *S3Archive) Archive(ctx context.Context, evs []ingress.ArchivedEvent) error {
	if len(evs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range evs {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("encode archived event: %w", err)
		}
	}
	key := ArchiveKey(evs[0].Event.ReceivedAt, evs[0].Event.ID)
	if err := a.store.PutObjectWith(ctx, a.bucket, key, buf.Bytes(), ObjectOptions{ContentType: "application/x-ndjson"}); err != nil {
		return fmt.Errorf("archive %d events: %w", len(evs), err)
	}
	return nil
}

// Read returns the archived events received in [since, until), listing
// one hour prefix at a time and reading only the objects whose key time
// is in range, oldest first.
func (a *S3Archive) Read(ctx context.Context, since, until time.Time) ([]ingress.ArchivedEvent, error) {
	var out []ingress.ArchivedEvent
	for h := since.UTC().Truncate(time.Hour); h.Before(until); h = h.Add(time.Hour) {
		keys, err := a.store.ListObjects(ctx, a.bucket, ArchivePrefix+hourPrefix(h))
		if err != nil {
			return nil, fmt.Errorf("list archive %s: %w", hourPrefix(h), err)
		}
		for _, key := range keys {
			at, ok := keyTime(key)
			if !ok || at.Before(since) || !at.Before(until) {
				continue
			}
			evs, err := a.readObject(ctx, key)
			if err != nil {
				return nil, err
			}
			out = append(out, evs...)
		}
	}
	return out, nil
}

func (a *S3Archive) readObject(ctx context.Context, key string) ([]ingress.ArchivedEvent, error) {
	body, err := a.store.GetObject(ctx, a.bucket, key, MaxArchiveObject)
	if errors.Is(err, ErrNoSuchKey) {
		return nil, nil // expired between the list and the read
	}
	if err != nil {
		return nil, fmt.Errorf("read archive object %s: %w", key, err)
	}
	var out []ingress.ArchivedEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, MaxArchiveObject)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e ingress.ArchivedEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("archive object %s line %d: %w", key, n, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// keyTime is the receipt time an archive key carries.
func keyTime(key string) (time.Time, bool) {
	name := key[strings.LastIndex(key, "/")+1:]
	nanos, _, ok := strings.Cut(name, "-")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(nanos, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n).UTC(), true
}
