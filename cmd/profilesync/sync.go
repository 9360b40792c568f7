package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/reconcile"
	"github.com/profilesync/profilesync/pkg/source"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

const syncHelp = `
Usage: profilesync sync SUBJECT --target TARGET [--source NAME] [--dry-run]
                        [--output text|json] [flags]

Provisions one subject now (provision on demand). Against the local stack
it fetches the subject's current profile from the CIAM (--source, through
the running stack's sandbox at --url), decides what TARGET's sync function
would do with it (the same state, ordering and mapping), and shows the
decision with the fields that differ from what TARGET holds: read from the
target itself where its connector can read one record (salesforce, scim),
else from the last pushed state, which says whether anything changed.
Without --dry-run it then enqueues the change on TARGET's queue, and
follows it until the running stack has delivered it. The change is
delivered even when the state says the target already holds it.

Against a deployed stack, --queue-url names TARGET's SQS queue (the stack's
outputs): the command enqueues a thin on_demand event with your AWS
credentials, and the sync function fetches the profile and delivers it; its
decision is in the function's logs. --dry-run needs the local stack.

The output holds the profile's mapped values: it is printed for you, never
logged.`

// syncReport is what `sync` found, as JSON.
type syncReport struct {
	Subject string `json:"subject"`
	Target  string `json:"target"`
	Source  string `json:"source"`
	EventID string `json:"event_id"`
	// Decision is the outcome the sync function would reach; Call the
	// back-end call it would make ("" for none).
	Decision string `json:"decision"`
	Call     string `json:"call,omitempty"`
	Key      string `json:"key,omitempty"`
	// Record is the mapped record the call sends.
	Record map[string]any `json:"record,omitempty"`
	// Held says where the comparison comes from: "target" (read from the
	// back-end), "state" (the last pushed record's hash) or "none".
	Held       string                `json:"held"`
	InTarget   *bool                 `json:"in_target,omitempty"`
	Changes    []reconcile.FieldDiff `json:"changes,omitempty"`
	LastPushed *time.Time            `json:"last_pushed,omitempty"`
	Applied    bool                  `json:"applied"`
	Outcome    string                `json:"outcome,omitempty"`
}

func runSync(ctx context.Context, c *cli, args []string) error {
	f := newFlags("sync", syncHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory (default: the ones built in)")
	target := f.String("target", "", "the `target` to provision (a mapping's name)")
	src := f.String("source", "cidaas", "the CIAM `source` the subject lives in")
	dry := f.Bool("dry-run", false, "show the decision and the differences; enqueue nothing")
	queueURL := f.String("queue-url", "", "a deployed stack: TARGET's SQS queue `URL`")
	output := outputFlag(f)
	wait := f.Duration("wait", 30*time.Second, "how long to follow the delivery (local stack)")
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	subject := pos[0]
	switch {
	case *target == "":
		return f.usageErr("--target is required")
	case checkOutput(f, *output) != nil:
		return checkOutput(f, *output)
	case *queueURL != "" && *dry:
		return f.usageErr("--dry-run needs the local stack; a deployed stack's decision is in its logs")
	}
	mfs, ms, err := loadMappings(*mappingsDir)
	if err != nil {
		return err
	}
	m := ms.Get(*target)
	if m == nil {
		return f.usageErr("no target %q; targets: %s", *target, targetNames(ms))
	}
	now := time.Now().UTC()
	e := profile.Event{ID: "ondemand-" + strconv.FormatInt(now.UnixNano(), 36), Source: *src, Type: profile.Updated,
		Subject: subject, OccurredAt: now, ReceivedAt: now, SourceType: profile.SourceTypeOnDemand}
	if *queueURL != "" {
		return syncDeployed(ctx, c, e, *target, *queueURL, *output)
	}
	base := strings.TrimRight(*url, "/")
	fn := localFunction(c, ms, *data, base)
	rules, err := devstack.LoadRules(mfs)
	if err != nil {
		return err
	}
	db, queues, err := devstack.OpenQueues(filepath.Clean(*data), ms, rules, 0)
	if err != nil {
		return err
	}
	defer db.Close()

	// The event the sync function gets: the profile as the CIAM has it
	// now, or a delete when the CIAM no longer has the subject.
	if err := fetchInto(ctx, fn, &e); err != nil {
		return withStackHint(err, base)
	}
	// The target's handler as the stack builds it, over the stack's state;
	// a preview never calls the back-end or writes the state, so its
	// retry and dead-letter ports are never used.
	unused := &delivery.MemoryQueue{}
	h, err := wiring.Sync(ctx, wiring.SyncPorts{Function: fn, Plugins: plugins.All, Target: *target,
		State: local.NewState(db), Queue: unused, Abandoned: unused})
	if err != nil {
		return err
	}
	pv, err := h.Preview(ctx, e)
	if err != nil {
		return withStackHint(err, base)
	}
	rep := syncReport{Subject: subject, Target: *target, Source: *src, EventID: e.ID, Decision: string(pv.Outcome),
		Call: pv.Call, Key: pv.Key, Record: pv.Fields, Held: "none"}
	if pv.Found && !pv.State.LastEventAt.IsZero() {
		t := pv.State.LastEventAt
		rep.LastPushed = &t
	}
	if err := compareHeld(ctx, fn, m, pv, &rep); err != nil {
		return withStackHint(err, base)
	}
	if !*dry {
		body, err := profile.NewEnvelope(*target, e).Marshal()
		if err != nil {
			return err
		}
		if err := queues.SendBatch(ctx, *target, []ingress.Message{{ID: "m0", Body: body, Attributes: onDemandAttributes(e)}}); err != nil {
			return err
		}
		rep.Applied = true
		wctx, cancel := context.WithTimeout(ctx, *wait)
		reps, _, err := devstack.Follow(wctx, egress.Client(egress.Local, 5*time.Second), base,
			ingress.Accepted{Enqueued: 1, Events: 1, Routed: []ingress.Routed{{EventID: e.ID, Targets: []string{*target}}}}, now)
		cancel()
		if err != nil {
			return withStackHint(err, base)
		}
		if len(reps) == 1 && len(reps[0].Targets) == 1 {
			rep.Outcome = targetLine(reps[0].Targets[0])
		}
	}
	if *output == "json" {
		return printJSONValue(c, rep)
	}
	printSync(c.stdout, rep)
	return nil
}

// fetchInto completes e with the subject's profile from its source, or
// makes it a delete when the CIAM no longer has the subject.
func fetchInto(ctx context.Context, fn wiring.Function, e *profile.Event) error {
	raw, err := fn.Secrets.Secret(ctx, e.Source)
	if err != nil {
		return fmt.Errorf("source %s: %w", e.Source, err)
	}
	e.Environment = sourcereg.Environment(raw)
	_, fetchers, err := sourcereg.BuildAll(ctx, []string{e.Source}, fn.Secrets, fn.HTTPClient())
	if err != nil {
		return err
	}
	f := fetchers[e.Source]
	if f == nil {
		return fmt.Errorf("source %s has no profile API configured: it cannot be fetched", e.Source)
	}
	p, err := f.Fetch(ctx, e.Subject)
	switch {
	case errors.Is(err, source.ErrNotFound):
		e.Type = profile.Deleted
		return nil
	case err != nil:
		return fmt.Errorf("fetch the profile from %s: %w", e.Source, err)
	}
	e.Profile = p
	return nil
}

// compareHeld fills what the target holds against what the preview sends:
// the record read from the target by its key where the connector can,
// else whether the last pushed record equals it (the state's hash).
func compareHeld(ctx context.Context, fn wiring.Function, m *mapping.Mapping, pv delivery.Preview, rep *syncReport) error {
	if pv.Key == "" {
		return nil
	}
	held, err := readHeld(ctx, fn, m, pv.Key)
	if err != nil {
		return err
	}
	if held.readable {
		rep.Held, rep.InTarget = "target", &held.found
		if held.found && pv.Call == "upsert" {
			rep.Changes = reconcile.Diff(held.rec.Fields, pv.Fields, held.paths, held.text)
		}
		return nil
	}
	if pv.Found {
		rep.Held = "state"
		live := !pv.State.Deleted
		rep.InTarget = &live
	}
	return nil
}

// heldRecord is what a target holds under one key, read through its
// connector (readable false: the connector cannot read one record).
type heldRecord struct {
	readable, found bool
	rec             connector.Record
	paths           []string // the target paths read
	text            bool     // the target keeps values as text
}

// readHeld reads the record m's target holds under key, where its
// connector can read one record (connector.Finder).
func readHeld(ctx context.Context, fn wiring.Function, m *mapping.Mapping, key string) (heldRecord, error) {
	secret, err := fn.Secrets.Secret(ctx, m.Secret)
	if err != nil {
		return heldRecord{}, fmt.Errorf("target %s: read secret %s: %w", m.Name, m.Secret, err)
	}
	conn, err := plugins.All.Connectors(m.Connector, m.Name, m.Settings, secret, fn.HTTPClient())
	if err != nil {
		return heldRecord{}, fmt.Errorf("target %s: %w", m.Name, err)
	}
	if closer, ok := conn.(io.Closer); ok {
		defer closer.Close()
	}
	readable, ok := conn.(connector.Readable)
	if !ok {
		return heldRecord{}, nil
	}
	r, paths, err := readable.Reader(m.Base().TargetPaths())
	if err != nil {
		return heldRecord{}, fmt.Errorf("target %s: %w", m.Name, err)
	}
	finder, ok := r.(connector.Finder)
	if !ok {
		return heldRecord{}, nil
	}
	rec, found, err := finder.Find(ctx, key)
	if err != nil {
		return heldRecord{}, fmt.Errorf("read %s's record: %w", m.Name, err)
	}
	tv, text := r.(connector.TextValued)
	return heldRecord{readable: true, found: found, rec: rec, paths: paths, text: text && tv.TextValues()}, nil
}

// onDemandAttributes are the message attributes the ingress gives its
// messages, so a dead letter of an on-demand change reads like any other.
func onDemandAttributes(e profile.Event) map[string]string {
	return map[string]string{"event_id": e.ID, "event_type": string(e.Type), "source": e.Source, "origin": profile.SourceTypeOnDemand}
}

// syncDeployed enqueues a thin on_demand event on a deployed target's
// queue: the sync function fetches the profile itself.
func syncDeployed(ctx context.Context, c *cli, e profile.Event, target, queueURL, output string) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	body, err := profile.NewEnvelope(target, e).Marshal()
	if err != nil {
		return err
	}
	q := awsadapter.NewQueues(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), map[string]string{target: queueURL})
	if err := q.SendBatch(ctx, target, []ingress.Message{{ID: "m0", Body: body, Attributes: onDemandAttributes(e)}}); err != nil {
		return err
	}
	rep := syncReport{Subject: e.Subject, Target: target, Source: e.Source, EventID: e.ID, Held: "none", Applied: true}
	if output == "json" {
		return printJSONValue(c, rep)
	}
	fmt.Fprintf(c.stdout, "enqueued on-demand event %s for %s on %s; the sync function fetches the profile from %s and delivers it\n",
		e.ID, e.Subject, target, e.Source)
	return nil
}

func printSync(w io.Writer, rep syncReport) {
	fmt.Fprintf(w, "subject %s → %s (from %s)\n", rep.Subject, rep.Target, rep.Source)
	decision := rep.Decision
	if why := outcomeText[decision]; why != "" {
		decision += ": " + why
	}
	if rep.Call != "" {
		decision = fmt.Sprintf("%s (%s, key %s)", decision, rep.Call, rep.Key)
	}
	fmt.Fprintf(w, "decision   %s\n", decision)
	switch {
	case rep.Held == "target" && !*rep.InTarget:
		fmt.Fprintln(w, "target     has no record with this key")
	case rep.Held == "target":
		fmt.Fprintf(w, "target     holds the record; %d field(s) differ\n", len(rep.Changes))
	case rep.Held == "state" && rep.LastPushed != nil:
		fmt.Fprintf(w, "state      last event applied %s (the target's connector cannot read one record)\n", rep.LastPushed.Local().Format(time.DateTime))
	default:
		fmt.Fprintln(w, "state      the target has never had this subject from us")
	}
	if len(rep.Changes) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FIELD\tTARGET HAS\tWOULD SEND")
		for _, d := range rep.Changes {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Field, jsonText(d.Old), jsonText(d.New))
		}
		_ = tw.Flush()
	} else if rep.Call == "upsert" && rep.Held != "target" && len(rep.Record) > 0 {
		keys := make([]string, 0, len(rep.Record))
		for k := range rep.Record {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FIELD\tWOULD SEND")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\n", k, jsonText(rep.Record[k]))
		}
		_ = tw.Flush()
	}
	switch {
	case !rep.Applied:
		fmt.Fprintln(w, "dry run: nothing enqueued")
	case rep.Outcome != "":
		fmt.Fprintf(w, "applied    %s\n", rep.Outcome)
	default:
		fmt.Fprintln(w, "applied    enqueued; not settled yet (profilesync status)")
	}
}

func jsonText(v any) string {
	if v == nil {
		return "-"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
