package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/jobs"
)

const jobHelp = `
Usage: profilesync job list [--output text|json] [flags]
       profilesync job run NAME [--dry-run] [--since RFC3339] [flags]

The scheduled jobs of mappings/jobs/*.yaml, as the local stack runs them:

  list  each job's name, kind, schedule (in its time zone), next run,
        source and destination.
  run   run NAME now, with the same code and checkpoints the stack uses:
        it lists the source from the running stack's sandbox (--url), and
        writes an S3 destination's files below <data>/exports/. A run cut
        short continues where it stopped at the next run. --dry-run writes
        into a temporary directory and keeps no checkpoint; --since starts
        an incremental job from that time instead of the last run's
        watermark (with --dry-run only).`

func runJob(ctx context.Context, c *cli, args []string) error {
	f := newFlags("job", jobHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory with jobs/ (default: the ones built in)")
	dryRun := f.Bool("dry-run", false, "write into a temporary directory and keep no checkpoint")
	since := f.String("since", "", "with --dry-run: export what changed after this `time` (RFC 3339)")
	output := outputFlag(f)
	pos, err := f.parse(c, args, 1, 2)
	if err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	o := devstack.Options{DataDir: *data, Log: slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if *mappingsDir != "" {
		o.Mappings = os.DirFS(*mappingsDir)
	}
	set, err := devstack.LoadJobs(o.Mappings)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "list":
		if len(pos) != 1 {
			return f.usageErr("job list takes no argument")
		}
		return printJobs(c, set, *output)
	case "run":
		if len(pos) != 2 {
			return f.usageErr("job run takes the job's NAME")
		}
		if *since != "" && !*dryRun {
			return f.usageErr("--since needs --dry-run (a real run continues from the last run's watermark)")
		}
		j := set.Get(pos[1])
		if j == nil {
			var names []string
			for _, j := range set.All() {
				names = append(names, j.Name)
			}
			return f.usageErr("no job %q; jobs: %s", pos[1], strings.Join(names, ", "))
		}
		return runJobNow(ctx, c, o, strings.TrimRight(*url, "/"), set, j, *dryRun, *since)
	}
	return f.usageErr("unknown subcommand %q (want list or run)", pos[0])
}

func printJobs(c *cli, set *jobs.Set, output string) error {
	type row struct {
		Name        string    `json:"name"`
		Kind        string    `json:"kind"`
		Schedule    string    `json:"schedule"`
		TimeZone    string    `json:"timezone"`
		Next        time.Time `json:"next"`
		Source      string    `json:"source"`
		Destination string    `json:"destination,omitempty"`
	}
	var rows []row
	now := time.Now()
	for _, j := range set.All() {
		next, _ := j.Schedule.Next(now, now)
		dest := j.Dest.Kind
		if j.Dest.Kind == "s3" {
			b := j.Dest.Bucket
			if b == "" {
				b = "<export bucket>"
			}
			dest = "s3://" + b + "/" + j.Dest.Prefix
		}
		if j.Kind == jobs.KindReconcile {
			dest = "target " + j.Target
		}
		rows = append(rows, row{j.Name, j.Kind, j.Schedule.Expression(), j.Schedule.TimeZone, next, j.Source, dest})
	}
	if output == "json" {
		if rows == nil {
			rows = []row{}
		}
		return printJSONValue(c, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.stdout, "no jobs (mappings/jobs/*.yaml)")
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tKIND\tSCHEDULE\tTIME ZONE\tNEXT RUN\tSOURCE\tDESTINATION")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Schedule, r.TimeZone, r.Next.Format("2006-01-02 15:04 MST"), r.Source, r.Destination)
	}
	return w.Flush()
}

func runJobNow(ctx context.Context, c *cli, o devstack.Options, url string, set *jobs.Set, j *jobs.Job, dryRun bool, since string) error {
	o.DataDir = filepath.Clean(o.DataDir)
	var progress func(listed, rows int64)
	start := time.Now()
	tty := isTerminal(c.stderr)
	last := time.Time{}
	progress = func(listed, rows int64) {
		if time.Since(last) < 200*time.Millisecond && tty {
			return
		}
		last = time.Now()
		rate := float64(listed) / max(time.Since(start).Seconds(), 0.001)
		line := fmt.Sprintf("%s: %d profiles listed, %d rows written, %.0f profiles/s", j.Name, listed, rows, rate)
		if tty {
			fmt.Fprintf(c.stderr, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(c.stderr, line)
		}
	}
	r, closeFn, dir, err := devstack.OpenJobs(ctx, o, url, devstack.JobRunOptions{DryRun: dryRun, Since: since, Progress: progress, Job: j.Name})
	if err != nil {
		return err
	}
	defer closeFn()
	for {
		res, err := r.Run(ctx, j.Name)
		if tty {
			fmt.Fprintln(c.stderr)
		}
		if err != nil {
			return withStackHint(err, url)
		}
		if res.Continue {
			continue
		}
		if res.Busy {
			return fmt.Errorf("job %s is running in another invocation (the stack's schedule, another job run); try again when it is done", j.Name)
		}
		cp := res.Checkpoint
		if n := res.Cleanup; n != nil {
			fmt.Fprintf(c.stdout, "job %s: run %s done in %s: %d profiles listed; queued %d consent_revoked and %d deleted (%d messages, %d routed nowhere); expired %d sync-state and %d abandoned rows\n",
				j.Name, cp.Run, time.Since(start).Round(time.Millisecond), n.Listed, n.ConsentsRevoked, n.Inactive, n.Messages, n.Unrouted, n.StateExpired, n.AbandonedExpired)
			return nil
		}
		w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(c.stdout, "job %s: run %s done in %s: %d profiles listed, %d rows in %d file(s)", j.Name, cp.Run,
			time.Since(start).Round(time.Millisecond), cp.Listed, cp.Rows, len(cp.Files))
		if cp.Since != "" {
			fmt.Fprintf(c.stdout, " (changed after %s)", cp.Since)
		}
		fmt.Fprintf(c.stdout, "\n  in %s\n", filepath.Join(dir, cp.Run))
		fmt.Fprintln(w, "  FILE\tROWS\tBYTES\tSHA-256")
		for _, f := range cp.Files {
			fmt.Fprintf(w, "  %s\t%d\t%d\t%s\n", f.Name, f.Rows, f.Bytes, f.SHA256)
		}
		fmt.Fprintf(w, "  %s/manifest.json\t\t\t(written last)\n", cp.Run)
		return w.Flush()
	}
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
