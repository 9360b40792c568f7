package lambdatest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

// stack is template.yaml's resources stood up in moto: every *SecretArn
// parameter a secret holding the sandbox's development secret, every queue
// and table created with the template's properties, and the sandbox fakes
// served on 127.0.0.1. Names carry a random prefix, so tests share the moto
// server without Reset (which would wipe other tests' resources).
type stack struct {
	moto       *moto.Server
	aws        awssdk.Config
	sqs        *sqs.Client
	dynamo     *dynamodb.Client
	tpl        map[string]any
	prefix     string
	sandbox    *sandbox.Sandbox
	sandboxURL string
	refs       map[string]string // Ref value of parameters, pseudo parameters and resources
	attrs      map[string]string // Fn::GetAtt values, "Logical.Attr"
	queueARNs  map[string]string // queue URL → ARN
}

func newStack(t *testing.T) *stack {
	t.Helper()
	srv := moto.Start(t)
	tpl, err := samtemplate.Load(filepath.Join(moduleRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.AWSConfig(t.Context())
	s := &stack{
		moto: srv, aws: cfg, sqs: sqs.NewFromConfig(cfg), dynamo: dynamodb.NewFromConfig(cfg),
		tpl: tpl, prefix: "lt-" + randomHex(4),
		refs: map[string]string{
			"AWS::Region": moto.Region, "AWS::AccountId": moto.AccountID, "AWS::URLSuffix": "amazonaws.com",
		},
		attrs:     map[string]string{},
		queueARNs: map[string]string{},
	}
	s.serveSandbox(t)
	s.createSecrets(t)
	s.createResources(t)
	return s
}

func (s *stack) serveSandbox(t *testing.T) {
	t.Helper()
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	s.sandbox, s.sandboxURL = sb, "http://"+ln.Addr().String()
}

// createSecrets takes parameter defaults, and creates one secret per
// "<LogicalID>SecretArn" parameter from sandbox.DevSecrets under the
// secret's name (CidaasSecretArn → "cidaas", ClaimsApiSecretArn →
// "claims-api"), as SECRET_ARNS keys them.
func (s *stack) createSecrets(t *testing.T) {
	t.Helper()
	dev := sandbox.DevSecrets(s.sandboxURL)
	byID := map[string]string{}
	for name := range dev {
		byID[samgen.LogicalID(name)] = name
	}
	client := secretsmanager.NewFromConfig(s.aws)
	params := mapOf(s.tpl["Parameters"])
	for _, name := range sortedKeys(params) {
		p := mapOf(params[name])
		if d, ok := p["Default"]; ok {
			s.refs[name] = fmt.Sprint(d)
		}
		base, ok := strings.CutSuffix(name, "SecretArn")
		if !ok {
			continue
		}
		secret := byID[base]
		value, ok := dev[secret]
		if !ok {
			t.Fatalf("template parameter %s: sandbox.DevSecrets has no secret whose logical id is %q", name, base)
		}
		out, err := client.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
			Name: awssdk.String(s.prefix + "/" + secret), SecretString: awssdk.String(string(value)),
		})
		if err != nil {
			t.Fatalf("create secret %s: %v", secret, err)
		}
		s.refs[name] = *out.ARN
	}
}

// createGeneratedSecret creates a secret the template has CloudFormation
// generate (the sync-log key): {"<GenerateStringKey>": random}.
func (s *stack) createGeneratedSecret(t *testing.T, id string, gen map[string]any) {
	t.Helper()
	key, _ := gen["GenerateStringKey"].(string)
	if key == "" {
		t.Fatalf("secret %s: only generated secrets (GenerateSecretString.GenerateStringKey) are supported here", id)
	}
	value, _ := json.Marshal(map[string]string{key: randomHex(32)})
	out, err := secretsmanager.NewFromConfig(s.aws).CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
		Name: awssdk.String(s.prefix + "/" + id), SecretString: awssdk.String(string(value)),
	})
	if err != nil {
		t.Fatalf("create secret %s: %v", id, err)
	}
	s.refs[id] = *out.ARN
}

// functionEnv is the environment template.yaml gives the function id
// (Globals merged with its own), every intrinsic resolved against the stack.
func (s *stack) functionEnv(t *testing.T, id string) map[string]string {
	t.Helper()
	fn := mapOf(mapOf(s.tpl["Resources"])[id])
	if fn["Type"] != "AWS::Serverless::Function" {
		t.Fatalf("template.yaml has no function %s", id)
	}
	global := mapOf(mapOf(mapOf(mapOf(s.tpl["Globals"])["Function"])["Environment"])["Variables"])
	own := mapOf(mapOf(mapOf(fn["Properties"])["Environment"])["Variables"])
	env := map[string]string{}
	for _, vars := range []map[string]any{global, own} {
		for k, v := range vars {
			env[k] = s.resolve(t, v)
		}
	}
	// The fakes listen on loopback over http; a deployed function's
	// template sets neither allowance.
	env[egress.EnvAllowHTTPHosts], env[egress.EnvAllowLoopback] = "127.0.0.1", "true"
	return env
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

// resolve evaluates the intrinsics template.yaml uses in the values the
// tests need: Ref, Fn::GetAtt, Fn::Sub (string form) and Fn::Join.
func (s *stack) resolve(t *testing.T, v any) string {
	t.Helper()
	out, err := s.eval(v)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	return out
}

func (s *stack) eval(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int, float64, bool:
		return fmt.Sprint(v), nil
	case map[string]any:
		switch {
		case v["Ref"] != nil:
			return s.lookup(s.refs, fmt.Sprint(v["Ref"]))
		case v["Fn::GetAtt"] != nil:
			if l := listOf(v["Fn::GetAtt"]); len(l) == 2 {
				return s.lookup(s.attrs, fmt.Sprint(l[0])+"."+fmt.Sprint(l[1]))
			}
			return s.lookup(s.attrs, fmt.Sprint(v["Fn::GetAtt"]))
		case v["Fn::Sub"] != nil:
			str, ok := v["Fn::Sub"].(string)
			if !ok {
				return "", errors.New("Fn::Sub: only the string form is supported here")
			}
			var errs []error
			out := subVar.ReplaceAllStringFunc(str, func(m string) string {
				name := subVar.FindStringSubmatch(m)[1]
				table := s.refs
				if strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::") {
					table = s.attrs
				}
				r, err := s.lookup(table, name)
				errs = append(errs, err)
				return r
			})
			return out, errors.Join(errs...)
		case v["Fn::Join"] != nil:
			args := listOf(v["Fn::Join"])
			if len(args) != 2 {
				return "", fmt.Errorf("Fn::Join: want [separator, list], got %v", v["Fn::Join"])
			}
			var parts []string
			for _, item := range listOf(args[1]) {
				p, err := s.eval(item)
				if err != nil {
					return "", err
				}
				parts = append(parts, p)
			}
			return strings.Join(parts, fmt.Sprint(args[0])), nil
		}
	}
	return "", fmt.Errorf("cannot evaluate %#v", v)
}

func (s *stack) lookup(table map[string]string, name string) (string, error) {
	v, ok := table[name]
	if !ok {
		return "", fmt.Errorf("%s is not stood up by the test stack (add it to newStack)", name)
	}
	return v, nil
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

func listOf(v any) []any { l, _ := v.([]any); return l }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
