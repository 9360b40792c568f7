package claims

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func threeAuthorities(combine Combine) string {
	return fmt.Sprintf("version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{name: a, kind: stub}, {name: b, kind: stub}, {name: c, kind: stub}]\ncombine: %s\nwrite_back: {status: s}\n", combine)
}

var (
	yes  = scripted{verdict: Verified}
	no   = scripted{verdict: Rejected}
	down = scripted{err: fmt.Errorf("%w: 503", ErrUnavailable)}
	bad  = scripted{err: fmt.Errorf("%w: not JSON", ErrMisconfigured)}
	wait = scripted{verdict: Pending}
)

func TestEngineCombines(t *testing.T) {
	tests := []struct {
		combine     Combine
		a, b, c     scripted
		want        Verdict
		unavailable bool
		asked       string // which authorities were called
	}{
		{All, yes, yes, yes, Verified, false, "abc"},
		{All, yes, no, yes, Rejected, false, "ab"},
		{All, down, yes, yes, Pending, true, "abc"},
		{All, down, no, yes, Rejected, true, "ab"}, // a clear no decides even while another is down
		{All, bad, yes, yes, Pending, false, "abc"},
		{Any, no, no, yes, Verified, false, "abc"},
		{Any, yes, no, no, Verified, false, "a"},
		{Any, no, no, no, Rejected, false, "abc"},
		{Any, no, down, no, Pending, true, "abc"}, // never a silent rejection
		{Any, wait, no, no, Pending, false, "abc"},
		{First, down, no, yes, Rejected, true, "ab"},
		{First, down, bad, yes, Verified, true, "abc"},
		{First, down, down, down, Pending, true, "abc"},
		{First, yes, down, down, Verified, false, "a"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d_%s", i, tt.combine), func(t *testing.T) {
			r := parseRule(t, threeAuthorities(tt.combine))
			s := newScript()
			s.set("a", tt.a)
			s.set("b", tt.b)
			s.set("c", tt.c)
			e, err := NewEngine(NewRuleSet(r), s.builder(nil))
			if err != nil {
				t.Fatal(err)
			}
			out := e.Run(context.Background(), r.Resolve("", ""), Request{Claim: "hcp"})
			if out.Verdict != tt.want || out.Unavailable != tt.unavailable {
				t.Errorf("verdict %s unavailable %v (%s), want %s %v", out.Verdict, out.Unavailable, out.Reason, tt.want, tt.unavailable)
			}
			asked := ""
			for _, n := range []string{"a", "b", "c"} {
				if s.count(n) > 0 {
					asked += n
				}
			}
			if asked != tt.asked {
				t.Errorf("asked %q, want %q", asked, tt.asked)
			}
			if len(out.Steps) != 3 {
				t.Errorf("steps = %d, want one per authority", len(out.Steps))
			}
		})
	}
}

// The deciding authority's reference and attributes are the outcome's.
func TestEngineKeepsTheDecidersEvidence(t *testing.T) {
	r := parseRule(t, threeAuthorities(First))
	s := newScript()
	s.set("a", down)
	s.set("b", scripted{verdict: Verified, ref: "1234567893", attrs: map[string]any{"taxonomy": "Pharmacist"}})
	e, _ := NewEngine(NewRuleSet(r), s.builder(nil))
	out := e.Run(context.Background(), r.Resolve("", ""), Request{})
	if out.Authority != "b" || out.Reference != "1234567893" || out.Attributes["taxonomy"] != "Pharmacist" {
		t.Errorf("outcome = %+v", out)
	}
}

type slowAuthority struct{}

func (slowAuthority) Check(ctx context.Context, _ Request) (Answer, error) {
	<-ctx.Done()
	return Answer{}, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
}

type panicky struct{}

func (panicky) Check(context.Context, Request) (Answer, error) { panic("boom") }

// A slow authority is cut at its timeout and counts as down; a panicking
// one as misconfigured; neither rejects.
func TestEngineTimeoutAndPanic(t *testing.T) {
	r := parseRule(t, "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{name: slow, kind: stub, timeout: 100ms}, {name: boom, kind: stub}]\ncombine: any\nwrite_back: {status: s}\n")
	e, err := NewEngine(NewRuleSet(r), func(_ *Rule, a AuthoritySpec) (Authority, error) {
		if a.Name == "slow" {
			return slowAuthority{}, nil
		}
		return panicky{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := e.Run(context.Background(), r.Resolve("", ""), Request{})
	if out.Verdict != Pending || !out.Unavailable {
		t.Fatalf("outcome = %+v", out)
	}
	if out.Steps[0].Reason != "slow: unavailable" || out.Steps[1].Reason != "boom: misconfigured" {
		t.Errorf("steps = %+v", out.Steps)
	}
}

func TestEngineBuildErrorNamesTheRule(t *testing.T) {
	r := parseRule(t, threeAuthorities(All))
	_, err := NewEngine(NewRuleSet(r), func(*Rule, AuthoritySpec) (Authority, error) { return nil, errors.New("no secret") })
	if err == nil || err.Error() != "claim rule rule: no secret" {
		t.Errorf("err = %v", err)
	}
}
