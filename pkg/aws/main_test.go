package aws_test

import (
	"context"
	"net/http"
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
