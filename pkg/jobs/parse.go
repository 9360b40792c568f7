package jobs

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/mapping"
)

// The job file parser: YAML nodes to a Job, every problem with its
// file, line and field.

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
