package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

const (
	defaultURL  = "http://127.0.0.1:3000"
	defaultData = ".profilesync"
)

// sandboxTargets are the targets the sandbox has a fake of.
var sandboxTargets = sandbox.Targets

// devHelp names the fakes from the lists the sandbox mounts them by, so
// the help cannot drift from what the stack serves.
var devHelp = fmt.Sprintf(`
Usage: profilesync dev [flags]

Run the whole of ProfileSync on one machine, with no AWS and no Docker: the
ingress at POST <url>/webhooks/{source}, one SQLite queue (with a DLQ) and
one poller per target, and the sandbox fakes under <url>/sandbox/<name>/:
  sources: %s
  targets: %s
Development secrets are written to <data>/secrets on first start; edit them
to point a source or target at a real system. The mappings' warnings are
printed at start. Runs until interrupted (Ctrl-C, SIGTERM); queued
messages, the sync state and what the sandbox fakes hold (<data>/sandbox)
stay in <data> for the next start; --reset empties it first.`,
	strings.Join(sandbox.Sources, ", "), strings.Join(sandbox.Targets, ", "))

func runDev(ctx context.Context, c *cli, args []string) error {
	f := newFlags("dev", devHelp)
	addr := f.String("addr", "127.0.0.1:3000", "listen `address`")
	data := f.String("data", defaultData, "data `dir`ectory: SQLite queues and state, sandbox/, secrets/")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory (default: the ones built in)")
	doReset := f.Bool("reset", false, "first empty the data directory, as profilesync reset does (secrets kept)")
	resetSecrets := f.Bool("reset-secrets", false, "with --reset, remove the secrets too")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if *resetSecrets && !*doReset {
		return f.usageErr("--reset-secrets goes with --reset")
	}
	var mfs fs.FS
	if *mappingsDir != "" {
		if st, err := os.Stat(*mappingsDir); err != nil || !st.IsDir() {
			return f.usageErr("--mappings %s: not a directory", *mappingsDir)
		}
		mfs = os.DirFS(*mappingsDir)
	}
	if *doReset {
		if stackAnswers(ctx, "http://"+*addr) {
			return fmt.Errorf("a stack is running at %s: stop it before --reset", *addr)
		}
		if err := reset(c, *data, *resetSecrets); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout)
	}
	s, err := devstack.Start(ctx, devstack.Options{Addr: *addr, DataDir: *data, Mappings: mfs, Log: c.log})
	if err != nil {
		return err
	}
	printStack(c, s, *data, *mappingsDir)
	<-ctx.Done()
	c.log.Info("stopping")
	return s.Close()
}

func printStack(c *cli, s *devstack.Stack, data, mappingsDir string) {
	w := c.stdout
	fmt.Fprintf(w, "ProfileSync is running on %s (data in %s)\n\n", s.URL, filepath.Clean(data))
	printMappingWarnings(c, s, mappingsDir)
	fmt.Fprintln(w, "Webhooks:")
	for _, src := range s.Function.Sources {
		if src == "cognito" { // no webhook: Cognito invokes its trigger function
			fmt.Fprintf(w, "  %-10s profilesync invoke %s -e events/cognito-post-confirmation.json\n", src, devstack.CognitoFunctionID)
			continue
		}
		fmt.Fprintf(w, "  %-10s POST %s/webhooks/%s\n", src, s.URL, src)
	}
	fmt.Fprintf(w, "\nSandbox fakes (under %s%s/<name>/):\n", s.URL, sandbox.Prefix)
	fmt.Fprintf(w, "  sources: %s\n", strings.Join(sandbox.Sources, ", "))
	fmt.Fprintf(w, "  targets: %s\n", strings.Join(sandbox.Targets, ", "))
	fmt.Fprintln(w, "\nSandbox records:")
	for _, m := range s.Function.Mappings.All() {
		if !slices.Contains(sandboxTargets, m.Name) {
			continue // a target of its own, not one of the sandbox's fakes
		}
		fmt.Fprintf(w, "  %-10s GET  %s%s/%s/_sandbox/records\n", m.Name, s.URL, sandbox.Prefix, m.Name)
	}
	if s.Verifier != nil {
		names := make([]string, 0, len(s.Rules.All()))
		for _, r := range s.Rules.All() {
			names = append(names, r.Name)
		}
		fmt.Fprintf(w, "\nClaim verifier (rules %s):\n", strings.Join(names, ", "))
		fmt.Fprintf(w, "  POST %s/claims/verify   (X-API-Key: %s)\n", s.URL, sandbox.DevClaimsAPIKey)
	}
	if len(s.Jobs.All()) > 0 {
		fmt.Fprintln(w, "\nScheduled jobs (profilesync job list; job run NAME runs one now):")
		for _, j := range s.Jobs.All() {
			fmt.Fprintf(w, "  %-10s %s %s in %s\n", j.Name, j.Kind, j.Schedule.Expression(), j.Schedule.TimeZone)
		}
	}
	urlFlag := ""
	if s.URL != defaultURL {
		urlFlag = " --url " + s.URL
	}
	dataFlag := ""
	if filepath.Clean(data) != defaultData {
		dataFlag = " --data " + data
	}
	fmt.Fprintln(w, "\nTry:")
	fmt.Fprintf(w, "  profilesync send cidaas events/webhooks/cidaas-account-created.json%s%s\n", urlFlag, dataFlag)
	fmt.Fprintf(w, "  profilesync sandbox list salesforce%s\n", urlFlag)
	if s.Rules.Get("hcp") != nil {
		fmt.Fprintf(w, "  profilesync send cidaas events/webhooks/cidaas-account-modified-hcp.json%s%s   (a claim verified)\n", urlFlag, dataFlag)
	}
	fmt.Fprintln(w, "\nCtrl-C stops the stack.")
}

// printMappingWarnings says what validate would warn of (a profile path the
// canonical profile does not have: a field that never gets a value), so a
// typo is not found only by a missing field at the back-end.
func printMappingWarnings(c *cli, s *devstack.Stack, mappingsDir string) {
	var warns []string
	for _, m := range s.Function.Mappings.All() {
		for _, p := range m.Warnings {
			if mappingsDir != "" && p.File != "" {
				cp := *p
				cp.File = filepath.Join(mappingsDir, p.File)
				p = &cp
			}
			warns = append(warns, p.Error())
		}
	}
	if len(warns) == 0 {
		return
	}
	fmt.Fprintf(c.stdout, "Mapping warnings (%d):\n", len(warns))
	for _, w := range warns {
		fmt.Fprintf(c.stdout, "  %s\n", w)
	}
	fmt.Fprintln(c.stdout)
}
