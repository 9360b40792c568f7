package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source"
	cidaassrc "github.com/profilesync/profilesync/pkg/source/cidaas"
)

// Report is what a run found.
type Report struct {
	Events, Subjects int
	Sends            int // acknowledged sends, planned duplicates included
	Duplicates, Late int // planned duplicate and out-of-order sends
	Resent           int // sends the CIAM repeated because the runtime was down or failed
	Accepted         int // distinct events acknowledged
	Rejected         map[string]int

	Handled      int            // accepted events the runtime finished (any outcome)
	Outcomes     map[string]int // first outcome per event
	Delivered    int            // of Handled: delivered or deleted at the target
	Redeliveries int            // finishes beyond the first per event (at-least-once at work)
	DLQ          map[string]int // dead letters by reason
	DLQTotal     int

	Lost             int // accepted, never finished, not in the DLQ
	LostIDs          []string
	DuplicateRecords int // records beyond one per subject at the target
	StrayRecords     int // records for no subject of the run
	Differs          int // subjects whose target record differs from the source
	DiffersExamples  []string

	Target FlakyStats
	// The outage budget the runtime ran under (real, and at TimeScale),
	// and how the calls spread in RecoveryWindow after the longest outage.
	Budget, ScaledBudget time.Duration
	RecoveryFirst        time.Duration
	RecoveryCalls        int
	RecoveryPeak         int // most calls in one RecoveryBucket
	Kills, Starts        int
	StopErr              string // the last runtime's exit on SIGTERM, if not clean
	SendTime             time.Duration
	Total                time.Duration
}

// OK says whether the stack kept its guarantees.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.DLQTotal == 0 && r.DuplicateRecords == 0 && r.StrayRecords == 0 && r.Differs == 0 &&
		len(r.Rejected) == 0 && r.Accepted == r.Events
}

// Print writes the numbers.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "events:            %d changes for %d subjects (%d duplicate and %d out-of-order sends)\n", r.Events, r.Subjects, r.Duplicates, r.Late)
	fmt.Fprintf(w, "runtime:           SIGKILLed %d time(s), started %d time(s)\n", r.Kills, r.Starts)
	t := r.Target
	fmt.Fprintf(w, "target calls:      %d: %d passed, %d failed at random (%d of them applied, then answered 502), %d down (%d outage(s)), %d throttled (%d storm(s)); %d connections dropped\n",
		t.Calls, t.Passed, t.Random, t.AppliedLost, t.Down, t.Outages, t.Throttled, t.Storms, t.ConnsDropped)
	if t.Longest > 0 {
		fmt.Fprintf(w, "longest outage:    %s (%s at the time scale of %d) under an outage budget of %s (%s)\n",
			t.Longest.Round(time.Millisecond), scaleUp(t.Longest), TimeScale, fmtBudget(r.Budget), r.ScaledBudget.Round(time.Millisecond))
		fmt.Fprintf(w, "after recovery:    first call +%s; %d calls in the next %s, at most %d (%.0f%%) in one %s (no jitter would put every due retry in one)\n",
			r.RecoveryFirst.Round(time.Millisecond), r.RecoveryCalls, RecoveryWindow, r.RecoveryPeak, pct(r.RecoveryPeak, r.RecoveryCalls), RecoveryBucket)
	}
	fmt.Fprintf(w, "accepted:          %d of %d events (%d acknowledged sends, %d re-sent by the CIAM)\n", r.Accepted, r.Events, r.Sends, r.Resent)
	for _, k := range slices.Sorted(maps.Keys(r.Rejected)) {
		fmt.Fprintf(w, "  rejected %s: %d\n", k, r.Rejected[k])
	}
	fmt.Fprintf(w, "delivered:         %d (handled %d:%s; %d repeat deliveries)\n", r.Delivered, r.Handled, counts(r.Outcomes), r.Redeliveries)
	fmt.Fprintf(w, "in DLQ:            %d\n", r.DLQTotal)
	for _, k := range slices.Sorted(maps.Keys(r.DLQ)) {
		fmt.Fprintf(w, "  %s: %d\n", k, r.DLQ[k])
	}
	fmt.Fprintf(w, "lost:              %d%s\n", r.Lost, examples(r.LostIDs))
	fmt.Fprintf(w, "duplicate records: %d (stray records: %d)\n", r.DuplicateRecords, r.StrayRecords)
	fmt.Fprintf(w, "differs at target: %d subjects%s\n", r.Differs, examples(r.DiffersExamples))
	if r.StopErr != "" {
		fmt.Fprintf(w, "runtime exit:      %s\n", r.StopErr)
	}
	fmt.Fprintf(w, "time:              %s sending, %s in all\n", r.SendTime.Round(time.Millisecond), r.Total.Round(time.Millisecond))
	verdict := "OK"
	if !r.OK() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "result:            %s\n", verdict)
}

func counts(m map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, " %s %d", k, m[k])
	}
	return b.String()
}

func examples(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return " (e.g. " + strings.Join(ids[:min(len(ids), 5)], ", ") + ")"
}

// analyse builds the report from the sender's acknowledgements, the
// runtime's log, its dead letters, and the target compared to the source.
func analyse(ctx context.Context, c Config, p *plan, w *world, snd *sender, st Status, logPath string) (*Report, error) {
	r := &Report{Events: len(p.changes), Subjects: len(p.subjects), Duplicates: p.dups, Late: p.late,
		Outcomes: map[string]int{}, DLQ: map[string]int{}, Target: w.flaky.Stats()}
	var err error
	if r.Budget, r.ScaledBudget, err = budget(); err != nil {
		return nil, err
	}
	r.RecoveryFirst, r.RecoveryCalls, r.RecoveryPeak = w.flaky.Recovery(RecoveryWindow, RecoveryBucket)
	snd.mu.Lock()
	r.Sends, r.Resent, r.Accepted, r.Rejected = snd.sends, snd.retries, len(snd.accepted), maps.Clone(snd.rejected)
	accepted := maps.Clone(snd.accepted)
	snd.mu.Unlock()

	done, err := readLog(logPath)
	if err != nil {
		return nil, err
	}
	dead := map[string]bool{}
	for _, d := range st.Dead {
		r.DLQ[d.Reason]++
		dead[d.EventID] = true
	}
	r.DLQTotal = st.DLQ
	for id := range accepted {
		outs, ok := done[id]
		switch {
		case ok:
			r.Handled++
			r.Outcomes[outs[0]]++
			r.Redeliveries += len(outs) - 1
			if outs[0] == "delivered" || outs[0] == "deleted" {
				r.Delivered++
			}
		case !dead[id]:
			r.Lost++
			r.LostIDs = append(r.LostIDs, id)
		}
	}
	slices.Sort(r.LostIDs)
	return r, compareTarget(ctx, r, p, w)
}

// readLog returns the outcomes of every "delivery done" line per event id,
// in log order. A line cut short by SIGKILL is skipped.
func readLog(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	done := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		var l struct {
			Msg     string `json:"msg"`
			EventID string `json:"event_id"`
			Outcome string `json:"outcome"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Msg != "delivery done" || l.EventID == "" {
			continue
		}
		done[l.EventID] = append(done[l.EventID], l.Outcome)
	}
	return done, sc.Err()
}

// compareTarget reads each subject from the source as the runtime does
// (the cidaas users API), maps it with the target's mapping, and compares
// it with the target's record; a subject the source no longer has must
// have none.
func compareTarget(ctx context.Context, r *Report, p *plan, w *world) error {
	fsys, err := chaosMappings()
	if err != nil {
		return err
	}
	ms, err := plugins.All.LoadMappings(fsys, ".")
	if err != nil {
		return err
	}
	m := ms.Get(Target)
	cfg, err := cidaassrc.ParseConfig(sandbox.DevSecrets(w.url)["cidaas"])
	if err != nil {
		return err
	}
	fetcher, err := cidaassrc.NewFetcher(cfg, egress.Client(egress.Local, 10*time.Second)) // the cidaas fake is on loopback
	if err != nil {
		return err
	}
	byKey := map[string]map[string]any{}
	perSubject := map[string]int{}
	for _, rec := range w.target.Records() {
		byKey[rec.Key] = rec.Fields
		perSubject[fmt.Sprint(rec.Fields["id"])]++
	}
	known := map[string]bool{}
	for _, sub := range p.subjects {
		known[sub] = true
		r.DuplicateRecords += max(perSubject[sub]-1, 0)
		same, key, err := matches(ctx, fetcher, m, sub, byKey)
		if err != nil {
			return err
		}
		known[key] = true
		if !same {
			r.Differs++
			r.DiffersExamples = append(r.DiffersExamples, sub)
		}
	}
	for key := range byKey {
		if !known[key] {
			r.StrayRecords++
		}
	}
	return nil
}

// matches compares one subject; it returns the subject's record key.
func matches(ctx context.Context, f source.Fetcher, m *mapping.Mapping, sub string, byKey map[string]map[string]any) (bool, string, error) {
	rules := m.RulesFor(profile.Event{Source: "cidaas", Subject: sub})
	p, err := f.Fetch(ctx, sub)
	if errors.Is(err, source.ErrNotFound) {
		key, err := m.KeyOf(profile.Event{Source: "cidaas", Subject: sub, Type: profile.Deleted})
		if err != nil {
			return false, "", err
		}
		_, present := byKey[key]
		return !present, key, nil
	}
	if err != nil {
		return false, "", fmt.Errorf("read %s from the source: %w", sub, err)
	}
	if p.Sub == "" {
		p.Sub = sub
	}
	key, want, err := m.Record(rules, p)
	if err != nil {
		return false, "", err
	}
	got, ok := byKey[key]
	return ok && reflect.DeepEqual(normal(want), normal(got)), key, nil
}

// normal is v as JSON would carry it, so numbers and nested maps compare.
func normal(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// The window after the longest outage in which the report looks at the
// spread of calls: two capped delays at the harness's time scale.
const (
	RecoveryWindow = 2 * 15 * time.Minute / TimeScale
	RecoveryBucket = 100 * time.Millisecond
)

func scaleUp(d time.Duration) time.Duration { return (d * TimeScale).Round(time.Minute) }

func fmtBudget(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}
