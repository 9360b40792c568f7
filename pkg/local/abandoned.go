package local

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
)

var _ delivery.AbandonedLog = (*State)(nil)

// RecordAbandoned keeps one row per abandoned (target, subject, event); a
// later abandonment of the same event (after a redrive) replaces it.
func (s *State) RecordAbandoned(ctx context.Context, a delivery.Abandoned) error {
	event := a.EventID
	if event == "" {
		event = "message-" + a.MessageID
	}
	attrs, err := json.Marshal(a.Reason.Attributes())
	if err != nil {
		return err
	}
	_, err = s.db.sql.ExecContext(ctx, `
		insert or replace into abandoned (target, subject, event_id, event_type, source, message_id, reason, attributes, abandoned_at)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Target, a.Subject, event, a.EventType, a.Source, a.MessageID, a.Reason.String(), string(attrs), time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("record abandoned %s/%s/%s: %w", a.Target, a.Subject, event, err)
	}
	return nil
}

// AbandonedRecord is one row of the abandoned log.
type AbandonedRecord struct {
	delivery.Abandoned
	Text       string            // the reason in one line
	Attributes map[string]string // the reason's attributes
	At         time.Time
}

// ListAbandoned returns target's abandoned records, oldest first.
func (s *State) ListAbandoned(ctx context.Context, target string) ([]AbandonedRecord, error) {
	rows, err := s.db.sql.QueryContext(ctx, `
		select subject, event_id, event_type, source, message_id, reason, attributes, abandoned_at
		from abandoned where target = ? order by abandoned_at, subject, event_id`, target)
	if err != nil {
		return nil, fmt.Errorf("list abandoned of %s: %w", target, err)
	}
	defer rows.Close()
	var out []AbandonedRecord
	for rows.Next() {
		var (
			r     AbandonedRecord
			attrs string
			at    int64
		)
		r.Target = target
		if err := rows.Scan(&r.Subject, &r.EventID, &r.EventType, &r.Source, &r.MessageID, &r.Text, &attrs, &at); err != nil {
			return nil, fmt.Errorf("list abandoned of %s: %w", target, err)
		}
		if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
			return nil, fmt.Errorf("list abandoned of %s: %w", target, err)
		}
		r.Reason = delivery.ReasonFromAttributes(r.Attributes)
		r.At = time.UnixMilli(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
