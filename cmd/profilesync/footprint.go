package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/reconcile"
	"github.com/profilesync/profilesync/pkg/wiring"
)

const footprintHelp = `
Usage: profilesync footprint SUBJECT [--source NAME] [--output text|json] [flags]

Answers a data-subject access request for one subject against the local
stack: whether the CIAM (--source) still has the subject and its consents,
and per target whether it holds a record and which fields: read from the
target where its connector can read one record (salesforce, scim), else
from the sync state (the last event applied, a delete remembered) and the
fields the mapping writes for this subject, with the profile attribute
each comes from; and the erasure ledger: every delete of the subject per
target, pending, confirmed (when), failed (why) or skipped.

It names fields, never their values.`

// Footprint is where one subject's data is, as `footprint` reports it.
type Footprint struct {
	Subject  string            `json:"subject"`
	Source   string            `json:"source"`
	InCIAM   bool              `json:"in_ciam"`
	Consents []ConsentLine     `json:"consents"`
	Targets  []TargetFootprint `json:"targets"`
	// Erasures is the erasure ledger of the subject, oldest first.
	Erasures []delivery.Erasure `json:"erasures"`
}

// ConsentLine is one consent the CIAM holds for the subject.
type ConsentLine struct {
	Purpose string     `json:"purpose"`
	Granted bool       `json:"granted"`
	At      *time.Time `json:"at,omitempty"`
	Version string     `json:"version,omitempty"`
}

// Holds says whether a target holds the subject's record, and how that is
// known.
const (
	HoldsRead        = "yes"          // read from the target
	HoldsNotRead     = "no"           // read from the target: no record
	HoldsState       = "yes (state)"  // the state's last event was applied, not a delete
	HoldsDeleted     = "no (deleted)" // the state remembers the delete
	HoldsNever       = "never"        // no state: nothing was ever delivered
	FieldsFromTarget = "target"       // the fields the record read has values in
	FieldsFromMap    = "mapping"      // the fields the mapping writes for this subject
)

// TargetFootprint is one target's part.
type TargetFootprint struct {
	Target     string      `json:"target"`
	Connector  string      `json:"connector"`
	Key        string      `json:"key,omitempty"`
	Holds      string      `json:"holds"`
	RecordID   string      `json:"record_id,omitempty"`
	LastEvent  *time.Time  `json:"last_event,omitempty"`
	FieldsFrom string      `json:"fields_from,omitempty"`
	Fields     []FieldLine `json:"fields"`
}

// FieldLine is a target field and the profile attribute it comes from
// (the mapping's description: a path, an expression, a constant).
type FieldLine struct {
	Field string `json:"field"`
	From  string `json:"from"`
}

func runFootprint(ctx context.Context, c *cli, args []string) error {
	f := newFlags("footprint", footprintHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory (default: the ones built in)")
	src := f.String("source", "cidaas", "the CIAM `source` the subject lives in")
	output := outputFlag(f)
	pos, err := f.parse(c, args, 1, 1)
	if err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	_, ms, err := loadMappings(*mappingsDir)
	if err != nil {
		return err
	}
	base := strings.TrimRight(*url, "/")
	fn := localFunction(c, ms, *data, base)
	db, err := local.Open(filepath.Clean(*data))
	if err != nil {
		return err
	}
	defer db.Close()
	fp, err := footprintOf(ctx, fn, local.NewState(db), pos[0], *src)
	if err != nil {
		return withStackHint(err, base)
	}
	if fp.Erasures, err = local.NewSyncLog(db, 0).Erasures(ctx, fp.Subject, ""); err != nil {
		return err
	}
	if fp.Erasures == nil {
		fp.Erasures = []delivery.Erasure{}
	}
	if *output == "json" {
		return printJSONValue(c, fp)
	}
	printFootprint(c.stdout, fp)
	return nil
}

// footprintOf gathers the subject's footprint: its profile and consents
// from the source, then each target's record (read, or from the state).
func footprintOf(ctx context.Context, fn wiring.Function, state delivery.StateStore, subject, src string) (Footprint, error) {
	now := time.Now().UTC()
	e := profile.Event{ID: "footprint", Source: src, Type: profile.Updated, Subject: subject, OccurredAt: now, ReceivedAt: now}
	if err := fetchInto(ctx, fn, &e); err != nil {
		return Footprint{}, err
	}
	fp := Footprint{Subject: subject, Source: src, InCIAM: e.Profile != nil, Consents: []ConsentLine{}, Targets: []TargetFootprint{}}
	if e.Profile != nil {
		for purpose, c := range e.Profile.Consents {
			fp.Consents = append(fp.Consents, ConsentLine{Purpose: purpose, Granted: c.Granted, At: c.At, Version: c.Version})
		}
		sort.Slice(fp.Consents, func(i, j int) bool { return fp.Consents[i].Purpose < fp.Consents[j].Purpose })
	}
	for _, m := range fn.Mappings.All() {
		t, err := targetFootprint(ctx, fn, state, m, e)
		if err != nil {
			return Footprint{}, err
		}
		fp.Targets = append(fp.Targets, t)
	}
	return fp, nil
}

func targetFootprint(ctx context.Context, fn wiring.Function, state delivery.StateStore, m *mapping.Mapping, e profile.Event) (TargetFootprint, error) {
	t := TargetFootprint{Target: m.Name, Connector: m.Connector, Fields: []FieldLine{}, Holds: HoldsNever}
	st, found, err := state.Get(ctx, m.Name, e.Subject)
	if err != nil {
		return t, fmt.Errorf("%s: read state: %w", m.Name, err)
	}
	rules := m.RulesFor(e)
	from := map[string]string{}
	for _, kv := range rules.Fields() {
		from[kv[0]] = kv[1]
	}
	if found {
		t.Holds, t.RecordID = HoldsState, st.RecordID
		if st.Deleted {
			t.Holds = HoldsDeleted
		}
		if !st.LastEventAt.IsZero() {
			at := st.LastEventAt.UTC()
			t.LastEvent = &at
		}
	}
	key, err := m.KeyOf(e)
	if err != nil {
		// A key from a profile attribute, and the profile is gone: only
		// the state can tell.
		return t, nil
	}
	t.Key = key
	held, err := readHeld(ctx, fn, m, key)
	if err != nil {
		return t, err
	}
	switch {
	case held.readable && !held.found:
		t.Holds = HoldsNotRead
	case held.readable:
		t.Holds, t.FieldsFrom = HoldsRead, FieldsFromTarget
		for _, p := range held.paths {
			if v, ok := held.rec.Fields[p]; ok && v != nil && v != "" {
				t.Fields = append(t.Fields, FieldLine{Field: p, From: describe(from, p)})
			}
		}
	case t.Holds == HoldsState && e.Profile != nil:
		// What the mapping writes for the profile as it is now: the
		// fields the last push most likely set.
		if d, err := m.Decide(e, e.Profile); err == nil {
			t.FieldsFrom = FieldsFromMap
			for _, p := range rules.TargetPaths() {
				if v := reconcile.Lookup(d.Fields, p); v != nil && v != "" {
					t.Fields = append(t.Fields, FieldLine{Field: p, From: describe(from, p)})
				}
			}
		}
	}
	return t, nil
}

// describe is where a target field's value comes from.
func describe(from map[string]string, field string) string {
	if d := from[field]; d != "" {
		return d
	}
	return "constant"
}

func printFootprint(w io.Writer, fp Footprint) {
	where := "present"
	if !fp.InCIAM {
		where = "not found (deleted at the source?)"
	}
	fmt.Fprintf(w, "subject %s\nCIAM    %s: %s\n\nconsents\n", fp.Subject, fp.Source, where)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(fp.Consents) == 0 {
		fmt.Fprintln(tw, "  none recorded")
	} else {
		fmt.Fprintln(tw, "  PURPOSE\tGRANTED\tAT\tVERSION")
		for _, c := range fp.Consents {
			at := "-"
			if c.At != nil {
				at = c.At.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Purpose, yesNo(c.Granted), at, dash(c.Version))
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\ntargets")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  TARGET\tHOLDS\tKEY\tRECORD\tLAST EVENT\tFIELDS")
	for _, t := range fp.Targets {
		last := "-"
		if t.LastEvent != nil {
			last = t.LastEvent.UTC().Format(time.RFC3339)
		}
		fields := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			fields[i] = f.Field + " ← " + f.From
		}
		fl := "-"
		if len(fields) > 0 {
			fl = strings.Join(fields, ", ") + " (from the " + t.FieldsFrom + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", t.Target, t.Holds, dash(t.Key), dash(t.RecordID), last, fl)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nerasures")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(fp.Erasures) == 0 {
		fmt.Fprintln(tw, "  none recorded")
	} else {
		fmt.Fprintln(tw, "  TARGET\tSTATUS\tREQUESTED\tSETTLED\tEVENT ID\tREASON")
		for _, e := range fp.Erasures {
			settled := "-"
			if !e.SettledAt.IsZero() {
				settled = e.SettledAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", e.Target, e.Status, e.RequestedAt.UTC().Format(time.RFC3339), settled, e.EventID, dash(e.Reason))
		}
	}
	_ = tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
