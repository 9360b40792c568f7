package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"os"
	"time"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/devstack"
)

const invokeHelp = `
Usage: profilesync invoke FUNCTION -e FILE [flags]

Run one function of template.yaml in-process on a Lambda event, like
"sam local invoke FUNCTION -e FILE" without Docker, and print the handler's
JSON response.

FUNCTION is a logical id (IngressFunction, SalesforceSyncFunction,
WebhookSyncFunction, ...: <Target>SyncFunction for every mapping file), or
"ingress", or "sync:<target>".

  ingress  FILE is an API Gateway HTTP API (v2) request. It is verified with
           the secrets in <data>/secrets and enqueued on the SQLite queues in
           <data>, where a running (or the next) "profilesync dev" delivers
           it. Use --now for samples signed at a fixed time.
  sync     FILE is an SQS event. It is delivered to a fresh in-process
           sandbox (development secrets, in-memory sync state), whose
           records for the target are printed after the response.
  CognitoTriggerFunction
           FILE is a Cognito trigger event (events/cognito-post-confirmation.json)
           of the "cognito" secret's user pool; its events are enqueued as the
           ingress's are, and the event is printed back as Cognito gets it.`

func runInvoke(ctx context.Context, c *cli, args []string) error {
	f := newFlags("invoke", invokeHelp)
	var event string
	f.StringVar(&event, "e", "", "event `file` (required)")
	f.StringVar(&event, "event", "", "event `file` (same as -e)")
	data := f.String("data", defaultData, "data `dir`ectory: the queues the ingress writes to")
	now := f.String("now", "", "the ingress clock, as `RFC3339` (default: the current time)")
	envVars := f.String("env-vars", "", "SAM env.json `file`; read for parity with sam local invoke, not used")
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	if event == "" {
		return f.usageErr("-e FILE is required")
	}
	ms, err := plugins.All.LoadMappings(mappings.FS, ".")
	if err != nil {
		return err
	}
	if _, err := devstack.ResolveFunction(pos[0], ms); err != nil {
		return f.usageErr("%v", err)
	}
	var at time.Time
	if *now != "" {
		if at, err = time.Parse(time.RFC3339, *now); err != nil {
			return f.usageErr("--now %q: want RFC3339, e.g. 2025-01-01T10:05:00Z", *now)
		}
	}
	if *envVars != "" {
		b, err := os.ReadFile(*envVars)
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return fmt.Errorf("--env-vars %s: not JSON", *envVars)
		}
	}
	ev, err := os.ReadFile(event)
	if err != nil {
		return err
	}
	res, err := devstack.Invoke(ctx, devstack.InvokeOptions{
		Function: pos[0], Event: ev, DataDir: *data, Now: at, Log: c.log,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, string(res.Response))
	switch {
	case res.Records != nil && res.Function.LogicalID == devstack.VerifierFunctionID:
		fmt.Fprintln(c.stdout, "\nDecisions the verifier recorded:")
		printJSON(c, res.Records)
	case res.Records != nil && res.Function.LogicalID == devstack.JobsFunctionID:
		fmt.Fprintln(c.stdout, "\nFiles the run wrote (a temporary directory, removed) and messages it queued:")
		printJSON(c, res.Records)
	case res.Records != nil:
		fmt.Fprintf(c.stdout, "\nSandbox records of %s after the invoke:\n", res.Function.Target)
		printJSON(c, res.Records)
	}
	if len(res.DeadLetters) > 0 {
		fmt.Fprintf(c.stdout, "\nDead-lettered (deployed, these would be in %s's DLQ):\n", res.Function.Target)
		for _, d := range res.DeadLetters {
			fmt.Fprintf(c.stdout, "  %s: %s\n", d.Msg.MessageId, d.Reason)
		}
	}
	// A webhook the ingress refused is a failed invoke, as a script would
	// want to know; the response above says why.
	var http struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(res.Response, &http) == nil && http.StatusCode >= 400 {
		fmt.Fprintf(c.stderr, "profilesync invoke: %s answered %d\n", pos[0], http.StatusCode)
		return errReported
	}
	return nil
}

// printJSON prints raw indented.
func printJSON(c *cli, raw []byte) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	fmt.Fprintln(c.stdout, buf.String())
}
