package awsadapter_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/profilesync/profilesync/internal/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

// countingHTTP counts the requests an SDK client sends, to prove a cache hit
// made none.
type countingHTTP struct {
	n    atomic.Int32
	next awssdk.HTTPClient
}

func newCountingHTTP() *countingHTTP { return &countingHTTP{next: awshttp.NewBuildableClient()} }

func (c *countingHTTP) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.Do(r)
}

func (c *countingHTTP) Count() int { return int(c.n.Load()) }

func ctxFor(t *testing.T) context.Context { return t.Context() }

// isolateEnv gives the code under test moto's environment and no shared
// files, as a Lambda aimed at a local endpoint would see it.
func isolateEnv(t *testing.T, srv *moto.Server) {
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_PROFILE", "")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
