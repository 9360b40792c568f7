package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

var sandboxHelp = fmt.Sprintf(`
Usage: profilesync sandbox list [TARGET] [--output text|json] [flags]

Print what the sandbox back-ends of the running stack hold: GET
<url>/sandbox/<target>/_sandbox/records for TARGET, or for every target with
a sandbox fake (%s). The records are fake demo data. --output json
prints one JSON object keyed by target.`, strings.Join(sandbox.Targets, ", "))

func runSandbox(ctx context.Context, c *cli, args []string) error {
	f := newFlags("sandbox", sandboxHelp)
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	output := outputFlag(f)
	pos, err := f.parse(c, args, 1, 2)
	if err != nil {
		return err
	}
	if err := checkOutput(f, *output); err != nil {
		return err
	}
	if pos[0] != "list" {
		return f.usageErr("unknown subcommand %q (want list)", pos[0])
	}
	targets := sandboxTargets
	if len(pos) == 2 {
		if !slices.Contains(sandboxTargets, pos[1]) {
			return f.usageErr("the sandbox has no fake of %q; it has %s", pos[1], strings.Join(sandboxTargets, ", "))
		}
		targets = pos[1:]
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	base := strings.TrimRight(*url, "/")
	all := make(map[string]json.RawMessage, len(targets))
	for i, t := range targets {
		recs, err := devstack.SandboxRecords(ctx, hc, base, t)
		if err != nil {
			return withStackHint(err, base)
		}
		if *output == "json" {
			all[t] = recs
			continue
		}
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		fmt.Fprintf(c.stdout, "%s (%s%s/%s/_sandbox/records):\n", t, base, sandbox.Prefix, t)
		printJSON(c, recs)
	}
	if *output == "json" {
		return printJSONValue(c, all)
	}
	return nil
}
