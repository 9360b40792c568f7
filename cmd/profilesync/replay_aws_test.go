package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
)

// Against a deployed stack's parts (moto): the archive the ingress wrote
// to S3 is read by hour with the operator's credentials, and the events
// in range are queued on the targets' SQS queues with their ids, marked
// replayed.
func TestReplayFromS3ToSQS(t *testing.T) {
	srv := motoForCLI(t)
	t.Setenv("ARCHIVE_BUCKET", "")
	t.Setenv("QUEUE_URLS", "")
	ctx := t.Context()
	cfg := srv.AWSConfig(ctx)
	bucket := "replay-archive"
	if _, err := s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	client := sqs.NewFromConfig(cfg)
	urls := map[string]string{}
	for _, name := range []string{"salesforce", "webhook", "claims"} {
		out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String("replay-" + name)})
		if err != nil {
			t.Fatal(err)
		}
		urls[name] = *out.QueueUrl
	}
	store, err := awsadapter.NewObjectStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	archive := awsadapter.NewS3Archive(store, bucket)
	t0 := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	event := func(id, subject string, at time.Time) ingress.ArchivedEvent {
		return ingress.ArchivedEvent{Targets: []string{"salesforce", "webhook"}, Event: profile.Event{ID: id, Source: "clerk",
			Type: profile.Updated, Subject: subject, OccurredAt: at, ReceivedAt: at,
			Profile: &profile.Profile{Sub: subject, FamilyName: "Doe"}}}
	}
	for _, evs := range [][]ingress.ArchivedEvent{
		{event("e1", "user_1", t0), event("e2", "user_2", t0)},
		{event("e3", "user_1", t0.Add(time.Hour))},
		{event("e4", "user_1", t0.Add(5*time.Hour))}, // out of range
	} {
		if err := archive.Archive(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	qurls, _ := json.Marshal(urls)
	args := []string{"replay", "--bucket", bucket, "--queue-urls", string(qurls),
		"--since", "2026-03-01T10:00:00Z", "--until", "2026-03-01T12:00:00Z", "--subject", "user_1", "--target", "salesforce"}

	out := mustRun(t, append(args, "--dry-run")...)
	if !strings.Contains(out, "3 event(s) read from the archive") || !strings.Contains(out, "2 matched; would queue: salesforce 2") ||
		!strings.Contains(out, "e1") || !strings.Contains(out, "e3") || strings.Contains(out, "e2") {
		t.Fatalf("dry run:\n%s", out)
	}
	receive := func(target string) []profile.Envelope {
		got, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: awssdk.String(urls[target]), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		var envs []profile.Envelope
		for _, m := range got.Messages {
			env, err := profile.UnmarshalEnvelope([]byte(*m.Body))
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, env)
		}
		return envs
	}
	if envs := receive("salesforce"); len(envs) != 0 {
		t.Fatalf("the dry run queued %d", len(envs))
	}

	out = mustRun(t, args...)
	if !strings.Contains(out, "2 matched; queued: salesforce 2") {
		t.Fatalf("replay:\n%s", out)
	}
	envs := receive("salesforce")
	var ids []string
	for _, env := range envs {
		if !env.Event.Replay || env.Event.Subject != "user_1" || env.Target != "salesforce" || env.Event.Profile == nil {
			t.Errorf("replayed envelope %+v", env)
		}
		ids = append(ids, env.Event.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"e1", "e3"}) {
		t.Errorf("salesforce got %v, want e1 e3", ids)
	}
	if envs := receive("webhook"); len(envs) != 0 {
		t.Errorf("webhook got %d messages from a salesforce replay", len(envs))
	}

	// Every mapping's target by default (never the claim verifier's unless
	// named), and --source filters.
	all := mustRun(t, "replay", "--bucket", bucket, "--since", "2026-03-01T10:00:00Z", "--until", "2026-03-01T12:00:00Z", "--dry-run")
	if !strings.Contains(all, "3 matched; would queue: salesforce 3 webhook 3\n") {
		t.Errorf("dry run for every target:\n%s", all)
	}
	other := mustRun(t, "replay", "--bucket", bucket, "--since", "2026-03-01T10:00:00Z", "--until", "2026-03-01T12:00:00Z", "--dry-run", "--source", "okta")
	if !strings.Contains(other, "3 event(s) read from the archive") || !strings.Contains(other, "0 matched; would queue: nothing") {
		t.Errorf("dry run for another source:\n%s", other)
	}

	if r := runCLI(t, "replay", "--bucket", bucket, "--queue-urls", `{"webhook":"x"}`, "--since", "2h"); r.code != 1 ||
		!strings.Contains(r.stderr, `no queue for target "salesforce"`) {
		t.Errorf("queue URLs without a target's: exit %d %s", r.code, r.stderr)
	}
}

func TestReplayUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--since is required"},
		{[]string{"--since", "yesterday"}, "neither an RFC 3339 time nor a positive duration"},
		{[]string{"--since", "1h", "--until", "2h"}, "--since must be before --until"},
		{[]string{"--since", "1h", "--target", "nosuch"}, `no target "nosuch"`},
		{[]string{"--since", "1h", "--output", "csv"}, `--output "csv"`},
	} {
		r := runCLI(t, append([]string{"replay", "--data", t.TempDir()}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %s; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := runCLI(t, "replay", "--since", "1h", "--data", t.TempDir()); r.code != 1 || !strings.Contains(r.stderr, "no local database") {
		t.Errorf("without a database: exit %d %s", r.code, r.stderr)
	}
}
