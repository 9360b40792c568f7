package lambdatest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// initEntry is one line of GODEBUG=inittrace=1: the package initialisation
// of one package.
type initEntry struct {
	pkg    string
	ms     float64 // the clock time of its initialisers
	bytes  int64   // heap allocated by them
	allocs int64
}

// initTrace runs bin with GODEBUG=inittrace=1 and nothing else in its
// environment: package initialisation runs in full, then main stops
// (no Lambda runtime API to poll, no configuration), which is all this
// needs.
func initTrace(bin string) ([]initEntry, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"GODEBUG=inittrace=1"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // it fails for want of configuration, after init
	trace, err := parseInitTrace(stderr.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", bin, err, stderr.Bytes())
	}
	return trace, nil
}

// parseInitTrace reads lines such as
//
//	init github.com/x/y @12 ms, 0.52 ms clock, 586696 bytes, 3151 allocs
func parseInitTrace(out []byte) ([]initEntry, error) {
	var trace []initEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[6] != "clock," || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		ms, err1 := strconv.ParseFloat(f[4], 64)
		b, err2 := strconv.ParseInt(f[7], 10, 64)
		a, err3 := strconv.ParseInt(f[9], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("unreadable inittrace line %q", sc.Text())
		}
		trace = append(trace, initEntry{pkg: f[1], ms: ms, bytes: b, allocs: a})
	}
	// Guard against a vacuous result: the runtime initialises itself
	// first, and a Lambda links well over 50 packages with initialisers.
	if len(trace) < 50 || !slices.ContainsFunc(trace, func(e initEntry) bool { return e.pkg == "runtime" }) {
		return nil, fmt.Errorf("inittrace listed %d packages (runtime among them: %v)", len(trace),
			slices.ContainsFunc(trace, func(e initEntry) bool { return e.pkg == "runtime" }))
	}
	return trace, nil
}

// ownInitBytes caps the heap each function's own packages (this module)
// allocate during package initialisation. Patterns, schemas and tables
// belong in sync.OnceValue or internal/lazyregexp, built when first
// needed: a package-level regexp.MustCompile of `[a-z]{0,99}` alone
// allocates about 50 KB at every cold start. Today each function's own
// packages allocate under 70 KB (the claim verifier's approval and
// e-mail domain rules the most).
const ownInitBytes = 96 << 10

// TestColdStartAllocations checks, without timing anything, that the
// functions' own package initialisation stays small, and that the
// heavy initialisers the cold-start work removed stay out.
func TestColdStartAllocations(t *testing.T) {
	bins := hostBootstraps(t)
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			trace, err := initTrace(bins[fn])
			if err != nil {
				t.Fatal(err)
			}
			var own int64
			for _, e := range trace {
				if strings.HasPrefix(e.pkg, module+"/") {
					own += e.bytes
				}
				for _, heavy := range []string{"github.com/nyaruka/phonenumbers", "golang.org/x/text/language/display"} {
					if e.pkg == heavy {
						t.Errorf("%s initialises %s (%d bytes at start)", fn, heavy, e.bytes)
					}
				}
			}
			t.Logf("%s: own packages allocate %d bytes at init", fn, own)
			if own > ownInitBytes {
				t.Errorf("%s's own packages allocate %d bytes at init, over %d; the largest:\n%s", fn, own, ownInitBytes, topInit(trace, 5, func(e initEntry) float64 { return float64(e.bytes) }))
			}
		})
	}
}

// before are the figures on this machine (2 cores, shared) before issue
// 17's cold-start work (commit 68285c8), printed beside today's: the
// lowest init sum of 5 runs at a load average of about 3, and the
// linux/arm64 size. github.com/nyaruka/phonenumbers took 13-16 ms of the
// sync and jobs functions' init then (up to 56 ms when the machine was
// busy).
var before = map[string]struct{ initMs, mb float64 }{
	"ingress":  {7.3, 12.1},
	"sync":     {21.4, 17.9},
	"verifier": {8.3, 14.5},
	"jobs":     {25.6, 24.7},
}

// BenchmarkColdStart is `make bench`'s cold-start figure: for each
// function, the sum of the package initialisation clocks
// (GODEBUG=inittrace=1, the measure, goal 15 ms) of a natively
// built bootstrap, its median and minimum over the runs, the packages
// that take longest, and the size of the linux/arm64 bootstrap that
// ships (goal 15 MB). The clock is wall time on this machine, whose cores
// other work shares: an initialiser descheduled midway counts the wait.
// Read the minimum as the figure, the median as the noise, and the floor
// (each package's fastest run, summed) as what the code costs.
func BenchmarkColdStart(b *testing.B) {
	bins := hostBootstraps(b)
	arm, err := buildFunctions(moduleRoot(b), b.TempDir(), "linux", "arm64")
	if err != nil {
		b.Fatal(err)
	}
	for _, fn := range functions {
		b.Run(fn, func(b *testing.B) {
			var sums []float64
			perPkg := map[string][]float64{}
			var allocBytes float64
			for b.Loop() {
				trace, err := initTrace(bins[fn])
				if err != nil {
					b.Fatal(err)
				}
				sum, bytes := 0.0, 0.0
				for _, e := range trace {
					sum += e.ms
					bytes += float64(e.bytes)
					perPkg[e.pkg] = append(perPkg[e.pkg], e.ms)
				}
				sums = append(sums, sum)
				allocBytes = bytes
			}
			st, err := os.Stat(arm[fn])
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(median(sums), "init-ms")
			b.ReportMetric(slices.Min(sums), "init-min-ms")
			b.ReportMetric(allocBytes/1e6, "init-MB-alloc")
			b.ReportMetric(float64(st.Size())/1e6, "arm64-MB")
			var top []initEntry
			floor := 0.0
			for pkg, ms := range perPkg {
				top = append(top, initEntry{pkg: pkg, ms: median(ms)})
				floor += slices.Min(ms)
			}
			b.ReportMetric(floor, "init-floor-ms")
			b.Logf("%s: init %.1f ms median, %.1f ms min, %.1f ms floor over %d runs (before: %.1f ms min); linux/arm64 bootstrap %.1f MB (before: %.1f MB); slowest packages (median ms):\n%s",
				fn, median(sums), slices.Min(sums), floor, len(sums), before[fn].initMs, float64(st.Size())/1e6, before[fn].mb,
				topInit(top, 8, func(e initEntry) float64 { return e.ms }))
		})
	}
}

// topInit lists the n largest entries by key, one a line.
func topInit(trace []initEntry, n int, key func(initEntry) float64) string {
	s := slices.Clone(trace)
	slices.SortFunc(s, func(a, b initEntry) int {
		ka, kb := key(a), key(b)
		switch {
		case ka > kb:
			return -1
		case ka < kb:
			return 1
		}
		return strings.Compare(a.pkg, b.pkg)
	})
	var out strings.Builder
	for _, e := range s[:min(n, len(s))] {
		fmt.Fprintf(&out, "\t%10.3f  %s\n", key(e), e.pkg)
	}
	return out.String()
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
