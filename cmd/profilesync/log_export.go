package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/dirdest"
	"github.com/profilesync/profilesync/pkg/export/s3dest"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/synclogjob"
)

const logExportHelp = `
Usage: profilesync log export --since T [--until T] [--to FILE|DIR/|s3://BUCKET/PREFIX] [--target T] [--gzip] [flags]

Writes the sync log's entries of [--since, --until) as NDJSON: one entry
per line, oldest first, in the shape ` + "`log --output json`" + ` prints (ids,
outcomes, reasons and the field diff hashed or masked as the mappings'
log: blocks say; never raw personal data). T is RFC 3339 or a duration
before now (2h).

--to FILE writes one file of the window (gzip when it ends in .gz or with
--gzip); without --to, or with -, standard output. --to DIR/ (a
directory) or s3://BUCKET/PREFIX writes one file per hour,
PREFIX/YYYY/MM/DD/HH.ndjson.gz, the names a synclog job writes: a
backfill and the scheduled export agree, and a run again replaces the
hours' files. Hourly files need --since and --until on whole hours (UTC)
and hold every target.

It reads the local stack's database in --data, or with --table the
deployed stack's sync-log table through its by-hour index (dynamodb:Query
on <table>/index/by-hour; for S3, s3:PutObject and
s3:AbortMultipartUpload on the prefix and s3:ListBucketMultipartUploads).`

func runLogExport(ctx context.Context, c *cli, args []string) error {
	f := newFlags("log export", logExportHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	table := f.String("table", "", "the deployed stack's sync-log `table` (DynamoDB) instead of --data")
	sinceFlag := f.String("since", "", "entries from `T` on (RFC 3339, or a duration before now)")
	untilFlag := f.String("until", "", "entries before `T` (default now)")
	toFlag := f.String("to", "", "a `FILE`, DIR/ or s3://BUCKET/PREFIX (default standard output)")
	target := f.String("target", "", "only this `target` (one file only)")
	gz := f.Bool("gzip", false, "gzip the output (hourly files: default true, as the synclog job)")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	since, until, err := replayRange(f, *sinceFlag, *untilFlag, time.Now())
	if err != nil {
		return err
	}
	since, until = since.UTC(), until.UTC()
	// Every flag is checked before the log is opened or a byte written.
	to, err := parseExportTo(*toFlag)
	if err != nil {
		return f.usageErr("--to %s: %v", *toFlag, err)
	}
	if to.hourly() {
		if *target != "" {
			return f.usageErr("--target: an hour's file holds every target; write one file (--to FILE) for one target")
		}
		if !since.Equal(since.Truncate(time.Hour)) || !until.Equal(until.Truncate(time.Hour)) {
			return f.usageErr("hourly files need --since and --until on whole hours (UTC), e.g. 2026-12-01T00:00:00Z")
		}
	}
	r, done, err := openLog(ctx, *data, *table)
	if err != nil {
		return err
	}
	defer done()
	w, ok := r.(synclogjob.Reader)
	if !ok {
		return errors.New("this sync log cannot be read by time")
	}
	dest, err := to.open(ctx, c.stdout)
	if err != nil {
		return fmt.Errorf("--to %s: %w", *toFlag, err)
	}
	if to.hourly() {
		return exportHours(ctx, c, w, dest, to, synclogjob.Format(*gz || !flagSet(f, "gzip"), ""), since, until)
	}
	format := synclogjob.Format(*gz || strings.HasSuffix(to.path, ".gz"), "")
	file, err := synclogjob.Write(ctx, w, dest, to.name(), format, since, until, *target)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stderr, "wrote %d entries (%d bytes) of %s – %s to %s\n", file.Rows, file.Bytes,
		since.Format(time.RFC3339), until.Format(time.RFC3339), to)
	return err
}

// exportHours writes one file per hour, named as the synclog job names
// them, and says what each held.
func exportHours(ctx context.Context, c *cli, r synclogjob.Reader, dest export.Destination, to exportTo, f export.Format, since, until time.Time) error {
	var total int64
	err := synclogjob.WriteHours(ctx, r, dest, f, since, until, func(_ time.Time, file jobs.File) error {
		total += file.Rows
		_, err := fmt.Fprintf(c.stderr, "%s  %d entries  %d bytes\n", to.file(file.Name), file.Rows, file.Bytes)
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stderr, "wrote %d entries in %d hourly files\n", total, int(until.Sub(since)/time.Hour))
	return err
}

func flagSet(f *flags, name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// exportTo is where --to points: standard output, one file, a directory
// of hourly files, or an S3 prefix of hourly files. It is parsed before
// anything is opened, and opened (a directory made) only once every flag
// is good.
type exportTo struct {
	path           string // the file or directory; "" for standard output
	dir            bool
	bucket, prefix string
}

func parseExportTo(to string) (exportTo, error) {
	switch {
	case to == "" || to == "-":
		return exportTo{}, nil
	case strings.HasPrefix(to, "s3://"):
		u, err := url.Parse(to)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return exportTo{}, errors.New("want s3://BUCKET/PREFIX")
		}
		return exportTo{bucket: u.Host, prefix: strings.TrimPrefix(u.Path, "/")}, nil
	}
	if fi, err := os.Stat(to); strings.HasSuffix(to, "/") || err == nil && fi.IsDir() {
		return exportTo{path: to, dir: true}, nil
	}
	if fi, err := os.Stat(filepath.Dir(to)); err != nil || !fi.IsDir() {
		return exportTo{}, fmt.Errorf("no directory %s to write the file in", filepath.Dir(to))
	}
	return exportTo{path: to}, nil
}

// hourly says the destination takes the synclog job's hourly files.
func (t exportTo) hourly() bool { return t.dir || t.bucket != "" }

// name is the single file's name in its destination.
func (t exportTo) name() string {
	if t.path == "" {
		return "-"
	}
	return filepath.Base(t.path)
}

// file is where the destination's file name is.
func (t exportTo) file(name string) string {
	if t.bucket != "" {
		return "s3://" + t.bucket + "/" + path.Join(t.prefix, name)
	}
	return filepath.Join(t.path, filepath.FromSlash(name))
}

func (t exportTo) String() string {
	switch {
	case t.bucket != "":
		return "s3://" + t.bucket + "/" + t.prefix
	case t.path == "":
		return "standard output"
	}
	return t.path
}

// open makes the destination: for S3 with the AWS credentials of the
// environment, as --table reads.
func (t exportTo) open(ctx context.Context, stdout io.Writer) (export.Destination, error) {
	switch {
	case t.bucket != "":
		cfg, err := awsadapter.ConfigFromEnv("")
		if err != nil {
			return nil, err
		}
		store, err := awsadapter.NewObjectStore(cfg)
		if err != nil {
			return nil, err
		}
		return s3dest.New(store, s3dest.Config{Bucket: t.bucket, Prefix: t.prefix})
	case t.dir:
		if err := os.MkdirAll(t.path, 0o750); err != nil {
			return nil, err
		}
		return dirdest.New(t.path)
	case t.path != "":
		return dirdest.New(filepath.Dir(t.path))
	}
	return writerDest{stdout}, nil
}

// writerDest is standard output as an export destination: the bytes go
// out as they are written, so there is nothing to abort.
type writerDest struct{ w io.Writer }

func (d writerDest) Create(context.Context, string) (export.Object, error) {
	return &writerObject{w: d.w}, nil
}

type writerObject struct {
	w io.Writer
	n int64
}

func (o *writerObject) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	o.n += int64(n)
	return n, err
}
func (o *writerObject) Commit(context.Context) (int64, error) { return o.n, nil }
func (o *writerObject) Abort(context.Context) error           { return nil }
