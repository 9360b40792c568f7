package aws_test

import (
	"path/filepath"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/aws"
)

// isolateEnv gives LoadConfig the moto environment and no shared files,
// as a Lambda aimed at a local endpoint would see it.
func isolateEnv(t *testing.T, srv *moto.Server) {
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_PROFILE", "")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func TestLoadConfigHonoursEndpointURL(t *testing.T) {
	srv := moto.Start(t)
	isolateEnv(t, srv)
	cfg, err := paws.LoadConfig(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if awssdk.ToString(cfg.BaseEndpoint) != srv.Endpoint() || cfg.Region != moto.Region {
		t.Fatalf("BaseEndpoint %q region %q", awssdk.ToString(cfg.BaseEndpoint), cfg.Region)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctxFor(t), &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("sqs via AWS_ENDPOINT_URL: %v", err)
	}
}

// TestLoadConfigHonoursServiceEndpointURL aims the general endpoint at a
// closed port: only the per-service variables can make the calls work.
func TestLoadConfigHonoursServiceEndpointURL(t *testing.T) {
	srv := moto.Start(t)
	isolateEnv(t, srv)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_SQS", srv.Endpoint())
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", srv.Endpoint())
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cfg, err := paws.LoadConfig(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctxFor(t), &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("sqs via AWS_ENDPOINT_URL_SQS: %v", err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctxFor(t), &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("secrets manager via AWS_ENDPOINT_URL_SECRETS_MANAGER: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_SQS", "")
	cfg, err = paws.LoadConfig(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctxFor(t), &sqs.ListQueuesInput{}); err == nil {
		t.Fatal("sqs reached moto through the closed general endpoint; the test proves nothing")
	}
}
