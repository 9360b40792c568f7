package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/profile"
)

const claimsHelp = `
Usage: profilesync claims verify SUBJECT [--source NAME] [--rule RULE] [flags]
       profilesync claims verify --profile FILE [--source NAME] [flags]
       profilesync claims list SUBJECT [--output text|json] [flags]
       profilesync claims pending [--output text|json] [flags]
       profilesync claims approve ID [--as APPROVER] [flags]
       profilesync claims reject ID [--as APPROVER] [flags]

Work with the claim verifier of the local stack (profilesync dev), with
the same rules (mappings/claims/*.yaml), authorities and store it runs:

  verify   a dry run: fetch SUBJECT's profile from --source (or read a
           canonical profile from --profile FILE), run every rule that
           applies (or --rule) and show each authority's request and answer
           and the verdict, without recording or writing anything back.
  list     every decision recorded about SUBJECT, oldest first.
  pending  the manual approvals waiting for a decision, with each
           approver's signed approve and reject links.
  approve  decide approval ID (from pending) as --as (default cli:<user>);
  reject   the verdict is recorded and written back to the CIAM at once.

The profile, the authorities' registries and the CIAM are the running
stack's sandbox at --url; the store is the SQLite database in --data.`

func runClaims(ctx context.Context, c *cli, args []string) error {
	f := newFlags("claims", claimsHelp)
	data := f.String("data", defaultData, "data `dir`ectory of the local stack")
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	mappingsDir := f.String("mappings", "", "mapping files `dir`ectory with claims/ (default: the ones built in)")
	source := f.String("source", "cidaas", "the CIAM source `name` the subject lives in")
	rule := f.String("rule", "", "verify only this `rule`")
	profileFile := f.String("profile", "", "verify this canonical profile JSON `file` instead of fetching one")
	as := f.String("as", "", "the `approver` recorded with a decision (default cli:<user>)")
	output := outputFlag(f)
	pos, err := f.parse(c, args, 1, 2)
	if err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	action := pos[0]
	want := map[string]int{"verify": -1, "list": 1, "pending": 0, "approve": 1, "reject": 1}
	n, ok := want[action]
	if !ok {
		return f.usageErr("unknown subcommand %q (want verify, list, pending, approve or reject)", action)
	}
	if n >= 0 && len(pos)-1 != n {
		return f.usageErr("claims %s takes %d argument(s)", action, n)
	}
	if action == "verify" && (len(pos) == 2) == (*profileFile != "") {
		return f.usageErr("claims verify takes a SUBJECT or --profile FILE")
	}
	o := devstack.Options{DataDir: *data, Log: slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if *mappingsDir != "" {
		o.Mappings = os.DirFS(*mappingsDir)
	}
	v, err := devstack.OpenVerifier(ctx, o, strings.TrimRight(*url, "/"))
	if err != nil {
		return err
	}
	defer v.Close()
	switch action {
	case "verify":
		return claimsVerify(ctx, c, v, pos[1:], *source, *rule, *profileFile, *output, *url)
	case "list":
		h, err := v.Store.History(ctx, pos[1])
		if err != nil {
			return err
		}
		return printDecisions(c, h, *output)
	case "pending":
		return printPending(ctx, c, v, *output)
	default:
		who := *as
		if who == "" {
			who = "cli:" + userName()
		}
		res, err := v.Verifier.Verifier.DecideApproval(ctx, pos[1], action == "approve", who)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "approval %s: %s by %s; rule %s is now %s\n", pos[1], action+"d", who, res.Rule, res.Decision.Verdict)
		return nil
	}
}

func userName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

func claimsVerify(ctx context.Context, c *cli, v *devstack.LocalVerifier, args []string, source, rule, file, output, url string) error {
	var p *profile.Profile
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		p = new(profile.Profile)
		if err := json.Unmarshal(b, p); err != nil {
			return fmt.Errorf("%s: not a canonical profile: %w", file, err)
		}
		if p.Sub == "" {
			return fmt.Errorf("%s: the profile has no sub", file)
		}
	} else {
		f, ok := v.Verifier.Verifier.Fetchers[source]
		if !ok {
			return fmt.Errorf("source %q has no fetch API in the local stack", source)
		}
		var err error
		if p, err = f.Fetch(ctx, args[0]); err != nil {
			return withStackHint(fmt.Errorf("fetch %s from %s: %w", args[0], source, err), url)
		}
	}
	opts := claims.Options{DryRun: true, Force: true}
	if rule != "" {
		if v.Rules.Get(rule) == nil {
			return fmt.Errorf("no claim rule %q", rule)
		}
		opts.Rules = []string{rule}
	}
	results, err := v.Verifier.Verifier.Verify(ctx, claims.Input{Source: source, Profile: p}, opts)
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSONValue(c, results)
	}
	if len(results) == 0 {
		fmt.Fprintln(c.stdout, "no claim rule applies to this profile (nothing declared)")
		return nil
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		d := r.Decision
		fmt.Fprintf(c.stdout, "rule %s: claim %s = %q\n", r.Rule, d.Claim, d.Value)
		for _, st := range r.Steps {
			if st.Skipped {
				fmt.Fprintf(c.stdout, "  %s (%s): not asked\n", st.Authority, st.Kind)
				continue
			}
			fmt.Fprintf(c.stdout, "  %s (%s): %s", st.Authority, st.Kind, st.Verdict)
			if st.Reason != "" {
				fmt.Fprintf(c.stdout, " (%s)", st.Reason)
			}
			fmt.Fprintln(c.stdout)
			for _, call := range st.Calls {
				fmt.Fprintf(c.stdout, "    %s %s -> %d %s\n", call.Method, call.URL, call.Status, call.Answer)
			}
		}
		fmt.Fprintf(c.stdout, "  verdict: %s", d.Verdict)
		if d.Reason != "" {
			fmt.Fprintf(c.stdout, " (%s)", d.Reason)
		}
		fmt.Fprintln(c.stdout)
		keys := make([]string, 0, len(r.WriteBack))
		for k := range r.WriteBack {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(c.stdout, "  would write back:")
		for _, k := range keys {
			fmt.Fprintf(c.stdout, "    %s = %v\n", k, r.WriteBack[k])
		}
	}
	return nil
}

func printDecisions(c *cli, h []claims.Decision, output string) error {
	if output == "json" {
		if h == nil {
			h = []claims.Decision{}
		}
		return printJSONValue(c, h)
	}
	if len(h) == 0 {
		fmt.Fprintln(c.stdout, "no decisions")
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "DECIDED\tRULE\tVALUE\tVERDICT\tAUTHORITY\tREFERENCE\tBY\tEXPIRES\tREASON")
	for _, d := range h {
		exp := "-"
		if !d.ExpiresAt.IsZero() {
			exp = d.ExpiresAt.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.DecidedAt.UTC().Format(time.RFC3339), d.Rule, d.Value, d.Verdict,
			dash(d.Authority), dash(d.Reference), d.DecidedBy, exp, dash(d.Reason))
	}
	return w.Flush()
}

// pendingLinks is one pending approval as `claims pending --output json`
// prints it.
type pendingLinks struct {
	claims.Approval
	Links map[string]map[string]string `json:"links,omitempty"` // approver → approve/reject URL
}

func printPending(ctx context.Context, c *cli, v *devstack.LocalVerifier, output string) error {
	ps, err := v.Store.PendingApprovals(ctx)
	if err != nil {
		return err
	}
	out := make([]pendingLinks, 0, len(ps))
	for _, a := range ps {
		a.Evidence = nil // the page behind the link shows it
		pl := pendingLinks{Approval: a}
		if v.Approvals != nil {
			pl.Links = map[string]map[string]string{}
			for _, who := range v.Verifier.Verifier.Approvers(a) {
				yes, no, _, err := v.Approvals.Links.NewUntil(a.ID, who, a.ExpiresAt)
				if err != nil {
					return err
				}
				pl.Links[who] = map[string]string{"approve": yes, "reject": no}
			}
		}
		out = append(out, pl)
	}
	if output == "json" {
		return printJSONValue(c, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(c.stdout, "no approvals pending")
		return nil
	}
	for i, p := range out {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "approval %s: rule %s, claim %s = %q, requested %s, expires %s\n", p.ID, p.Rule, p.Claim, p.Value,
			p.RequestedAt.UTC().Format(time.RFC3339), p.ExpiresAt.UTC().Format(time.RFC3339))
		who := make([]string, 0, len(p.Links))
		for k := range p.Links {
			who = append(who, k)
		}
		sort.Strings(who)
		for _, k := range who {
			fmt.Fprintf(c.stdout, "  %s: approve %s\n  %s: reject  %s\n", k, p.Links[k]["approve"], k, p.Links[k]["reject"])
		}
	}
	return nil
}
