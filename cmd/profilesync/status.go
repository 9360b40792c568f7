package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/local"
)

const statusHelp = `
Usage: profilesync status [--output text|json] [flags]

Where the local stack's queues stand, per target (and the claim verifier's
queue "claims"): messages queued (visible: ready for a poller), in flight
(being handled, or waiting out a retry's backoff), retrying (received
before and not done yet), dead-lettered, the age of the oldest, and the
last failures the handlers reported (their class and the back-end's code
and message: never the record). It reads the SQLite database in --data,
so it works whether the stack runs or not.`

// targetStatus is one target's line of the status.
type targetStatus struct {
	local.QueueStatus
	LastErrors []lastError `json:"last_errors,omitempty"`
}

type lastError struct {
	At      time.Time `json:"at"`
	EventID string    `json:"event_id"`
	Kind    string    `json:"kind"` // retrying or dead_lettered
	Reason  string    `json:"reason"`
}

func runStatus(ctx context.Context, c *cli, args []string) error {
	f := newFlags("status", statusHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory the local stack ran with (default: the ones built in)")
	output := outputFlag(f)
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	mfs, ms, err := loadMappings(*mappingsDir)
	if err != nil {
		return err
	}
	rules, err := devstack.LoadRules(mfs)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*data, local.DBFile)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no local database in %s (has `profilesync dev --data %s` run?)", *data, *data)
	}
	db, queues, err := devstack.OpenQueues(*data, ms, rules, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	notices := local.NewNotices(db)
	var all []targetStatus
	for _, t := range queues.Targets() {
		st, err := queues.Status(ctx, t)
		if err != nil {
			return err
		}
		ts := targetStatus{QueueStatus: st}
		ns, err := notices.Recent(ctx, t, 200)
		if err != nil {
			return err
		}
		for i := len(ns) - 1; i >= 0 && len(ts.LastErrors) < 3; i-- {
			n := ns[i]
			switch n.Type {
			case delivery.NoticeRetrying:
				ts.LastErrors = append(ts.LastErrors, lastError{At: n.At, EventID: n.EventID, Kind: "retrying", Reason: n.Reason})
			case delivery.NoticeAbandoned:
				ts.LastErrors = append(ts.LastErrors, lastError{At: n.At, EventID: n.EventID, Kind: "dead_lettered", Reason: n.Reason})
			}
		}
		all = append(all, ts)
	}
	if *output == "json" {
		if all == nil {
			all = []targetStatus{}
		}
		return printJSONValue(c, all)
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "TARGET\tQUEUED\tIN FLIGHT\tRETRYING\tDLQ\tOLDEST")
	for _, t := range all {
		age := "-"
		if !t.Oldest.IsZero() {
			age = time.Since(t.Oldest).Round(time.Second).String()
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\n", t.Target, t.Queued, t.InFlight, t.Retrying, t.Dead, age)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, t := range all {
		if len(t.LastErrors) == 0 {
			continue
		}
		fmt.Fprintf(c.stdout, "\nlast failures at %s:\n", t.Target)
		for _, e := range t.LastErrors {
			fmt.Fprintf(c.stdout, "  %s  %-13s event %s: %s\n", e.At.UTC().Format(time.RFC3339), e.Kind, e.EventID, e.Reason)
		}
	}
	return nil
}
