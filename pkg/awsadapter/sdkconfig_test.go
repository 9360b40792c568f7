package awsadapter_test

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/awsadapter"
)

// lambdaEnv clears every variable Config reads and sets what Lambda sets
// for a function, plus vars.
func lambdaEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_MAX_ATTEMPTS", "AWS_CA_BUNDLE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_REGION", moto.Region)
	t.Setenv("AWS_ACCESS_KEY_ID", moto.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", moto.SecretAccessKey)
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

func TestEndpointURL(t *testing.T) {
	srv := moto.Start(t)
	lambdaEnv(t, map[string]string{"AWS_ENDPOINT_URL": srv.Endpoint()})
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	if awssdk.ToString(cfg.BaseEndpoint) != srv.Endpoint() || cfg.Region != moto.Region {
		t.Fatalf("BaseEndpoint %q region %q", awssdk.ToString(cfg.BaseEndpoint), cfg.Region)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(t.Context(), &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("sqs via AWS_ENDPOINT_URL: %v", err)
	}
}

// TestServiceEndpointURL aims the general endpoint at a closed port: only
// the per-service variables can make the calls work, and without one the
// call must fail (else the test proves nothing).
func TestServiceEndpointURL(t *testing.T) {
	srv := moto.Start(t)
	lambdaEnv(t, map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_MAX_ATTEMPTS": "1",
		"AWS_ENDPOINT_URL_SQS": srv.Endpoint(), "AWS_ENDPOINT_URL_SECRETS_MANAGER": srv.Endpoint()})
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(t.Context(), &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("sqs via AWS_ENDPOINT_URL_SQS: %v", err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).ListSecrets(t.Context(), &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("secrets manager via AWS_ENDPOINT_URL_SECRETS_MANAGER: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_SQS", "")
	cfg, err = awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(t.Context(), &sqs.ListQueuesInput{}); err == nil {
		t.Fatal("sqs reached moto through the closed general endpoint")
	}
}

// TestIgnoreConfiguredEndpoints: with the switch on, neither variable is
// used and the client resolves the real regional endpoint.
func TestIgnoreConfiguredEndpoints(t *testing.T) {
	lambdaEnv(t, map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:2",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint != nil {
		t.Fatalf("BaseEndpoint = %q, want none", *cfg.BaseEndpoint)
	}
	if got := sqs.NewFromConfig(cfg).Options().BaseEndpoint; got != nil {
		t.Fatalf("sqs BaseEndpoint = %q, want none", *got)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")
	cfg, _ = awsadapter.ConfigFromEnv("")
	if got := awssdk.ToString(sqs.NewFromConfig(cfg).Options().BaseEndpoint); got != "http://127.0.0.1:2" {
		t.Fatalf("sqs BaseEndpoint = %q, want AWS_ENDPOINT_URL_SQS", got)
	}
}

// TestNoCredentials: the configuration builds (a connector can be checked
// without credentials), and the first call says what to set.
func TestNoCredentials(t *testing.T) {
	lambdaEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(t.Context()); err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
		t.Fatalf("Retrieve error = %v, want one naming AWS_ACCESS_KEY_ID", err)
	}
}

func TestRegionAndCredentials(t *testing.T) {
	lambdaEnv(t, map[string]string{"AWS_SESSION_TOKEN": "tok"})
	cfg, err := awsadapter.ConfigFromEnv("eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("region = %q, want the argument over AWS_REGION", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil || c.AccessKeyID != moto.AccessKeyID || c.SessionToken != "tok" {
		t.Errorf("credentials = %+v, %v", c, err)
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	if cfg, _ := awsadapter.ConfigFromEnv(""); cfg.Region != "eu-west-1" {
		t.Errorf("region = %q, want AWS_DEFAULT_REGION", cfg.Region)
	}
}

func TestRefusesIncompleteEnvironment(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no region", map[string]string{"AWS_REGION": ""}, "no region"},
		{"bad max attempts", map[string]string{"AWS_MAX_ATTEMPTS": "many"}, "AWS_MAX_ATTEMPTS"},
		{"bad ignore switch", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "yes please"}, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"},
		{"missing CA bundle", map[string]string{"AWS_CA_BUNDLE": "/nonexistent/ca.pem"}, "AWS_CA_BUNDLE"},
		{"CA bundle without certificates", map[string]string{"AWS_CA_BUNDLE": os.Args[0]}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lambdaEnv(t, tt.vars)
			if _, err := awsadapter.ConfigFromEnv(""); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestContainerCredentials serves the container credentials endpoint
// (what ECS, and Lambda where it uses one, offers) and checks the token
// from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE reaches it.
func TestContainerCredentials(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		_ = json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": "AKIDCONTAINER", "SecretAccessKey": "s",
			"Token": "session", "Expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}))
	t.Cleanup(srv.Close)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("secret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lambdaEnv(t, map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile})
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil || c.AccessKeyID != "AKIDCONTAINER" || c.SessionToken != "session" {
		t.Fatalf("credentials = %+v, %v", c, err)
	}
	if gotAuth != "secret-token" {
		t.Fatalf("Authorization = %q, want the token file's content", gotAuth)
	}
}

// TestCABundle: an endpoint whose certificate only AWS_CA_BUNDLE vouches
// for is reachable with it and refused without it.
func TestCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, block, 0o600); err != nil {
		t.Fatal(err)
	}
	get := func() error {
		cfg, err := awsadapter.ConfigFromEnv("")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		resp, err := cfg.HTTPClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	lambdaEnv(t, nil)
	if err := get(); err == nil {
		t.Fatal("the test server's certificate was trusted without the bundle")
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	if err := get(); err != nil {
		t.Fatalf("with AWS_CA_BUNDLE: %v", err)
	}
}
