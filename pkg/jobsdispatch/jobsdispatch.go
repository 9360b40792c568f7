// Package jobsdispatch is the scheduled jobs Lambda's one handler: the
// function is invoked by two event sources and tells them apart by the
// event's shape. An EventBridge Scheduler schedule invokes it with its
// Input, {"job": "<name>"}, as the whole event; an SQS batch (Records
// from aws:sqs) is the jobs queue, whose messages have the same body: a
// run that stopped at the Lambda's deadline continues there. Anything
// else is refused without being logged.
//
// The runner itself is pkg/wiring/jobsfn; this package only routes
// events to it and answers with the run's summary.
package jobsdispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
)

// Message is a schedule's Input and a continuation's body.
type Message struct {
	Job string `json:"job"`
}

// Summary is the answer to a schedule's invocation: what the run did in
// this invocation. It carries no profile data.
type Summary struct {
	Job      string `json:"job"`
	Run      string `json:"run"`
	Segments int    `json:"segments"`
	Rows     int64  `json:"rows"`
	// Total is the rows the run has written in all its invocations.
	Total    int64 `json:"total_rows"`
	Done     bool  `json:"done"`
	Continue bool  `json:"continue"`
	// Busy: another invocation runs the job; this one did nothing.
	Busy bool `json:"busy,omitempty"`
}

// Handler dispatches the jobs function's invocations.
type Handler struct {
	// Run runs or continues a job (jobsfn.Runner.Run).
	Run func(ctx context.Context, job string) (jobs.Result, error)
	Log *slog.Logger
}

// New is the handler of a built runner.
func New(r *jobsfn.Runner, log *slog.Logger) *Handler {
	return &Handler{Run: r.Run, Log: log}
}

// ErrUnknownEvent is the answer to an event of no shape the function
// serves.
var ErrUnknownEvent = errors.New(`jobs: unknown event shape (want a schedule's {"job": "<name>"} or an SQS batch from the jobs queue)`)

// shape is what tells the event sources apart.
type shape struct {
	Job     *string `json:"job"`
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
}

// Handle serves one invocation.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var s shape
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, ErrUnknownEvent
	}
	switch {
	case s.Job != nil && len(s.Records) == 0:
		if *s.Job == "" {
			return nil, ErrUnknownEvent
		}
		sum, err := h.run(ctx, *s.Job, "schedule")
		if err != nil {
			// The invocation fails: Lambda retries it, then sends it to
			// the jobs dead-letter queue (the template's EventInvokeConfig);
			// the checkpoint keeps what the run committed.
			return nil, err
		}
		return sum, nil
	case len(s.Records) > 0 && s.Records[0].EventSource == "aws:sqs":
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, ErrUnknownEvent
		}
		return h.queue(ctx, ev), nil
	}
	h.log().LogAttrs(ctx, slog.LevelWarn, "jobs: unknown event shape", slog.Int("bytes", len(raw)))
	return nil, ErrUnknownEvent
}

// queue runs each continuation; a message whose run fails is reported
// as a batch item failure, so SQS redelivers it after its visibility
// timeout and dead-letters it after maxReceiveCount.
func (h *Handler) queue(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		var msg Message
		if err := json.Unmarshal([]byte(m.Body), &msg); err != nil || msg.Job == "" {
			// Retrying cannot mend it: to the dead-letter queue at once
			// would need a send; failing it lets the redrive do it.
			h.log().LogAttrs(ctx, slog.LevelError, "jobs: unreadable continuation message", slog.String("message_id", m.MessageId))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if _, err := h.run(ctx, msg.Job, "continuation"); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp
}

func (h *Handler) run(ctx context.Context, job, trigger string) (Summary, error) {
	res, err := h.Run(ctx, job)
	sum := Summary{Job: job, Run: res.Run, Segments: res.Segments, Rows: res.Rows, Total: res.Checkpoint.Rows, Done: res.Done, Continue: res.Continue, Busy: res.Busy}
	attrs := []slog.Attr{slog.String("job", job), slog.String("trigger", trigger), slog.String("run", res.Run),
		slog.Int("segments", res.Segments), slog.Int64("rows", res.Rows), slog.Int64("total_rows", res.Checkpoint.Rows),
		slog.Bool("done", res.Done), slog.Bool("continue", res.Continue)}
	if err != nil {
		h.log().LogAttrs(ctx, slog.LevelError, "jobs: run failed", append(attrs, slog.String("error", err.Error()))...)
		return sum, fmt.Errorf("job %s: run failed", job)
	}
	h.log().LogAttrs(ctx, slog.LevelInfo, "jobs: run", attrs...)
	return sum, nil
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
