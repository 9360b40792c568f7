package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"maragu.dev/goqite"
)

// DeadLetter is a message in a target's DLQ, with why and when it got there.
type DeadLetter struct {
	ID         string // the SQS-style message id it had on the source queue
	Body       []byte
	Attributes map[string]string
	// Reason is ReasonMaxReceive for a message the redrive policy moved, or
	// the reason a caller gave SendToDLQ.
	Reason string
	// SourceARN is the queue the message came from (SQS's
	// DeadLetterQueueSourceArn).
	SourceARN string
	// Attempts is how many times the message was delivered.
	Attempts        int
	SentAt          time.Time
	FirstReceivedAt time.Time // the first delivery, zero if never delivered
	MovedAt         time.Time
}

// moveExhaustedSQL moves messages (a JSON array of ids) to the DLQ.
const moveExhaustedSQL = `update goqite set queue = ? where queue = ? and id in (select value from json_each(?))`

// moveExhaustedTx moves the messages ms of t, received MaxReceiveCount
// times and visible again, to the DLQ: the next receive would exceed the
// count, which is when the SQS RedrivePolicy moves a message.
func (q *Queues) moveExhaustedTx(ctx context.Context, tx *sql.Tx, t *targetQueue, ms []candidate, now time.Time) error {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.id
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	if _, err := q.db.execTx(ctx, tx, moveExhaustedSQL, t.dlqName, t.cfg.Target, string(b)); err != nil {
		return fmt.Errorf("move to dlq: %w", err)
	}
	for _, m := range ms {
		if err := markDeadTx(ctx, tx, m.id, ReasonMaxReceive, t.arn, now); err != nil {
			return err
		}
		q.log().WarnContext(ctx, "message moved to dead-letter queue",
			"target", t.cfg.Target, "message_id", messageID(goqite.ID(m.id)),
			"receive_count", m.received, "reason", ReasonMaxReceive)
	}
	return nil
}

func markDeadTx(ctx context.Context, tx *sql.Tx, id, reason, sourceARN string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		insert into queue_message (id, sent_at, dead_reason, dead_source, moved_at) values (?1, ?4, ?2, ?3, ?4)
		on conflict (id) do update set dead_reason = ?2, dead_source = ?3, moved_at = ?4`,
		id, reason, sourceARN, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("mark %s dead: %w", messageID(goqite.ID(id)), err)
	}
	return nil
}

// SendToDLQ dead-letters a message its handler knows can never succeed, with
// reason. A message still on target's queue is moved as it is, keeping its
// id and receive count; otherwise a copy of msg is stored. The handler then
// reports the message as processed: the later delete finds nothing to do.
// (The SQS adapter sends a copy to the DLQ with the reason as an attribute.)
func (q *Queues) SendToDLQ(ctx context.Context, target string, msg events.SQSMessage, reason string) error {
	return q.sendToDLQ(ctx, target, msg, reason, nil)
}

// sendToDLQ is SendToDLQ that also adds attrs to the message's attributes
// (the reason's, as the SQS adapter sends them).
func (q *Queues) sendToDLQ(ctx context.Context, target string, msg events.SQSMessage, reason string, attrs map[string]string) error {
	t, err := q.target(target)
	if err != nil {
		return err
	}
	now := time.Now()
	id := goqiteID(msg.MessageId)
	err = q.db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `update goqite set queue = ? where id = ? and queue in (?, ?)`,
			t.dlqName, id, t.cfg.Target, t.dlqName)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			if err := markDeadTx(ctx, tx, id, reason, t.arn, now); err != nil {
				return err
			}
			return addAttributesTx(ctx, tx, id, attrs)
		}
		return q.storeCopyTx(ctx, tx, t, msg, reason, attrs, now)
	})
	if err != nil {
		return fmt.Errorf("send %s to %s: %w", msg.MessageId, t.dlqName, err)
	}
	q.log().WarnContext(ctx, "message sent to dead-letter queue",
		"target", target, "message_id", msg.MessageId, "reason", reason)
	return nil
}

// addAttributesTx merges attrs into a stored message's attributes.
func addAttributesTx(ctx context.Context, tx *sql.Tx, id string, attrs map[string]string) error {
	if len(attrs) == 0 {
		return nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `update queue_message set attributes = json_patch(attributes, ?) where id = ?`, string(b), id)
	return err
}

func (q *Queues) storeCopyTx(ctx context.Context, tx *sql.Tx, t *targetQueue, msg events.SQSMessage, reason string, extra map[string]string, now time.Time) error {
	if msg.Body == "" {
		return fmt.Errorf("empty body")
	}
	newID, err := t.dlq.SendAndGetIDTx(ctx, tx, goqite.Message{Body: []byte(msg.Body)})
	if err != nil {
		return err
	}
	received, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	if _, err := tx.ExecContext(ctx, `update goqite set received = ? where id = ?`, received, string(newID)); err != nil {
		return err
	}
	all := stringAttributes(msg.MessageAttributes)
	for k, v := range extra {
		all[k] = v
	}
	attrs, err := json.Marshal(all)
	if err != nil {
		return err
	}
	sentAt, err := strconv.ParseInt(msg.Attributes["SentTimestamp"], 10, 64)
	if err != nil {
		sentAt = now.UnixMilli()
	}
	firstRecv := sql.NullInt64{}
	if v, err := strconv.ParseInt(msg.Attributes["ApproximateFirstReceiveTimestamp"], 10, 64); err == nil {
		firstRecv = sql.NullInt64{Int64: v, Valid: true}
	}
	_, err = tx.ExecContext(ctx, `
		insert into queue_message (id, attributes, sent_at, first_received_at, dead_reason, dead_source, moved_at)
		values (?, ?, ?, ?, ?, ?, ?)`,
		string(newID), string(attrs), sentAt, firstRecv, reason, t.arn, now.UnixMilli())
	return err
}

// ListDLQ returns target's dead letters, oldest first.
func (q *Queues) ListDLQ(ctx context.Context, target string) ([]DeadLetter, error) {
	t, err := q.target(target)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.sql.QueryContext(ctx, `
		select g.id, g.body, g.received, coalesce(m.attributes, '{}'), coalesce(m.dead_reason, ''),
			coalesce(m.dead_source, ''), coalesce(m.sent_at, 0), coalesce(m.first_received_at, 0), coalesce(m.moved_at, 0)
		from goqite g left join queue_message m on m.id = g.id
		where g.queue = ?
		order by g.created, g.rowid`, t.dlqName)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", t.dlqName, err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var (
			d                        DeadLetter
			id, attrs                string
			sentAt, firstRecv, moved int64
		)
		if err := rows.Scan(&id, &d.Body, &d.Attempts, &attrs, &d.Reason, &d.SourceARN, &sentAt, &firstRecv, &moved); err != nil {
			return nil, fmt.Errorf("list %s: %w", t.dlqName, err)
		}
		if err := json.Unmarshal([]byte(attrs), &d.Attributes); err != nil {
			return nil, fmt.Errorf("list %s: message %s attributes: %w", t.dlqName, id, err)
		}
		d.ID = messageID(goqite.ID(id))
		d.SentAt, d.FirstReceivedAt, d.MovedAt = fromMillis(sentAt), fromMillis(firstRecv), fromMillis(moved)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", t.dlqName, err)
	}
	return out, nil
}

// Redrive moves every message in target's DLQ back to its queue, visible at
// once, with its receive count reset: the local twin of SQS
// StartMessageMoveTask. It returns how many messages moved.
func (q *Queues) Redrive(ctx context.Context, target string) (int, error) {
	t, err := q.target(target)
	if err != nil {
		return 0, err
	}
	var n int64
	err = q.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			update queue_message
			set first_received_at = null, dead_reason = null, dead_source = null, moved_at = null
			where id in (select id from goqite where queue = ?)`, t.dlqName); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `update goqite set queue = ?, received = 0, timeout = ? where queue = ?`,
			t.cfg.Target, goqiteTime(time.Now()), t.dlqName)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redrive %s: %w", t.dlqName, err)
	}
	if n > 0 {
		t.signal()
		q.log().InfoContext(ctx, "dead-letter queue redriven", "target", target, "messages", n)
	}
	return int(n), nil
}

// Depth counts target's visible and in-flight messages and its dead letters
// (SQS ApproximateNumberOfMessages, ...NotVisible, and the DLQ's count).
func (q *Queues) Depth(ctx context.Context, target string) (visible, inFlight, dlq int, err error) {
	t, err := q.target(target)
	if err != nil {
		return 0, 0, 0, err
	}
	err = q.db.sql.QueryRowContext(ctx, `
		select
			coalesce(sum(queue = ?1 and timeout <= ?3), 0),
			coalesce(sum(queue = ?1 and timeout > ?3), 0),
			coalesce(sum(queue = ?2), 0)
		from goqite where queue in (?1, ?2)`,
		t.cfg.Target, t.dlqName, goqiteTime(time.Now())).Scan(&visible, &inFlight, &dlq)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("depth of %s: %w", target, err)
	}
	return visible, inFlight, dlq, nil
}

// QueueStatus is where one target's queue stands.
type QueueStatus struct {
	Target string `json:"target"`
	// Queued are visible: ready for a poller (a first delivery or a retry
	// that is due). InFlight are invisible: being handled, or waiting out
	// a retry's backoff. Retrying is how many of both a handler has given
	// back for a retry at least once (a failed attempt). Dead are in the
	// DLQ.
	Queued   int `json:"queued"`
	InFlight int `json:"in_flight"`
	Retrying int `json:"retrying"`
	Dead     int `json:"dead"`
	// Oldest is when the oldest message not in the DLQ was sent (zero:
	// none).
	Oldest time.Time `json:"oldest,omitempty"`
}

// Status reports target's queue: the local twin of the SQS metrics the
// alarms watch (visible, in flight, the DLQ, the age of the oldest).
func (q *Queues) Status(ctx context.Context, target string) (QueueStatus, error) {
	t, err := q.target(target)
	if err != nil {
		return QueueStatus{}, err
	}
	st := QueueStatus{Target: target}
	var oldest sql.NullString
	now := goqiteTime(time.Now())
	err = q.db.sql.QueryRowContext(ctx, `
		select
			coalesce(sum(queue = ?1 and timeout <= ?3), 0),
			coalesce(sum(queue = ?1 and timeout > ?3), 0),
			coalesce(sum(queue = ?1 and r.id is not null), 0),
			coalesce(sum(queue = ?2), 0),
			min(case when queue = ?1 then created end)
		from goqite g left join queue_retry r on r.id = g.id where queue in (?1, ?2)`,
		t.cfg.Target, t.dlqName, now).Scan(&st.Queued, &st.InFlight, &st.Retrying, &st.Dead, &oldest)
	if err != nil {
		return QueueStatus{}, fmt.Errorf("status of %s: %w", target, err)
	}
	if oldest.Valid {
		st.Oldest, _ = time.Parse("2006-01-02T15:04:05.000Z", oldest.String)
	}
	return st, nil
}
