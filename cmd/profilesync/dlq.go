package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/local"
)

const dlqHelp = `
Usage: profilesync dlq list TARGET [--output text|json] [flags]
       profilesync dlq redrive TARGET [flags]

Work on TARGET's dead-letter queue (TARGET "claims": the claim
verifier's) in the local SQLite queues of <data>:
"list" shows each dead letter's id, reason, attempts, when it moved, and the
event id, type and source from its attributes (not its body, which holds
personal data: only its size); "redrive" moves them all back to TARGET's
queue, where the pollers of a running "profilesync dev" pick them up.
--output json prints the list as one JSON array (never the bodies).

With --dlq-url (or DLQ_URL) it works on SQS instead, with the usual AWS
credentials and AWS_ENDPOINT_URL: "list" peeks at the messages (they stay
in the DLQ) and shows the reason attributes the sync function wrote;
"redrive" starts an SQS message move task back to --queue-url (QUEUE_URL),
the console's "Start DLQ redrive". --client-side moves them by receive,
send and delete instead, for SQS stand-ins without move tasks.`

func runDLQ(ctx context.Context, c *cli, args []string) error {
	f := newFlags("dlq", dlqHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	queueURL := f.String("queue-url", os.Getenv("QUEUE_URL"), "TARGET's SQS queue `url` (redrive destination)")
	dlqURL := f.String("dlq-url", os.Getenv("DLQ_URL"), "TARGET's SQS dead-letter queue `url`: work on SQS, not locally")
	clientSide := f.Bool("client-side", false, "SQS redrive by receive, send, delete instead of a message move task")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory the local stack ran with (default: the ones built in)")
	output := outputFlag(f)
	pos, err := f.parse(c, args, 2, 2)
	if err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	action, target := pos[0], pos[1]
	if action != "list" && action != "redrive" {
		return f.usageErr("unknown subcommand %q (want list or redrive)", action)
	}
	mfs, ms, err := loadMappings(*mappingsDir)
	if err != nil {
		return err
	}
	rules, err := devstack.LoadRules(mfs)
	if err != nil {
		return err
	}
	var names []string
	for _, m := range ms.All() {
		names = append(names, m.Name)
	}
	if len(rules.All()) > 0 {
		names = append(names, claims.QueueName) // the claim verifier's queue
	}
	if !slices.Contains(names, target) {
		return f.usageErr("no target %q; targets: %s", target, strings.Join(names, ", "))
	}
	if *dlqURL != "" {
		if action == "redrive" && *queueURL == "" {
			return f.usageErr("redrive on SQS needs --queue-url (or QUEUE_URL)")
		}
		return runDLQOnSQS(ctx, c, action, target, *queueURL, *dlqURL, *clientSide, *output)
	}
	dbPath := filepath.Join(*data, local.DBFile)
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no local database %s (has `profilesync dev --data %s` run?)", dbPath, *data)
	}
	db, queues, err := devstack.OpenQueues(*data, ms, rules, 0)
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
	if *output == "json" {
		out := make([]deadLetterJSON, 0, len(dls))
		for _, d := range dls {
			out = append(out, deadLetterJSON{ID: d.ID, MovedAt: timePtr(d.MovedAt), Attempts: fmt.Sprint(d.Attempts),
				Reason: d.Reason, EventID: d.Attributes["event_id"], EventType: d.Attributes["event_type"],
				Source: d.Attributes["source"], BodyBytes: len(d.Body)})
		}
		return printJSONValue(c, out)
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

func runDLQOnSQS(ctx context.Context, c *cli, action, target, queueURL, dlqURL string, clientSide bool, output string) error {
	// The CLI runs on an operator's machine: the SDK's full configuration
	// chain (profiles, SSO, the shared files), unlike the Lambdas'
	// awsadapter.ConfigFromEnv. AWS_ENDPOINT_URL[_SQS] aim it at a local SQS.
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	d := awsadapter.NewDLQ(sqs.NewFromConfig(cfg), queueURL, dlqURL)
	switch {
	case action == "list":
		dls, err := d.List(ctx, 1000)
		if err != nil {
			return err
		}
		if output == "json" {
			return printJSONValue(c, sqsDeadLettersJSON(dls))
		}
		printSQSDeadLetters(c, target, dls)
	case clientSide:
		n, err := d.MoveBack(ctx)
		if err != nil {
			return fmt.Errorf("%d message(s) moved before: %w", n, err)
		}
		fmt.Fprintf(c.stdout, "%d message(s) moved from %s's DLQ back to its queue\n", n, target)
	default:
		handle, err := d.StartRedrive(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "redrive of %s's DLQ started (SQS message move task %s)\n", target, handle)
	}
	return nil
}

func printSQSDeadLetters(c *cli, target string, dls []awsadapter.DeadLetter) {
	if len(dls) == 0 {
		fmt.Fprintf(c.stdout, "%s's DLQ is empty\n", target)
		return
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSENT\tATTEMPTS\tREASON\tLAST FAILURE\tEVENT ID\tEVENT TYPE\tSOURCE\tBODY")
	for _, d := range dls {
		r := delivery.ReasonFromAttributes(d.Attributes)
		reason := "-"
		if r.Class != "" {
			reason = r.String()
		}
		last := "-"
		if !r.LastFailure.IsZero() {
			last = r.LastFailure.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d bytes\n", d.ID, d.SentAt.Local().Format(time.DateTime),
			dash(d.Attributes[delivery.AttrAttempts]), reason, last, dash(d.Attributes["event_id"]),
			dash(d.Attributes["event_type"]), dash(d.Attributes["source"]), d.BodyBytes)
	}
	_ = tw.Flush()
	fmt.Fprintf(c.stdout, "%d dead letter(s) in %s's DLQ; \"profilesync dlq redrive %s\" retries them\n", len(dls), target, target)
}

func sqsDeadLettersJSON(dls []awsadapter.DeadLetter) []deadLetterJSON {
	out := make([]deadLetterJSON, 0, len(dls))
	for _, d := range dls {
		r := delivery.ReasonFromAttributes(d.Attributes)
		j := deadLetterJSON{ID: d.ID, SentAt: timePtr(d.SentAt), Attempts: d.Attributes[delivery.AttrAttempts],
			LastFailure: timePtr(r.LastFailure), EventID: d.Attributes["event_id"], EventType: d.Attributes["event_type"],
			Source: d.Attributes["source"], BodyBytes: d.BodyBytes}
		if r.Class != "" {
			j.Reason = r.String()
		}
		out = append(out, j)
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
