// Package reconcile compares what a target holds with what the CIAM
// says it should hold, through the target's mapping, and plans the
// changes that bring it back: create a missing record, update a stale
// one (with a field-level diff), delete an orphan (a record carrying
// our key whose subject the CIAM no longer has, or that left scope), and
// leave alone the records without our key (unmanaged). A plan whose
// deletes pass the job's accidental-deletion threshold (a count and a
// percentage of the target's managed records) is quarantined: nothing
// is applied until an operator allows the deletes. Applying enqueues
// synthetic events on the target's queue, as the ingress would, so the
// sync function's state and ordering rules decide each one.
//
// Memory stays small: the CIAM is streamed once to hold, per subject, a
// 16-byte hash of its record key and one of the record it maps to (48
// bytes a subject, no pointers); the target
// is streamed once against it; the CIAM is streamed again only when
// there are creates or updates to apply or to diff. This package reads
// targets through connector.Reader; it does not know any vendor.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// Action is what the plan does with one record.
type Action string

const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// DefaultMaxChanges is how many changes a plan keeps in full (with
// their diffs) for the report; the rest are only counted.
const DefaultMaxChanges = 1000

// Change is one planned change, with its field diff (Old is the
// target's value, New the CIAM's as mapped; a create has no Old, a
// delete no diff).
type Change struct {
	Action Action      `json:"action"`
	Key    string      `json:"key"`
	Fields []FieldDiff `json:"fields,omitempty"`
}

// Counts are the plan's totals.
type Counts struct {
	Listed    int64 `json:"listed"`    // CIAM profiles listed
	Expected  int64 `json:"expected"`  // records the mapping says the target holds
	Managed   int64 `json:"managed"`   // target records with our key
	Unmanaged int64 `json:"unmanaged"` // target records without it: left alone
	Create    int64 `json:"create"`
	Update    int64 `json:"update"`
	Delete    int64 `json:"delete"`
	Unchanged int64 `json:"unchanged"`
	// Failed are profiles the mapping could not evaluate (they keep
	// their records: a record is never deleted for a mapping error).
	Failed int64 `json:"failed"`
	// Duplicates are profiles whose key another profile already had.
	Duplicates int64 `json:"duplicates"`
}

// Plan is a reconciliation's outcome.
type Plan struct {
	Target string    `json:"target"`
	Source string    `json:"source"`
	Run    string    `json:"run"`
	At     time.Time `json:"at"`
	Counts Counts    `json:"counts"`
	// Changes are the first MaxChanges changes, sorted by action and key;
	// Truncated says there were more.
	Changes   []Change `json:"changes"`
	Truncated bool     `json:"truncated,omitempty"`
	// Quarantined: the plan was to be applied, but its deletes passed the
	// threshold and were not allowed; nothing was applied.
	Quarantined bool `json:"quarantined,omitempty"`
	// Threshold says how the deletes pass the threshold ("" when they
	// do not), whether or not the plan was to be applied.
	Threshold string `json:"threshold,omitempty"`
	// Applied counts the messages enqueued; Unsendable the deletes no
	// event can carry (the mapping keys on a profile field, and a delete
	// event has no profile to read it from).
	Applied    int64 `json:"applied"`
	Unsendable int64 `json:"unsendable,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return p.Counts.Create+p.Counts.Update+p.Counts.Delete == 0 }

// Threshold is the accidental-deletion limit: a plan deleting more than
// MaxCount records, or more than MaxPercent of the target's managed
// records, is quarantined unless Allow is set.
type Threshold struct {
	MaxCount   int
	MaxPercent float64
	Allow      bool
}

// exceeded says why deletes of managed pass t ("" when they do not).
func (t Threshold) exceeded(deletes, managed int64) string {
	if deletes == 0 {
		return ""
	}
	if deletes > int64(t.MaxCount) {
		return fmt.Sprintf("%d deletes > max_count %d", deletes, t.MaxCount)
	}
	if pct := float64(deletes) * 100 / float64(max(managed, 1)); pct > t.MaxPercent {
		return fmt.Sprintf("%d deletes are %.1f %% of %d managed records > max_percent %g", deletes, pct, managed, t.MaxPercent)
	}
	return ""
}

// Reconciler plans (and applies) one target's reconciliation.
type Reconciler struct {
	Target string
	Source string // the CIAM source: the synthetic events' source
	// Environment is the source's environment: the synthetic events carry
	// it, so the mapping's overrides for it apply as they do to the
	// source's webhooks.
	Environment string
	Mapping     *mapping.Mapping
	Lister      source.Lister
	Reader      connector.Reader
	// Paths are the target paths compared (what the Reader returns).
	Paths     []string
	Threshold Threshold
	// Queue takes the applied changes; nil plans only.
	Queue Queue
	// PageSize is the CIAM's and the target's page size (default 100).
	PageSize   int
	MaxChanges int // default DefaultMaxChanges
	Run        string
	Now        func() time.Time
	Log        *slog.Logger
}

// text says whether the target keeps every value as text
// (connector.TextValued), so values compare as text.
func (r *Reconciler) text() bool {
	tv, ok := r.Reader.(connector.TextValued)
	return ok && tv.TextValues()
}

// want is what the CIAM expects of a key.
type want uint8

const (
	wantPresent   want = iota + 1 // a record with these values
	wantIfPresent                 // these values, only if a record exists (deactivate, anonymise)
	wantAbsent                    // no record (out of scope, on_delete: delete)
	wantAny                       // leave it alone (ignore, opt-out, a mapping error)
)

type entry struct {
	sum  sum
	mask mask // the compared paths the mapped record writes
	want want
	seen bool
	// act is set by the target pass: create, update, or delete (a record
	// whose subject left scope: its update event applies on_delete).
	act act
}

// act is an Action in a byte: the plan holds one entry per subject.
type act uint8

const (
	actNone act = iota
	actCreate
	actUpdate
	actDelete
)

func (a act) action() Action { return [...]Action{"", Create, Update, Delete}[a] }

// Reconcile plans the target's changes and, when r.Queue is set and the
// plan is not quarantined, enqueues them.
func (r *Reconciler) Reconcile(ctx context.Context) (*Plan, error) {
	if r.Mapping == nil || r.Lister == nil || r.Reader == nil {
		return nil, errors.New("reconcile: mapping, lister and reader are required")
	}
	now := r.now()
	p := &Plan{Target: r.Target, Source: r.Source, Run: r.Run, At: now.UTC(), Changes: []Change{}}
	if p.Run == "" {
		p.Run = now.UTC().Format("20060102T150405Z")
	}
	expected, err := r.expect(ctx, p)
	if err != nil {
		return nil, err
	}
	orphans, olds, err := r.compare(ctx, p, expected)
	if err != nil {
		return nil, err
	}
	p.Threshold = r.Threshold.exceeded(p.Counts.Delete, p.Counts.Managed)
	if why := p.Threshold; why != "" && !r.Threshold.Allow && r.Queue != nil {
		p.Quarantined = true
		r.log().Error("reconcile quarantined", "target", r.Target, "run", p.Run, "deletes", p.Counts.Delete,
			"managed", p.Counts.Managed, "threshold", why, "metric", "ReconcileQuarantined")
	}
	var ap *applier
	if r.Queue != nil && !p.Quarantined {
		ap = &applier{q: r.Queue, target: r.Target, run: p.Run, now: now}
	}
	if scoped := p.Counts.Delete - int64(len(orphans)); p.Counts.Create+p.Counts.Update > 0 && len(p.Changes) < r.maxChanges() ||
		ap != nil && p.Counts.Create+p.Counts.Update+scoped > 0 {
		if err := r.revisit(ctx, p, expected, olds, ap); err != nil {
			return p, err
		}
	}
	if ap != nil {
		if err := r.deletes(ctx, p, ap, orphans); err != nil {
			return p, err
		}
		if err := ap.flush(ctx); err != nil {
			return p, err
		}
		p.Applied = ap.sent
	}
	sort.SliceStable(p.Changes, func(i, j int) bool {
		a, b := p.Changes[i], p.Changes[j]
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		return a.Key < b.Key
	})
	r.log().Info("reconcile planned", "target", r.Target, "run", p.Run, "create", p.Counts.Create, "update", p.Counts.Update,
		"delete", p.Counts.Delete, "unchanged", p.Counts.Unchanged, "unmanaged", p.Counts.Unmanaged,
		"quarantined", p.Quarantined, "applied", p.Applied)
	return p, nil
}

// SourceType marks the events a reconciliation enqueues
// (profile.Event.SourceType), and Origin is their message attribute
// "origin". The sync handler skips an update whose mapped record hashes
// as its state says the target already has it; for a reconcile event
// that state is what the plan found untrue, so the handler delivers it
// (pkg/delivery honours profile.SourceTypeReconcile).
const (
	SourceType = profile.SourceTypeReconcile
	Origin     = "reconcile"
)

// event is the synthetic event a profile is mapped under, as the ingress
// would have delivered an update of it.
func (r *Reconciler) event(subject string, t profile.EventType, pr *profile.Profile, id string) profile.Event {
	now := r.now()
	return profile.Event{ID: id, Source: r.Source, Environment: r.Environment, Type: t, Subject: subject,
		OccurredAt: now, ReceivedAt: now, SourceType: SourceType, Profile: pr}
}

// expect lists the CIAM and records what each subject's key should hold.
func (r *Reconciler) expect(ctx context.Context, p *Plan) (map[sum]entry, error) {
	out := map[sum]entry{}
	err := r.list(ctx, func(pr *profile.Profile) {
		p.Counts.Listed++
		key, e, failed := r.decide(pr)
		if failed {
			p.Counts.Failed++
		}
		if key == "" {
			return
		}
		id := idOf(key)
		if _, dup := out[id]; dup {
			p.Counts.Duplicates++
		}
		if e.want == wantPresent {
			p.Counts.Expected++
		}
		out[id] = e
	})
	return out, err
}

// decide maps one profile; a profile that cannot be mapped keeps its
// record (wantAny) when its key is known.
func (r *Reconciler) decide(pr *profile.Profile) (key string, e entry, failed bool) {
	ev := r.event(pr.Sub, profile.Updated, pr, "reconcile")
	d, err := r.Mapping.Decide(ev, pr)
	if err != nil {
		key, kerr := r.Mapping.KeyOf(ev)
		if kerr != nil {
			return "", entry{}, true
		}
		return key, entry{want: wantAny}, true
	}
	switch {
	case d.Action == mapping.Upsert:
		e := entry{want: wantPresent, mask: maskOf(d.Fields, r.Paths)}
		if d.IfPresent {
			e.want = wantIfPresent
		}
		e.sum = hashOf(d.Fields, r.Paths, e.mask, r.text())
		return d.Key, e, false
	case d.Action == mapping.Delete:
		return d.Key, entry{want: wantAbsent}, false
	}
	if d.Key == "" {
		if d.Key, err = r.Mapping.KeyOf(ev); err != nil {
			return "", entry{}, false
		}
	}
	return d.Key, entry{want: wantAny}, false
}

// compare reads the target against expected: it returns the keys to
// delete, and the target's values of the first updates (for their diff).
func (r *Reconciler) compare(ctx context.Context, p *Plan, expected map[sum]entry) ([]string, map[string]map[string]any, error) {
	var orphans []string
	olds := map[string]map[string]any{}
	cursor := ""
	for {
		recs, next, err := r.page(ctx, func(ctx context.Context) ([]connector.Record, string, error) {
			return r.Reader.Records(ctx, cursor, r.pageSize())
		})
		if err != nil {
			return nil, nil, fmt.Errorf("reconcile %s: read the target: %w", r.Target, err)
		}
		for _, rec := range recs {
			if rec.Key == "" {
				p.Counts.Unmanaged++
				continue
			}
			p.Counts.Managed++
			id := idOf(rec.Key)
			e, found := expected[id]
			switch {
			case !found:
				p.Counts.Delete++
				orphans = append(orphans, rec.Key)
				r.keep(p, Change{Action: Delete, Key: rec.Key})
			case e.seen:
				// A second record with the same key: the target's problem
				// (Salesforce refuses upserts on it); not ours to delete.
			case e.want == wantAny:
				e.seen = true
				p.Counts.Unchanged++
			case e.want == wantAbsent:
				e.seen, e.act = true, actDelete
				p.Counts.Delete++
				r.keep(p, Change{Action: Delete, Key: rec.Key})
			default:
				e.seen = true
				if hashOf(rec.Fields, r.Paths, e.mask, r.text()) == e.sum {
					p.Counts.Unchanged++
					break
				}
				e.act = actUpdate
				p.Counts.Update++
				if len(olds) < r.maxChanges() {
					olds[rec.Key] = rec.Fields
				}
			}
			if found {
				expected[id] = e
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for k, e := range expected {
		if !e.seen && e.want == wantPresent {
			e.act = actCreate
			expected[k] = e
			p.Counts.Create++
		}
	}
	return orphans, olds, nil
}

// keep adds c to the report while there is room.
func (r *Reconciler) keep(p *Plan, c Change) {
	if len(p.Changes) < r.maxChanges() {
		p.Changes = append(p.Changes, c)
		return
	}
	p.Truncated = true
}

// revisit lists the CIAM again for the creates and updates: their
// diffs for the report, and their events when applying.
func (r *Reconciler) revisit(ctx context.Context, p *Plan, expected map[sum]entry, olds map[string]map[string]any, ap *applier) error {
	var failed error
	err := r.list(ctx, func(pr *profile.Profile) {
		if failed != nil {
			return
		}
		e := r.event(pr.Sub, profile.Updated, pr, "reconcile")
		d, err := r.Mapping.Decide(e, pr)
		if err != nil || (d.Action != mapping.Upsert && d.Action != mapping.Delete) {
			return
		}
		id := idOf(d.Key)
		en := expected[id]
		if en.act == actNone {
			return
		}
		c := Change{Action: en.act.action(), Key: d.Key}
		if en.act == actDelete {
			// Left scope: kept in the report by the target pass; the
			// update event makes the sync handler apply on_delete.
		} else if en.act == actCreate {
			for _, path := range r.Paths {
				if v := lookup(d.Fields, path); canonical(v) != "null" {
					c.Fields = append(c.Fields, FieldDiff{Field: path, New: v})
				}
			}
			r.keep(p, c)
		} else if old, ok := olds[d.Key]; ok {
			c.Fields = diff(old, d.Fields, r.Paths, r.text())
			r.keep(p, c)
		} else {
			p.Truncated = true
		}
		if ap != nil {
			failed = ap.add(ctx, pr.Sub, func(id string) profile.Event { return r.event(pr.Sub, profile.Updated, pr, id) })
		}
		en.act = actNone // once, should the CIAM list a subject twice
		expected[id] = en
	})
	if err == nil {
		err = failed
	}
	return err
}

// deletes enqueues a deleted event per orphan: the sync handler applies
// the mapping's on_delete to it.
func (r *Reconciler) deletes(ctx context.Context, p *Plan, ap *applier, orphans []string) error {
	for _, key := range orphans {
		if r.Mapping.Key != "sub" {
			p.Unsendable++
			continue
		}
		if err := ap.add(ctx, key, func(id string) profile.Event { return r.event(key, profile.Deleted, nil, id) }); err != nil {
			return err
		}
	}
	if p.Unsendable > 0 {
		r.log().Warn("reconcile: orphans not deleted: the mapping keys on a profile field, a delete event cannot name the record",
			"target", r.Target, "run", p.Run, "orphans", p.Unsendable, "key", r.Mapping.Key)
	}
	return nil
}

// list streams every CIAM profile to fn.
func (r *Reconciler) list(ctx context.Context, fn func(*profile.Profile)) error {
	cursor := ""
	for {
		ps, next, err := r.profiles(ctx, cursor)
		if err != nil {
			return fmt.Errorf("reconcile %s: list %s: %w", r.Target, r.Source, err)
		}
		for _, pr := range ps {
			if pr != nil && pr.Sub != "" {
				fn(pr)
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

func (r *Reconciler) profiles(ctx context.Context, cursor string) ([]*profile.Profile, string, error) {
	var ps []*profile.Profile
	_, next, err := r.page(ctx, func(ctx context.Context) ([]connector.Record, string, error) {
		var (
			next string
			err  error
		)
		ps, next, err = r.Lister.List(ctx, cursor, r.pageSize())
		return nil, next, err
	})
	return ps, next, err
}

// page calls fn, waiting and asking again while the API throttles or is
// briefly unavailable (fault.Wait, as an export's list does).
func (r *Reconciler) page(ctx context.Context, fn func(context.Context) ([]connector.Record, string, error)) ([]connector.Record, string, error) {
	type page struct {
		recs []connector.Record
		next string
	}
	p, err := fault.Wait(ctx, 10, func(ctx context.Context) (page, error) {
		recs, next, err := fn(ctx)
		return page{recs, next}, err
	})
	return p.recs, p.next, err
}

func (r *Reconciler) pageSize() int {
	if r.PageSize > 0 {
		return r.PageSize
	}
	return 100
}

func (r *Reconciler) maxChanges() int {
	if r.MaxChanges > 0 {
		return r.MaxChanges
	}
	return DefaultMaxChanges
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}
