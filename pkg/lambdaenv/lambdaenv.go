// Package lambdaenv reads what a deployed function is given in its
// environment and builds its AWS ports for pkg/wiring: the one thing the
// Lambda composition roots (functions/*) do before they assemble. The
// local stack's counterpart is pkg/devstack.
//
// The environment (template.yaml sets it):
//
//	SOURCES      comma-separated source names (cidaas,akamai,clerk)
//	SECRET_ARNS  {"<source or target secret name>": "<Secrets Manager ARN>"}
//	QUEUE_URLS   ingress: {"<target>": "<queue URL>"}, and "claims": the
//	             claim verifier's queue when there are claim rules
//	TARGET       sync: the target this function delivers to
//	STATE_TABLE  sync: the DynamoDB state table
//	QUEUE_URL, DLQ_URL  sync: the function's own queue and dead-letter queue
//	EVENT_BUS    sync, optional: the EventBridge bus for ProfileSynced and
//	             SyncAbandoned notices
//	SYNC_LOG_TABLE  sync, optional: the DynamoDB table of the per-record
//	             sync log; its key is the secret "sync-log" in SECRET_ARNS.
//	             ingress, optional: the same table, whose erasure ledger
//	             gets every delete pending before it is queued
//	SYNC_LOG_RETENTION_DAYS  sync, optional: days an entry is kept (30)
//	BODY_BUCKET  optional: the S3 bucket of envelopes too large for a queue
//	             message; the ingress writes them, the sync functions read
//	             them. Unset, such an envelope that cannot go thin is
//	             answered 503 at ingress and dead-lettered at sync
//	BODY_KMS_KEY optional: a KMS key for those objects, when the bucket's
//	             default encryption is not to be used
//	ARCHIVE_BUCKET ingress, optional: the S3 bucket of the archive of
//	             accepted events (`profilesync replay`); unset, nothing is
//	             archived
//
// The claim verifier's own variables are listed at Verifier; the Cognito
// trigger's at Cognito.
//
// Every function writes its CloudWatch metrics (pkg/metrics, Embedded
// Metric Format) to stdout beside its JSON log; nothing to configure.
//
// plus AWS_REGION, the role's credentials and the endpoint variables that
// awsadapter.ConfigFromEnv reads, so the same binaries run against local
// implementations of the AWS APIs. It imports no connector: the sync
// function passes the connector registry in as wiring.Plugins.
package lambdaenv

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/source/cognito"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// Logger logs JSON to stdout, as Lambda's JSON log format expects.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

// function reads what every function shares: the embedded mappings
// (loaded with p), SOURCES, SECRET_ARNS, the SDK configuration and the
// egress policy (production, plus the EGRESS_ALLOW_* allowances).
func function(log *slog.Logger, p wiring.Plugins) (wiring.Function, awssdk.Config, error) {
	ms, err := p.LoadMappings(mappings.FS, ".")
	if err != nil {
		return wiring.Function{}, awssdk.Config{}, err
	}
	arns, err := awsadapter.ParseSecretARNs(os.Getenv("SECRET_ARNS"))
	if err != nil {
		return wiring.Function{}, awssdk.Config{}, fmt.Errorf("SECRET_ARNS: %w", err)
	}
	cfg, err := awsadapter.ConfigFromEnv("")
	if err != nil {
		return wiring.Function{}, awssdk.Config{}, err
	}
	policy, err := egress.FromEnv(os.Getenv)
	if err != nil {
		return wiring.Function{}, awssdk.Config{}, err
	}
	secrets := awsadapter.NewSecrets(awsadapter.SecretsManagerOf(secretsmanager.NewFromConfig(cfg)), arns)
	return wiring.Function{Mappings: ms, Sources: splitList(os.Getenv("SOURCES")), Secrets: secrets,
		HTTP: egress.Client(policy, wiring.HTTPTimeout), Log: log, Metrics: os.Stdout}, cfg, nil
}

// Ingress reads the ingress function's environment. It loads the mappings
// and the claim rules for routing only: no settings check, no phone
// normaliser, no authority. When there are claim rules, QUEUE_URLS must
// name the verifier's queue (claims.QueueName) too.
func Ingress(log *slog.Logger) (wiring.IngressPorts, error) {
	fn, cfg, err := function(log, wiring.Plugins{})
	if err != nil {
		return wiring.IngressPorts{}, err
	}
	var urls map[string]string
	if err := json.Unmarshal([]byte(os.Getenv("QUEUE_URLS")), &urls); err != nil {
		return wiring.IngressPorts{}, fmt.Errorf("QUEUE_URLS: want a JSON object of target to queue URL: %w", err)
	}
	for _, m := range fn.Mappings.All() {
		if urls[m.Name] == "" {
			return wiring.IngressPorts{}, fmt.Errorf("QUEUE_URLS has no queue for target %q (regenerate template.yaml)", m.Name)
		}
	}
	rules, err := claims.Loader{}.LoadFS(mappings.FS, claims.RulesDir)
	if err != nil {
		return wiring.IngressPorts{}, err
	}
	if len(rules.All()) > 0 && urls[claims.QueueName] == "" {
		return wiring.IngressPorts{}, fmt.Errorf("QUEUE_URLS has no queue %q for the claim verifier, and there are claim rules (regenerate template.yaml)", claims.QueueName)
	}
	q := awsadapter.NewQueues(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), urls)
	ports := wiring.IngressPorts{Function: fn, Queue: q, Rules: rules}
	b, err := bodies(cfg)
	if err != nil {
		return wiring.IngressPorts{}, err
	}
	if b != nil { // a nil *Bodies in the port would not be "no store"
		ports.Bodies = b
	}
	if bucket := os.Getenv("ARCHIVE_BUCKET"); bucket != "" {
		store, err := awsadapter.NewObjectStore(cfg)
		if err != nil {
			return wiring.IngressPorts{}, err
		}
		ports.Archive = awsadapter.NewS3Archive(store, bucket)
	}
	if t := os.Getenv("SYNC_LOG_TABLE"); t != "" {
		ledger, err := awsadapter.NewIngressLedger(cfg, t)
		if err != nil {
			return wiring.IngressPorts{}, err
		}
		ports.Erasures = ledger
	}
	return ports, nil
}

// Cognito reads the Cognito trigger function's environment: the
// ingress's (QUEUE_URLS, BODY_BUCKET; SOURCES is ignored: the trigger
// reads no webhook source's secret) and COGNITO_USER_POOL_ID, the pool
// whose events it takes, with COGNITO_ENVIRONMENT tagging them.
func Cognito(log *slog.Logger) (wiring.IngressPorts, cognito.Config, error) {
	ports, err := Ingress(log)
	if err != nil {
		return wiring.IngressPorts{}, cognito.Config{}, err
	}
	ports.Sources = nil
	cfg := cognito.Config{UserPoolID: os.Getenv("COGNITO_USER_POOL_ID"), Environment: os.Getenv("COGNITO_ENVIRONMENT")}
	if cfg.UserPoolID == "" {
		return wiring.IngressPorts{}, cognito.Config{}, fmt.Errorf("COGNITO_USER_POOL_ID: required")
	}
	return ports, cfg, nil
}

// bodies is the S3 store named by BODY_BUCKET, or nil when it is unset.
func bodies(cfg awssdk.Config) (*awsadapter.Bodies, error) {
	bucket := os.Getenv("BODY_BUCKET")
	if bucket == "" {
		return nil, nil
	}
	var opts []awsadapter.BodiesOption
	if key := os.Getenv("BODY_KMS_KEY"); key != "" {
		opts = append(opts, awsadapter.WithKMSKey(key))
	}
	store, err := awsadapter.NewObjectStore(cfg)
	if err != nil {
		return nil, err
	}
	return awsadapter.NewBodies(store, bucket, opts...), nil
}

// Sync reads the sync function's environment for $TARGET. Retries are
// scheduled on the function's own queue (ChangeMessageVisibility) and
// abandoned messages go to its DLQ with their reason; SQS's RedrivePolicy
// stays the backstop. The SDK clients reach the adapters as method values
// (awsadapter.DynamoDBOf, ...), which keeps the rest of each AWS API out of
// the binary.
func Sync(log *slog.Logger, p wiring.Plugins) (wiring.SyncPorts, error) {
	fn, cfg, err := function(log, p)
	if err != nil {
		return wiring.SyncPorts{}, err
	}
	target, table := os.Getenv("TARGET"), os.Getenv("STATE_TABLE")
	queueURL, dlqURL := os.Getenv("QUEUE_URL"), os.Getenv("DLQ_URL")
	if target == "" || table == "" || queueURL == "" || dlqURL == "" {
		return wiring.SyncPorts{}, fmt.Errorf("TARGET, STATE_TABLE, QUEUE_URL and DLQ_URL must be set")
	}
	ddb := awsadapter.DynamoDBOf(dynamodb.NewFromConfig(cfg))
	ports := wiring.SyncPorts{
		Function:  fn,
		Plugins:   p,
		Target:    target,
		State:     awsadapter.NewStateTable(ddb, table),
		Queue:     awsadapter.NewRetryQueue(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), queueURL, dlqURL),
		Abandoned: awsadapter.NewAbandonedTable(ddb, table),
	}
	b, err := bodies(cfg)
	if err != nil {
		return wiring.SyncPorts{}, err
	}
	if b != nil {
		ports.Bodies = b
	}
	if bus := os.Getenv("EVENT_BUS"); bus != "" {
		ports.Notifier = awsadapter.NewNotices(awsadapter.EventBridgeOf(eventbridge.NewFromConfig(cfg)), bus)
	}
	if t := os.Getenv("SYNC_LOG_TABLE"); t != "" {
		days, err := optionalInt("SYNC_LOG_RETENTION_DAYS")
		if err != nil {
			return wiring.SyncPorts{}, err
		}
		ports.SyncLog = awsadapter.NewSyncLog(ddb, t, time.Duration(days)*24*time.Hour)
	}
	return ports, nil
}

// optionalInt reads a positive whole number from name; 0 when unset.
func optionalInt(name string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: want a positive whole number, got %q", name, v)
	}
	return n, nil
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

// Base is what every function reads: the mappings (loaded with p), the
// sources, the secrets and the egress policy, and the AWS configuration
// (for the functions in packages of their own, pkg/lambdaenv/verifierenv).
func Base(log *slog.Logger, p wiring.Plugins) (wiring.Function, awssdk.Config, error) {
	return function(log, p)
}

// Bodies is the store of envelopes too large for a queue message
// (BODY_BUCKET), or nil.
func Bodies(cfg awssdk.Config) (*awsadapter.Bodies, error) { return bodies(cfg) }
