package costbench

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// queue is one target's queue and dead-letter queue.
type queue struct{ url, dlq, arn string }

// stack is the deployment's resources in moto, created as template.yaml
// declares them (the state table's key schema, one queue and DLQ per
// target, the claim verifier's queue, the notices bus, one secret per
// source and target holding the sandbox's development secret), and the
// sandbox fakes on 127.0.0.1. Names carry a per-run prefix, so it shares
// moto without Reset.
type stack struct {
	srv        *moto.Server
	direct     *sqs.Client // uncounted: setup and purges
	proxy      *Proxy      // what the functions call
	sandboxURL string
	prefix     string
	queues     map[string]queue // by target, and claims.QueueName
	table      string
	bus        string
	secretARNs map[string]string
	sources    string // SOURCES, as the template sets it
	memoryMB   int    // the functions' MemorySize, as the template sets it
	ingressSet *mapping.Set
	syncSet    *mapping.Set
}

// extraMappings are example mappings deployed beside the shipped ones, so
// every way a connector batches is measured: HubSpot batches upserts, like
// Salesforce, but from an example file.
var extraMappings = []string{"examples/mappings/hubspot.yaml"}

func newStack(b *testing.B) *stack {
	b.Helper()
	srv := moto.Start(b)
	root := moduleRoot(b)
	cfg := srv.AWSConfig(b.Context())
	s := &stack{srv: srv, direct: sqs.NewFromConfig(cfg), prefix: "cb-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		queues: map[string]queue{}, secretARNs: map[string]string{}}
	s.readTemplate(b, filepath.Join(root, "template.yaml"))
	s.loadMappings(b, root)
	s.serveSandbox(b)
	p, err := NewProxy(srv.Endpoint())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	s.proxy = p

	dev := sandbox.DevSecrets(s.sandboxURL)
	sm := secretsmanager.NewFromConfig(cfg)
	names := strings.Split(s.sources, ",")
	for _, m := range s.syncSet.All() {
		names = append(names, m.Secret)
	}
	for _, name := range names {
		value, ok := dev[name]
		if !ok {
			b.Fatalf("sandbox.DevSecrets has no secret %q", name)
		}
		out, err := sm.CreateSecret(b.Context(), &secretsmanager.CreateSecretInput{
			Name: awssdk.String(s.prefix + "/" + name), SecretString: awssdk.String(string(value))})
		if err != nil {
			b.Fatalf("create secret %s: %v", name, err)
		}
		s.secretARNs[name] = *out.ARN
	}
	for _, m := range s.syncSet.All() {
		s.queues[m.Name] = s.createQueue(b, m.Name)
	}
	s.queues[claims.QueueName] = s.createQueue(b, claims.QueueName)
	s.createTable(b, dynamodb.NewFromConfig(cfg))
	s.bus = s.prefix + "-bus"
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(b.Context(), &eventbridge.CreateEventBusInput{Name: &s.bus}); err != nil {
		b.Fatalf("create bus: %v", err)
	}
	s.setEnv(b)
	return s
}

// readTemplate takes SOURCES and MemorySize from the template's Globals.
func (s *stack) readTemplate(b *testing.B, path string) {
	tpl, err := samtemplate.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	fn := mapOf(mapOf(tpl["Globals"])["Function"])
	s.sources, _ = mapOf(mapOf(fn["Environment"])["Variables"])["SOURCES"].(string)
	switch v := fn["MemorySize"].(type) {
	case int:
		s.memoryMB = v
	case float64:
		s.memoryMB = int(v)
	}
	if s.sources == "" || s.memoryMB == 0 {
		b.Fatalf("template Globals: SOURCES %q, MemorySize %d", s.sources, s.memoryMB)
	}
}

// loadMappings is the embedded mappings plus extraMappings, loaded for
// routing (the ingress's loader) and for delivery (plugins.All's).
func (s *stack) loadMappings(b *testing.B, root string) {
	load := func(l mapping.Loader) *mapping.Set {
		set, err := l.LoadFS(mappings.FS, ".")
		if err != nil {
			b.Fatal(err)
		}
		all := set.All()
		for _, f := range extraMappings {
			data, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				b.Fatal(err)
			}
			m, err := l.Parse(filepath.Base(f), data)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, m)
		}
		return mapping.NewSet(all...)
	}
	s.ingressSet = load(wiring.Plugins{}.Loader())
	s.syncSet = load(plugins.All.Loader())
}

func (s *stack) serveSandbox(b *testing.B) {
	sb, err := sandbox.New()
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	b.Cleanup(func() { _ = hs.Close() })
	s.sandboxURL = "http://" + ln.Addr().String()
}

func (s *stack) createQueue(b *testing.B, name string) queue {
	ctx := b.Context()
	dlq, err := s.direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(s.prefix + "-" + name + "-dlq")})
	if err != nil {
		b.Fatalf("create dlq %s: %v", name, err)
	}
	attrs, err := s.direct.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		b.Fatal(err)
	}
	policy, _ := json.Marshal(map[string]string{"deadLetterTargetArn": attrs.Attributes["QueueArn"], "maxReceiveCount": "202"})
	q, err := s.direct.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(s.prefix + "-" + name),
		Attributes: map[string]string{"VisibilityTimeout": "185", "RedrivePolicy": string(policy)}})
	if err != nil {
		b.Fatalf("create queue %s: %v", name, err)
	}
	qa, err := s.direct.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		b.Fatal(err)
	}
	return queue{url: *q.QueueUrl, dlq: *dlq.QueueUrl, arn: qa.Attributes["QueueArn"]}
}

// createTable creates the state table with template.yaml's key schema.
func (s *stack) createTable(b *testing.B, db *dynamodb.Client) {
	s.table = s.prefix + "-state"
	_, err := db.CreateTable(b.Context(), &dynamodb.CreateTableInput{
		TableName:   awssdk.String(s.table),
		BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: awssdk.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: awssdk.String("pk"), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: awssdk.String("sk"), KeyType: dbtypes.KeyTypeRange},
		},
	})
	if err != nil {
		b.Fatalf("create table: %v", err)
	}
}

// setEnv gives this process the environment template.yaml gives the
// functions, aimed at the counting proxy; the per-target variables are set
// when each sync function is built.
func (s *stack) setEnv(b *testing.B) {
	for _, kv := range s.srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	b.Setenv("AWS_ENDPOINT_URL", s.proxy.URL())
	b.Setenv("AWS_SESSION_TOKEN", "")
	b.Setenv("AWS_MAX_ATTEMPTS", "")
	b.Setenv("BODY_BUCKET", "") // only oversized envelopes use it
	b.Setenv(egress.EnvAllowLoopback, "true")
	b.Setenv(egress.EnvAllowHTTPHosts, "127.0.0.1")
	b.Setenv("SOURCES", s.sources)
	arns, _ := json.Marshal(s.secretARNs)
	b.Setenv("SECRET_ARNS", string(arns))
	urls := map[string]string{}
	for name, q := range s.queues {
		urls[name] = q.url
	}
	qu, _ := json.Marshal(urls)
	b.Setenv("QUEUE_URLS", string(qu))
}

// purge empties the queues, uncounted.
func (s *stack) purge(b *testing.B) {
	for name, q := range s.queues {
		if _, err := s.direct.PurgeQueue(b.Context(), &sqs.PurgeQueueInput{QueueUrl: awssdk.String(q.url)}); err != nil {
			b.Fatalf("purge %s: %v", name, err)
		}
	}
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// moduleRoot is the directory of go.mod, found upwards from the package.
func moduleRoot(b *testing.B) string {
	dir, err := os.Getwd()
	if err != nil {
		b.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			b.Fatal("go.mod not found")
		}
		dir = parent
	}
}
