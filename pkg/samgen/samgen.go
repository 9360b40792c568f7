// Package samgen renders the per-target blocks of template.yaml from the
// mapping files (the claim verifier's from the claim rules, the scheduled
// jobs' from the job files, the dashboard and the alarms on the functions'
// own metrics from every target and source: metrics.go), so that adding a
// target is a mapping file plus one `profilesync template` run. It rewrites only the lines between the
// "# BEGIN GENERATED <BLOCK>" / "# END GENERATED <BLOCK>" marker pairs;
// everything else in the template is written by hand and read here only for
// what the blocks depend on (the function Timeout, the SOURCES list).
//
// It deliberately does not use Fn::ForEach: `sam deploy` does not rewrite
// the CodeUri of functions generated inside one. It neither loads mapping
// files (the caller passes a validated mapping.Set) nor deploys anything.
package samgen

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// The marker blocks of template.yaml, in the order they appear.
const (
	BlockParameters      = "TARGET PARAMETERS"
	BlockQueueURLs       = "TARGET QUEUE URLS"
	BlockIngressPolicies = "TARGET INGRESS POLICIES"
	BlockTargets         = "TARGETS"
	BlockOutputs         = "TARGET OUTPUTS"
)

// Blocks lists every block the generator renders; a template must have each
// marker pair exactly once.
var Blocks = []string{
	BlockParameters, BlockClaimParameters, BlockJobParameters, BlockSyncLogParameters, BlockJobConditions, BlockQueueURLs, BlockClaimQueueURL,
	BlockIngressPolicies, BlockClaimIngressPolicy, BlockSyncLogIngressPolicy, BlockSyncLog, BlockTargets, BlockClaims, BlockJobs, BlockCognito, BlockMetrics, BlockOutputs, BlockClaimOutputs, BlockJobOutputs,
}

// Options adjust rendering. The zero value is what `profilesync template`
// uses.
type Options struct {
	// BatchingWindow, if set, returns the SQS event source's
	// MaximumBatchingWindowInSeconds for a target (0: none). It is the hook
	// for batching connectors (connector.Batcher), which gain from fuller
	// batches; nothing sets it yet.
	BatchingWindow func(m *mapping.Mapping) int
	// Claims is what the claim rules need of the template (ClaimsOf);
	// nil renders the claim blocks empty: no verifier.
	Claims *Claims
	// Jobs is what the job files need of the template (JobsOf); nil
	// renders the job blocks empty: no jobs function.
	Jobs *Jobs
	// JobsForStage returns the job files as one deployment stage (the
	// Stage parameter's AllowedValues) loads them, with that environment's
	// overrides. A job whose schedule differs between stages gets it per
	// stage (Fn::If on the Stage); nil: every stage runs Jobs' schedules.
	JobsForStage func(stage string) (*Jobs, error)
}

var (
	beginRE = regexp.MustCompile(`^(.*?)# BEGIN GENERATED ([A-Z][A-Z ]*[A-Z])\s*$`)
	endRE   = regexp.MustCompile(`^(\s*)# END GENERATED ([A-Z][A-Z ]*[A-Z])\s*$`)
)

// region is one marker pair: lines[begin] is the BEGIN line, lines[end] the
// END line; indent is the END line's indentation, which the block's lines
// take.
type region struct {
	name       string
	begin, end int
	indent     string
}

// Generate returns tpl with every generated block rendered from set. It
// fails when a marker pair is missing, duplicated, unknown or out of order,
// when a mapping's delivery settings are outside what AWS allows, or when
// the result does not parse as a template (a logical id colliding with a
// hand-written one, say).
func Generate(tpl []byte, set *mapping.Set, opts Options) ([]byte, error) {
	lines := strings.SplitAfter(string(tpl), "\n")
	regions, err := findRegions(lines)
	if err != nil {
		return nil, err
	}
	env, err := readEnvironment(splice(lines, regions, nil))
	if err != nil {
		return nil, err
	}
	targets, err := targetsOf(set, env, opts)
	if err != nil {
		return nil, err
	}
	if err := checkSyncLogSecret(set); err != nil {
		return nil, err
	}
	cv, err := claimsViewOf(opts.Claims, targets, env)
	if err != nil {
		return nil, err
	}
	jv, err := jobsViewOf(opts.Jobs, targets, cv, env)
	if err == nil {
		err = jv.stageSchedules(env.stages, opts.JobsForStage)
	}
	if err != nil {
		return nil, err
	}
	blocks := map[string][]string{}
	for _, r := range regions {
		_, claim := claimTemplates[r.name]
		_, job := jobTemplates[r.name]
		_, syncLog := syncLogTemplates[r.name]
		switch {
		case r.name == BlockMetrics:
			blocks[r.name], err = renderMetrics(targets, sourcesOf(env), queuesOf(targets, cv != nil, jv != nil))
		case syncLog:
			blocks[r.name], err = renderSyncLog(r.name)
		case claim:
			blocks[r.name], err = renderClaims(r.name, cv)
		case job:
			blocks[r.name], err = renderJobs(r.name, jv)
		case r.name == BlockCognito:
			blocks[r.name], err = renderCognito(targets, cv)
		default:
			blocks[r.name], err = render(r.name, targets)
		}
		if err != nil {
			return nil, err
		}
	}
	out := []byte(splice(lines, regions, blocks))
	if _, err := samtemplate.Decode(out); err != nil {
		return nil, fmt.Errorf("generated template does not parse: %w", err)
	}
	return out, nil
}

// findRegions locates each marker pair once.
func findRegions(lines []string) ([]region, error) {
	known := map[string]bool{}
	for _, b := range Blocks {
		known[b] = true
	}
	var (
		out  []region
		open *region
		seen = map[string]int{}
	)
	for i, line := range lines {
		line = strings.TrimRight(line, "\r\n")
		if m := beginRE.FindStringSubmatch(line); m != nil {
			name := m[2]
			switch {
			case !known[name]:
				return nil, fmt.Errorf("line %d: unknown block %q; known: %s", i+1, name, strings.Join(Blocks, ", "))
			case open != nil:
				return nil, fmt.Errorf("line %d: BEGIN GENERATED %s inside %s (opened line %d)", i+1, name, open.name, open.begin+1)
			case seen[name] > 0:
				return nil, fmt.Errorf("line %d: BEGIN GENERATED %s again (first on line %d)", i+1, name, seen[name])
			}
			seen[name] = i + 1
			open = &region{name: name, begin: i}
			continue
		}
		if m := endRE.FindStringSubmatch(line); m != nil {
			if open == nil || open.name != m[2] {
				return nil, fmt.Errorf("line %d: END GENERATED %s without its BEGIN", i+1, m[2])
			}
			open.end, open.indent = i, m[1]
			out = append(out, *open)
			open = nil
		}
	}
	if open != nil {
		return nil, fmt.Errorf("line %d: BEGIN GENERATED %s has no END", open.begin+1, open.name)
	}
	for _, b := range Blocks {
		if seen[b] == 0 {
			return nil, fmt.Errorf("no marker pair for block %s (# BEGIN GENERATED %s / # END GENERATED %s)", b, b, b)
		}
	}
	return out, nil
}

// splice replaces each region's inner lines with blocks[name], indented;
// a nil map empties them.
func splice(lines []string, regions []region, blocks map[string][]string) string {
	var b strings.Builder
	next := 0
	for _, r := range regions {
		for _, l := range lines[next : r.begin+1] {
			b.WriteString(l)
		}
		for _, l := range blocks[r.name] {
			if l != "" {
				b.WriteString(r.indent)
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		next = r.end
	}
	for _, l := range lines[next:] {
		b.WriteString(l)
	}
	return b.String()
}

// Diff describes how got differs from want line by line ("-" lines only in
// got, "+" lines only in want), with line numbers, at most limit lines;
// "" when they are equal.
func Diff(got, want []byte, limit int) string {
	if bytes.Equal(got, want) {
		return ""
	}
	a, b := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	// Trim the common head and tail so the LCS table stays small.
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	a, b = a[head:len(a)-tail], b[head:len(b)-tail]
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, fmt.Sprintf("-%4d | %s", head+i+1, a[i]))
			i++
		default:
			out = append(out, fmt.Sprintf("+%4d | %s", head+j+1, b[j]))
			j++
		}
	}
	if limit > 0 && len(out) > limit {
		out = append(out[:limit], fmt.Sprintf("... and %d more changed lines", len(out)-limit))
	}
	return strings.Join(out, "\n") + "\n"
}
