package jobsenv_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/lambdaenv/jobsenv"
)

// awsEnv is what any function is given: a region and credentials (no
// call is made in these tests).
func awsEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("SECRET_ARNS", "")
	t.Setenv("SOURCES", "cidaas")
	t.Setenv("JOBS_TABLE", "jobs")
	t.Setenv("JOBS_QUEUE_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/jobs")
	t.Setenv("EXPORT_BUCKET", "profilesync-dev-exports")
	t.Setenv("EXPORT_KMS_KEY", "")
	t.Setenv("ENVIRONMENT", "")
	t.Setenv("SYNC_LOG_TABLE", "profilesync-dev-SyncLogTable")
	t.Setenv("QUEUE_URLS", `{"salesforce":"https://sqs.eu-central-1.amazonaws.com/123456789012/salesforce","webhook":"https://sqs.eu-central-1.amazonaws.com/123456789012/webhook"}`)
}

func TestJobs(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, v := range []string{"JOBS_TABLE", "JOBS_QUEUE_URL", "EXPORT_BUCKET", "SYNC_LOG_TABLE"} {
		t.Run("requires "+v, func(t *testing.T) {
			awsEnv(t)
			t.Setenv(v, "")
			if _, err := jobsenv.Jobs(log); err == nil || !strings.Contains(err.Error(), v) {
				t.Fatalf("err = %v, want one naming %s", err, v)
			}
		})
	}
	t.Run("builds the ports", func(t *testing.T) {
		awsEnv(t)
		p, err := jobsenv.Jobs(log)
		if err != nil {
			t.Fatal(err)
		}
		if p.Jobs.Get("newsletter") == nil || p.Checkpoints == nil || p.Destinations == nil || p.Continue == nil || p.Secrets == nil || p.SyncLog == nil {
			t.Errorf("ports missing: %+v", p)
		}
		if s := p.Jobs.Get("newsletter").Schedule; s.Cron == "" {
			t.Errorf("newsletter schedule %+v, want its cron without ENVIRONMENT", s)
		}
	})
	t.Run("ENVIRONMENT selects the overrides", func(t *testing.T) {
		awsEnv(t)
		t.Setenv("ENVIRONMENT", "staging")
		p, err := jobsenv.Jobs(log)
		if err != nil {
			t.Fatal(err)
		}
		if s := p.Jobs.Get("newsletter").Schedule; s.Rate != "6 hours" {
			t.Errorf("staging schedule %+v, want rate 6 hours", s)
		}
	})
}

// objects records the uploads a destination starts.
type objects struct {
	awsadapter.ObjectStore // unused methods panic
	puts                   []string
}

func (o *objects) PutObjectWith(_ context.Context, bucket, key string, _ []byte, opt awsadapter.ObjectOptions) error {
	o.puts = append(o.puts, bucket+"/"+key+" kms="+opt.KMSKeyID)
	return nil
}

func (o *objects) ListMultipartUploads(context.Context, string, string) ([]awsadapter.MultipartUpload, error) {
	return nil, nil
}

func TestDestinations(t *testing.T) {
	for _, c := range []struct {
		name string
		dest jobs.Destination
		want string // the object written, or the error
	}{
		{"the stack's bucket and key", jobs.Destination{Kind: "s3", Prefix: "newsletter/"}, "exports/newsletter/r1/x.csv kms=stack-key"},
		{"the job's own", jobs.Destination{Kind: "s3", Bucket: "partner-drop", KMSKey: "job-key"}, "partner-drop/r1/x.csv kms=job-key"},
		{"sftp without its secret", jobs.Destination{Kind: "sftp", Secret: "partner"}, "read secret partner"},
		{"https without its secret", jobs.Destination{Kind: "https", Secret: "partner"}, "read secret partner"},
		{"dir", jobs.Destination{Kind: "dir", Path: "/tmp"}, "local stack only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &objects{}
			d, err := jobsenv.Destinations(api, "exports", "stack-key", secretMap{}, nil)(t.Context(), &jobs.Job{Name: "newsletter", Dest: c.dest})
			if err != nil {
				if !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want %q", err, c.want)
				}
				return
			}
			obj, err := d.Create(t.Context(), "r1/x.csv")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := obj.Write([]byte("a,b\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := obj.Commit(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(api.puts) != 1 || api.puts[0] != c.want {
				t.Errorf("put %v, want %s", api.puts, c.want)
			}
		})
	}
}

type sent struct{ url, body string }

func (s *sent) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	s.url, s.body = *in.QueueUrl, *in.MessageBody
	return &sqs.SendMessageOutput{}, nil
}

func TestContinue(t *testing.T) {
	s := &sent{}
	if err := jobsenv.Continue(s, "https://sqs.example/jobs")(t.Context(), "newsletter"); err != nil {
		t.Fatal(err)
	}
	if s.url != "https://sqs.example/jobs" || s.body != `{"job":"newsletter"}` {
		t.Errorf("sent %+v", s)
	}
}

// A cleanup job sends through the targets' queues: without QUEUE_URLS
// the function refuses to start, naming what to do.
func TestCleanupNeedsTheTargetQueues(t *testing.T) {
	awsEnv(t)
	t.Setenv("QUEUE_URLS", "")
	if _, err := jobsenv.Jobs(slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "needs QUEUE_URLS") {
		t.Errorf("err = %v", err)
	}
}
