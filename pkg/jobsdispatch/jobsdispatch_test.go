package jobsdispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobsdispatch"
)

// schedule is what EventBridge Scheduler sends: the schedule's Input.
const schedule = `{"job":"newsletter"}`

// sqsBatch is a jobs queue batch of continuations.
func sqsBatch(bodies ...string) string {
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m-" + string(rune('1'+i)), EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:profilesync-dev-jobs", Body: b})
	}
	raw, _ := json.Marshal(ev)
	return string(raw)
}

// runner records the jobs run; a job named "broken" fails.
func runner(ran *[]string) *jobsdispatch.Handler {
	return &jobsdispatch.Handler{Run: func(_ context.Context, job string) (jobs.Result, error) {
		*ran = append(*ran, job)
		if job == "broken" {
			return jobs.Result{Run: "r1"}, errors.New("list cidaas: 503 for subject x@example.com")
		}
		return jobs.Result{Run: "20261202T010000Z", Segments: 2, Rows: 150, Continue: true,
			Checkpoint: jobs.Checkpoint{Rows: 350}}, nil
	}}
}

func TestSchedule(t *testing.T) {
	var ran []string
	out, err := runner(&ran).Handle(t.Context(), json.RawMessage(schedule))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	want := `{"job":"newsletter","run":"20261202T010000Z","segments":2,"rows":150,"total_rows":350,"done":false,"continue":true}`
	if string(b) != want || len(ran) != 1 || ran[0] != "newsletter" {
		t.Errorf("ran %v, answered %s; want newsletter and %s", ran, b, want)
	}
	// A failed run fails the invocation (Lambda's retries, then the
	// dead-letter queue), without the run's error text.
	ran = nil
	_, err = runner(&ran).Handle(t.Context(), json.RawMessage(`{"job":"broken"}`))
	if err == nil || len(ran) != 1 {
		t.Fatalf("broken job: ran %v, err %v; want it run and failed", ran, err)
	}
	if got := err.Error(); got != "job broken: run failed" {
		t.Errorf("error %q leaks the run's error", got)
	}
}

func TestQueue(t *testing.T) {
	var ran []string
	out, err := runner(&ran).Handle(t.Context(), json.RawMessage(sqsBatch(`{"job":"newsletter"}`, `{"job":"broken"}`, `not json`, `{"job":""}`)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	want := `{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-3"},{"itemIdentifier":"m-4"}]}`
	if string(b) != want {
		t.Errorf("answer %s, want %s", b, want)
	}
	if len(ran) != 2 || ran[0] != "newsletter" || ran[1] != "broken" {
		t.Errorf("ran %v, want newsletter and broken", ran)
	}
}

func TestUnknownEvents(t *testing.T) {
	for _, bad := range []string{`{}`, `[]`, `"x"`, `{"job":""}`, `{"job":7}`, `{"Records":[{"eventSource":"aws:sns"}]}`,
		`{"version":"0","detail-type":"Scheduled Event","source":"aws.events","detail":{}}`} {
		var ran []string
		if _, err := runner(&ran).Handle(t.Context(), json.RawMessage(bad)); !errors.Is(err, jobsdispatch.ErrUnknownEvent) || len(ran) > 0 {
			t.Errorf("%s: ran %v, %v; want ErrUnknownEvent and nothing run", bad, ran, err)
		}
	}
}
