package jobs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/internal/lazyregexp"
)

// Cleanup is what a cleanup job removes. Every part is optional; a job
// names at least one.
//
// Expired bookkeeping (StateOlderThan, AbandonedOlderThan) is deleted in
// the store directly: it is the queues' own record, not a change to a
// target. The rest become events on the targets' queues, as the ingress
// would queue them, so they keep the delivery guarantees (retries, DLQ,
// ordering against the subject's state) and each target's mapping
// decides what they mean there (unsubscribe, deactivate, delete).
type Cleanup struct {
	// StateOlderThan expires sync-state rows whose last event is older:
	// tombstones, and live rows with no back-end record id (one that has
	// an id keeps it: without it an update could create a duplicate).
	StateOlderThan time.Duration
	// AbandonedOlderThan expires abandoned-log rows older than this.
	AbandonedOlderThan time.Duration
	// LapsedConsents queue consent_revoked for subjects whose consent was
	// granted longer ago than OlderThan and never renewed.
	LapsedConsents []LapsedConsent
	// Inactive queues deleted for subjects inactive for longer than
	// OlderThan (the CIAM keeps them).
	Inactive *Inactive
}

// LapsedConsent is one consent purpose and how long a grant holds.
type LapsedConsent struct {
	Purpose   string
	OlderThan time.Duration
}

// Inactive says when a subject counts as inactive: Field (updated_at, or
// custom.<name> holding an RFC 3339 time such as a last login) older
// than OlderThan.
type Inactive struct {
	OlderThan time.Duration
	Field     string
}

// Day is the unit of cleanup durations; a year is 365 days.
const Day = 24 * time.Hour

var (
	cleanupKeys = []string{"state_older_than", "abandoned_older_than", "lapsed_consents", "inactive"}
	daysRE      = lazyregexp.New(`^([1-9][0-9]{0,4})(d|y)$`)
	purposeRE   = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	customRE    = lazyregexp.New(`^custom\.[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$`)
)

// ParseDays reads a cleanup duration: whole days ("400d") or years
// ("3y", 365 days each).
func ParseDays(s string) (time.Duration, error) {
	m := daysRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	n, _ := strconv.Atoi(m[1])
	if m[2] == "y" {
		n *= 365
	}
	return time.Duration(n) * Day, nil
}

// cleanupKeys reads the cleanup key: required for a cleanup job, refused
// on the others.
func (d *diag) cleanupKeys(j *Job, l map[string]*yaml.Node) {
	n, ok := l["cleanup"]
	if j.Kind != KindCleanup {
		if ok && j.Kind != "" {
			d.at(n, "cleanup", "only a cleanup job has cleanup")
		}
		return
	}
	if !ok {
		d.at(nil, "cleanup", "required: what to clean up (state_older_than, abandoned_older_than, lapsed_consents, inactive)")
		return
	}
	c := &Cleanup{}
	kv := d.pairs(n, "cleanup", cleanupKeys)
	if len(kv) == 0 && n.Kind == yaml.MappingNode {
		d.at(n, "cleanup", "name at least one of %s", strings.Join(cleanupKeys, ", "))
	}
	c.StateOlderThan = d.days(kv["state_older_than"], "cleanup.state_older_than")
	c.AbandonedOlderThan = d.days(kv["abandoned_older_than"], "cleanup.abandoned_older_than")
	if s, ok := kv["lapsed_consents"]; ok {
		if s.Kind != yaml.SequenceNode || len(s.Content) == 0 {
			d.at(s, "cleanup.lapsed_consents", "must be a list of {purpose, older_than}")
		} else {
			seen := map[string]bool{}
			for i, e := range s.Content {
				field := fmt.Sprintf("cleanup.lapsed_consents[%d]", i)
				p := d.pairs(e, field, []string{"purpose", "older_than"})
				lc := LapsedConsent{OlderThan: d.days(p["older_than"], field+".older_than")}
				switch pn, ok := p["purpose"]; {
				case !ok:
					d.at(e, field+".purpose", "required: the consent purpose")
				case !purposeRE.MatchString(pn.Value):
					d.at(pn, field+".purpose", "not a consent purpose name")
				case seen[pn.Value]:
					d.at(pn, field+".purpose", "listed twice")
				default:
					seen[pn.Value], lc.Purpose = true, pn.Value
				}
				if _, ok := p["older_than"]; !ok && e.Kind == yaml.MappingNode {
					d.at(e, field+".older_than", "required: how long a grant holds, e.g. 730d")
				}
				c.LapsedConsents = append(c.LapsedConsents, lc)
			}
		}
	}
	if in, ok := kv["inactive"]; ok {
		p := d.pairs(in, "cleanup.inactive", []string{"older_than", "field"})
		c.Inactive = &Inactive{OlderThan: d.days(p["older_than"], "cleanup.inactive.older_than"), Field: "updated_at"}
		if _, ok := p["older_than"]; !ok && in.Kind == yaml.MappingNode {
			d.at(in, "cleanup.inactive.older_than", "required: how long without activity, e.g. 3y")
		}
		if f, ok := p["field"]; ok {
			if f.Value != "updated_at" && !customRE.MatchString(f.Value) {
				d.at(f, "cleanup.inactive.field", "want updated_at or custom.<name> (an RFC 3339 time)")
			}
			c.Inactive.Field = f.Value
		}
	}
	j.Cleanup = c
}

func (d *diag) days(n *yaml.Node, field string) time.Duration {
	if n == nil {
		return 0
	}
	v, err := ParseDays(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		d.at(n, field, "must be whole days or years, e.g. 400d or 3y")
		return 0
	}
	return v
}
