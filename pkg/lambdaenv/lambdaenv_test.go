package lambdaenv_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/lambdaenv"
)

// awsEnv is what any function is given: a region and credentials (no
// call is made in these tests).
func awsEnv(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("SECRET_ARNS", "")
	t.Setenv("SOURCES", "")
	t.Setenv("BODY_BUCKET", "")
	t.Setenv("ARCHIVE_BUCKET", "")
}

func TestIngressRoutesClaims(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	awsEnv(t)
	targets := `"salesforce":"https://sqs.eu-central-1.amazonaws.com/123456789012/sf","webhook":"https://sqs.eu-central-1.amazonaws.com/123456789012/wh"`
	t.Setenv("QUEUE_URLS", "{"+targets+"}")
	if _, err := lambdaenv.Ingress(log); err == nil || !strings.Contains(err.Error(), `"claims"`) {
		t.Fatalf("without a claims queue: err = %v, want one naming it", err)
	}
	t.Setenv("QUEUE_URLS", "{"+targets+`,"claims":"https://sqs.eu-central-1.amazonaws.com/123456789012/claims"}`)
	p, err := lambdaenv.Ingress(log)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rules == nil || p.Rules.Get("employee") == nil {
		t.Errorf("ingress ports carry no claim rules")
	}
}

func TestIngressArchivesWhenArchiveBucketIsSet(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	awsEnv(t)
	t.Setenv("QUEUE_URLS", `{"salesforce":"https://sqs.eu-central-1.amazonaws.com/123456789012/sf",`+
		`"webhook":"https://sqs.eu-central-1.amazonaws.com/123456789012/wh","claims":"https://sqs.eu-central-1.amazonaws.com/123456789012/claims"}`)
	p, err := lambdaenv.Ingress(log)
	if err != nil || p.Archive != nil {
		t.Fatalf("without ARCHIVE_BUCKET: archive %v, %v; want none", p.Archive, err)
	}
	t.Setenv("ARCHIVE_BUCKET", "profilesync-archive")
	if p, err = lambdaenv.Ingress(log); err != nil || p.Archive == nil {
		t.Fatalf("with ARCHIVE_BUCKET: archive %v, %v", p.Archive, err)
	}
}

// The Cognito trigger takes the ingress's queues, no webhook source, and
// its pool from COGNITO_USER_POOL_ID (required).
func TestCognito(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	awsEnv(t)
	t.Setenv("SOURCES", "cidaas,akamai")
	t.Setenv("QUEUE_URLS", `{"salesforce":"https://sqs.eu-central-1.amazonaws.com/123456789012/sf","webhook":"https://sqs.eu-central-1.amazonaws.com/123456789012/wh","claims":"https://sqs.eu-central-1.amazonaws.com/123456789012/claims"}`)
	t.Setenv("COGNITO_USER_POOL_ID", "")
	if _, _, err := lambdaenv.Cognito(log); err == nil || !strings.Contains(err.Error(), "COGNITO_USER_POOL_ID") {
		t.Fatalf("without a pool: err = %v, want one naming COGNITO_USER_POOL_ID", err)
	}
	t.Setenv("COGNITO_USER_POOL_ID", "eu-central-1_AbCdEfGhI")
	t.Setenv("COGNITO_ENVIRONMENT", "prod")
	p, cfg, err := lambdaenv.Cognito(log)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sources) != 0 || cfg.UserPoolID != "eu-central-1_AbCdEfGhI" || cfg.Environment != "prod" || p.Queue == nil {
		t.Errorf("ports %+v, config %v", p.Sources, cfg)
	}
}
