package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox/cidaas"
)

// cidaas event types the plan sends.
const (
	evCreated = "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY"
	evUpdated = "ACCOUNT_MODIFIED"
	evDeleted = "ACCOUNT_DELETED"
)

// change is one change at the source, in the order it happens.
type change struct {
	id      string
	subject string
	typ     string
	at      time.Time
	profile *profile.Profile // nil for a delete
}

// step is what the harness does next: apply a change at the source (the
// cidaas fake), or send the webhook of one (again, for a duplicate).
type step struct {
	apply *change
	send  *change
	dup   bool
}

// plan is a run's changes and the order of their steps.
type plan struct {
	subjects []string
	changes  []*change
	steps    []step
	dups     int
	late     int // sends moved after later changes' sends
}

// newPlan spreads n changes over subjects (one create, then updates, and
// for about one subject in seven a delete), interleaves the subjects at
// random, and orders the sends: most right after their change, some late
// (out of order), some twice (duplicates).
func newPlan(n int, seed uint64, base time.Time) *plan {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var counts []int
	for total := 0; total < n; {
		c := min(1+rng.IntN(7), n-total)
		counts = append(counts, c)
		total += c
	}
	p := &plan{}
	order := make([]int, 0, n) // subject index per change, interleaved
	for s, c := range counts {
		p.subjects = append(p.subjects, subjectID(seed, s))
		for range c {
			order = append(order, s)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	deletes := make([]bool, len(counts))
	for s, c := range counts {
		deletes[s] = c >= 2 && rng.IntN(7) == 0
	}
	seen := make([]int, len(counts))
	for k, s := range order {
		seen[s]++
		c := &change{id: fmt.Sprintf("chaos-%d-%d", seed, k), subject: p.subjects[s], at: base.Add(time.Duration(k) * time.Millisecond)}
		switch {
		case seen[s] == 1:
			c.typ, c.profile = evCreated, version(rng, c.subject, s, seen[s])
		case seen[s] == counts[s] && deletes[s]:
			c.typ = evDeleted
		default:
			c.typ, c.profile = evUpdated, version(rng, c.subject, s, seen[s])
		}
		p.changes = append(p.changes, c)
	}
	p.order(rng)
	return p
}

// order places each change's apply at its position and its send at the
// same position or later; a duplicate send goes later still.
func (p *plan) order(rng *rand.Rand) {
	type placed struct {
		pos float64
		st  step
	}
	var all []placed
	for k, c := range p.changes {
		all = append(all, placed{float64(k), step{apply: c}})
		pos := float64(k) + 0.5
		if rng.IntN(10) == 0 {
			pos += float64(1 + rng.IntN(50))
			p.late++
		}
		all = append(all, placed{pos, step{send: c}})
		if rng.IntN(20) == 0 {
			all = append(all, placed{pos + float64(1+rng.IntN(200)), step{send: c, dup: true}})
			p.dups++
		}
	}
	slices.SortStableFunc(all, func(a, b placed) int {
		switch {
		case a.pos < b.pos:
			return -1
		case a.pos > b.pos:
			return 1
		}
		return 0
	})
	for _, a := range all {
		p.steps = append(p.steps, a.st)
	}
}

// subjectID is a cidaas-style sub.
func subjectID(seed uint64, s int) string {
	return fmt.Sprintf("c4a05000-%04x-4000-8000-%012x", seed&0xffff, s)
}

var locales = []string{"de-DE", "en-GB", "fr-FR", "nl-NL"}

// version is the profile of subject s after its v-th change. The email
// stays (it is the person), the rest moves.
func version(rng *rand.Rand, sub string, s, v int) *profile.Profile {
	return &profile.Profile{
		Sub:           sub,
		GivenName:     fmt.Sprintf("Given%d-%d", v, rng.IntN(1000)),
		FamilyName:    fmt.Sprintf("Family%d", rng.IntN(5)),
		Email:         fmt.Sprintf("subject-%d@chaos.example", s),
		EmailVerified: rng.IntN(2) == 0,
		Locale:        locales[rng.IntN(len(locales))],
	}
}

// applyTo makes the change at the cidaas fake, the source of truth.
func (c *change) applyTo(f *cidaas.Fake) {
	if c.profile == nil {
		f.Delete(c.subject)
		return
	}
	f.Put(c.profile)
}

// body is the thin cidaas webhook of the change.
func (c *change) body() []byte {
	return fmt.Appendf(nil, `{"eventtype":%q,"id":%q,"sub":%q,"tenant_key":"chaos","createdTime":%q}`,
		c.typ, c.id, c.subject, c.at.UTC().Format("2006-01-02T15:04:05.000Z"))
}
