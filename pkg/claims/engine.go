package claims

import (
	"context"
	"errors"
	"fmt"
)

// Step is one authority's part in a verification.
type Step struct {
	Authority string // the rule's name for it
	Kind      string
	Verdict   Verdict
	Reason    string
	Reference string
	Calls     []Call
	// Skipped is true for an authority the combination did not need to
	// ask (an earlier one decided).
	Skipped bool
}

// Outcome is what a rule's authorities concluded together.
type Outcome struct {
	Verdict Verdict
	Reason  string
	// Authority, Reference and Attributes are those of the authority that
	// decided (for "all" verified: every authority's names joined with
	// "+", their references with spaces, their attributes merged in order).
	Authority  string
	Reference  string
	Attributes map[string]any
	// Unavailable is true when the outcome is pending because an
	// authority was down (the verifier retries), as opposed to pending on
	// a person (manual approval) or misconfigured.
	Unavailable bool
	Steps       []Step
}

// Engine runs a rule's authorities. It is built once per function with
// every authority of every policy.
type Engine struct {
	authorities map[*Policy][]Authority
}

// AuthorityBuilder builds one authority of a rule's policy.
type AuthorityBuilder func(r *Rule, a AuthoritySpec) (Authority, error)

// NewEngine builds every authority of every policy of rules.
func NewEngine(rules *RuleSet, build AuthorityBuilder) (*Engine, error) {
	e := &Engine{authorities: map[*Policy][]Authority{}}
	for _, r := range rules.All() {
		for _, p := range r.Policies() {
			if _, done := e.authorities[p]; done {
				continue
			}
			list := make([]Authority, len(p.Authorities))
			for i, spec := range p.Authorities {
				a, err := build(r, spec)
				if err != nil {
					return nil, fmt.Errorf("claim rule %s: %w", r.Name, err)
				}
				list[i] = a
			}
			e.authorities[p] = list
		}
	}
	return e, nil
}

// Run asks p's authorities about req and combines their answers.
func (e *Engine) Run(ctx context.Context, p *Policy, req Request) Outcome {
	list := e.authorities[p]
	out := Outcome{Verdict: Pending}
	attrs := map[string]any{}
	var pending []string
	decided := false
	for i, spec := range p.Authorities {
		st := Step{Authority: spec.Name, Kind: spec.Kind}
		if decided || i >= len(list) {
			st.Skipped = true
			out.Steps = append(out.Steps, st)
			continue
		}
		ans, err := ask(ctx, list[i], spec, req)
		st.Calls = ans.Calls
		switch {
		case errors.Is(err, ErrMisconfigured):
			st.Verdict, st.Reason = Pending, spec.Name+": misconfigured"
		case err != nil:
			st.Verdict, st.Reason = Pending, spec.Name+": unavailable"
			out.Unavailable = true
		case ans.Verdict == Verified || ans.Verdict == Rejected || ans.Verdict == Pending:
			st.Verdict, st.Reason, st.Reference = ans.Verdict, ans.Reason, ans.Reference
		default:
			st.Verdict, st.Reason = Pending, spec.Name+": misconfigured"
		}
		out.Steps = append(out.Steps, st)
		decide := func() {
			out.Verdict, out.Reason, out.Authority, out.Reference = st.Verdict, st.Reason, spec.Name, st.Reference
			for k, v := range ans.Attributes {
				attrs[k] = v
			}
		}
		switch p.Combine {
		case All:
			switch st.Verdict {
			case Rejected:
				decide()
				decided = true
			case Verified:
				for k, v := range ans.Attributes {
					attrs[k] = v
				}
				out.Authority = joinNonEmpty(out.Authority, spec.Name, "+")
				out.Reference = joinNonEmpty(out.Reference, st.Reference, " ")
			default:
				pending = append(pending, st.Reason)
			}
		case Any:
			switch st.Verdict {
			case Verified:
				decide()
				decided = true
			case Rejected:
				if out.Reason == "" || out.Verdict == Rejected {
					out.Reason = st.Reason
				}
			default:
				pending = append(pending, st.Reason)
			}
		case First:
			if st.Verdict == Verified || st.Verdict == Rejected {
				decide()
				decided = true
			} else {
				pending = append(pending, st.Reason)
			}
		}
	}
	if !decided {
		switch {
		case len(pending) > 0:
			out.Verdict, out.Reason = Pending, joinReasons(pending)
			out.Authority, out.Reference = "", ""
		case p.Combine == All:
			out.Verdict = Verified
			out.Reason = "all verified"
		default: // any: every authority rejected
			out.Verdict = Rejected
		}
	}
	if out.Verdict != Pending || len(attrs) > 0 {
		out.Attributes = attrs
	}
	return out
}

func joinNonEmpty(a, b, sep string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + sep + b
}

func joinReasons(rs []string) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += "; "
		}
		s += r
	}
	return s
}

// ask calls one authority within its timeout; a panic is a misconfigured
// authority, never a crashed verifier.
func ask(ctx context.Context, a Authority, spec AuthoritySpec, req Request) (ans Answer, err error) {
	t := spec.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			ans, err = Answer{}, fmt.Errorf("%w: authority %s panicked", ErrMisconfigured, spec.Name)
		}
	}()
	ans, err = a.Check(ctx, req)
	if err == nil && ctx.Err() != nil {
		return Answer{}, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	}
	return ans, err
}
