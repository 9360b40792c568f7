package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"maragu.dev/goqite"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// Defaults of a target's queue, the same as the SAM template's.
const (
	DefaultVisibilityTimeout = 30 * time.Second
	DefaultMaxReceiveCount   = 5
)

// Region and AccountID stand in for the AWS ones in ARNs and events, so
// handlers that parse an ARN still work locally.
const (
	Region    = "local"
	AccountID = "000000000000"
)

// maxVisibilityTimeout is SQS's upper bound for a visibility timeout.
const maxVisibilityTimeout = 12 * time.Hour

// ReasonMaxReceive is the dead-letter reason of a message that was received
// more than MaxReceiveCount times, as the SQS RedrivePolicy moves it.
const ReasonMaxReceive = "maxReceiveCount exceeded"

// ErrNotInFlight is returned by ChangeVisibility when the receipt is stale or
// the message is no longer in flight (SQS answers MessageNotInflight or
// ReceiptHandleIsInvalid).
var ErrNotInFlight = errors.New("message not in flight for this receipt handle")

// QueueConfig is one target's queue and its DLQ.
type QueueConfig struct {
	// Target names the queue; its DLQ is "<Target>-dlq". SQS naming rules
	// apply: letters, digits, '-' and '_', at most 76 characters so the DLQ
	// name fits in 80.
	Target string
	// VisibilityTimeout is how long a received message stays invisible
	// before it is delivered again (default 30 s, at most 12 h).
	VisibilityTimeout time.Duration
	// MaxReceiveCount is the RedrivePolicy's maxReceiveCount: a message is
	// delivered at most this many times, then moved to the DLQ (default 5).
	MaxReceiveCount int
}

// Queues is the embedded twin of the per-target SQS queues and their DLQs,
// stored in goqite's table. goqite provides send and receive; the parts of
// SQS it lacks (attributes, receipt handles, the DLQ move, redrive) are plain
// SQL on the same table and a side table, in the same transactions.
type Queues struct {
	db      *DB
	targets map[string]*targetQueue
	logger  atomic.Pointer[slog.Logger]
}

var _ ingress.Queue = (*Queues)(nil)

type targetQueue struct {
	cfg      QueueConfig
	dlqName  string
	arn      string
	dlqARN   string
	main     *goqite.Queue
	dlq      *goqite.Queue
	mu       sync.Mutex
	changedC chan struct{}
}

var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,76}$`)

// NewQueues declares one queue and DLQ per config, filling in defaults.
func NewQueues(db *DB, cfgs ...QueueConfig) (*Queues, error) {
	q := &Queues{db: db, targets: make(map[string]*targetQueue, len(cfgs))}
	for _, c := range cfgs {
		if !queueNameRE.MatchString(c.Target) {
			return nil, fmt.Errorf("queue %q: target must be 1-76 letters, digits, '-' or '_'", c.Target)
		}
		if _, dup := q.targets[c.Target]; dup {
			return nil, fmt.Errorf("queue %q: declared twice", c.Target)
		}
		if c.VisibilityTimeout == 0 {
			c.VisibilityTimeout = DefaultVisibilityTimeout
		}
		if c.VisibilityTimeout < 0 || c.VisibilityTimeout > maxVisibilityTimeout {
			return nil, fmt.Errorf("queue %q: visibility timeout %s outside 0-12h", c.Target, c.VisibilityTimeout)
		}
		if c.MaxReceiveCount == 0 {
			c.MaxReceiveCount = DefaultMaxReceiveCount
		}
		if c.MaxReceiveCount < 1 || c.MaxReceiveCount > 1000 {
			return nil, fmt.Errorf("queue %q: max receive count %d outside 1-1000", c.Target, c.MaxReceiveCount)
		}
		t := &targetQueue{
			cfg:      c,
			dlqName:  c.Target + "-dlq",
			arn:      queueARN(c.Target),
			dlqARN:   queueARN(c.Target + "-dlq"),
			changedC: make(chan struct{}),
		}
		// goqite skips messages received MaxReceiveCount times; Receive
		// moves those to the DLQ first, which is what SQS does on the
		// receive that would exceed the count.
		t.main = goqite.New(goqite.NewOpts{DB: db.sql, Name: c.Target, MaxReceive: c.MaxReceiveCount, Timeout: c.VisibilityTimeout})
		t.dlq = goqite.New(goqite.NewOpts{DB: db.sql, Name: t.dlqName, MaxReceive: 1, Timeout: c.VisibilityTimeout})
		q.targets[c.Target] = t
	}
	for name := range q.targets {
		if _, clash := q.targets[name+"-dlq"]; clash {
			return nil, fmt.Errorf("queue %q: clashes with the DLQ of target %q", name+"-dlq", name)
		}
	}
	return q, nil
}

// Targets lists the declared targets, sorted.
func (q *Queues) Targets() []string {
	names := make([]string, 0, len(q.targets))
	for n := range q.targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Config is target's queue configuration with defaults filled in.
func (q *Queues) Config(target string) (QueueConfig, error) {
	t, err := q.target(target)
	if err != nil {
		return QueueConfig{}, err
	}
	return t.cfg, nil
}

// SetLogger makes the queues log to l (the local stack's logger) instead
// of slog.Default().
func (q *Queues) SetLogger(l *slog.Logger) { q.logger.Store(l) }

// log is read at each use so a default logger set after NewQueues applies.
func (q *Queues) log() *slog.Logger {
	if l := q.logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

func (q *Queues) target(name string) (*targetQueue, error) {
	t, ok := q.targets[name]
	if !ok {
		return nil, fmt.Errorf("queue %q: unknown target", name)
	}
	return t, nil
}

// changed returns a channel closed at the next send, redrive or visibility
// reset on the target's queue. Take it before a receive so a send between
// the receive and the wait is not missed.
func (t *targetQueue) changed() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changedC
}

func (t *targetQueue) signal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	close(t.changedC)
	t.changedC = make(chan struct{})
}

// sendSQL is goqite's SendAndGetIDTx (priority 0, no delay), prepared;
// sendAttributesSQL keeps what goqite's table has no room for.
const (
	sendSQL           = `insert into goqite (queue, body, timeout, priority) values (?, ?, ?, 0) returning id`
	sendAttributesSQL = `insert into queue_message (id, attributes, sent_at) values (?, ?, ?)`
)

// SendBatch enqueues msgs on target's queue in one transaction: every message
// is stored or none is. Messages are checked against SQS's rules first (as
// the SQS adapter applies them), so a batch SQS would refuse fails here too.
// Unlike SendMessageBatch there is no ten-entry limit: the SQS adapter
// splits batches itself.
func (q *Queues) SendBatch(ctx context.Context, target string, msgs []ingress.Message) error {
	t, err := q.target(target)
	if err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	attrs := make([]string, len(msgs))
	seen := make(map[string]bool, len(msgs))
	msgs = slices.Clone(msgs)
	for i := range msgs {
		m, err := normalizeMessage(i, msgs[i], seen)
		if err != nil {
			return fmt.Errorf("send to %s: entry %d: %w", target, i, err)
		}
		msgs[i] = m
		a, err := json.Marshal(m.Attributes)
		if err != nil {
			return fmt.Errorf("send to %s: entry %q: encode attributes: %w", target, m.ID, err)
		}
		attrs[i] = string(a)
	}
	sentAt := time.Now().UnixMilli()
	err = q.db.deferWrite(ctx, func(tx *sql.Tx) error {
		visible := goqiteTime(time.Now())
		for i, m := range msgs {
			st, err := q.db.preparedTx(ctx, tx, sendSQL)
			if err != nil {
				return err
			}
			var id string
			if err := st.QueryRowContext(inTxCtx(ctx), t.cfg.Target, m.Body, visible).Scan(&id); err != nil {
				return fmt.Errorf("entry %q: %w", m.ID, err)
			}
			if _, err := q.db.execTx(ctx, tx, sendAttributesSQL, id, attrs[i], sentAt); err != nil {
				return fmt.Errorf("entry %q: attributes: %w", m.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("send to %s: %w", target, err)
	}
	q.db.afterCommit(ctx, t.signal)
	return nil
}

// deleteReceiptSQL deletes a message if the receipt is its latest.
const deleteReceiptSQL = `delete from goqite where queue = ? and id = ? and received = ?`

// Delete removes a received message. As in SQS, a receipt from an earlier
// receive of a message that has since been received again deletes nothing
// and is not an error; nor is deleting a message already gone.
func (q *Queues) Delete(ctx context.Context, receipt string) error {
	return q.deleteReceipts(ctx, []string{receipt})
}

// deleteReceipts deletes several received messages in one transaction.
func (q *Queues) deleteReceipts(ctx context.Context, receipts []string) error {
	keys, err := q.receiptKeys(receipts)
	if err != nil {
		return err
	}
	if err := q.db.inTx(ctx, func(tx *sql.Tx) error { return q.deleteTx(ctx, tx, keys) }); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// receiptKey is what a receipt handle names: a message as received once.
type receiptKey struct {
	queue, id string
	received  int
}

// receiptKeys decodes receipts, each of a declared queue.
func (q *Queues) receiptKeys(receipts []string) ([]receiptKey, error) {
	keys := make([]receiptKey, 0, len(receipts))
	for _, r := range receipts {
		target, id, received, err := decodeReceipt(r)
		if err != nil {
			return nil, fmt.Errorf("delete: %w", err)
		}
		if _, err := q.target(target); err != nil {
			return nil, fmt.Errorf("delete: %w", err)
		}
		keys = append(keys, receiptKey{target, id, received})
	}
	return keys, nil
}

// deleteTx deletes the messages of keys in tx.
func (q *Queues) deleteTx(ctx context.Context, tx *sql.Tx, keys []receiptKey) error {
	for _, k := range keys {
		if _, err := q.db.execTx(ctx, tx, deleteReceiptSQL, k.queue, k.id, k.received); err != nil {
			return err
		}
	}
	return nil
}

// ChangeVisibility makes an in-flight message visible again after d,
// counted from now (0 makes it visible at once), as SQS
// ChangeMessageVisibility does. A stale receipt or a message that is no
// longer in flight yields ErrNotInFlight.
func (q *Queues) ChangeVisibility(ctx context.Context, receipt string, d time.Duration) error {
	target, id, received, err := decodeReceipt(receipt)
	if err != nil {
		return fmt.Errorf("change visibility: %w", err)
	}
	t, err := q.target(target)
	if err != nil {
		return fmt.Errorf("change visibility: %w", err)
	}
	if d < 0 || d > maxVisibilityTimeout {
		return fmt.Errorf("change visibility: %s outside 0-12h", d)
	}
	now := time.Now()
	res, err := q.db.sql.ExecContext(ctx,
		`update goqite set timeout = ? where queue = ? and id = ? and received = ? and timeout > ?`,
		goqiteTime(now.Add(d)), target, id, received, goqiteTime(now))
	if err != nil {
		return fmt.Errorf("change visibility: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("change visibility: %w", err)
	} else if n == 0 {
		return fmt.Errorf("change visibility of %s: %w", messageID(goqite.ID(id)), ErrNotInFlight)
	}
	// Only a failed attempt gives a message back: count it (status).
	if _, err := q.db.sql.ExecContext(ctx, `insert into queue_retry (id, retries, last_at) values (?, 1, ?)
		on conflict (id) do update set retries = retries + 1, last_at = excluded.last_at`, id, now.UnixMilli()); err != nil {
		q.log().Warn("retry not counted", "error", err.Error())
	}
	if d == 0 {
		t.signal()
	}
	return nil
}
