package moto_test

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

func TestStartIsShared(t *testing.T) {
	a := moto.Start(t)
	b := moto.Start(t)
	if a != b || a.Endpoint() != b.Endpoint() {
		t.Fatalf("Start returned two servers: %s and %s", a.Endpoint(), b.Endpoint())
	}
	if !strings.HasPrefix(a.Endpoint(), "http://127.0.0.1:") {
		t.Fatalf("endpoint %q is not on loopback", a.Endpoint())
	}
	resp, err := http.Get(a.Endpoint() + "/moto-api/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestAWSConfigAndReset(t *testing.T) {
	srv := moto.Start(t)
	ctx := context.Background()
	client := sqs.NewFromConfig(srv.AWSConfig(ctx))
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("moto-reset-probe")}); err != nil {
		t.Fatalf("create queue: %v", err)
	}
	srv.Reset(t)
	out, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatalf("list queues: %v", err)
	}
	if len(out.QueueUrls) != 0 {
		t.Fatalf("queues after reset: %v", out.QueueUrls)
	}
}

func TestEnvReachesChildProcess(t *testing.T) {
	srv := moto.Start(t)
	env := srv.Env()
	var endpoint string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_ENDPOINT_URL="); ok {
			endpoint = v
		}
	}
	if endpoint != srv.Endpoint() {
		t.Fatalf("AWS_ENDPOINT_URL = %q, want %q", endpoint, srv.Endpoint())
	}
	cmd := exec.Command("sh", "-c", `printf '%s %s' "$AWS_REGION" "$AWS_ACCESS_KEY_ID"`)
	cmd.Env = env
	got, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "us-east-1 x" {
		t.Fatalf("child saw %q", got)
	}
}
