package local

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/ingress"
)

func TestSendReceiveDelete(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "hubspot"}, QueueConfig{Target: "brevo"})
	ctx := context.Background()
	before := time.Now().UnixMilli()
	send(t, q, "hubspot", msgs(3))

	got := receive(t, q, "hubspot", 10)
	if len(got) != 3 {
		t.Fatalf("received %d, want 3", len(got))
	}
	for i, m := range got {
		if want := `{"v":1,"n":` + strconv.Itoa(i) + `}`; m.Body != want {
			t.Errorf("record %d body %q, want %q", i, m.Body, want)
		}
		checks := map[string]string{
			"EventSource":             m.EventSource,
			"EventSourceARN":          m.EventSourceARN,
			"AWSRegion":               m.AWSRegion,
			"ApproximateReceiveCount": m.Attributes["ApproximateReceiveCount"],
			"event_type":              *m.MessageAttributes["event_type"].StringValue,
			"DataType":                m.MessageAttributes["event_type"].DataType,
		}
		wants := map[string]string{
			"EventSource":             "aws:sqs",
			"EventSourceARN":          "arn:aws:sqs:local:000000000000:hubspot",
			"AWSRegion":               "local",
			"ApproximateReceiveCount": "1",
			"event_type":              "user.updated",
			"DataType":                "String",
		}
		for k, want := range wants {
			if checks[k] != want {
				t.Errorf("record %d %s = %q, want %q", i, k, checks[k], want)
			}
		}
		for _, a := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
			ms, err := strconv.ParseInt(m.Attributes[a], 10, 64)
			if err != nil || ms < before || ms > time.Now().UnixMilli() {
				t.Errorf("record %d %s = %q, want ms since %d", i, a, m.Attributes[a], before)
			}
		}
		if len(m.MessageId) != 36 || m.ReceiptHandle == "" || m.Md5OfBody != md5Hex([]byte(m.Body)) {
			t.Errorf("record %d ids: %q %q md5 %q", i, m.MessageId, m.ReceiptHandle, m.Md5OfBody)
		}
	}
	if d := depthOf(t, q, "hubspot"); d != (depth{0, 3, 0}) {
		t.Errorf("depth after receive %+v", d)
	}
	if d := depthOf(t, q, "brevo"); d != (depth{}) {
		t.Errorf("other target's depth %+v: queues are not separate", d)
	}
	for _, m := range got {
		if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	if d := depthOf(t, q, "hubspot"); d != (depth{}) {
		t.Errorf("depth after delete %+v", d)
	}
}

func TestUnknownTarget(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "hubspot"})
	ctx := context.Background()
	if err := q.SendBatch(ctx, "nope", msgs(1)); err == nil {
		t.Error("SendBatch to an unknown target succeeded")
	}
	if _, err := q.Receive(ctx, "nope", 1); err == nil {
		t.Error("Receive from an unknown target succeeded")
	}
	if _, _, _, err := q.Depth(ctx, "nope"); err == nil {
		t.Error("Depth of an unknown target succeeded")
	}
}

func TestVisibilityTimeoutRedelivers(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t", VisibilityTimeout: 150 * time.Millisecond})
	send(t, q, "t", msgs(1))
	first := receive(t, q, "t", 1)
	if len(first) != 1 {
		t.Fatalf("received %d, want 1", len(first))
	}
	if again := receive(t, q, "t", 1); len(again) != 0 {
		t.Fatalf("message visible during its visibility timeout")
	}
	var second []events.SQSMessage
	eventually(t, "redelivery", func() bool {
		second = receive(t, q, "t", 1)
		return len(second) == 1
	})
	if second[0].MessageId != first[0].MessageId {
		t.Errorf("message id changed: %s then %s", first[0].MessageId, second[0].MessageId)
	}
	if second[0].ReceiptHandle == first[0].ReceiptHandle {
		t.Error("receipt handle reused across receives")
	}
	if got := second[0].Attributes["ApproximateReceiveCount"]; got != "2" {
		t.Errorf("ApproximateReceiveCount %s, want 2", got)
	}
	if a, b := first[0].Attributes["ApproximateFirstReceiveTimestamp"], second[0].Attributes["ApproximateFirstReceiveTimestamp"]; a != b {
		t.Errorf("ApproximateFirstReceiveTimestamp changed: %s then %s", a, b)
	}
	// The stale receipt deletes nothing (SQS's rule); the fresh one does.
	ctx := context.Background()
	if err := q.Delete(ctx, first[0].ReceiptHandle); err != nil {
		t.Fatalf("Delete with stale receipt: %v", err)
	}
	if d := depthOf(t, q, "t"); d != (depth{0, 1, 0}) {
		t.Fatalf("stale receipt deleted the message: %+v", d)
	}
	if err := q.ChangeVisibility(ctx, first[0].ReceiptHandle, 0); !errors.Is(err, ErrNotInFlight) {
		t.Errorf("ChangeVisibility with stale receipt: %v, want ErrNotInFlight", err)
	}
	if err := q.Delete(ctx, second[0].ReceiptHandle); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if d := depthOf(t, q, "t"); d != (depth{}) {
		t.Errorf("depth after delete %+v", d)
	}
}

func TestChangeVisibility(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	ctx := context.Background()
	send(t, q, "t", msgs(1))
	m := receive(t, q, "t", 1)[0]
	if err := q.ChangeVisibility(ctx, m.ReceiptHandle, 0); err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	again := receive(t, q, "t", 1)
	if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after visibility 0: %+v", again)
	}
	if err := q.ChangeVisibility(ctx, again[0].ReceiptHandle, 13*time.Hour); err == nil {
		t.Error("visibility over 12h accepted")
	}
	if err := q.ChangeVisibility(ctx, "not-a-receipt", 0); err == nil {
		t.Error("malformed receipt accepted")
	}
}

func TestRedriveToDLQAfterMaxReceiveCount(t *testing.T) {
	for _, maxReceive := range []int{1, 3, 5} {
		t.Run(strconv.Itoa(maxReceive), func(t *testing.T) {
			q := newQueues(t, QueueConfig{Target: "sf", MaxReceiveCount: maxReceive})
			ctx := context.Background()
			send(t, q, "sf", msgs(1))
			for i := 1; i <= maxReceive; i++ {
				got := receive(t, q, "sf", 10)
				if len(got) != 1 {
					t.Fatalf("receive %d: got %d messages", i, len(got))
				}
				if c := got[0].Attributes["ApproximateReceiveCount"]; c != strconv.Itoa(i) {
					t.Fatalf("receive %d: ApproximateReceiveCount %s", i, c)
				}
				if err := q.ChangeVisibility(ctx, got[0].ReceiptHandle, 0); err != nil {
					t.Fatal(err)
				}
			}
			if got := receive(t, q, "sf", 10); len(got) != 0 {
				t.Fatalf("receive %d returned the message, want it moved to the DLQ", maxReceive+1)
			}
			if d := depthOf(t, q, "sf"); d != (depth{0, 0, 1}) {
				t.Fatalf("depth %+v, want only the DLQ", d)
			}
			dl, err := q.ListDLQ(ctx, "sf")
			if err != nil || len(dl) != 1 {
				t.Fatalf("ListDLQ: %v %+v", err, dl)
			}
			d := dl[0]
			if d.Reason != ReasonMaxReceive || d.Attempts != maxReceive || d.SourceARN != "arn:aws:sqs:local:000000000000:sf" ||
				string(d.Body) != `{"v":1,"n":0}` || d.Attributes["event_type"] != "user.updated" ||
				d.SentAt.IsZero() || d.FirstReceivedAt.IsZero() || d.MovedAt.Before(d.FirstReceivedAt) {
				t.Errorf("dead letter %+v", d)
			}
		})
	}
}

func TestRedriveFromDLQ(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "sf", MaxReceiveCount: 1})
	ctx := context.Background()
	send(t, q, "sf", msgs(2))
	for _, m := range receive(t, q, "sf", 10) {
		if err := q.ChangeVisibility(ctx, m.ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
	}
	receive(t, q, "sf", 10) // moves both
	dl, _ := q.ListDLQ(ctx, "sf")
	if len(dl) != 2 {
		t.Fatalf("DLQ holds %d, want 2", len(dl))
	}
	n, err := q.Redrive(ctx, "sf")
	if err != nil || n != 2 {
		t.Fatalf("Redrive = %d, %v", n, err)
	}
	if d := depthOf(t, q, "sf"); d != (depth{2, 0, 0}) {
		t.Fatalf("depth after redrive %+v", d)
	}
	got := receive(t, q, "sf", 10)
	if len(got) != 2 {
		t.Fatalf("received %d after redrive", len(got))
	}
	for _, m := range got {
		if m.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("receive count not reset: %s", m.Attributes["ApproximateReceiveCount"])
		}
		if m.MessageId != dl[0].ID && m.MessageId != dl[1].ID {
			t.Errorf("message id %s changed by redrive", m.MessageId)
		}
		if *m.MessageAttributes["event_type"].StringValue != "user.updated" {
			t.Error("attributes lost by redrive")
		}
	}
	if n, err := q.Redrive(ctx, "sf"); err != nil || n != 0 {
		t.Errorf("second Redrive = %d, %v", n, err)
	}
}

func TestSendToDLQ(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "sf"})
	ctx := context.Background()
	send(t, q, "sf", msgs(1))
	m := receive(t, q, "sf", 1)[0]
	if err := q.SendToDLQ(ctx, "sf", m, "permanent: 400 INVALID_EMAIL"); err != nil {
		t.Fatalf("SendToDLQ: %v", err)
	}
	// The handler then reports success; the delete must not touch the DLQ.
	if err := q.Delete(ctx, m.ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	// A copy of a message no longer on the queue is stored too.
	gone := m
	gone.MessageId = "00000000-0000-4000-8000-000000000000"
	if err := q.SendToDLQ(ctx, "sf", gone, "permanent: copy"); err != nil {
		t.Fatalf("SendToDLQ copy: %v", err)
	}
	dl, err := q.ListDLQ(ctx, "sf")
	if err != nil || len(dl) != 2 {
		t.Fatalf("ListDLQ: %v %+v", err, dl)
	}
	if dl[0].ID != m.MessageId || dl[0].Reason != "permanent: 400 INVALID_EMAIL" || dl[0].Attempts != 1 {
		t.Errorf("moved dead letter %+v", dl[0])
	}
	if dl[1].Reason != "permanent: copy" || dl[1].Attempts != 1 || string(dl[1].Body) != m.Body || dl[1].Attributes["n"] != "0" {
		t.Errorf("copied dead letter %+v", dl[1])
	}
	if d := depthOf(t, q, "sf"); d != (depth{0, 0, 2}) {
		t.Errorf("depth %+v", d)
	}
}

func TestSendBatchValidation(t *testing.T) {
	long := strings.Repeat("x", 81)
	manyAttrs := map[string]string{}
	for i := range 11 {
		manyAttrs["a"+strconv.Itoa(i)] = "v"
	}
	tests := []struct {
		name string
		msgs []ingress.Message
	}{
		{"duplicate id", []ingress.Message{{ID: "a", Body: []byte("1")}, {ID: "a", Body: []byte("2")}}},
		{"bad id", []ingress.Message{{ID: "a b", Body: []byte("1")}}},
		{"long id", []ingress.Message{{ID: long, Body: []byte("1")}}},
		{"empty body", []ingress.Message{{ID: "a"}}},
		{"control character", []ingress.Message{{ID: "a", Body: []byte("x\x00")}}},
		{"invalid utf-8", []ingress.Message{{ID: "a", Body: []byte{0xff}}}},
		{"eleven attributes", []ingress.Message{{ID: "a", Body: []byte("1"), Attributes: manyAttrs}}},
		{"duplicate default id", []ingress.Message{{Body: []byte("1")}, {ID: "m1", Body: []byte("2")}}},
		{"over 1 MiB", []ingress.Message{{ID: "a", Body: bytes.Repeat([]byte("x"), 1<<20), Attributes: map[string]string{"k": "v"}}}},
		{"reserved attribute", []ingress.Message{{ID: "a", Body: []byte("1"), Attributes: map[string]string{"AWS.x": "v"}}}},
	}
	q := newQueues(t, QueueConfig{Target: "t"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			batch := append([]ingress.Message{{ID: "ok", Body: []byte("fine")}}, tc.msgs...)
			if err := q.SendBatch(context.Background(), "t", batch); err == nil {
				t.Fatal("SendBatch accepted an invalid batch")
			}
			if d := depthOf(t, q, "t"); d != (depth{}) {
				t.Fatalf("invalid batch partly stored: %+v", d)
			}
		})
	}
}

func TestSendBatchIsAtomic(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	// A failure inside the transaction, after the first insert succeeded.
	if _, err := q.db.sql.Exec(`create trigger poison before insert on goqite
		when new.body = cast('poison' as blob) begin select raise(abort, 'poison message'); end`); err != nil {
		t.Fatal(err)
	}
	batch := msgs(3)
	batch[2].Body = []byte("poison")
	if err := q.SendBatch(context.Background(), "t", batch); err == nil || !strings.Contains(err.Error(), "poison") {
		t.Fatalf("SendBatch = %v, want the poison error", err)
	}
	if d := depthOf(t, q, "t"); d != (depth{}) {
		t.Fatalf("failed batch partly stored: %+v", d)
	}
	var meta int
	if err := q.db.sql.QueryRow(`select count(*) from queue_message`).Scan(&meta); err != nil || meta != 0 {
		t.Fatalf("attributes of a failed batch stored: %d %v", meta, err)
	}
}

func TestNewQueuesRejects(t *testing.T) {
	db := openDB(t, t.TempDir())
	tests := map[string][]QueueConfig{
		"bad name":        {{Target: "a b"}},
		"long name":       {{Target: strings.Repeat("a", 77)}},
		"duplicate":       {{Target: "a"}, {Target: "a"}},
		"dlq clash":       {{Target: "a"}, {Target: "a-dlq"}},
		"negative max":    {{Target: "a", MaxReceiveCount: -1}},
		"long visibility": {{Target: "a", VisibilityTimeout: 13 * time.Hour}},
	}
	for name, cfgs := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := NewQueues(db, cfgs...); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	q, err := NewQueues(db, QueueConfig{Target: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := q.Config("a"); c.VisibilityTimeout != DefaultVisibilityTimeout || c.MaxReceiveCount != DefaultMaxReceiveCount {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestSendBatchNormalizesAsTheSQSAdapter(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	send(t, q, "t", []ingress.Message{
		{Body: []byte("a"), Attributes: map[string]string{"kept": "v", "empty": ""}},
		{Body: []byte("b")},
	})
	got := receive(t, q, "t", 10)
	if len(got) != 2 {
		t.Fatalf("received %d, want 2 (empty ids default to m<i>)", len(got))
	}
	if _, ok := got[0].MessageAttributes["empty"]; ok || len(got[0].MessageAttributes) != 1 {
		t.Errorf("attributes %v: empty values are dropped, as SQS requires", got[0].MessageAttributes)
	}
	if got[0].Md5OfMessageAttributes == "" || got[1].Md5OfMessageAttributes != "" {
		t.Errorf("md5 of attributes %q / %q", got[0].Md5OfMessageAttributes, got[1].Md5OfMessageAttributes)
	}
}
