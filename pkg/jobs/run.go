package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// File is one segment file of a run as the manifest lists it.
type File struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Checkpoint is where a run stands: enough to continue it after the
// Lambda's time limit or a crash with no duplicate and no gap. It is
// saved after every committed segment.
type Checkpoint struct {
	Job     string    `json:"job"`
	Run     string    `json:"run"` // the run's id: its files' directory
	Started time.Time `json:"started"`
	// Cursor is the list cursor where the next segment starts.
	Cursor string `json:"cursor"`
	// Files are the committed segments, in order.
	Files  []File `json:"files"`
	Rows   int64  `json:"rows"`   // rows written
	Listed int64  `json:"listed"` // profiles read from the source
	// Since is the previous complete run's watermark (incremental jobs
	// export only what changed after it); Watermark the largest
	// updated_at this run has seen.
	Since     string `json:"since,omitempty"`
	Watermark string `json:"watermark,omitempty"`
	// Done is set once the manifest is written.
	Done     bool      `json:"done"`
	Finished time.Time `json:"finished,omitempty"`
}

// WatermarkLayout writes updated_at times so that they sort as text.
const WatermarkLayout = "2006-01-02T15:04:05.000000000Z"

// Checkpoints keep each job's current run and its last complete one:
// DynamoDB on AWS, SQLite locally.
type Checkpoints interface {
	// Current is the job's unfinished run, or nil.
	Current(ctx context.Context, job string) (*Checkpoint, error)
	// Save records c as the job's current run (Done: as its last
	// complete run, and no current run any more).
	Save(ctx context.Context, c Checkpoint) error
	// Last is the job's last complete run, or nil.
	Last(ctx context.Context, job string) (*Checkpoint, error)
}

// Segment is one file being written (pkg/export's Segment).
type Segment interface {
	Write(row []any) error
	Close(ctx context.Context) (File, error)
	Abort(ctx context.Context) error
}

// Output opens the files of an export run: its segments and, last, its
// manifest (pkg/export over the job's destination).
type Output interface {
	Segment(ctx context.Context, name string, columns []string) (Segment, error)
	Manifest(ctx context.Context, name string, m Manifest) error
	// Extension is the segment files' (".csv.gz", ".parquet").
	Extension() string
}

// Manifest is written last: consumers read it to know the run is whole.
type Manifest struct {
	Job       string    `json:"job"`
	Run       string    `json:"run"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Format    string    `json:"format"`
	Columns   []string  `json:"columns"`
	Files     []File    `json:"files"`
	Rows      int64     `json:"rows"`
	Since     string    `json:"since,omitempty"`
	Watermark string    `json:"watermark,omitempty"`
	Complete  bool      `json:"complete"`
}

// Result is what one invocation of a run did.
type Result struct {
	Run      string
	Segments int   // committed by this invocation
	Rows     int64 // written by this invocation
	// Continue is true when the run stopped at its deadline with more to
	// do: the caller continues it (a continuation message on AWS).
	Continue bool
	// Done is true when the manifest was written.
	Done bool
	// Busy is true when another invocation runs the job (it holds the
	// job's lease): this one did nothing.
	Busy       bool
	Checkpoint Checkpoint
	// Cleanup counts what a cleanup run did (nil for other kinds).
	Cleanup *CleanupCounts
}

// Exporter runs export jobs.
type Exporter struct {
	Lister      source.Lister
	Output      Output
	Checkpoints Checkpoints
	Now         func() time.Time
	Log         *slog.Logger
	// Margin is how long before the context's deadline a run stops
	// starting segments (default 90 s: a segment must fit in it).
	Margin time.Duration
	// NewRun names a new run (default: the start time, sortable).
	NewRun func(start time.Time) string
	// Since, if set, starts a new run from this watermark whatever the
	// job's incremental setting (`profilesync job run --since`).
	Since string
	// Progress, if set, hears after every page how many profiles the
	// run has listed and how many rows it has written (the CLI's
	// progress line).
	Progress func(listed, rows int64)
}

func (x *Exporter) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

func (x *Exporter) log() *slog.Logger {
	if x.Log != nil {
		return x.Log
	}
	return slog.Default()
}

// Run starts the job's run, or continues the unfinished one, and works
// until the run is done or ctx's deadline comes within Margin.
func (x *Exporter) Run(ctx context.Context, j *Job) (Result, error) {
	if j.Kind != KindExport {
		return Result{}, fmt.Errorf("job %s is a %s job, not an export", j.Name, j.Kind)
	}
	cp, err := x.Checkpoints.Current(ctx, j.Name)
	if err != nil {
		return Result{}, fmt.Errorf("job %s: read checkpoint: %w", j.Name, err)
	}
	if cp == nil {
		cp, err = x.start(ctx, j)
		if err != nil {
			return Result{}, err
		}
	}
	res := Result{Run: cp.Run}
	margin := x.Margin
	if margin <= 0 {
		margin = 90 * time.Second
	}
	for {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < margin {
			res.Continue, res.Checkpoint = true, *cp
			return res, nil
		}
		more, err := x.segment(ctx, j, cp, &res)
		if err != nil {
			return res, err
		}
		if !more {
			break
		}
	}
	m := Manifest{Job: j.Name, Run: cp.Run, Started: cp.Started, Finished: x.now().UTC(), Format: j.Format.Type,
		Columns: j.Fields.Columns(), Files: cp.Files, Rows: cp.Rows, Since: cp.Since, Watermark: cp.Watermark, Complete: true}
	if m.Files == nil {
		m.Files = []File{}
	}
	if err := x.Output.Manifest(ctx, cp.Run+"/manifest.json", m); err != nil {
		return res, fmt.Errorf("job %s: write the manifest: %w", j.Name, err)
	}
	cp.Done, cp.Finished = true, m.Finished
	if err := x.Checkpoints.Save(ctx, *cp); err != nil {
		return res, fmt.Errorf("job %s: save checkpoint: %w", j.Name, err)
	}
	x.log().Info("export done", "job", j.Name, "run", cp.Run, "files", len(cp.Files), "rows", cp.Rows, "listed", cp.Listed)
	res.Done, res.Checkpoint = true, *cp
	return res, nil
}

func (x *Exporter) start(ctx context.Context, j *Job) (*Checkpoint, error) {
	now := x.now().UTC()
	run := now.Format("20060102T150405Z")
	if x.NewRun != nil {
		run = x.NewRun(now)
	}
	cp := &Checkpoint{Job: j.Name, Run: run, Started: now, Since: x.Since}
	if j.Incremental && x.Since == "" {
		last, err := x.Checkpoints.Last(ctx, j.Name)
		if err != nil {
			return nil, fmt.Errorf("job %s: read the last run: %w", j.Name, err)
		}
		if last != nil {
			cp.Since = last.Watermark
		}
	}
	if err := x.Checkpoints.Save(ctx, *cp); err != nil {
		return nil, fmt.Errorf("job %s: save checkpoint: %w", j.Name, err)
	}
	x.log().Info("export started", "job", j.Name, "run", run, "since", cp.Since)
	return cp, nil
}

// segment writes the next segment: pages from cp.Cursor until the
// segment has SegmentRows rows (a segment ends on a page boundary, so
// the cursor after it is where the next starts) or the list ends. It
// commits the file and then saves the checkpoint: a crash in between
// rewrites the same file, under the same name.
func (x *Exporter) segment(ctx context.Context, j *Job, cp *Checkpoint, res *Result) (more bool, err error) {
	name := fmt.Sprintf("%s/part-%05d%s", cp.Run, len(cp.Files)+1, x.Output.Extension())
	seg, err := x.Output.Segment(ctx, name, j.Fields.Columns())
	if err != nil {
		return false, fmt.Errorf("job %s: open %s: %w", j.Name, name, err)
	}
	cursor := cp.Cursor
	var rows, listed int64
	watermark := cp.Watermark
	for {
		if j.MaxRecords > 0 && cp.Listed+listed >= j.MaxRecords {
			cursor = ""
			break
		}
		size := j.PageSize
		if j.MaxRecords > 0 {
			size = int(min(int64(size), j.MaxRecords-cp.Listed-listed))
		}
		page, next, err := x.list(ctx, cursor, size)
		if err != nil {
			_ = seg.Abort(ctx)
			return false, fmt.Errorf("job %s: list %s: %w", j.Name, j.Source, err)
		}
		for _, p := range page {
			listed++
			if p.UpdatedAt != nil {
				if w := p.UpdatedAt.UTC().Format(WatermarkLayout); w > watermark {
					watermark = w
				}
			}
			ok, err := x.keep(j, p, cp.Since)
			if err != nil {
				_ = seg.Abort(ctx)
				return false, fmt.Errorf("job %s: filter: %w", j.Name, err)
			}
			if !ok {
				continue
			}
			row, err := j.Fields.Row(p)
			if err != nil {
				_ = seg.Abort(ctx)
				return false, fmt.Errorf("job %s: %w", j.Name, err)
			}
			if err := seg.Write(row); err != nil {
				_ = seg.Abort(ctx)
				return false, fmt.Errorf("job %s: write %s: %w", j.Name, name, err)
			}
			rows++
		}
		cursor = next
		if x.Progress != nil {
			x.Progress(cp.Listed+listed, cp.Rows+rows)
		}
		if cursor == "" || rows >= int64(j.SegmentRows) {
			break
		}
	}
	if rows == 0 && cursor == "" && len(cp.Files) > 0 {
		// Nothing new after the last segment: no empty trailing file.
		if err := seg.Abort(ctx); err != nil {
			return false, err
		}
	} else {
		f, err := seg.Close(ctx)
		if err != nil {
			_ = seg.Abort(ctx)
			return false, fmt.Errorf("job %s: commit %s: %w", j.Name, name, err)
		}
		f.Rows = rows
		cp.Files = append(cp.Files, f)
		res.Segments++
	}
	cp.Cursor, cp.Rows, cp.Listed, cp.Watermark = cursor, cp.Rows+rows, cp.Listed+listed, watermark
	res.Rows += rows
	if err := x.Checkpoints.Save(ctx, *cp); err != nil {
		return false, fmt.Errorf("job %s: save checkpoint: %w", j.Name, err)
	}
	return cursor != "", nil
}

// list reads one page, waiting out a throttled or briefly unavailable
// CIAM (within ctx).
func (x *Exporter) list(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	return ListPage(ctx, x.Lister, cursor, size)
}

// keep applies the job's filter and, for an incremental run, the
// previous watermark.
func (x *Exporter) keep(j *Job, p *profile.Profile, since string) (bool, error) {
	if since != "" && (p.UpdatedAt == nil || p.UpdatedAt.UTC().Format(WatermarkLayout) <= since) {
		return false, nil
	}
	if j.Filter == nil {
		return true, nil
	}
	return j.Filter.Holds(p, nil)
}

// Leases keep two invocations from running one job at once: a schedule
// that fires while the job's continuation chain still runs, two local
// runs. The checkpoint stores implement it beside Checkpoints.
type Leases interface {
	// Acquire takes job's lease for holder until until, if no other
	// holder has it unexpired; it says whether holder has it now.
	Acquire(ctx context.Context, job, holder string, until, now time.Time) (bool, error)
	// Release gives holder's lease back (a lease another holder took
	// after it expired stays).
	Release(ctx context.Context, job, holder string) error
}
