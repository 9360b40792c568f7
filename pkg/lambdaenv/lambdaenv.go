// Package lambdaenv reads what the deployed functions share from the
// environment template.yaml gives them, and builds the ingress function.
// The sync function's wiring (pkg/stack.SyncFromEnv) builds on it; the
// ingress function imports only this, so it links no connector, no
// delivery state store and no phone normaliser (see pkg/mapping/phone):
// it verifies, routes and enqueues.
//
// The environment:
//
//	SOURCES      comma-separated source names (cidaas,akamai,clerk)
//	SECRET_ARNS  {"<source or target secret name>": "<Secrets Manager ARN>"}
//	QUEUE_URLS   ingress: {"<target>": "<queue URL>"}
//	TARGET       sync: the target this function delivers to
//	STATE_TABLE  sync: the DynamoDB state table
//	QUEUE_URL, DLQ_URL  sync: the function's own queue and dead-letter queue
//	EVENT_BUS    sync, optional: the EventBridge bus for ProfileSynced and
//	             SyncAbandoned notices
//
// plus AWS_REGION, the role's credentials and the endpoint variables that
// awsenv.Config reads, so the same binaries run against local
// implementations of the AWS APIs.
package lambdaenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/awsenv"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
)

// Logger logs JSON to stdout, as Lambda's JSON log format expects.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

// HTTPTimeout bounds every call a function makes to a CIAM or a back-end.
const HTTPTimeout = 20 * time.Second

// Env is what every function reads at init.
type Env struct {
	Mappings *mapping.Set
	Sources  []string
	Secrets  *awsadapter.Secrets
	AWS      awssdk.Config
}

// Loader loads the embedded mappings: pkg/stack.LoadMappings for a
// function that evaluates fields, RoutingMappings for one that only routes.
type Loader func(fsys fs.FS, dir string) (*mapping.Set, error)

// RoutingMappings loads mappings for routing only: no connector settings
// check (the ingress function builds no connector; the sync function, the
// template generator and `profilesync validate` check them) and no phone
// normaliser.
func RoutingMappings(fsys fs.FS, dir string) (*mapping.Set, error) {
	return mapping.LoadFS(fsys, dir, nil)
}

// Load reads the embedded mappings, SOURCES, SECRET_ARNS and the AWS
// configuration.
func Load(load Loader) (Env, error) {
	ms, err := load(mappings.FS, ".")
	if err != nil {
		return Env{}, err
	}
	arns, err := awsadapter.ParseSecretARNs(os.Getenv("SECRET_ARNS"))
	if err != nil {
		return Env{}, fmt.Errorf("SECRET_ARNS: %w", err)
	}
	cfg, err := awsenv.Config("")
	if err != nil {
		return Env{}, err
	}
	secrets := awsadapter.NewSecrets(awsadapter.SecretsManagerOf(secretsmanager.NewFromConfig(cfg)), arns)
	return Env{Mappings: ms, Sources: splitList(os.Getenv("SOURCES")), Secrets: secrets, AWS: cfg}, nil
}

// Ingress builds the ingress function's handler.
func Ingress(ctx context.Context, log *slog.Logger) (*ingress.Handler, error) {
	env, err := Load(RoutingMappings)
	if err != nil {
		return nil, err
	}
	var urls map[string]string
	if err := json.Unmarshal([]byte(os.Getenv("QUEUE_URLS")), &urls); err != nil {
		return nil, fmt.Errorf("QUEUE_URLS: want a JSON object of target to queue URL: %w", err)
	}
	for _, m := range env.Mappings.All() {
		if urls[m.Name] == "" {
			return nil, fmt.Errorf("QUEUE_URLS has no queue for target %q (regenerate template.yaml)", m.Name)
		}
	}
	parsers, _, err := sourcereg.BuildAll(ctx, env.Sources, env.Secrets, &http.Client{Timeout: HTTPTimeout})
	if err != nil {
		return nil, err
	}
	q := awsadapter.NewQueues(awsadapter.SQSOf(sqs.NewFromConfig(env.AWS)), urls)
	return &ingress.Handler{Sources: parsers, Router: env.Mappings, Queue: q, Log: log}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
