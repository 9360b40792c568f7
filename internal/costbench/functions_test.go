package costbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// quietLog is the functions' JSON logger, written nowhere: the handlers
// pay for logging as on Lambda, and the benchmark output stays readable.
func quietLog() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }

// function is a built Lambda handler invoked as the runtime invokes it:
// the event as JSON through lambda.NewHandler, the response back as JSON.
type function struct {
	h lambda.Handler
	// init is what building it cost: the cold start's requests.
	init Counts
}

// usage is the time a function spent in its invocations.
type usage struct {
	invocations int
	wall        time.Duration // what Lambda bills
	cpu         time.Duration // this process's CPU (the handler, plus the in-process sandbox fakes and proxy)
}

func (u *usage) add(o usage) {
	u.invocations += o.invocations
	u.wall += o.wall
	u.cpu += o.cpu
}

func (f *function) invoke(ctx context.Context, event any, u *usage) ([]byte, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return nil, err
	}
	cpu0, t0 := processCPU(), time.Now()
	out, err := f.h.Invoke(ctx, payload)
	u.wall += time.Since(t0)
	u.cpu += processCPU() - cpu0
	u.invocations++
	return out, err
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// buildIngress builds the ingress as functions/ingress does, with the
// stack's mappings.
func (s *stack) buildIngress(b *testing.B) *function {
	before := s.proxy.Counter.Snapshot()
	ports, err := lambdaenv.Ingress(quietLog())
	if err != nil {
		b.Fatal(err)
	}
	ports.Mappings = s.ingressSet
	h, err := wiring.Ingress(b.Context(), ports)
	if err != nil {
		b.Fatal(err)
	}
	return &function{h: lambda.NewHandler(h.Handle), init: s.proxy.Counter.Snapshot().Sub(before)}
}

// getOnly hides a store's batch read: the handler as it was before
// BatchStateReader, one read per message.
type getOnly struct{ delivery.StateStore }

// buildSync builds target's sync function as functions/sync does, with the
// environment template.yaml gives it. batchRead false hides the state
// table's GetMany (the "before" figures).
func (s *stack) buildSync(b *testing.B, target string, batchRead bool) *function {
	q := s.queues[target]
	b.Setenv("TARGET", target)
	b.Setenv("QUEUE_URL", q.url)
	b.Setenv("DLQ_URL", q.dlq)
	b.Setenv("STATE_TABLE", s.table)
	b.Setenv("EVENT_BUS", s.bus)
	before := s.proxy.Counter.Snapshot()
	ports, err := lambdaenv.Sync(quietLog(), plugins.All)
	if err != nil {
		b.Fatal(err)
	}
	ports.Mappings = s.syncSet
	if !batchRead {
		ports.State = getOnly{ports.State}
	}
	h, err := wiring.Sync(b.Context(), ports)
	if err != nil {
		b.Fatal(err)
	}
	return &function{h: lambda.NewHandler(h.Handle), init: s.proxy.Counter.Snapshot().Sub(before)}
}

// poller is the Lambda SQS event source mapping of one sync function: it
// receives up to BatchSize messages (ReceiveMessage takes at most 10 a
// call), invokes the function once with them, and deletes what the
// response does not report failed (DeleteMessageBatch, 10 a call). Its
// requests are the Lambda service's, billed to the account all the same;
// they go through their own Counter.
type poller struct {
	client *sqs.Client
	count  *Counter
	queue  queue
	batch  int
}

func newPoller(b *testing.B, srv *moto.Server, q queue, batch int) *poller {
	c := &Counter{}
	cfg := srv.AWSConfig(b.Context())
	cfg.HTTPClient = c
	return &poller{client: sqs.NewFromConfig(cfg), count: c, queue: q, batch: batch}
}

// drain invokes fn until the queue is empty and returns how often and for
// how long; a message reported failed fails the benchmark (the sandbox
// targets take every change).
func (p *poller) drain(b *testing.B, fn *function) usage {
	ctx := b.Context()
	var u usage
	for {
		var msgs []sqstypes.Message
		for len(msgs) < p.batch {
			out, err := p.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: awssdk.String(p.queue.url), MaxNumberOfMessages: int32(min(10, p.batch-len(msgs))),
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
				MessageAttributeNames:       []string{"All"},
			})
			if err != nil {
				b.Fatalf("receive: %v", err)
			}
			if len(out.Messages) == 0 {
				break
			}
			msgs = append(msgs, out.Messages...)
		}
		if len(msgs) == 0 {
			return u
		}
		out, err := fn.invoke(ctx, p.event(msgs), &u)
		if err != nil {
			b.Fatalf("invoke sync: %v", err)
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			b.Fatalf("sync response %s: %v", out, err)
		}
		if len(resp.BatchItemFailures) > 0 {
			b.Fatalf("%d of %d messages failed", len(resp.BatchItemFailures), len(msgs))
		}
		for from := 0; from < len(msgs); from += 10 {
			var entries []sqstypes.DeleteMessageBatchRequestEntry
			for i, m := range msgs[from:min(from+10, len(msgs))] {
				entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: awssdk.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
			if _, err := p.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: awssdk.String(p.queue.url), Entries: entries}); err != nil {
				b.Fatalf("delete: %v", err)
			}
		}
	}
}

// event is msgs as the event source mapping hands them to the function.
func (p *poller) event(msgs []sqstypes.Message) events.SQSEvent {
	var ev events.SQSEvent
	for _, m := range msgs {
		attrs := map[string]events.SQSMessageAttribute{}
		for k, v := range m.MessageAttributes {
			attrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, DataType: awssdk.ToString(v.DataType)}
		}
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: awssdk.ToString(m.MessageId), ReceiptHandle: awssdk.ToString(m.ReceiptHandle),
			Body: awssdk.ToString(m.Body), Md5OfBody: awssdk.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: awssdk.ToString(m.MD5OfMessageAttributes),
			Attributes:             m.Attributes, MessageAttributes: attrs,
			EventSourceARN: p.queue.arn, EventSource: "aws:sqs", AWSRegion: moto.Region,
		})
	}
	return ev
}

// batchSize is the BatchSize template.yaml gives m's event source.
func batchSize(m *mapping.Mapping) int { return samgen.BatchSize(m) }

// webhook is one signed POST /webhooks/{source} as API Gateway's HTTP API
// (payload 2.0) hands it to the ingress.
func webhook(source string, header map[string][]string, body []byte, n int) events.APIGatewayV2HTTPRequest {
	h := map[string]string{"content-type": "application/json", "content-length": strconv.Itoa(len(body))}
	for k, v := range header {
		h[strings.ToLower(k)] = strings.Join(v, ",")
	}
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /webhooks/{source}", RawPath: "/webhooks/" + source,
		Headers: h, Body: string(body), PathParameters: map[string]string{"source": source},
	}
	req.RequestContext.HTTP.Method = "POST"
	req.RequestContext.HTTP.Path = req.RawPath
	req.RequestContext.RequestID = fmt.Sprintf("cb-%d", n)
	return req
}
