package reconcile

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// The plan's reports. They carry field values (the operator's own data,
// for the operator's eyes): write them to the operator's terminal or a
// file, never to a log.

// WriteJSON writes the plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// WriteCSV writes one row per changed field: action, key, field, old,
// new (a delete has one row with no field). Values are their canonical
// JSON ("null" for none).
func (p *Plan) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"action", "key", "field", "old", "new"})
	for _, c := range p.Changes {
		if len(c.Fields) == 0 {
			_ = cw.Write([]string{string(c.Action), c.Key, "", "", ""})
			continue
		}
		for _, f := range c.Fields {
			old := ""
			if c.Action == Update {
				old = canonical(f.Old)
			}
			_ = cw.Write([]string{string(c.Action), c.Key, f.Field, old, canonical(f.New)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteText writes the counts and the first changes as tables.
func (p *Plan) WriteText(w io.Writer, maxRows int) error {
	c := p.Counts
	fmt.Fprintf(w, "reconcile %s (source %s, run %s)\n", p.Target, p.Source, p.Run)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  CIAM profiles listed\t%d\n  records expected\t%d\n  target records with our key\t%d\n  target records without it (unmanaged, left alone)\t%d\n",
		c.Listed, c.Expected, c.Managed, c.Unmanaged)
	fmt.Fprintf(tw, "  create\t%d\n  update\t%d\n  delete\t%d\n  unchanged\t%d\n", c.Create, c.Update, c.Delete, c.Unchanged)
	if c.Failed > 0 {
		fmt.Fprintf(tw, "  profiles the mapping could not evaluate (records kept)\t%d\n", c.Failed)
	}
	if c.Duplicates > 0 {
		fmt.Fprintf(tw, "  profiles sharing a key\t%d\n", c.Duplicates)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case p.Quarantined:
		fmt.Fprintf(w, "QUARANTINED: %s; nothing applied. Apply with --allow-deletes once the deletes are confirmed.\n", p.Threshold)
	case p.Threshold != "" && p.Applied == 0:
		fmt.Fprintf(w, "over the deletion threshold: %s; --apply would be quarantined without --allow-deletes.\n", p.Threshold)
	case p.Applied > 0 || p.Unsendable > 0:
		fmt.Fprintf(w, "applied: %d events enqueued for the sync function", p.Applied)
		if p.Unsendable > 0 {
			fmt.Fprintf(w, "; %d deletes cannot be sent (the mapping keys on a profile field)", p.Unsendable)
		}
		fmt.Fprintln(w)
	case p.Empty():
		fmt.Fprintln(w, "nothing to do")
	}
	if len(p.Changes) == 0 {
		return nil
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tKEY\tFIELD\tTARGET\tCIAM")
	rows := 0
	for _, ch := range p.Changes {
		if maxRows > 0 && rows >= maxRows {
			fmt.Fprintf(tw, "…\t(%d more changes: --output json or csv for all kept)\t\t\t\n", len(p.Changes)-rows)
			break
		}
		rows++
		if len(ch.Fields) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\n", ch.Action, ch.Key)
			continue
		}
		for i, f := range ch.Fields {
			a, k := string(ch.Action), ch.Key
			if i > 0 {
				a, k = "", ""
			}
			old := canonical(f.Old)
			if ch.Action == Create {
				old = ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a, k, f.Field, old, canonical(f.New))
		}
	}
	if p.Truncated {
		fmt.Fprintln(tw, "…\t(the plan keeps its first changes only; the counts above are complete)\t\t\t")
	}
	return tw.Flush()
}
