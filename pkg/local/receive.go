package local

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"maragu.dev/goqite"
)

// candidatesSQL finds the next visible messages, the oldest first, as
// goqite's ReceiveTx does for one, exhausted ones included (they go to
// the DLQ): one walk of goqite's own index instead of a second index on
// the receive count, which every send and receive would pay to keep.
// The index is named so that SQLite never sorts the backlog instead.
const candidatesSQL = `
	select id, received from goqite indexed by goqite_queue_priority_created_idx
	where queue = ? and ? >= timeout
	order by priority desc, created
	limit ?`

// receiveSQL puts the chosen messages (a JSON array of ids) in flight.
const receiveSQL = `
	update goqite set timeout = ?, received = received + 1
	where queue = ? and id in (select value from json_each(?))
	returning id, body, received, priority, created, rowid`

// The side table's part of a receive, for the ids as one JSON array.
const (
	receivedAttributesSQL = `
		select id, coalesce(attributes, '{}'), coalesce(sent_at, 0), first_received_at
		from queue_message where id in (select value from json_each(?))`
	firstReceiveSQL = `
		update queue_message set first_received_at = ?
		where id in (select value from json_each(?)) and first_received_at is null`
)

// Receive takes up to max visible messages off target's queue, shaped as a
// Lambda SQS event record, and hides them for the visibility timeout. As the
// SQS RedrivePolicy does, a message already received MaxReceiveCount times is
// moved to the DLQ instead of being returned. An empty result means the
// queue has nothing visible.
//
// One transaction of four statements serves the whole batch, whatever its
// size: the look for candidates, the receive, the attributes and the
// first-receive stamps (and the DLQ move, when a message is exhausted).
func (q *Queues) Receive(ctx context.Context, target string, max int) ([]events.SQSMessage, error) {
	t, err := q.target(target)
	if err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, fmt.Errorf("receive from %s: max %d must be at least 1", target, max)
	}
	var out []events.SQSMessage
	err = q.db.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now()
		ids, err := q.candidatesTx(ctx, tx, t, now, max)
		if err != nil || len(ids) == 0 {
			return err
		}
		ms, err := q.receiveTx(ctx, tx, t, now, ids)
		if err != nil || len(ms) == 0 {
			return err
		}
		out, err = q.recordsTx(ctx, tx, t, ms, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("receive from %s: %w", target, err)
	}
	return out, nil
}

// candidate is a visible message and how often it was received.
type candidate struct {
	id       string
	received int
}

// candidatesTx returns the ids (a JSON array) of up to max visible
// messages of t to receive, having moved to the DLQ those received
// MaxReceiveCount times. While a look finds only exhausted messages it
// looks again, so a receive does not come back empty with messages left.
func (q *Queues) candidatesTx(ctx context.Context, tx *sql.Tx, t *targetQueue, now time.Time, max int) (string, error) {
	for {
		cs, err := q.scanCandidatesTx(ctx, tx, t, now, max)
		if err != nil {
			return "", err
		}
		var ids []string
		var exhausted []candidate
		for _, c := range cs {
			if c.received >= t.cfg.MaxReceiveCount {
				exhausted = append(exhausted, c)
				continue
			}
			ids = append(ids, c.id)
		}
		if len(exhausted) > 0 {
			if err := q.moveExhaustedTx(ctx, tx, t, exhausted, now); err != nil {
				return "", err
			}
		}
		if len(ids) > 0 {
			b, err := json.Marshal(ids)
			return string(b), err
		}
		if len(exhausted) == 0 {
			return "", nil
		}
	}
}

// scanCandidatesTx reads candidatesSQL.
func (q *Queues) scanCandidatesTx(ctx context.Context, tx *sql.Tx, t *targetQueue, now time.Time, max int) ([]candidate, error) {
	st, err := q.db.preparedTx(ctx, tx, candidatesSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(inTxCtx(ctx), t.cfg.Target, goqiteTime(now), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.received); err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// received is a message receiveSQL put in flight.
type received struct {
	id       string
	body     []byte
	count    int
	priority int
	created  string // milliseconds: messages sent together tie
	rowid    int64  // then insertion order, as the index orders them
}

// receiveTx puts the messages ids (a JSON array) of t in flight, and
// returns them oldest first.
func (q *Queues) receiveTx(ctx context.Context, tx *sql.Tx, t *targetQueue, now time.Time, ids string) ([]received, error) {
	st, err := q.db.preparedTx(ctx, tx, receiveSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(inTxCtx(ctx), goqiteTime(now.Add(t.cfg.VisibilityTimeout)), t.cfg.Target, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []received
	for rows.Next() {
		var m received
		if err := rows.Scan(&m.id, &m.body, &m.count, &m.priority, &m.created, &m.rowid); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING comes in no promised order; SQS hands the oldest first.
	slices.SortFunc(ms, func(a, b received) int {
		return cmp.Or(cmp.Compare(b.priority, a.priority), cmp.Compare(a.created, b.created), cmp.Compare(a.rowid, b.rowid))
	})
	return ms, nil
}

// sideRow is a message's row in queue_message.
type sideRow struct {
	attrs     string
	sentAt    int64
	firstRecv sql.NullInt64
}

// recordsTx builds the Lambda records of the messages just received and
// stamps the first receive time of those received for the first time.
func (q *Queues) recordsTx(ctx context.Context, tx *sql.Tx, t *targetQueue, ms []received, now time.Time) ([]events.SQSMessage, error) {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.id
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	idsJSON := string(b) // text: SQLite reads a blob as JSONB
	side, err := q.sideRowsTx(ctx, tx, idsJSON)
	if err != nil {
		return nil, err
	}
	nowMs := now.UnixMilli()
	st, err := q.db.preparedTx(ctx, tx, firstReceiveSQL)
	if err != nil {
		return nil, err
	}
	if _, err := st.ExecContext(inTxCtx(ctx), nowMs, idsJSON); err != nil {
		return nil, fmt.Errorf("first receive: %w", err)
	}
	out := make([]events.SQSMessage, len(ms))
	for i, m := range ms {
		r := side[m.id] // a message without a side row has no attributes
		if r.attrs == "" {
			r.attrs = "{}"
		}
		if !r.firstRecv.Valid {
			r.firstRecv = sql.NullInt64{Int64: nowMs, Valid: true}
		}
		if r.sentAt == 0 {
			r.sentAt = nowMs
		}
		var attrs map[string]string
		if err := json.Unmarshal([]byte(r.attrs), &attrs); err != nil {
			return nil, fmt.Errorf("message %s: decode attributes: %w", m.id, err)
		}
		out[i] = events.SQSMessage{
			MessageId:              messageID(goqite.ID(m.id)),
			ReceiptHandle:          encodeReceipt(t.cfg.Target, m.id, m.count),
			Body:                   string(m.body),
			Md5OfBody:              md5Hex(m.body),
			Md5OfMessageAttributes: md5OfAttributes(attrs),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.count),
				"SentTimestamp":                    strconv.FormatInt(r.sentAt, 10),
				"SenderId":                         AccountID,
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(r.firstRecv.Int64, 10),
			},
			MessageAttributes: lambdaAttributes(attrs),
			EventSourceARN:    t.arn,
			EventSource:       "aws:sqs",
			AWSRegion:         Region,
		}
	}
	return out, nil
}

// sideRowsTx reads the queue_message rows of the ids (a JSON array).
func (q *Queues) sideRowsTx(ctx context.Context, tx *sql.Tx, idsJSON string) (map[string]sideRow, error) {
	st, err := q.db.preparedTx(ctx, tx, receivedAttributesSQL)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(inTxCtx(ctx), idsJSON)
	if err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	defer rows.Close()
	side := map[string]sideRow{}
	for rows.Next() {
		var id string
		var r sideRow
		if err := rows.Scan(&id, &r.attrs, &r.sentAt, &r.firstRecv); err != nil {
			return nil, fmt.Errorf("attributes: %w", err)
		}
		side[id] = r
	}
	return side, rows.Err()
}
