package local

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// Pending is a message of one event still in a target's queue: waiting for
// its first delivery (Receives 0) or for its next attempt after a failure.
type Pending struct {
	Receives  int       // deliveries so far
	VisibleAt time.Time // when the poller may take it (again)
}

// Pending returns target's queued messages of eventID (its DLQ excluded:
// a dead letter has a notice).
func (q *Queues) Pending(ctx context.Context, target, eventID string) ([]Pending, error) {
	t, err := q.target(target)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.sql.QueryContext(ctx, `
		select g.received, g.timeout from goqite g join queue_message m on m.id = g.id
		where g.queue = ? and json_extract(m.attributes, '$.event_id') = ?
		order by g.created`, t.cfg.Target, eventID)
	if err != nil {
		return nil, fmt.Errorf("pending of %s: %w", target, err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		var timeout string
		if err := rows.Scan(&p.Receives, &timeout); err != nil {
			return nil, err
		}
		p.VisibleAt, _ = time.Parse("2006-01-02T15:04:05.000Z07:00", timeout)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ForEvent returns the notices of eventID at every target recorded at or
// after since, oldest first.
func (n Notices) ForEvent(ctx context.Context, eventID string, since time.Time) ([]delivery.Notice, error) {
	rows, err := n.db.sql.QueryContext(ctx, `select type, detail from notice where event_id = ? and at >= ? order by seq`,
		eventID, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("notices of event: %w", err)
	}
	defer rows.Close()
	var out []delivery.Notice
	for rows.Next() {
		var typ, detail string
		if err := rows.Scan(&typ, &detail); err != nil {
			return nil, err
		}
		var x delivery.Notice
		if err := json.Unmarshal([]byte(detail), &x); err != nil {
			return nil, fmt.Errorf("notice: %w", err)
		}
		x.Type = typ
		out = append(out, x)
	}
	return out, rows.Err()
}
