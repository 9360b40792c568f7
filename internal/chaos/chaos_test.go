package chaos

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain turns the test binary into the chaos runtime when Run starts
// it as the child process.
func TestMain(m *testing.M) {
	if IsChild() {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		err := RunChild(ctx)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "chaos runtime:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestChaosShort is `make chaos` in small: 300 changes, one SIGKILL of
// the runtime, both outages, a long outage (3 s: 36 minutes at the
// harness's time scale, longer than the whole backoff sequence) and a
// storm at the target; nothing may reach the DLQ.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the local runtime as a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress strings.Builder
	rep, err := Run(ctx, Config{Events: 300, Kills: 1, Outages: 2, Storms: 1,
		OutageLen: time.Second, StormLen: time.Second, LongOutage: 3 * time.Second, Dir: t.TempDir(), Progress: &progress, Drain: time.Minute})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if !rep.OK() {
		t.Fatalf("guarantees broken:\n%s%s", progress.String(), out.String())
	}
	if rep.StopErr != "" {
		t.Errorf("runtime did not stop cleanly: %s", rep.StopErr)
	}
	if rep.Kills != 1 || rep.Starts != 2 {
		t.Errorf("runtime killed %d and started %d times, want 1 and 2", rep.Kills, rep.Starts)
	}
	if s := rep.Target; s.Random == 0 || s.Down == 0 || s.Throttled == 0 || s.Longest != 3*time.Second {
		t.Errorf("the schedule did not bite: %+v", s)
	}
	if rep.RecoveryCalls == 0 || !strings.Contains(out.String(), "longest outage:    3s") {
		t.Errorf("no calls seen after the long outage, or no report line:\n%s", out.String())
	}
}
