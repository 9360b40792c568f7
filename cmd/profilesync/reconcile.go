package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/reconcile"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

const reconcileHelp = `
Usage: profilesync reconcile TARGET [--apply] [--allow-deletes] [--source NAME]
                             [--output text|json|csv] [flags]

Compares TARGET's records with the CIAM through TARGET's mapping, as the
scheduled reconcile job does, against the local stack: it lists the CIAM
from the running stack's sandbox (--url) and reads the target's sandbox
(its secret in <data>/secrets). It prints the plan: records to create,
to update (with the fields that differ), to delete (they carry our key
but their subject is gone), and the count of records without our key,
which are left alone.

  --apply          enqueue the changes on the target's local queue; the
                   running stack's sync function delivers them.
  --allow-deletes  let a plan past the accidental-deletion threshold (the
                   target's reconcile job's deletes: {max_count,
                   max_percent}, default 100 and 20 %). This is also how
                   a quarantined scheduled run is approved: review its plan
                   here, then run again with --apply --allow-deletes.

The plan holds the target's and the CIAM's field values: it is printed
for you, never logged. Readable targets: salesforce and scim connectors.`

func runReconcile(ctx context.Context, c *cli, args []string) error {
	f := newFlags("reconcile", reconcileHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory (default: the ones built in)")
	src := f.String("source", "cidaas", "the CIAM `source` to list")
	apply := f.Bool("apply", false, "enqueue the changes for the running stack to deliver")
	allow := f.Bool("allow-deletes", false, "apply even past the accidental-deletion threshold")
	output := f.String("output", "text", "output `format`: text, json or csv")
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	switch *output {
	case "text", "json", "csv":
	default:
		return f.usageErr("--output %q: want text, json or csv", *output)
	}
	if *allow && !*apply {
		return f.usageErr("--allow-deletes needs --apply")
	}
	mfs, ms, err := loadMappings(*mappingsDir)
	if err != nil {
		return err
	}
	target := pos[0]
	if ms.Get(target) == nil {
		return f.usageErr("no target %q; targets: %s", target, targetNames(ms))
	}
	set, name, err := reconcileJob(mfs, target, *src)
	if err != nil {
		return err
	}
	base := strings.TrimRight(*url, "/")
	fn := localFunction(c, ms, *data, base)
	var plan *reconcile.Plan
	p := jobsfn.Ports{Function: fn, Jobs: set, Checkpoints: jobs.NewMemoryCheckpoints(),
		Destinations: func(context.Context, *jobs.Job) (export.Destination, error) {
			return nil, errors.New("a reconcile job has no destination")
		},
		Reconcile: jobsfn.ReconcilePorts{AllowDeletes: *allow, Plans: func(p *reconcile.Plan) { plan = p }}}
	if *apply {
		rules, err := devstack.LoadRules(mfs)
		if err != nil {
			return err
		}
		db, queues, err := devstack.OpenQueues(filepath.Clean(*data), ms, rules, 0)
		if err != nil {
			return err
		}
		defer db.Close()
		p.Reconcile.Queue = queues
	}
	r, err := jobsfn.New(ctx, p)
	if err != nil {
		return err
	}
	if _, err := r.Run(ctx, name); err != nil {
		return withStackHint(err, base)
	}
	if err := printPlan(c.stdout, plan, *output); err != nil {
		return err
	}
	if plan.Quarantined {
		fmt.Fprintf(c.stderr, "reconcile %s: quarantined (%s); nothing applied\n", target, plan.Threshold)
		return errReported
	}
	return nil
}

// reconcileJob is the target's shipped reconcile job for source (its
// threshold), or one with the defaults, in a set of its own.
func reconcileJob(mfs fs.FS, target, source string) (*jobs.Set, string, error) {
	deletes := ""
	if all, err := devstack.LoadJobs(mfs); err == nil {
		for _, j := range all.All() {
			if j.Kind == jobs.KindReconcile && j.Target == target && j.Source == source {
				deletes = fmt.Sprintf("deletes: {max_count: %d, max_percent: %d}\n", j.MaxDeletes, int(j.MaxDeletesPercent))
			}
		}
	}
	const name = "reconcile-cli"
	job := fmt.Sprintf("version: 1\nkind: reconcile\nschedule: {rate: 7 days}\nsource: %q\ntarget: %q\n%s", source, target, deletes)
	set, err := jobs.Loader{Mapping: plugins.All.Loader()}.LoadFS(fstest.MapFS{jobs.Dir + "/" + name + ".yaml": {Data: []byte(job)}}, jobs.Dir)
	return set, name, err
}

func printPlan(w io.Writer, p *reconcile.Plan, output string) error {
	if p == nil {
		return errors.New("reconcile: no plan")
	}
	switch output {
	case "json":
		return p.WriteJSON(w)
	case "csv":
		return p.WriteCSV(w)
	}
	return p.WriteText(w, 50)
}
