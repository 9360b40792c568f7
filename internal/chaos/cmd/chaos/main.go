// Command chaos runs the delivery-guarantee harness (make chaos); started
// with PROFILESYNC_CHAOS_CHILD=1 it is the harness's local runtime.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/profilesync/profilesync/internal/chaos"
)

func main() {
	if chaos.IsChild() {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		if err := chaos.RunChild(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "chaos runtime:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run())
}

func run() int {
	c := chaos.DefaultConfig()
	events := 10000
	if v, err := strconv.Atoi(os.Getenv("CHAOS_EVENTS")); err == nil && v > 0 {
		events = v
	}
	flag.IntVar(&c.Events, "n", events, "changes to send (env CHAOS_EVENTS)")
	flag.IntVar(&c.Kills, "kills", c.Kills, "SIGKILLs of the runtime")
	flag.DurationVar(&c.LongOutage, "long-outage", c.LongOutage, "the long outage, in harness time (x720: 100s stands for 20 hours)")
	flag.Uint64Var(&c.Seed, "seed", 1, "random seed of the plan and the failures")
	flag.StringVar(&c.Dir, "dir", "", "work directory to keep (default: a temporary one, removed)")
	flag.Parse()
	c.Progress = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := chaos.Run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 2
	}
	rep.Print(os.Stdout)
	if !rep.OK() {
		return 1
	}
	return 0
}
