// Package synclogjob is the sync-log export (jobs kind synclog): the
// per-record sync log written, hour by hour, as NDJSON files an operator
// keeps in their own storage past the log's retention. It lives apart from
// package jobs, which every function links (the run store), because it
// writes through pkg/export, which only the jobs function and the CLI may.
package synclogjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/jobs"
)

// Each line is one delivery.Entry in the JSON
// shape `profilesync log --output json` prints: ids, outcomes and the
// field diff hashed or masked as the mappings' log settings say, never
// raw profile data. An hour's file has a fixed name
// (2026/12/02/21.ndjson.gz under the destination's prefix), so a run again, or a backfill with
// `profilesync log export`, replaces it instead of adding a copy.

// Reader reads the sync log by time window (local.SyncLog,
// awsadapter.SyncLog): every entry whose time is in [since, until), in
// time order.
type Reader interface {
	Window(ctx context.Context, since, until time.Time, fn func(delivery.Entry) error) error
}

// Format is the export's format: NDJSON, gzip-compressed unless
// plain, OpenPGP-encrypted when recipient is set.
func Format(gzip bool, recipient string) export.Format {
	return export.Format{Type: export.NDJSON, Gzip: gzip, Recipient: recipient}
}

// Name is the file of the hour starting at hour (UTC), below the
// destination's prefix: "2026/12/02/21.ndjson.gz".
func Name(hour time.Time, f export.Format) string {
	return hour.UTC().Format("2006/01/02/15") + f.Extension()
}

// Write writes the entries of [since, until), of target (""
// every target), as NDJSON file name at dest; the file is committed
// whole or not at all, empty when the window is.
func Write(ctx context.Context, r Reader, dest export.Destination, name string, f export.Format, since, until time.Time, target string) (jobs.File, error) {
	if !since.Before(until) {
		return jobs.File{}, fmt.Errorf("sync log export: since %s is not before until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	s, err := export.NewObjectSegment(ctx, dest, name, f)
	if err != nil {
		return jobs.File{}, fmt.Errorf("sync log export %s: %w", name, err)
	}
	err = r.Window(ctx, since, until, func(e delivery.Entry) error {
		if target != "" && e.Target != target {
			return nil
		}
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return s.WriteObject(b)
	})
	if err != nil {
		return jobs.File{}, errors.Join(fmt.Errorf("sync log export %s: %w", name, err), s.Abort(ctx))
	}
	info, err := s.Close(ctx)
	if err != nil {
		return jobs.File{}, fmt.Errorf("sync log export %s: %w", name, err)
	}
	return jobs.File{Name: info.Name, Rows: info.Rows, Bytes: info.Bytes, SHA256: info.SHA256}, nil
}

// WriteHours writes each hour of [since, until) as its own file
// (Name), calling done after each. Both ends must be whole hours:
// a part of an hour under the hour's name would replace the whole one.
func WriteHours(ctx context.Context, r Reader, dest export.Destination, f export.Format, since, until time.Time, done func(hour time.Time, file jobs.File) error) error {
	if !since.Equal(since.Truncate(time.Hour)) || !until.Equal(until.Truncate(time.Hour)) {
		return errors.New("sync log export: hourly files need since and until on whole hours (UTC)")
	}
	for h := since.UTC(); h.Before(until); h = h.Add(time.Hour) {
		file, err := Write(ctx, r, dest, Name(h, f), f, h, h.Add(time.Hour), "")
		if err != nil {
			return err
		}
		if done != nil {
			if err := done(h, file); err != nil {
				return err
			}
		}
	}
	return nil
}

// DefaultSettle is how long after an hour ends a scheduled run
// first exports it: entries are written a moment after their time (a
// batch's end), and DynamoDB's index is eventually consistent.
const DefaultSettle = 5 * time.Minute

// Exporter runs synclog jobs: every whole hour not yet exported,
// oldest first, one file each, recording each hour as the job's last
// complete run. A run that failed or never came is caught up by the
// next, while the log still holds the hours (its retention); the first
// run exports the hour before it.
type Exporter struct {
	Log         Reader
	Dest        export.Destination
	Format      export.Format
	Checkpoints jobs.Checkpoints
	Now         func() time.Time
	Logger      *slog.Logger
	// Settle is how long after its end an hour is exported (default
	// DefaultSettle).
	Settle time.Duration
	// Margin is how long before ctx's deadline a run stops starting
	// hours (default 90 s) and asks to continue.
	Margin time.Duration
}

// Run exports the hours due.
func (x *Exporter) Run(ctx context.Context, j *jobs.Job) (jobs.Result, error) {
	settle, margin := x.Settle, x.Margin
	if settle <= 0 {
		settle = DefaultSettle
	}
	if margin <= 0 {
		margin = 90 * time.Second
	}
	now := x.Now().UTC()
	end := now.Add(-settle).Truncate(time.Hour)
	next := end.Add(-time.Hour)
	last, err := x.Checkpoints.Last(ctx, j.Name)
	if err != nil {
		return jobs.Result{}, fmt.Errorf("job %s: last run: %w", j.Name, err)
	}
	if last != nil && last.Watermark != "" {
		if next, err = time.Parse(jobs.WatermarkLayout, last.Watermark); err != nil {
			return jobs.Result{}, fmt.Errorf("job %s: last run's watermark %q: %w", j.Name, last.Watermark, err)
		}
	}
	var res jobs.Result
	for h := next; h.Before(end); h = h.Add(time.Hour) {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < margin {
			res.Continue = true
			return res, nil
		}
		started := x.Now().UTC()
		name := Name(h, x.Format)
		file, err := Write(ctx, x.Log, x.Dest, name, x.Format, h, h.Add(time.Hour), "")
		if err != nil {
			return res, fmt.Errorf("job %s: %w", j.Name, err)
		}
		cp := jobs.Checkpoint{Job: j.Name, Run: h.Format("20060102T15Z"), Started: started, Files: []jobs.File{file}, Rows: file.Rows,
			Since: h.Format(jobs.WatermarkLayout), Watermark: h.Add(time.Hour).Format(jobs.WatermarkLayout), Done: true, Finished: x.Now().UTC()}
		if err := x.Checkpoints.Save(ctx, cp); err != nil {
			return res, fmt.Errorf("job %s: checkpoint %s: %w", j.Name, name, err)
		}
		res.Run, res.Segments, res.Rows, res.Checkpoint = cp.Run, res.Segments+1, res.Rows+file.Rows, cp
		x.logger().Info("sync log hour exported", "job", j.Name, "file", name, "entries", file.Rows, "bytes", file.Bytes)
	}
	res.Done = true
	return res, nil
}

func (x *Exporter) logger() *slog.Logger {
	if x.Logger != nil {
		return x.Logger
	}
	return slog.Default()
}
