package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/profilesync/profilesync/pkg/claims"
	authregistry "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

const templateHelp = `
Usage: profilesync template [--check] [--template FILE] [--mappings DIR]

Render the per-target blocks of the SAM template from the mapping files:
per target a secret parameter, a queue and its dead-letter queue, a sync
function, a DLQ-depth alarm and a function-errors alarm, the ingress's
queue URL and send policy, and a DLQ console link output. Only the lines
between "# BEGIN GENERATED ..." and "# END GENERATED ..." markers change.
Adding a target is a mapping file plus one run of this command.

The claim rules in DIR/claims/*.yaml give the claim verifier its blocks:
a secret parameter per secret the rules name (and claims-api; with a
manual authority also claims-approvals, an SNS topic for approvers and an
hourly reminder schedule), its queue's redrive from the longest
retry_for, and the ingress's route to it. Without rules there is no
verifier.

The job files in DIR/jobs/*.yaml give the scheduled jobs their blocks:
one jobs function with its continuation queue, dead-letter queue,
checkpoint table and export bucket, and an EventBridge Scheduler
schedule per job. Without job files there are none.

A target whose connector sends many records per API call (salesforce,
hubspot, braze, eventbridge) gets queue batches of up to that many messages
(at most 100), which Lambda gathers for up to 5 s; the others take batches
of 10 as they arrive.

With --check nothing is written: exit 1 and show the lines that differ when
the template is not what the mappings produce (make test does the same).`

func runTemplate(_ context.Context, c *cli, args []string) error {
	f := newFlags("template", templateHelp)
	check := f.Bool("check", false, "only check that FILE is up to date; exit 1 if not")
	path := f.String("template", "template.yaml", "SAM template `FILE` to rewrite")
	dir := f.String("mappings", "mappings", "mapping files `DIR`")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return f.usageErr("%s: not a directory", *dir)
	}
	set, err := plugins.All.LoadMappings(os.DirFS(*dir), ".")
	if err != nil {
		for _, p := range leaves(err) {
			var me *mapping.Error
			if errors.As(p, &me) {
				me.File = filepath.Join(*dir, me.File)
			}
			fmt.Fprintln(c.stderr, p)
		}
		return fmt.Errorf("%s: mappings do not load; `profilesync validate %s` lists the problems", *dir, *dir)
	}
	rules, err := loadClaimRules(c, *dir)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	jobLoader := jobs.Loader{Mapping: plugins.All.Loader()}
	jobSet, err := jobLoader.LoadFS(os.DirFS(*dir), jobs.Dir)
	if err != nil {
		return fmt.Errorf("%s: job files do not load; `profilesync validate %s` lists the problems: %w", filepath.Join(*dir, jobs.Dir), *dir, err)
	}
	out, err := samgen.Generate(old, set, samgen.Options{Claims: samgen.ClaimsOf(rules), Jobs: samgen.JobsOf(jobSet),
		JobsForStage: samgen.JobsForStages(jobLoader, os.DirFS(*dir), jobs.Dir)})
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	n := len(set.All())
	switch {
	case bytes.Equal(old, out):
		fmt.Fprintf(c.stdout, "%s is up to date (%d targets from %s)\n", *path, n, *dir)
		return nil
	case *check:
		fmt.Fprintf(c.stderr, "%s is not what %s generates (- committed, + generated):\n%s", *path, *dir, samgen.Diff(old, out, 40))
		fmt.Fprintf(c.stderr, "run `profilesync template --template %s --mappings %s` and commit the result\n", *path, *dir)
		return errReported
	}
	if err := writeKeepingMode(*path, out); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %s (%d targets from %s)\n", *path, n, *dir)
	return nil
}

// loadClaimRules loads dir/claims/*.yaml (none: an empty set), printing
// each problem with its file.
func loadClaimRules(c *cli, dir string) (*claims.RuleSet, error) {
	rules, problems, err := claims.Loader{CheckSettings: authregistry.CheckSettings}.CheckFS(os.DirFS(dir), claims.RulesDir)
	if err != nil {
		return nil, err
	}
	if rules == nil {
		for _, p := range problems {
			if !p.Warning {
				p.File = filepath.Join(dir, p.File)
				fmt.Fprintln(c.stderr, p)
			}
		}
		return nil, fmt.Errorf("%s: claim rules do not load (problems above)", filepath.Join(dir, claims.RulesDir))
	}
	return rules, nil
}

// writeKeepingMode replaces path through a temporary file in its directory,
// so an interrupted run never leaves half a template.
func writeKeepingMode(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".template-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
