package verifierenv_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/lambdaenv/verifierenv"
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
}

func TestVerifier(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	t.Run("requires its table and queues", func(t *testing.T) {
		awsEnv(t)
		t.Setenv("QUEUE_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/claims")
		t.Setenv("DLQ_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/claims-dlq")
		t.Setenv("CLAIMS_TABLE", "")
		_, err := verifierenv.Verifier(log, registry.Build, registry.CheckSettings)
		if err == nil || !strings.Contains(err.Error(), "CLAIMS_TABLE") {
			t.Fatalf("err = %v, want one naming CLAIMS_TABLE", err)
		}
	})
	t.Run("builds the ports", func(t *testing.T) {
		awsEnv(t)
		t.Setenv("CLAIMS_TABLE", "claims")
		t.Setenv("QUEUE_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/claims")
		t.Setenv("DLQ_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/claims-dlq")
		t.Setenv("EVENT_BUS", "profilesync")
		t.Setenv("APPROVAL_TOPIC_ARN", "arn:aws:sns:eu-central-1:123456789012:approvers")
		p, err := verifierenv.Verifier(log, registry.Build, registry.CheckSettings)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.Rules.All()); n == 0 || p.Rules.Get("employee") == nil {
			t.Errorf("%d rules, want the shipped ones (employee among them)", n)
		}
		if p.Store == nil || p.Queue == nil || p.Continue == nil || p.Events == nil || p.Authorities == nil {
			t.Errorf("ports missing: %+v", p)
		}
		// No claims-approvals secret in SECRET_ARNS: no manual approvals,
		// whatever the topic.
		if p.Approvals != nil {
			t.Errorf("approvals configured without their secret")
		}
	})
	t.Run("checks the rules' settings with the checker given", func(t *testing.T) {
		awsEnv(t)
		t.Setenv("CLAIMS_TABLE", "claims")
		t.Setenv("QUEUE_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/claims")
		t.Setenv("DLQ_URL", "https://sqs.eu-central-1.amazonaws.com/123456789012/claims-dlq")
		refuse := func(kind string, _ map[string]any) error { return errors.New("refused " + kind) }
		if _, err := verifierenv.Verifier(log, registry.Build, refuse); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Fatalf("err = %v, want the checker's refusal", err)
		}
	})
}
