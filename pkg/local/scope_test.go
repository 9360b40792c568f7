package local

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
)

// TestPollCommitsStatesWithDeletes: a poll's state writes are read back
// within the poll (the second event of a subject sees the first's
// state), and land with the deletes.
func TestPollCommitsStatesWithDeletes(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	st := NewState(q.db)
	send(t, q, "t", msgs(2))
	t0 := time.Unix(1_800_000_000, 0).UTC()
	var seen []bool
	p := &Poller{Queues: q, Target: "t", Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		for i := range ev.Records {
			_, found, err := st.Get(ctx, "t", "sub-1")
			if err != nil {
				return events.SQSEventResponse{}, err
			}
			seen = append(seen, found)
			if err := st.Put(ctx, "t", "sub-1", delivery.State{LastEventAt: t0.Add(time.Duration(i) * time.Second), Hash: "h"}); err != nil {
				return events.SQSEventResponse{}, err
			}
		}
		// Not yet committed: another connection does not see it.
		if _, found, err := st.Get(context.Background(), "t", "sub-1"); err != nil || found {
			t.Errorf("state visible before the poll committed (found %v, err %v)", found, err)
		}
		return events.SQSEventResponse{}, nil
	}}
	if n, err := p.PollOnce(context.Background()); err != nil || n != 2 {
		t.Fatalf("PollOnce: %d, %v", n, err)
	}
	if len(seen) != 2 || seen[0] || !seen[1] {
		t.Errorf("state found before each Put: %v, want [false true]", seen)
	}
	got, found, err := st.Get(context.Background(), "t", "sub-1")
	if err != nil || !found || !got.LastEventAt.Equal(t0.Add(time.Second)) {
		t.Errorf("state after the poll: %+v %v %v, want the second event's", got, found, err)
	}
	if d := depthOf(t, q, "t"); d != (depth{}) {
		t.Errorf("depth after the poll: %+v, want the batch deleted", d)
	}
}

// TestPollStaleAndLostStates: a Put older than the stored state is
// refused at once; one overtaken by a newer state between its check and
// the commit deletes nothing, so the batch is delivered again.
func TestPollStaleAndLostStates(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	st := NewState(q.db)
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0).UTC()
	if err := st.Put(ctx, "t", "old", delivery.State{LastEventAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	send(t, q, "t", msgs(1))
	var staleErr error
	p := &Poller{Queues: q, Target: "t", Handler: func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		staleErr = st.Put(ctx, "t", "old", delivery.State{LastEventAt: t0})
		if err := st.Put(ctx, "t", "raced", delivery.State{LastEventAt: t0}); err != nil {
			return events.SQSEventResponse{}, err
		}
		// A newer state lands outside the poll before it commits.
		if err := st.Put(context.Background(), "t", "raced", delivery.State{LastEventAt: t0.Add(time.Minute), Hash: "newer"}); err != nil {
			return events.SQSEventResponse{}, err
		}
		return events.SQSEventResponse{}, nil
	}}
	if _, err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(staleErr, delivery.ErrStaleState) {
		t.Errorf("Put older than the stored state: %v, want ErrStaleState", staleErr)
	}
	if got, _, _ := st.Get(ctx, "t", "raced"); got.Hash != "newer" {
		t.Errorf("raced state %+v, want the newer one kept", got)
	}
	if d := depthOf(t, q, "t"); d.inFlight != 1 {
		t.Errorf("depth %+v: the overtaken batch must stay, to be delivered again", d)
	}
}

// TestOneCommit: a webhook's writes are committed together before its
// answer; when the commit fails the answer is 503 and nothing is kept.
func TestOneCommit(t *testing.T) {
	q := newQueues(t, QueueConfig{Target: "t"})
	arch := NewArchive(q.db)
	fail := false
	h := OneCommit(q.db, func(ctx context.Context, _ events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if err := q.SendBatch(ctx, "t", msgs(1)); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := arch.Archive(ctx, []ingress.ArchivedEvent{{}}); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if fail {
			_ = q.db.deferWrite(ctx, func(*sql.Tx) error { return errors.New("disk full") })
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusAccepted}, nil
	})
	fail = true
	resp, err := h(context.Background(), events.APIGatewayV2HTTPRequest{})
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("failed commit answered %d, %v; want 503", resp.StatusCode, err)
	}
	if d := depthOf(t, q, "t"); d != (depth{}) {
		t.Errorf("failed commit kept messages: %+v", d)
	}
	fail = false
	resp, err = h(context.Background(), events.APIGatewayV2HTTPRequest{})
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("answered %d, %v", resp.StatusCode, err)
	}
	if d := depthOf(t, q, "t"); d.visible != 1 {
		t.Errorf("depth %+v after an accepted webhook, want its message", d)
	}
	var archived int
	if err := q.db.sql.QueryRow(`select count(*) from event_archive`).Scan(&archived); err != nil || archived != 1 {
		t.Errorf("archived %d (%v), want only the accepted webhook's event", archived, err)
	}
}

// TestReceiveWalksTheQueueIndex: the receive's look for candidates walks
// goqite's (queue, priority, created) index and never sorts the backlog.
func TestReceiveWalksTheQueueIndex(t *testing.T) {
	db := openDB(t, t.TempDir())
	rows, err := db.sql.Query(`explain query plan `+candidatesSQL, "t", goqiteTime(time.Now()), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "\n"
	}
	if !strings.Contains(plan, "goqite_queue_priority_created_idx") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("candidate plan:\n%s", plan)
	}
}

// TestPollsSeeEachOthersPendingStates: a batch reads another batch's
// state write that is not committed yet, so it cannot send an older event
// after the newer one that batch delivered; once that batch commits, or
// fails to, its write is no longer pending.
func TestPollsSeeEachOthersPendingStates(t *testing.T) {
	db := openDB(t, t.TempDir())
	st := NewState(db)
	t0 := time.Unix(1_800_000_000, 0).UTC()
	ctxA, a := db.withScope(context.Background())
	ctxB, _ := db.withScope(context.Background())
	if err := st.Put(ctxA, "t", "s", delivery.State{LastEventAt: t0.Add(time.Minute), Hash: "newer"}); err != nil {
		t.Fatal(err)
	}
	got, found, err := st.Get(ctxB, "t", "s")
	if err != nil || !found || got.Hash != "newer" {
		t.Fatalf("the other batch reads %+v %v %v, want the pending newer state", got, found, err)
	}
	many, err := st.GetMany(ctxB, "t", []string{"s"})
	if err != nil || many["s"].Hash != "newer" {
		t.Errorf("GetMany: %+v %v, want the pending newer state", many, err)
	}
	if err := st.Put(ctxB, "t", "s", delivery.State{LastEventAt: t0}); !errors.Is(err, delivery.ErrStaleState) {
		t.Errorf("an older Put beside a pending newer one: %v, want ErrStaleState", err)
	}
	if err := a.commit(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.pending.get(stateKey{"t", "s"}); ok {
		t.Error("a committed write is still pending")
	}
	if got, _, _ := st.Get(context.Background(), "t", "s"); got.Hash != "newer" {
		t.Errorf("committed state %+v", got)
	}
	// A failed commit leaves nothing pending either.
	ctxC, c := db.withScope(context.Background())
	if err := st.Put(ctxC, "t", "x", delivery.State{LastEventAt: t0}); err != nil {
		t.Fatal(err)
	}
	_ = db.deferWrite(ctxC, func(*sql.Tx) error { return errors.New("disk full") })
	if err := c.commit(context.Background(), nil); err == nil {
		t.Fatal("commit with a failing write succeeded")
	}
	if _, ok := db.pending.get(stateKey{"t", "x"}); ok {
		t.Error("a rolled-back write is still pending")
	}
	if _, found, _ := st.Get(context.Background(), "t", "x"); found {
		t.Error("a rolled-back state was kept")
	}
}
