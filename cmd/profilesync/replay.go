package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/wiring"
)

const replayHelp = `
Usage: profilesync replay --since T [--until T] [--target T] [--subject S]
                          [--source S] [--dry-run] [--output text|json] [flags]

Queues the events the ingress accepted between --since (inclusive) and
--until (exclusive, default now) again, from the archive of accepted
events: each is routed by today's mappings as the ingress routes it,
restricted to --target (comma-separated; the claim verifier's queue
"claims" only when named), and queued with its original event id. The
sync functions' ordering makes this safe: an event older than what a
target holds is skipped as stale, and one as new as it is pushed again
even when nothing changed (a record deleted by hand in the target comes
back; the others are upserted to what they hold). A time is RFC 3339
(2026-03-01T10:00:00Z) or a duration before now (90m, 36h).

It reads the local stack's archive in <data> and queues on its local
queues: a running "profilesync dev" (--url) delivers them. With --bucket
(or ARCHIVE_BUCKET: the stack output ArchiveBucketName) it reads the S3
archive with your AWS credentials instead (s3:ListBucket and s3:GetObject
on archive/*) and queues on SQS: --queue-urls (or QUEUE_URLS) is the
ingress function's QUEUE_URLS variable, {"<target>":"<queue URL>",...},
and needs sqs:SendMessage. --dry-run lists what would be queued and
queues nothing.`

func runReplay(ctx context.Context, c *cli, args []string) error {
	f := newFlags("replay", replayHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev) that delivers the local replay")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory (default: the ones built in)")
	sinceFlag := f.String("since", "", "replay events received from `T` on (RFC 3339, or a duration before now)")
	untilFlag := f.String("until", "", "replay events received before `T` (default now)")
	targetFlag := f.String("target", "", "only these `targets` (comma-separated; default every mapping's)")
	subject := f.String("subject", "", "only this `subject`'s events")
	sourceFlag := f.String("source", "", "only this `source`'s events")
	dryRun := f.Bool("dry-run", false, "list what would be queued; queue nothing")
	bucket := f.String("bucket", os.Getenv("ARCHIVE_BUCKET"), "the deployed stack's archive `bucket`: read S3, queue on SQS")
	queueURLs := f.String("queue-urls", os.Getenv("QUEUE_URLS"), "with --bucket: the targets' SQS queue `URLs` as JSON")
	output := outputFlag(f)
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	since, until, err := replayRange(f, *sinceFlag, *untilFlag, time.Now())
	if err != nil {
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
	targets, err := replayTargets(f, ms, *targetFlag)
	if err != nil {
		return err
	}
	route, err := wiring.IngressRouter(ms, rules)
	if err != nil {
		return err
	}
	rp := replayRun{since: since, until: until, targets: targets, subject: *subject, source: *sourceFlag,
		dryRun: *dryRun, output: *output, replayer: &ingress.Replayer{Router: route, Log: c.log}}
	if *bucket != "" {
		return rp.onAWS(ctx, c, *bucket, *queueURLs)
	}
	return rp.locally(ctx, c, filepath.Clean(*data), ms, rules, strings.TrimRight(*url, "/"))
}

// replayRange reads --since and --until (default now).
func replayRange(f *flags, sinceFlag, untilFlag string, now time.Time) (since, until time.Time, err error) {
	if sinceFlag == "" {
		return since, until, f.usageErr("--since is required")
	}
	if since, err = replayTime(sinceFlag, now); err != nil {
		return since, until, f.usageErr("--since: %v", err)
	}
	until = now
	if untilFlag != "" {
		if until, err = replayTime(untilFlag, now); err != nil {
			return since, until, f.usageErr("--until: %v", err)
		}
	}
	if !since.Before(until) {
		return since, until, f.usageErr("--since must be before --until")
	}
	return since, until, nil
}

// replayTargets reads --target: every mapping's target when empty (the
// claim verifier's queue only when named: a replay re-verifies nothing
// unasked).
func replayTargets(f *flags, ms *mapping.Set, flag string) ([]string, error) {
	var names []string
	for _, m := range ms.All() {
		names = append(names, m.Name)
	}
	if flag == "" {
		return names, nil
	}
	var targets []string
	known := append(slices.Clone(names), claims.QueueName)
	for _, t := range strings.Split(flag, ",") {
		if t = strings.TrimSpace(t); !slices.Contains(known, t) {
			return nil, f.usageErr("no target %q; targets: %s", t, strings.Join(names, ", "))
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// replayRun is one replay's settings and its replayer.
type replayRun struct {
	since, until    time.Time
	targets         []string
	subject, source string
	dryRun          bool
	output          string
	replayer        *ingress.Replayer
}

// archiveReader is the archives' read side (local.Archive, S3Archive).
type archiveReader interface {
	Read(ctx context.Context, since, until time.Time) ([]ingress.ArchivedEvent, error)
}

func (rp replayRun) locally(ctx context.Context, c *cli, data string, ms *mapping.Set, rules *claims.RuleSet, url string) error {
	dbPath := filepath.Join(data, local.DBFile)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no local database %s (has `profilesync dev --data %s` run?)", dbPath, data)
	}
	db, queues, err := devstack.OpenQueues(data, ms, rules, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	rp.replayer.Queue = queues
	// As the local ingress does: an envelope too large for the queue is
	// stored aside beside it.
	rp.replayer.Bodies = local.Bodies{Dir: filepath.Join(data, "bodies")}
	sum, err := rp.run(ctx, c, local.NewArchive(db))
	if err != nil || rp.dryRun || sum.total() == 0 {
		return err
	}
	if !stackAnswers(ctx, url) {
		fmt.Fprintf(c.stderr, "no stack answers at %s: the events wait in the local queues for `profilesync dev --data %s`\n", url, data)
	}
	return nil
}

func (rp replayRun) onAWS(ctx context.Context, c *cli, bucket, queueURLs string) error {
	var urls map[string]string
	if !rp.dryRun {
		if err := json.Unmarshal([]byte(queueURLs), &urls); err != nil {
			return fmt.Errorf("--queue-urls (QUEUE_URLS): want the ingress's JSON object of target to queue URL: %w", err)
		}
		for _, t := range rp.targets {
			if urls[t] == "" {
				return fmt.Errorf("--queue-urls has no queue for target %q", t)
			}
		}
	}
	// The operator's machine: the SDK's full configuration chain, as
	// `dlq` on SQS uses.
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	store, err := awsadapter.NewObjectStore(cfg)
	if err != nil {
		return err
	}
	rp.replayer.Queue = awsadapter.NewQueues(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), urls)
	_, err = rp.run(ctx, c, awsadapter.NewS3Archive(store, bucket))
	return err
}

// replaySummary is what a replay prints (--output json: as is).
type replaySummary struct {
	Since   time.Time      `json:"since"`
	Until   time.Time      `json:"until"`
	Read    int            `json:"read"`
	Matched int            `json:"matched"`
	DryRun  bool           `json:"dry_run"`
	Queued  map[string]int `json:"queued"`
	Events  []replayedJSON `json:"events,omitempty"`
}

type replayedJSON struct {
	EventID    string    `json:"event_id"`
	Type       string    `json:"type"`
	Source     string    `json:"source"`
	Subject    string    `json:"subject"`
	ReceivedAt time.Time `json:"received_at"`
	Targets    []string  `json:"targets"`
	Archived   []string  `json:"archived_targets"`
}

func (s replaySummary) total() int {
	n := 0
	for _, v := range s.Queued {
		n += v
	}
	return n
}

// run reads the range, filters, and queues (or lists) what matched.
func (rp replayRun) run(ctx context.Context, c *cli, archive archiveReader) (replaySummary, error) {
	evs, err := archive.Read(ctx, rp.since, rp.until)
	if err != nil {
		return replaySummary{}, err
	}
	var kept []ingress.ArchivedEvent
	for _, a := range evs {
		if (rp.subject == "" || a.Event.Subject == rp.subject) && (rp.source == "" || a.Event.Source == rp.source) {
			kept = append(kept, a)
		}
	}
	plan := rp.replayer.Plan(kept, rp.targets)
	sum := replaySummary{Since: rp.since.UTC(), Until: rp.until.UTC(), Read: len(evs), Matched: len(plan), DryRun: rp.dryRun, Queued: map[string]int{}}
	if rp.dryRun {
		for _, p := range plan {
			for _, t := range p.Targets {
				sum.Queued[t]++
			}
			sum.Events = append(sum.Events, replayedJSON{EventID: p.Event.ID, Type: string(p.Event.Type), Source: p.Event.Source,
				Subject: p.Event.Subject, ReceivedAt: p.Event.ReceivedAt.UTC(), Targets: p.Targets, Archived: p.Archived})
		}
	} else {
		sent, err := rp.replayer.Send(ctx, plan)
		sum.Queued = sent
		if err != nil {
			rp.print(c, sum)
			return sum, err
		}
	}
	return sum, rp.print(c, sum)
}

func (rp replayRun) print(c *cli, s replaySummary) error {
	if rp.output == "json" {
		return printJSONValue(c, s)
	}
	if len(s.Events) > 0 {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RECEIVED\tEVENT ID\tTYPE\tSOURCE\tSUBJECT\tTARGETS")
		for _, e := range s.Events {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ReceivedAt.Format(time.RFC3339), e.EventID, e.Type, e.Source, e.Subject,
				strings.Join(e.Targets, ","))
		}
		_ = tw.Flush()
	}
	verb := "queued"
	if s.DryRun {
		verb = "would queue"
	}
	fmt.Fprintf(c.stdout, "%d event(s) read from the archive (%s to %s), %d matched; %s:", s.Read,
		s.Since.Format(time.RFC3339), s.Until.Format(time.RFC3339), s.Matched, verb)
	if len(s.Queued) == 0 {
		fmt.Fprint(c.stdout, " nothing")
	}
	for _, t := range slices.Sorted(maps.Keys(s.Queued)) {
		fmt.Fprintf(c.stdout, " %s %d", t, s.Queued[t])
	}
	fmt.Fprintln(c.stdout)
	return nil
}

// replayTime reads an RFC 3339 time or a duration before now.
func replayTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "-"))
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a positive duration", s)
	}
	return now.Add(-d), nil
}
