package awsadapter_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

func archivedEvent(id string, at time.Time, targets ...string) ingress.ArchivedEvent {
	return ingress.ArchivedEvent{Targets: targets, Event: profile.Event{ID: id, Source: "cidaas", Type: profile.Updated,
		Subject: "sub-" + id, OccurredAt: at.Add(-time.Second), ReceivedAt: at,
		Profile: &profile.Profile{Sub: "sub-" + id, FamilyName: "Doe"}}}
}

// The S3 archive against moto: one object per request under its hour,
// read back by time range across hours, an hour outside the range not
// even read.
func TestS3ArchiveWriteListRead(t *testing.T) {
	srv := moto.Start(t)
	bucket, client, rec, store := bodyBucket(t, srv)
	a := paws.NewS3Archive(store, bucket)
	ctx := ctxFor(t)
	t0 := time.Date(2026, 3, 1, 10, 59, 59, 900_000_000, time.UTC)
	requests := [][]ingress.ArchivedEvent{
		{archivedEvent("e1", t0, "salesforce"), archivedEvent("e2", t0, "salesforce", "webhook")},
		{archivedEvent("e3", t0.Add(200*time.Millisecond))}, // 11:00:00.1, the next hour
		{archivedEvent("e4", t0.Add(3*time.Hour))},
	}
	for _, evs := range requests {
		if err := a.Archive(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Archive(ctx, nil); err != nil || len(rec.puts) != 3 {
		t.Fatalf("an empty request: %v, %d PUTs; want no object", err, len(rec.puts))
	}

	// The keys, as an independent client lists them.
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	want := []string{paws.ArchiveKey(t0, "e1"), paws.ArchiveKey(t0.Add(200*time.Millisecond), "e3"), paws.ArchiveKey(t0.Add(3*time.Hour), "e4")}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	if !strings.HasPrefix(want[0], "archive/2026/03/01/10/") || strings.Contains(strings.Join(keys, ""), "e1") {
		t.Errorf("key %s: want the hour prefix and no event id", want[0])
	}
	obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &want[0]})
	if err != nil {
		t.Fatal(err)
	}
	obj.Body.Close()
	if obj.ServerSideEncryption != s3types.ServerSideEncryptionAes256 || *obj.ContentType != "application/x-ndjson" {
		t.Errorf("object encryption %q type %q", obj.ServerSideEncryption, *obj.ContentType)
	}

	for _, tc := range []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{"across the hour", t0, t0.Add(time.Hour), []string{"e1", "e2", "e3"}},
		{"upper bound out", t0, t0.Add(200 * time.Millisecond), []string{"e1", "e2"}},
		{"lower bound in", t0.Add(200 * time.Millisecond), t0.Add(4 * time.Hour), []string{"e3", "e4"}},
		{"nothing", t0.Add(time.Hour), t0.Add(2 * time.Hour), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.Read(ctx, tc.since, tc.until)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got {
				ids = append(ids, e.Event.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("read %v, want %v", ids, tc.want)
			}
		})
	}
	got, _ := a.Read(ctx, t0, t0.Add(1))
	if len(got) != 2 || !got[1].Event.ReceivedAt.Equal(t0) || got[1].Event.Profile.FamilyName != "Doe" ||
		!slices.Equal(got[1].Targets, []string{"salesforce", "webhook"}) {
		t.Errorf("e2 read back as %+v", got)
	}
}

func TestS3ListObjectsFollowsPages(t *testing.T) {
	srv := moto.Start(t)
	bucket, _, _, store := bodyBucket(t, srv)
	defer paws.SetListPageSize(2)()
	ctx := ctxFor(t)
	var want []string
	for _, k := range []string{"archive/a", "archive/b", "archive/c", "archive/d", "archive/e", "other/f"} {
		if err := store.PutObjectWith(ctx, bucket, k, []byte("{}"), paws.ObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(k, "archive/") {
			want = append(want, k)
		}
	}
	got, err := store.ListObjects(ctx, bucket, "archive/")
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("listed %v, %v; want %v", got, err, want)
	}
	if _, err := store.ListObjects(ctx, bucket+"-gone", ""); err == nil {
		t.Error("listing a missing bucket: no error")
	}
}
