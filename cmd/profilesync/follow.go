package main

import (
	"fmt"
	"io"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
)

// outcomeText says in words what each sync outcome means.
var outcomeText = map[string]string{
	"skipped_unchanged":      "the target already holds this record",
	"skipped_stale":          "older than what the target already has",
	"skipped_not_subscribed": "the mapping does not take this event type",
	"skipped_source_gone":    "the profile is gone at the source",
	"opted_out":              "a required consent is not granted; the mapping's consent.on_revoke applied",
	"left_scope":             "the profile left the mapping's scope; its on_delete applied",
	"skipped_by_policy":      "the mapping's on_delete/on_revoke says to leave the target alone",
}

// printReports prints, per event and target, what became of what send sent.
func printReports(w io.Writer, reps []devstack.EventReport) {
	for _, rep := range reps {
		typ := ""
		for _, t := range rep.Targets {
			if t.EventType != "" {
				typ = " (" + t.EventType + ")"
				break
			}
		}
		fmt.Fprintf(w, "event %s%s:\n", rep.EventID, typ)
		if len(rep.Targets) == 0 {
			fmt.Fprintln(w, "  routed to no target: no mapping takes this event")
		}
		for _, t := range rep.Targets {
			fmt.Fprintf(w, "  %-11s %s\n", t.Target, targetLine(t))
		}
	}
}

func targetLine(t devstack.TargetReport) string {
	switch t.State {
	case devstack.StateDone:
		switch t.Outcome {
		case "delivered", "deleted":
			if t.RecordID != "" {
				return fmt.Sprintf("%s, record %s", t.Outcome, t.RecordID)
			}
			return t.Outcome
		}
		if why := outcomeText[t.Outcome]; why != "" {
			return t.Outcome + ": " + why
		}
		return t.Outcome
	case devstack.StateDeadLettered:
		return fmt.Sprintf("dead-lettered after %d attempt(s): %s (profilesync dlq list %s)", t.Attempts, t.Reason, t.Target)
	case devstack.StateRetrying:
		s := fmt.Sprintf("retrying: %d attempt(s) failed", t.Attempts)
		if t.Class != "" {
			s += " (" + t.Class + ")"
		}
		if t.NextAttemptAt != nil {
			s += fmt.Sprintf(", next attempt at %s", t.NextAttemptAt.Local().Format(time.TimeOnly))
		}
		return s
	}
	return "queued, not delivered yet"
}
