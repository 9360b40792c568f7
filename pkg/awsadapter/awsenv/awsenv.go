// Package awsenv is the AWS SDK configuration of code running in a Lambda
// function, read from the environment Lambda gives it, without
// github.com/aws/aws-sdk-go-v2/config. It imports nothing of ProfileSync,
// so an adapter that signs its own AWS calls (the Cognito source) can
// read the function's region and credentials without linking
// pkg/awsadapter; awsadapter.ConfigFromEnv is this package's Config. The
// CLI, which may run on a developer's machine with profiles and SSO, uses
// config.LoadDefaultConfig instead.
package awsenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// Config is the SDK configuration of the Lambda functions, read from the
// environment Lambda gives every function; region, when not empty,
// overrides the environment's. config.LoadDefaultConfig would do the same
// there, but it links shared
// config files, SSO, STS web identity, IMDS and process credentials — four
// more API clients and about 2 MB of every binary that a function never
// uses. What it reads:
//
//   - region: AWS_REGION, else AWS_DEFAULT_REGION (Lambda sets both);
//   - credentials: the execution role's AWS_ACCESS_KEY_ID,
//     AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else a container
//     credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or
//     _RELATIVE_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]);
//   - endpoints: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (SQS,
//     DYNAMODB, SECRETS_MANAGER, EVENTBRIDGE, S3), unless
//     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, with the precedence the SDK
//     gives them (the service clients resolve their own variable);
//   - AWS_MAX_ATTEMPTS and AWS_CA_BUNDLE.
//
// A missing region or a malformed variable is an error here, at init;
// missing credentials are the first call's error, as with the SDK's own
// chain (Lambda always sets them; a tool building a connector without
// calling it needs none).
func Config(region string) (awssdk.Config, error) {
	cfg := awssdk.NewConfig()
	cfg.Region = region
	if cfg.Region == "" {
		cfg.Region = firstEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	}
	if cfg.Region == "" {
		return awssdk.Config{}, ErrNoRegion
	}
	env := Environment{}
	cfg.ConfigSources = []any{env}
	ignore, _, err := env.GetIgnoreConfiguredEndpoints(context.Background())
	if err != nil {
		return awssdk.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" && !ignore {
		cfg.BaseEndpoint = awssdk.String(ep)
	}
	if s := os.Getenv("AWS_MAX_ATTEMPTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return awssdk.Config{}, fmt.Errorf("aws config: AWS_MAX_ATTEMPTS=%q: want a positive integer", s)
		}
		cfg.RetryMaxAttempts = n
	}
	hc, err := httpClient()
	if err != nil {
		return awssdk.Config{}, err
	}
	cfg.HTTPClient = hc
	creds, err := credentialsFromEnv(hc)
	if err != nil {
		return awssdk.Config{}, err
	}
	cfg.Credentials = creds
	return *cfg, nil
}

// ErrNoRegion is Config's error when neither its argument nor the
// environment names a region.
var ErrNoRegion = errors.New("aws config: no region: set AWS_REGION (Lambda sets it)")

// noCredentials refuses every call, saying what to set.
type noCredentials struct{}

func (noCredentials) Retrieve(context.Context) (awssdk.Credentials, error) {
	return awssdk.Credentials{}, errors.New("aws config: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (Lambda sets them from the execution role) or AWS_CONTAINER_CREDENTIALS_FULL_URI")
}

func credentialsFromEnv(hc *awshttp.BuildableClient) (awssdk.CredentialsProvider, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")), nil
	}
	uri := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); uri == "" && rel != "" {
		uri = "http://169.254.170.2" + rel
	}
	if uri == "" {
		return noCredentials{}, nil
	}
	p := endpointcreds.New(uri, func(o *endpointcreds.Options) {
		o.HTTPClient = hc
		o.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		if file := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				b, err := os.ReadFile(file)
				if err != nil {
					return "", fmt.Errorf("read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		}
	})
	return awssdk.NewCredentialsCache(p), nil
}

// httpClient is the SDK's default client, trusting AWS_CA_BUNDLE too
// when it is set (a TLS-inspecting proxy in front of the AWS endpoints).
func httpClient() (*awshttp.BuildableClient, error) {
	hc := awshttp.NewBuildableClient()
	file := os.Getenv("AWS_CA_BUNDLE")
	if file == "" {
		return hc, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("aws config: AWS_CA_BUNDLE: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("aws config: AWS_CA_BUNDLE %s holds no PEM certificate", file)
	}
	return hc.WithTransportOptions(func(tr *http.Transport) {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.RootCAs = pool
	}), nil
}

// Environment is the configuration source the service clients consult for
// their own endpoint variable (AWS_ENDPOINT_URL_SQS, ...), as they consult
// config.EnvConfig when the configuration comes from LoadDefaultConfig.
type Environment struct{}

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SDK ID>, the SDK ID upper
// case with spaces as underscores ("Secrets Manager" → SECRETS_MANAGER).
func (Environment) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	v := os.Getenv(name)
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints reads AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (Environment) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	v := os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if v == "" {
		return false, false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, false, fmt.Errorf("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=%q: want true or false", v)
	}
	return b, true, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
