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
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

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

// Diagnose parses one job file: the job (nil on errors) and every
// problem, in line order.
func (l Loader) Diagnose(filename string, data []byte) (*Job, []*mapping.Error) {
	d := &diag{file: filename, l: l}
	j := d.parse(filename, data)
	sort.SliceStable(d.list, func(a, b int) bool {
		if d.list[a].Line != d.list[b].Line {
			return d.list[a].Line < d.list[b].Line
		}
		return d.list[a].Column < d.list[b].Column
	})
	for _, p := range d.list {
		if !p.Warning {
			return nil, d.list
		}
	}
	return j, d.list
}

type diag struct {
	file string
	l    Loader
	list []*mapping.Error
}

func (d *diag) at(n *yaml.Node, field, format string, a ...any) {
	e := &mapping.Error{File: d.file, Field: field, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.list = append(d.list, e)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *diag) pairs(n *yaml.Node, field string, allowed []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		d.at(n, field, "must be a map")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		if field != "" {
			name = field + "." + k.Value
		}
		if allowed != nil && !contains(allowed, k.Value) {
			d.at(k, name, "unknown key; want one of %s", strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.at(k, name, "set twice")
			continue
		}
		out[k.Value] = v
	}
	return out
}

func (d *diag) parse(filename string, data []byte) *Job {
	name := strings.TrimSuffix(path.Base(filename), path.Ext(filename))
	if !nameRE.MatchString(name) {
		d.at(nil, "", "file name %q must be a job name: lower-case letters, digits and '-', starting with a letter, at most 40", name)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		d.list = append(d.list, mapping.YAMLError(filename, data, err))
		return nil
	}
	if len(root.Content) == 0 {
		d.at(nil, "", "empty file")
		return nil
	}
	doc := root.Content[0]
	top := d.pairs(doc, "", topKeys)
	if v, ok := top["version"]; !ok {
		d.at(doc, "version", "required: 1")
	} else if v.Value != "1" {
		d.at(v, "version", "unsupported version %q; want 1", v.Value)
	}
	j := &Job{Name: name, File: filename, PageSize: DefaultPageSize, SegmentRows: DefaultSegmentRows}
	if v, ok := top["kind"]; !ok {
		d.at(doc, "kind", "required: export, cleanup, reconcile or synclog")
	} else if !contains([]string{KindExport, KindCleanup, KindReconcile, KindSyncLog}, v.Value) {
		d.at(v, "kind", "unknown kind %q; want export, cleanup, reconcile or synclog", v.Value)
	} else {
		j.Kind = v.Value
	}
	// Environment overrides replace whole keys, as a claim rule's do.
	layer := map[string]*yaml.Node{}
	for _, k := range layerKeys {
		if n, ok := top[k]; ok {
			layer[k] = n
		}
	}
	if envs, ok := top["environments"]; ok {
		for env, n := range d.pairs(envs, "environments", nil) {
			if !overrideRE.MatchString(env) {
				d.at(n, "environments."+env, "bad name")
				continue
			}
			over := d.pairs(n, "environments."+env, layerKeys)
			if env == d.l.Environment {
				for k, v := range over {
					layer[k] = v
				}
			}
		}
	}
	d.layer(j, layer)
	return j
}

func (d *diag) layer(j *Job, l map[string]*yaml.Node) {
	if n, ok := l["schedule"]; !ok {
		d.at(nil, "schedule", "required: {cron: …} or {rate: …}, with a timezone")
	} else {
		d.schedule(j, n)
	}
	if n, ok := l["source"]; !ok && j.Kind != KindSyncLog {
		d.at(nil, "source", "required: the CIAM source to list")
	} else if ok {
		j.Source = n.Value
	}
	if j.Kind == KindSyncLog {
		// It reads the sync log, whatever the source.
		for _, k := range []string{"source", "filter", "incremental", "limits"} {
			if n, ok := l[k]; ok {
				d.at(n, k, "a synclog job exports the sync log; it has no %s", k)
			}
		}
	}
	if n, ok := l["filter"]; ok {
		c, err := mapping.CompileCondition(n.Value)
		if err != nil {
			d.at(n, "filter", "%v", err)
		} else {
			j.Filter = c
		}
	}
	if n, ok := l["incremental"]; ok {
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			d.at(n, "incremental", "must be true or false")
		}
		j.Incremental = b
	}
	if n, ok := l["limits"]; ok {
		lim := d.pairs(n, "limits", []string{"page_size", "segment_rows", "max_records"})
		j.PageSize = d.intIn(lim["page_size"], "limits.page_size", 1, MaxPageSize, j.PageSize)
		j.SegmentRows = d.intIn(lim["segment_rows"], "limits.segment_rows", 1, 10_000_000, j.SegmentRows)
		j.MaxRecords = int64(d.intIn(lim["max_records"], "limits.max_records", 0, 1<<31-1, 0))
	}
	switch j.Kind {
	case KindExport:
		d.fieldKeys(j, l)
		d.exportKeys(j, l)
	case KindSyncLog:
		d.exportKeys(j, l)
		if n, ok := l["format"]; ok && j.Format.Type != "ndjson" {
			d.at(n, "format.type", "a synclog job writes ndjson (one sync log entry per line)")
		}
	case KindReconcile:
		if n, ok := l["target"]; !ok {
			d.at(nil, "target", "required: the target to reconcile")
		} else {
			j.Target = n.Value
		}
		j.MaxDeletes, j.MaxDeletesPercent = 100, 20
		if n, ok := l["deletes"]; ok {
			del := d.pairs(n, "deletes", []string{"max_count", "max_percent"})
			j.MaxDeletes = d.intIn(del["max_count"], "deletes.max_count", 0, 1<<31-1, j.MaxDeletes)
			j.MaxDeletesPercent = float64(d.intIn(del["max_percent"], "deletes.max_percent", 0, 100, int(j.MaxDeletesPercent)))
		}
	}
	d.cleanupKeys(j, l)
	for _, k := range []string{"fields", "format", "destination"} {
		if n, ok := l[k]; ok && j.Kind != KindExport && j.Kind != "" && (k == "fields" || j.Kind != KindSyncLog) {
			d.at(n, k, "only an export job has %s", k)
		}
	}
	if n, ok := l["target"]; ok && j.Kind != KindReconcile && j.Kind != "" {
		d.at(n, "target", "only a reconcile job has a target")
	}
}

func (d *diag) intIn(n *yaml.Node, field string, lo, hi, def int) int {
	if n == nil {
		return def
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < lo || v > hi {
		d.at(n, field, "must be a whole number from %d to %d", lo, hi)
		return def
	}
	return v
}

func (d *diag) schedule(j *Job, n *yaml.Node) {
	s := d.pairs(n, "schedule", []string{"cron", "rate", "timezone", "window"})
	cron, hasCron := s["cron"]
	rate, hasRate := s["rate"]
	switch {
	case hasCron == hasRate:
		d.at(n, "schedule", "exactly one of cron and rate")
	case hasCron && !cronRE.MatchString(cron.Value):
		d.at(cron, "schedule.cron", `must be EventBridge's six fields, e.g. "0 2 * * ? *"`)
	case hasCron:
		if _, err := parseCron(cron.Value); err != nil {
			d.at(cron, "schedule.cron", "%v", err)
		}
	case hasRate && !rateRE.MatchString(rate.Value):
		d.at(rate, "schedule.rate", `must be like "1 day" or "6 hours"`)
	}
	if hasCron {
		j.Schedule.Cron = cron.Value
	}
	if hasRate {
		j.Schedule.Rate = rate.Value
	}
	j.Schedule.TimeZone = "UTC"
	if tz, ok := s["timezone"]; ok {
		if _, err := time.LoadLocation(tz.Value); err != nil || tz.Value == "" || tz.Value == "Local" {
			d.at(tz, "schedule.timezone", "unknown time zone %q (an IANA name like Europe/Berlin)", tz.Value)
		}
		j.Schedule.TimeZone = tz.Value
	}
	if w, ok := s["window"]; ok {
		v, err := time.ParseDuration(w.Value)
		if err != nil || v < 0 || v > 24*time.Hour || v%time.Minute != 0 {
			d.at(w, "schedule.window", "must be whole minutes up to 24h, e.g. 15m")
		}
		j.Schedule.Window = v
	}
}

func (d *diag) fieldKeys(j *Job, l map[string]*yaml.Node) {
	if n, ok := l["fields"]; !ok {
		d.at(nil, "fields", "required: the export's columns, in the mapping field syntax")
	} else {
		f, problems := d.l.Mapping.ParseFields(d.file, n, "fields")
		d.list = append(d.list, problems...)
		j.Fields = f
	}
}

// exportKeys reads the format and the destination (export and synclog).
func (d *diag) exportKeys(j *Job, l map[string]*yaml.Node) {
	if n, ok := l["format"]; !ok {
		d.at(nil, "format", "required: {type: csv | ndjson | parquet, …}")
	} else {
		f := d.pairs(n, "format", []string{"type", "delimiter", "header", "gzip", "formulas", "encrypt_to"})
		if t, ok := f["type"]; ok {
			j.Format.Type = t.Value
		}
		j.Format.Header = true
		if h, ok := f["header"]; ok {
			b, err := strconv.ParseBool(h.Value)
			if err != nil {
				d.at(h, "format.header", "must be true or false")
			}
			j.Format.Header = b
		}
		if g, ok := f["gzip"]; ok {
			b, err := strconv.ParseBool(g.Value)
			if err != nil {
				d.at(g, "format.gzip", "must be true or false")
			}
			j.Format.Gzip = b
		}
		if dl, ok := f["delimiter"]; ok {
			r := []rune(dl.Value)
			if len(r) != 1 {
				d.at(dl, "format.delimiter", "must be one character")
			} else {
				j.Format.Delimiter = r[0]
			}
		}
		if fm, ok := f["formulas"]; ok {
			switch fm.Value {
			case "escape":
			case "keep":
				j.Format.KeepFormulas = true
			default:
				d.at(fm, "format.formulas", "must be escape or keep")
			}
		}
		if e, ok := f["encrypt_to"]; ok {
			j.Format.EncryptTo = e.Value
		}
		if err := j.Format.Validate(); err != nil {
			d.at(n, "format", "%v", err)
		}
	}
	if n, ok := l["destination"]; !ok {
		d.at(nil, "destination", "required: {kind: s3 | sftp | https | dir, …}")
	} else {
		v := d.pairs(n, "destination", []string{"kind", "bucket", "prefix", "kms_key", "secret", "path"})
		get := func(k string) string {
			if x, ok := v[k]; ok {
				return x.Value
			}
			return ""
		}
		j.Dest = Destination{Kind: get("kind"), Bucket: get("bucket"), Prefix: get("prefix"), KMSKey: get("kms_key"), Secret: get("secret"), Path: get("path")}
		switch j.Dest.Kind {
		case "s3":
			// No bucket: the stack's export bucket (EXPORT_BUCKET).
			if j.Dest.Bucket != "" && !bucketRE.MatchString(j.Dest.Bucket) {
				d.at(v["bucket"], "destination.bucket", "not an S3 bucket name")
			}
		case "sftp":
			if j.Dest.Secret == "" {
				d.at(n, "destination.secret", "required: the secret with host, user, private_key and host_key")
			}
		case "https":
			if j.Dest.Secret == "" {
				d.at(n, "destination.secret", "required: the secret with the url and headers")
			}
		case "dir":
			if j.Dest.Path == "" {
				d.at(n, "destination.path", "required: a local directory")
			}
		default:
			d.at(n, "destination.kind", "unknown %q; want s3, sftp, https or dir", j.Dest.Kind)
		}
	}
}
