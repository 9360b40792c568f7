package awsadapter_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
)

// fakeClock is an injected clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type secretsFixture struct {
	admin   *secretsmanager.Client // creates and rotates secrets, uncounted
	counter *countingHTTP
	clock   *fakeClock
	secrets *paws.Secrets
	arn     string
}

// newSecretsFixture creates a secret named for the test holding value and a
// Secrets reading it as "salesforce", with a counting HTTP client.
func newSecretsFixture(t *testing.T, value string) *secretsFixture {
	t.Helper()
	srv := moto.Start(t)
	cfg := srv.AWSConfig(ctxFor(t))
	f := &secretsFixture{
		admin:   secretsmanager.NewFromConfig(cfg),
		counter: newCountingHTTP(),
		clock:   &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	out, err := f.admin.CreateSecret(ctxFor(t), &secretsmanager.CreateSecretInput{
		Name: awssdk.String("profilesync/" + t.Name()), SecretString: awssdk.String(value),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	f.arn = *out.ARN
	client := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.HTTPClient = f.counter })
	f.secrets = paws.NewSecrets(paws.SecretsManagerOf(client), map[string]string{"salesforce": f.arn, "missing": f.arn + "-nope"},
		paws.WithClock(f.clock.Now))
	return f
}

func (f *secretsFixture) rotate(t *testing.T, value string) {
	t.Helper()
	if _, err := f.admin.PutSecretValue(ctxFor(t), &secretsmanager.PutSecretValueInput{
		SecretId: awssdk.String(f.arn), SecretString: awssdk.String(value),
	}); err != nil {
		t.Fatalf("rotate: %v", err)
	}
}

func (f *secretsFixture) want(t *testing.T, value string, requests int) {
	t.Helper()
	got, err := f.secrets.Secret(ctxFor(t), "salesforce")
	if err != nil {
		t.Fatalf("Secret: %v", err)
	}
	if string(got) != value {
		t.Fatalf("Secret = %q, want %q", got, value)
	}
	if n := f.counter.Count(); n != requests {
		t.Fatalf("%d requests so far, want %d", n, requests)
	}
}

func TestSecretsCachesWithinTTL(t *testing.T) {
	f := newSecretsFixture(t, `{"token":"v1"}`)
	f.want(t, `{"token":"v1"}`, 1)
	f.rotate(t, `{"token":"v2"}`)
	f.clock.Advance(paws.DefaultSecretTTL - time.Second)
	f.want(t, `{"token":"v1"}`, 1) // cached: no request
}

func TestSecretsRefetchAfterTTL(t *testing.T) {
	f := newSecretsFixture(t, "v1")
	f.want(t, "v1", 1)
	f.rotate(t, "v2")
	f.clock.Advance(paws.DefaultSecretTTL)
	f.want(t, "v2", 2)
	f.want(t, "v2", 2)
}

func TestSecretsInvalidate(t *testing.T) {
	f := newSecretsFixture(t, "v1")
	f.want(t, "v1", 1)
	f.rotate(t, "v2")
	f.secrets.Invalidate("salesforce")
	f.want(t, "v2", 2)
}

func TestSecretsReturnsACopy(t *testing.T) {
	f := newSecretsFixture(t, "v1")
	got, _ := f.secrets.Secret(ctxFor(t), "salesforce")
	got[0] = 'X'
	f.want(t, "v1", 1)
}

func TestSecretsConcurrentMissesShareOneRequest(t *testing.T) {
	f := newSecretsFixture(t, "v1")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if v, err := f.secrets.Secret(ctxFor(t), "salesforce"); err != nil || string(v) != "v1" {
				errs <- errors.Join(err, errors.New("got "+string(v)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := f.counter.Count(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestSecretsErrors(t *testing.T) {
	f := newSecretsFixture(t, "v1")
	if _, err := f.secrets.Secret(ctxFor(t), "hubspot"); !errors.Is(err, paws.ErrUnknownSecret) {
		t.Fatalf("unknown name: err = %v, want ErrUnknownSecret", err)
	}
	if n := f.counter.Count(); n != 0 {
		t.Fatalf("unknown name made %d requests", n)
	}
	// A failure is not cached: each call asks again.
	for i := 1; i <= 2; i++ {
		_, err := f.secrets.Secret(ctxFor(t), "missing")
		if err == nil || !strings.Contains(err.Error(), `"missing"`) {
			t.Fatalf("missing secret: err = %v, want one naming it", err)
		}
	}
	if n := f.counter.Count(); n < 2 {
		t.Fatalf("failures were cached: %d requests", n)
	}
}

func TestParseSecretARNs(t *testing.T) {
	tests := []struct {
		env     string
		want    int
		wantErr string
	}{
		{"", 0, ""},
		{`{}`, 0, ""},
		{`{"cidaas":"arn:aws:secretsmanager:us-east-1:1:secret:c","salesforce":"sf"}`, 2, ""},
		{`["a"]`, 0, "JSON object"},
		{`{"cidaas":""}`, 0, `"cidaas"`},
		{`{"":"arn"}`, 0, "empty name"},
		{`{"cidaas":1}`, 0, "JSON object"},
	}
	for _, tt := range tests {
		got, err := paws.ParseSecretARNs(tt.env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSecretARNs(%s) err = %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != tt.want {
			t.Errorf("ParseSecretARNs(%s) = %v, %v; want %d entries", tt.env, got, err, tt.want)
		}
	}
}
