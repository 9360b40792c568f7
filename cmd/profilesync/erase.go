package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/profile"
)

const eraseHelp = `
Usage: profilesync erase SUBJECT [--source cidaas] [--wait] [flags]
       profilesync erase SUBJECT --table TABLE --queue-urls JSON [--wait]

Starts an erasure for a data-subject request made to the operator: a
delete event for SUBJECT, queued for every target the mappings route
deletes from --source to, as the ingress would queue the CIAM's own (each
target's on_delete decides: delete, anonymise, deactivate or ignore). The
erasure ledger records each target pending before anything is queued,
then confirmed, failed (with the reason) or skipped as the deliveries
settle; 'profilesync log SUBJECT' shows it. With --wait it waits for every
target to settle (exit 1 when one failed, or on the timeout).

Against the local stack it writes to the queues in --data; a stack running
at --url delivers at once, else the deletes wait for 'profilesync dev'.

Against a deployed stack, --table names its sync-log table (the stack's
SyncLogTable, which keeps the ledger) and --queue-urls (or QUEUE_URLS) the
ingress function's QUEUE_URLS variable, {"<target>":"<queue URL>",...}:
the command opens the ledger rows (dynamodb:PutItem) and queues each
target's delete on its SQS queue (sqs:SendMessage) with your AWS
credentials and region (the SDK's configuration: AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL, ...); --wait reads the ledger (dynamodb:Query).`

func runErase(ctx context.Context, c *cli, args []string) error {
	f := newFlags("erase", eraseHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory the local stack runs with (default: the ones built in)")
	source := f.String("source", "cidaas", "the CIAM source `name` the subject lives in (mappings route on it)")
	table := f.String("table", "", "a deployed stack: its sync-log `table` (DynamoDB), which keeps the ledger")
	queueURLs := f.String("queue-urls", os.Getenv("QUEUE_URLS"), "with --table: the targets' SQS queue `URLs` as JSON")
	wait := f.Bool("wait", false, "wait until every target has settled")
	timeout := f.Duration("timeout", 30*time.Second, "how long --wait waits")
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	urlsGiven := false
	f.Visit(func(fl *flag.Flag) { urlsGiven = urlsGiven || fl.Name == "queue-urls" })
	if urlsGiven && *table == "" {
		return f.usageErr("--queue-urls needs --table: the deployed stack's sync-log table keeps the ledger")
	}
	mfs, ms, err := loadMappings(*mappingsDir)
	if err != nil {
		return err
	}
	if !slices.Contains(devstack.DefaultSources, *source) {
		return f.usageErr("--source %q: want one of %s", *source, strings.Join(devstack.DefaultSources, ", "))
	}
	now := time.Now().UTC()
	e := profile.Event{ID: "erase-" + randomHex(8), Source: *source, Type: profile.Deleted, Subject: pos[0],
		OccurredAt: now, ReceivedAt: now, SourceType: delivery.SourceTypeErasure}
	if err := e.Validate(); err != nil {
		return f.usageErr("%v", err)
	}
	targets := ms.Route(e)
	if len(targets) == 0 {
		return fmt.Errorf("no mapping takes deleted events from %s: nothing to erase", *source)
	}
	if *table != "" {
		er, err := deployedErasure(ctx, *table, *queueURLs, targets)
		if err != nil {
			return err
		}
		return er.run(ctx, c, e, targets, *wait, *timeout)
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
	er := erasure{ledger: local.NewSyncLog(db, 0), queue: queues}
	if !stackAnswers(ctx, *url) {
		er.idle = fmt.Sprintf("no stack answers at %s: the deletes wait in the queues until `profilesync dev --data %s` starts", *url, *data)
	}
	return er.run(ctx, c, e, targets, *wait, *timeout)
}

// erasureLedger is the ledger as erase uses it: local.SyncLog and
// awsadapter.SyncLog.
type erasureLedger interface {
	delivery.ErasureLedger
	Erasures(ctx context.Context, subject, target string) ([]delivery.Erasure, error)
}

// erasure is where one erasure goes: the local stack's ledger and queues,
// or a deployed stack's.
type erasure struct {
	ledger erasureLedger
	queue  ingress.Queue
	// idle, when set, says that nothing will deliver the deletes yet.
	idle string
	// poll is how often --wait reads the ledger (0: 100 ms, for the local
	// stack's database; a deployed stack's is read every second).
	poll time.Duration
}

// run opens e's erasure at every target, queues each target its delete,
// and with wait follows the ledger until every target settles.
func (er erasure) run(ctx context.Context, c *cli, e profile.Event, targets []string, wait bool, timeout time.Duration) error {
	open := make([]delivery.Erasure, 0, len(targets))
	for _, t := range targets {
		open = append(open, delivery.Erasure{Subject: e.Subject, Target: t, EventID: e.ID, RequestedAt: e.OccurredAt})
	}
	// Pending before queued, as at the ingress: a delete queued is never
	// one the ledger does not know was asked for.
	if err := er.ledger.Open(ctx, open); err != nil {
		return err
	}
	for _, t := range targets {
		body, err := profile.NewEnvelope(t, e).Marshal()
		if err != nil {
			return err
		}
		msg := ingress.Message{ID: "m0", Body: body,
			Attributes: map[string]string{"event_id": e.ID, "event_type": string(e.Type), "source": delivery.SourceTypeErasure}}
		if err := er.queue.SendBatch(ctx, t, []ingress.Message{msg}); err != nil {
			return fmt.Errorf("queue the delete for %s: %w", t, err)
		}
	}
	fmt.Fprintf(c.stdout, "erasure %s of %s queued for %s\n", e.ID, e.Subject, strings.Join(targets, ", "))
	if er.idle != "" {
		fmt.Fprintln(c.stdout, er.idle)
	}
	if !wait {
		fmt.Fprintf(c.stdout, "`profilesync log %s` shows the ledger\n", e.Subject)
		return nil
	}
	if er.poll == 0 {
		er.poll = 100 * time.Millisecond
	}
	return waitErasure(ctx, c, er.ledger, e, timeout, er.poll)
}

// waitErasure polls the ledger until no target of event e is pending,
// then prints each target's line.
func waitErasure(ctx context.Context, c *cli, ledger erasureLedger, e profile.Event, timeout, poll time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		all, err := ledger.Erasures(ctx, e.Subject, "")
		if err != nil {
			return err
		}
		var mine []delivery.Erasure
		pending := false
		for _, x := range all {
			if x.EventID == e.ID {
				mine = append(mine, x)
				pending = pending || x.Status == delivery.ErasurePending
			}
		}
		if !pending || time.Now().After(deadline) {
			failed := false
			for _, x := range mine {
				fmt.Fprintf(c.stdout, "  %-12s %s\n", x.Target, erasureLine(x))
				failed = failed || x.Status != delivery.ErasureConfirmed && x.Status != delivery.ErasureSkipped
			}
			if failed {
				return errReported
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// erasureLine is one erasure's state in words.
func erasureLine(x delivery.Erasure) string {
	s := string(x.Status)
	if !x.SettledAt.IsZero() {
		s += " " + x.SettledAt.UTC().Format(time.RFC3339)
	}
	switch {
	case x.Status == delivery.ErasureConfirmed && x.Outcome != delivery.Deleted:
		s += " (" + string(x.Outcome) + ": the on_delete policy's update)"
	case x.Reason != "":
		s += ": " + x.Reason
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
