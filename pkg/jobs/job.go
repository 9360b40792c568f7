// Package jobs runs the scheduled jobs of mappings/jobs/*.yaml: exports
// of the CIAM's profiles to files, clean-ups (cleanup.go: what is due;
// pkg/wiring/jobsfn queues it) and reconciliations (declared here, run
// by a later increment).
//
// A job file names its kind, schedule, source, filter, the export's
// columns in the mapping field syntax, format, destination, an
// incremental watermark and limits. A run lists the source page by page
// (source.Lister), writes segment files (pkg/export) and checkpoints its
// cursor after each segment, so a run cut short (the Lambda's 15-minute
// limit, a crash) continues from the last segment with no duplicate and
// no gap; the manifest is written last.
package jobs

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// Dir is where job files live below the mappings directory.
const Dir = "jobs"

// Kinds of job.
const (
	KindExport    = "export"
	KindCleanup   = "cleanup"
	KindReconcile = "reconcile"
	// KindSyncLog exports the per-record sync log hour by hour
	// (synclog.go): no source, an ndjson format and a destination.
	KindSyncLog = "synclog"
)

// Defaults and limits.
const (
	DefaultPageSize    = 100
	MaxPageSize        = 1000
	DefaultSegmentRows = 100_000
)

// Schedule is when a job runs: an EventBridge Scheduler expression
// (cron(...) or rate(...)) in a time zone, with a flexible window.
type Schedule struct {
	Cron     string        // "0 2 * * ? *" (EventBridge's six fields)
	Rate     string        // "1 day", "6 hours"
	TimeZone string        // IANA, default UTC
	Window   time.Duration // flexible time window; 0 is off
}

// Expression is the schedule as EventBridge Scheduler writes it.
func (s Schedule) Expression() string {
	if s.Cron != "" {
		return "cron(" + s.Cron + ")"
	}
	return "rate(" + s.Rate + ")"
}

// Format is how an export encodes its files.
type Format struct {
	Type      string // csv | ndjson | parquet
	Delimiter rune   // csv; default ','
	Header    bool   // csv; default true
	Gzip      bool
	// KeepFormulas writes CSV text that starts like a spreadsheet formula
	// as it is (formulas: keep); by default it is escaped with a "'".
	KeepFormulas bool
	// EncryptTo names the secret holding the recipient's armored OpenPGP
	// public key; "" leaves the files unencrypted.
	EncryptTo string
}

// Validate checks the combination.
func (f Format) Validate() error {
	switch f.Type {
	case "csv":
		switch f.Delimiter {
		case '"', '\r', '\n':
			return fmt.Errorf("delimiter %q cannot separate CSV fields", f.Delimiter)
		}
	case "ndjson", "parquet":
		if f.Delimiter != 0 || f.KeepFormulas {
			return fmt.Errorf("delimiter and formulas are for csv only")
		}
	case "":
		return errors.New("type is required: csv, ndjson or parquet")
	default:
		return fmt.Errorf("unknown type %q; want csv, ndjson or parquet", f.Type)
	}
	return nil
}

// Destination is where an export's files go.
type Destination struct {
	Kind string // s3 | sftp | https | dir
	// S3: the bucket ("" is the stack's export bucket), a key prefix, and
	// a KMS key for SSE-KMS ("" is the bucket's default encryption).
	Bucket, Prefix, KMSKey string
	// sftp and https: the secret with the connection, and for sftp the
	// remote directory
	Secret string
	Path   string // sftp: remote directory; dir: local directory (local stack)
}

// Job is one loaded job file.
type Job struct {
	Name     string // the file name without .yaml
	File     string
	Kind     string
	Schedule Schedule
	Source   string
	Filter   *mapping.Condition
	Fields   *mapping.Fields
	Format   Format
	Dest     Destination
	// Incremental exports only profiles updated after the previous
	// complete run's watermark (the largest updated_at it saw).
	Incremental bool
	PageSize    int
	SegmentRows int
	MaxRecords  int64 // 0: no limit
	// Reconcile: the target and the accidental-deletion threshold.
	Target            string
	MaxDeletes        int
	MaxDeletesPercent float64
	// Cleanup: what a cleanup job removes (cleanup.go).
	Cleanup *Cleanup
}

// Set is every job of a deployment.
type Set struct {
	list []*Job
}

// All returns the jobs sorted by name.
func (s *Set) All() []*Job {
	if s == nil {
		return nil
	}
	return s.list
}

// Get returns the job called name, or nil.
func (s *Set) Get(name string) *Job {
	for _, j := range s.All() {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// Loader loads job files with what the binary has.
type Loader struct {
	// Mapping parses the fields (its phone normaliser for e164).
	Mapping mapping.Loader
	// Environment selects the environments: override of every file (the
	// deployment's environment; "" none).
	Environment string
}

// LoadFS loads every *.yaml in dir of fsys; none is an empty set.
func (l Loader) LoadFS(fsys fs.FS, dir string) (*Set, error) {
	set, problems, err := l.CheckFS(fsys, dir)
	if err != nil {
		return nil, err
	}
	if err := mapping.Errs(problems); err != nil {
		return nil, err
	}
	return set, nil
}

// CheckFS loads every job in dir and returns every problem; the set is
// nil when any is an error.
func (l Loader) CheckFS(fsys fs.FS, dir string) (*Set, []*mapping.Error, error) {
	list, problems, err := mapping.CheckDir(fsys, dir, l.Diagnose)
	if err != nil || list == nil && len(problems) > 0 {
		return nil, problems, err
	}
	return &Set{list: list}, problems, nil
}

// Parse decodes one job file; the error joins every problem.
func (l Loader) Parse(filename string, data []byte) (*Job, error) {
	j, problems := l.Diagnose(filename, data)
	if j == nil {
		return nil, mapping.Errs(problems)
	}
	return j, nil
}

var (
	nameRE     = lazyregexp.New(`^[a-z][a-z0-9-]{0,39}$`)
	overrideRE = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)
	rateRE     = lazyregexp.New(`^[1-9][0-9]* (minute|minutes|hour|hours|day|days)$`)
	cronRE     = lazyregexp.New(`^\S+ \S+ \S+ \S+ \S+ \S+$`)
	bucketRE   = lazyregexp.New(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

var (
	layerKeys = []string{"schedule", "source", "filter", "fields", "format", "destination", "incremental", "limits", "target", "deletes", "cleanup"}
	topKeys   = append([]string{"version", "kind", "environments"}, layerKeys...)
)
