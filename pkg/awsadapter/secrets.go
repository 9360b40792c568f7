package awsadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DefaultSecretTTL is how long a secret stays cached across warm
// invocations: rotation is picked up within this time, or at once after an
// auth failure through Invalidate.
const DefaultSecretTTL = 5 * time.Minute

// ErrUnknownSecret reports a secret name missing from SECRET_ARNS.
var ErrUnknownSecret = errors.New("secret not configured")

// SecretsManagerAPI is the part of *secretsmanager.Client that Secrets uses.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secrets reads secrets from Secrets Manager by logical name (a source or
// target name such as "cidaas" or "salesforce") and caches them in memory.
// It is safe for concurrent use; concurrent misses for one name share a
// single request.
type Secrets struct {
	client SecretsManagerAPI
	arns   map[string]string
	ttl    time.Duration
	now    func() time.Time

	mu     sync.Mutex
	cached map[string]*secretFetch
}

// secretFetch is one GetSecretValue, in flight until done is closed.
type secretFetch struct {
	done    chan struct{}
	value   []byte
	err     error
	fetched time.Time
}

// SecretsOption configures NewSecrets.
type SecretsOption func(*Secrets)

// WithSecretTTL sets how long a fetched secret is reused (default 5 min).
func WithSecretTTL(ttl time.Duration) SecretsOption { return func(s *Secrets) { s.ttl = ttl } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) SecretsOption { return func(s *Secrets) { s.now = now } }

// NewSecrets returns Secrets resolving names through arns (name → secret ARN
// or name, see ParseSecretARNs).
func NewSecrets(client SecretsManagerAPI, arns map[string]string, opts ...SecretsOption) *Secrets {
	own := make(map[string]string, len(arns))
	for k, v := range arns {
		own[k] = v
	}
	s := &Secrets{client: client, arns: own, ttl: DefaultSecretTTL, now: time.Now, cached: map[string]*secretFetch{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Secret returns the SecretString (or SecretBinary) of the secret called
// name. The returned slice is the caller's own copy.
func (s *Secrets) Secret(ctx context.Context, name string) ([]byte, error) {
	arn, ok := s.arns[name]
	if !ok {
		return nil, fmt.Errorf("secret %q: %w", name, ErrUnknownSecret)
	}
	s.mu.Lock()
	f := s.cached[name]
	if f != nil && f.isStale(s.now(), s.ttl) {
		delete(s.cached, name)
		f = nil
	}
	if f == nil {
		f = &secretFetch{done: make(chan struct{})}
		s.cached[name] = f
		s.mu.Unlock()
		s.fetch(ctx, name, arn, f)
	} else {
		s.mu.Unlock()
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("secret %q: %w", name, ctx.Err())
	}
	if f.err != nil {
		return nil, f.err
	}
	return append([]byte(nil), f.value...), nil
}

// fetch fills f. Failures are not cached: the entry is dropped so the next
// call asks again.
func (s *Secrets) fetch(ctx context.Context, name, arn string, f *secretFetch) {
	defer close(f.done)
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: awssdk.String(arn)})
	switch {
	case err != nil:
		f.err = fmt.Errorf("get secret %q: %w", name, err)
	case out.SecretString != nil:
		f.value = []byte(*out.SecretString)
	default:
		f.value = out.SecretBinary
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.fetched = s.now()
	if f.err != nil && s.cached[name] == f {
		delete(s.cached, name)
	}
}

// isStale reports whether a finished fetch is older than ttl. A fetch in
// flight is never stale: waiting for it is cheaper than a second request.
func (f *secretFetch) isStale(now time.Time, ttl time.Duration) bool {
	select {
	case <-f.done:
		return !now.Before(f.fetched.Add(ttl))
	default:
		return false
	}
}

// Invalidate drops the cached value of name, so the next Secret fetches it
// again. Call it after a back-end refused the credentials (they may have
// been rotated).
func (s *Secrets) Invalidate(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cached, name)
}

// ParseSecretARNs parses the SECRET_ARNS environment variable: a JSON object
// from logical name to secret ARN (or name), e.g.
// {"cidaas":"arn:aws:secretsmanager:...","salesforce":"arn:..."}. An empty
// string means no secrets.
func ParseSecretARNs(env string) (map[string]string, error) {
	out := map[string]string{}
	if env == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(env), &out); err != nil {
		return nil, fmt.Errorf("SECRET_ARNS: want a JSON object of name to secret ARN: %w", err)
	}
	var empty []string
	for k, v := range out {
		if k == "" || v == "" {
			empty = append(empty, fmt.Sprintf("%q", k))
		}
	}
	if len(empty) > 0 {
		sort.Strings(empty)
		return nil, fmt.Errorf("SECRET_ARNS: empty name or ARN for %v", empty)
	}
	return out, nil
}
