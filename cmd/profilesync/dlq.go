package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/stack"
)

const dlqHelp = `
Usage: profilesync dlq list TARGET [flags]
       profilesync dlq redrive TARGET [flags]

Work on TARGET's dead-letter queue in the local SQLite queues of <data>:
"list" shows each dead letter's id, reason, attempts, when it moved, and the
event id, type and source from its attributes (not its body, which holds
personal data: only its size); "redrive" moves them all back to TARGET's
queue, where the pollers of a running "profilesync dev" pick them up.`

func runDLQ(ctx context.Context, c *cli, args []string) error {
	f := newFlags("dlq", dlqHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	pos, err := f.parse(c, args, 2, 2)
	if err != nil {
		return err
	}
	action, target := pos[0], pos[1]
	if action != "list" && action != "redrive" {
		return f.usageErr("unknown subcommand %q (want list or redrive)", action)
	}
	ms, err := stack.LoadMappings(mappings.FS, ".")
	if err != nil {
		return err
	}
	var names []string
	for _, m := range ms.All() {
		names = append(names, m.Name)
	}
	if ms.Get(target) == nil {
		return f.usageErr("no target %q; targets: %s", target, strings.Join(names, ", "))
	}
	dbPath := filepath.Join(*data, local.DBFile)
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no local database %s (has `profilesync dev --data %s` run?)", dbPath, *data)
	}
	db, queues, err := devstack.OpenQueues(*data, ms, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "redrive" {
		n, err := queues.Redrive(ctx, target)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%d message(s) moved from %s-dlq back to %s\n", n, target, target)
		return nil
	}
	dls, err := queues.ListDLQ(ctx, target)
	if err != nil {
		return err
	}
	printDeadLetters(c, target, dls)
	return nil
}

func printDeadLetters(c *cli, target string, dls []local.DeadLetter) {
	if len(dls) == 0 {
		fmt.Fprintf(c.stdout, "%s-dlq is empty\n", target)
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMOVED\tATTEMPTS\tREASON\tEVENT ID\tEVENT TYPE\tSOURCE\tBODY")
	for _, d := range dls {
		moved := "-"
		if !d.MovedAt.IsZero() {
			moved = d.MovedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d bytes\n", d.ID, moved, d.Attempts, dash(d.Reason),
			dash(d.Attributes["event_id"]), dash(d.Attributes["event_type"]), dash(d.Attributes["source"]), len(d.Body))
	}
	_ = tw.Flush()
	fmt.Fprintf(c.stdout, "%d dead letter(s) in %s-dlq; \"profilesync dlq redrive %s\" retries them\n", len(dls), target, target)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
