package main

import (
	"encoding/json"
	"time"
)

// outputFlag adds --output text|json to a listing command.
func outputFlag(f *flags) *string {
	return f.String("output", "text", "output `format`: text or json (one JSON document, for scripts)")
}

// checkOutput refuses an --output other than text or json.
func checkOutput(f *flags, o string) error {
	if o != "text" && o != "json" {
		return f.usageErr("--output %q: want text or json", o)
	}
	return nil
}

// printJSONValue prints v as indented JSON.
func printJSONValue(c *cli, v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// deadLetterJSON is one dead letter of `dlq list --output json`: what the
// table shows, never the body (personal data), only its size.
type deadLetterJSON struct {
	ID          string     `json:"id"`
	MovedAt     *time.Time `json:"moved_at,omitempty"`     // local queues
	SentAt      *time.Time `json:"sent_at,omitempty"`      // SQS
	Attempts    string     `json:"attempts,omitempty"`     // as the reason attributes say
	Reason      string     `json:"reason,omitempty"`       // class: message
	LastFailure *time.Time `json:"last_failure,omitempty"` // SQS
	EventID     string     `json:"event_id,omitempty"`
	EventType   string     `json:"event_type,omitempty"`
	Source      string     `json:"source,omitempty"`
	BodyBytes   int        `json:"body_bytes"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
