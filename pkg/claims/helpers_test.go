package claims

import (
	"context"
	"fmt"
	"maps"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// script is a test authority: it answers what its entry in answers says
// and counts its calls. The engine and the verifier are what these tests
// test; the real authorities are tested against their sandbox fakes in
// their own packages and end to end in pkg/devstack.
type script struct {
	mu      sync.Mutex
	answers map[string]scripted // by authority name
	calls   map[string]int
}

type scripted struct {
	verdict Verdict
	err     error
	attrs   map[string]any
	ref     string
}

func newScript() *script {
	return &script{answers: map[string]scripted{}, calls: map[string]int{}}
}

func (s *script) set(name string, a scripted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[name] = a
}

func (s *script) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

func (s *script) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

type scriptAuthority struct {
	s    *script
	name string
}

func (a scriptAuthority) Check(_ context.Context, req Request) (Answer, error) {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.calls[a.name]++
	x, ok := a.s.answers[a.name]
	if !ok {
		return Answer{}, fmt.Errorf("%w: no script for %s", ErrMisconfigured, a.name)
	}
	if x.err != nil {
		return Answer{}, x.err
	}
	return Answer{Verdict: x.verdict, Reason: a.name + ": " + string(x.verdict), Reference: x.ref, Attributes: x.attrs}, nil
}

func (s *script) builder(manual func(r *Rule, a AuthoritySpec) (Authority, error)) AuthorityBuilder {
	return func(r *Rule, a AuthoritySpec) (Authority, error) {
		if a.Kind == ManualKind && manual != nil {
			return manual(r, a)
		}
		return scriptAuthority{s: s, name: a.Name}, nil
	}
}

func loadRule(t *testing.T, file string) *Rule {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Loader{}.Parse(file, b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func parseRule(t *testing.T, yaml string) *Rule {
	t.Helper()
	r, err := Loader{}.Parse("rule.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ciam is a CIAM double for the verifier's unit tests: profiles by
// subject, with Fetch and Update as source.Updater documents them. The
// real platforms' Update is tested against their sandbox fakes.
type ciam struct {
	mu       sync.Mutex
	profiles map[string]*profile.Profile
	updates  int
	fail     error
}

var _ source.Updater = (*ciam)(nil)

func newCIAM(ps ...*profile.Profile) *ciam {
	c := &ciam{profiles: map[string]*profile.Profile{}}
	for _, p := range ps {
		c.profiles[p.Sub] = p
	}
	return c
}

func (c *ciam) Fetch(_ context.Context, subject string) (*profile.Profile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.profiles[subject]
	if !ok {
		return nil, source.ErrNotFound
	}
	cp := *p
	cp.Custom = maps.Clone(p.Custom)
	return &cp, nil
}

func (c *ciam) Update(_ context.Context, subject string, attrs map[string]any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	p, ok := c.profiles[subject]
	if !ok {
		return source.ErrNotFound
	}
	c.updates++
	if p.Custom == nil {
		p.Custom = map[string]any{}
	}
	for k, v := range attrs {
		if v == nil {
			delete(p.Custom, k)
		} else {
			p.Custom[k] = v
		}
	}
	return nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func hcpProfile(sub, npi string) *profile.Profile {
	return &profile.Profile{Sub: sub, FamilyName: "Example", EmailVerified: true,
		Custom: map[string]any{"declared_role": "health_care_professional", "npi": npi}}
}
