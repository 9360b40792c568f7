package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
)

// Follow polls the stack at base for the events of accepted, as they were
// sent at since (the notices of an earlier sending of the same event do not
// count), until each
// has settled (done or dead-lettered) at every target it was routed to,
// or until ctx ends; then it returns the last reports and whether all
// settled. The error is only for a stack that cannot be asked.
func Follow(ctx context.Context, hc *http.Client, base string, accepted ingress.Accepted, since time.Time) ([]EventReport, bool, error) {
	base = strings.TrimRight(base, "/")
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		reps, settled, err := followOnce(ctx, hc, base, accepted, since)
		if (err != nil && ctx.Err() == nil) || settled {
			return reps, settled, err
		}
		select {
		case <-ctx.Done():
			// The last look, with a context of its own: the caller's is over.
			last, settled, err := followOnce(context.Background(), hc, base, accepted, since)
			if err != nil {
				return reps, false, nil
			}
			return last, settled, nil
		case <-tick.C:
		}
	}
}

func followOnce(ctx context.Context, hc *http.Client, base string, accepted ingress.Accepted, since time.Time) ([]EventReport, bool, error) {
	var reps []EventReport
	settled := true
	for _, r := range accepted.Routed {
		rep, err := eventReport(ctx, hc, base, r.EventID, since)
		if err != nil {
			return nil, false, err
		}
		// Keep only the targets this delivery went to, in its order; a
		// target with no trace yet is queued.
		by := map[string]TargetReport{}
		for _, t := range rep.Targets {
			by[t.Target] = t
		}
		rep.Targets = rep.Targets[:0:0]
		for _, target := range r.Targets {
			t, ok := by[target]
			if !ok {
				t = TargetReport{Target: target, State: StateQueued}
			}
			if t.State != StateDone && t.State != StateDeadLettered {
				settled = false
			}
			rep.Targets = append(rep.Targets, t)
		}
		reps = append(reps, rep)
	}
	return reps, settled, nil
}

func eventReport(ctx context.Context, hc *http.Client, base, id string, since time.Time) (EventReport, error) {
	var rep EventReport
	u := base + EventsPath + url.PathEscape(id) + "?since=" + strconv.FormatInt(since.UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return rep, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return rep, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return rep, err
	}
	if resp.StatusCode != http.StatusOK {
		return rep, fmt.Errorf("GET %s: %s (is this a profilesync dev stack of this version?)", u, resp.Status)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("GET %s: %w", u, err)
	}
	return rep, nil
}
