package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/local"
)

const logHelp = `
Usage: profilesync log SUBJECT [--target T] [--output text|json] [--limit N] [flags]
       profilesync log export --since T [--until T] [--to FILE|DIR/|s3://BUCKET/PREFIX] (see log export -h)

The story of one subject at every target: each delivery decision, oldest
first (created, updated, deleted, skipped with its reason, retrying,
dead-lettered), with the mapped fields that changed against the last record
pushed; then the erasure ledger: each delete per target, pending,
confirmed, failed (with the reason) or skipped. Values show as each mapping's log: block says: a keyed hash
(h:3fa29c0e1b2d; equal values hash alike), a mask (j***@e***.com), nothing
(omit), or, where the mapping says plain, the value. The log never holds
raw personal data otherwise.

It reads the local stack's database in --data, or with --table the
deployed stack's sync-log table (its SyncLogTable) with your AWS
credentials (dynamodb:Query on the table).`

// defaultLogLimit is how many entries log shows unless told.
const defaultLogLimit = 50

// logReader is the sync log's reader side: local.SyncLog and
// awsadapter.SyncLog.
type logReader interface {
	List(ctx context.Context, subject, target string, limit int) ([]delivery.Entry, error)
	Erasures(ctx context.Context, subject, target string) ([]delivery.Erasure, error)
}

// logJSON is `log --output json`: the entries, and the erasure ledger.
type logJSON struct {
	Entries  []delivery.Entry   `json:"entries"`
	Erasures []delivery.Erasure `json:"erasures"`
}

func runLog(ctx context.Context, c *cli, args []string) error {
	if len(args) > 0 && args[0] == "export" {
		return runLogExport(ctx, c, args[1:])
	}
	f := newFlags("log", logHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	table := f.String("table", "", "the deployed stack's sync-log `table` (DynamoDB) instead of --data")
	target := f.String("target", "", "only this `target`")
	limit := f.Int("limit", defaultLogLimit, "the last `N` entries (0: all)")
	output := outputFlag(f)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	if *limit < 0 {
		return f.usageErr("--limit %d: want 0 or more", *limit)
	}
	r, done, err := openLog(ctx, *data, *table)
	if err != nil {
		return err
	}
	defer done()
	es, err := r.List(ctx, pos[0], *target, *limit)
	if err != nil {
		return err
	}
	ers, err := r.Erasures(ctx, pos[0], *target)
	if err != nil {
		return err
	}
	if *output == "json" {
		out := logJSON{Entries: es, Erasures: ers}
		if out.Entries == nil {
			out.Entries = []delivery.Entry{}
		}
		if out.Erasures == nil {
			out.Erasures = []delivery.Erasure{}
		}
		return printJSONValue(c, out)
	}
	if err := printStory(c.stdout, pos[0], *target, es); err != nil {
		return err
	}
	return printLedger(c.stdout, ers)
}

// printLedger writes the erasure ledger: per delete and target, when it
// was asked for and where it stands.
func printLedger(w io.Writer, ers []delivery.Erasure) error {
	if len(ers) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("\nerasures:\n")
	for _, x := range ers {
		fmt.Fprintf(&b, "  %s  %-12s %s  (event %s)\n", x.RequestedAt.UTC().Format(time.RFC3339), x.Target, erasureLine(x), x.EventID)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// openLog opens the sync log of the local stack in data, or the DynamoDB
// table.
func openLog(ctx context.Context, data, table string) (logReader, func(), error) {
	if table != "" {
		cfg, err := awsadapter.ConfigFromEnv("")
		if err != nil {
			return nil, nil, err
		}
		return awsadapter.NewSyncLog(awsadapter.DynamoDBOf(dynamodb.NewFromConfig(cfg)), table, 0), func() {}, nil
	}
	if _, err := os.Stat(filepath.Join(data, local.DBFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("no local database in %s (has `profilesync dev --data %s` run?)", data, data)
	}
	db, err := local.Open(data)
	if err != nil {
		return nil, nil, err
	}
	return local.NewSyncLog(db, 0), func() { _ = db.Close() }, nil
}

// printStory writes the entries as lines: time, target, event type, what
// became of it, then the changed fields.
func printStory(w io.Writer, subject, target string, es []delivery.Entry) error {
	if len(es) == 0 {
		at := ""
		if target != "" {
			at = " at " + target
		}
		_, err := fmt.Fprintf(w, "no sync log entries for %s%s\n", subject, at)
		return err
	}
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s  %-12s %-16s %s\n", e.At.UTC().Format(time.RFC3339), e.Target, eventType(e), story(e))
		for _, ch := range e.Changes {
			fmt.Fprintf(&b, "    %s\n", changeLine(ch))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func eventType(e delivery.Entry) string {
	if e.EventType == "" {
		return "(undecodable)"
	}
	return e.EventType
}

// story says what became of one message, in words.
func story(e delivery.Entry) string {
	s := string(e.Outcome)
	switch e.Outcome {
	case delivery.Delivered:
		s = "updated"
		if e.Created {
			s = "created"
		}
	case delivery.Deleted:
		s = "deleted"
	case delivery.Unchanged:
		s = "skipped: no mapped field changed"
	case delivery.Stale:
		s = "skipped: older than the last change applied"
	case delivery.NotRouted:
		s = "skipped: not subscribed to this event"
	case delivery.SourceGone:
		s = "skipped: deleted at the source since"
	case delivery.Ignored:
		s = "skipped by the mapping's policy"
	case delivery.OptedOut:
		s = "opted out (consent not granted)"
	case delivery.OutOfScope:
		s = "left the mapping's scope"
	case delivery.Retrying:
		s = fmt.Sprintf("retrying (attempt %d): %s", e.Attempts, e.Reason)
	case delivery.Abandon:
		s = fmt.Sprintf("dead-lettered after %d attempt(s): %s", e.Attempts, e.Reason)
	}
	if e.RecordID != "" && e.Outcome != delivery.Retrying && e.Outcome != delivery.Abandon {
		s += ", record " + e.RecordID
	}
	return s
}

// changeLine is "Field: old → new", with "(none)" for a side without a
// value and "changed" for a field logged without values.
func changeLine(ch delivery.Change) string {
	if ch.Old == "" && ch.New == "" {
		return ch.Field + ": changed"
	}
	old, new := ch.Old, ch.New
	if old == "" {
		old = "(none)"
	}
	if new == "" {
		new = "(none)"
	}
	return ch.Field + ": " + old + " → " + new
}
