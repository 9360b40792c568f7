// Command profilesync runs ProfileSync on one machine and pokes at it: the
// whole stack (dev), signed sample webhooks (send), a Docker-free `sam
// local invoke` (invoke), the sandbox's records, the local dead-letter
// queues, and mapping validation. Each subcommand is a thin shell over
// pkg/devstack, pkg/local and pkg/wiring; the Lambdas never import it.
//
// Output for humans goes to stdout, logs (text slog) to stderr. Exit
// status: 0 done, 1 failed, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one command line (without the program name) and returns the
// exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// cli is what every command gets.
type cli struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

// command is one subcommand. Its run returns a usageError for a bad
// command line, errHelp after printing help, errReported when it has said
// why it failed, or another error to print.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

func commands() []command {
	return []command{
		{"dev", "run the whole stack locally until interrupted", runDev},
		{"send", "sign a sample webhook as its CIAM would and post it to the stack", runSend},
		{"invoke", "run one Lambda function in-process on an event (sam local invoke)", runInvoke},
		{"sandbox", "show what the sandbox back-ends received", runSandbox},
		{"reset", "empty the local data directory (queues, state, sandbox); secrets kept", runReset},
		{"validate", "check mapping files", runValidate},
		{"mapping", "dry-run a mapping on a profile: decision, record, HTTP request", runMapping},
		{"dlq", "list or redrive a target's local dead-letter queue", runDLQ},
		{"status", "where the local stack's queues stand per target, and their last failures", runStatus},
		{"log", "one subject's sync log: every delivery decision and the fields it changed", runLog},
		{"erase", "queue a delete of a subject at every target and record it in the erasure ledger", runErase},
		{"claims", "verify, list and approve claims with the local stack's verifier", runClaims},
		{"job", "list the scheduled jobs, or run one now against the local stack", runJob},
		{"sync", "provision one subject now: its decision and differences (--dry-run), then the delivery", runSync},
		{"footprint", "where one subject's data is: the CIAM, its consents, and each target's record and fields", runFootprint},
		{"reconcile", "compare a target with the CIAM: plan (and --apply) creates, updates, deletes", runReconcile},
		{"replay", "queue the archived events of a time range again (--since, --until, --target)", runReplay},
		{"template", "render template.yaml's per-target blocks from the mappings", runTemplate},
		{"version", "print the version, VCS revision and Go version", runVersion},
		{"help", "describe a command: help COMMAND", nil},
		{"docs", "render the mapping schema's settings and the README's tables from the specs", runDocs},
	}
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, nil))}
	if len(args) == 0 {
		topUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		topUsage(stdout)
		return 0
	case "--version", "-version":
		args = []string{"version"}
	case "help":
		if len(args) == 1 {
			topUsage(stdout)
			return 0
		}
		args = []string{args[1], "-h"} // help COMMAND is COMMAND -h
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			if cmd.run == nil { // help -h, help help
				topUsage(stdout)
				return 0
			}
			return exitCode(c, cmd.name, cmd.run(ctx, c, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "profilesync: unknown command %q\n\n", args[0])
	topUsage(stderr)
	return 2
}

func exitCode(c *cli, name string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "profilesync %s: %s\n\n", name, ue.msg)
		ue.usage(c.stderr)
		return 2
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintf(c.stderr, "profilesync %s: %v\n", name, err)
	return 1
}

func topUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: profilesync COMMAND [ARGS] [FLAGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `"profilesync COMMAND -h" describes a command. Exit status: 0 done, 1 failed, 2 usage error.`)
}

var (
	errHelp     = errors.New("help shown")
	errReported = errors.New("failure already reported")
)

type usageError struct {
	msg   string
	usage func(io.Writer)
}

func (e *usageError) Error() string { return e.msg }

// flags is a command's flag set with its help text.
type flags struct {
	*flag.FlagSet
	help string // "Usage: ..." and a description; the flags follow
}

func newFlags(name, help string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flags{FlagSet: fs, help: strings.TrimSpace(help)}
}

func (f *flags) usage(w io.Writer) {
	fmt.Fprintln(w, f.help)
	has := false
	f.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nFlags:")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
}

func (f *flags) usageErr(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...), usage: f.usage}
}

// parse parses args with flags allowed before, between and after the
// positional arguments (everything after "--" is positional), prints help
// for -h, and checks the positional count is within [min, max].
func (f *flags) parse(c *cli, args []string, min, max int) ([]string, error) {
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.usage(c.stdout)
			return nil, errHelp
		}
		if err != nil {
			return nil, f.usageErr("%v", err)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	pos = append(pos, rest...)
	for _, p := range pos {
		if strings.TrimSpace(p) == "" {
			return nil, f.usageErr("an empty argument: each must name something (a subject, a target, a file)")
		}
	}
	switch {
	case len(pos) < min:
		return nil, f.usageErr("missing arguments")
	case len(pos) > max:
		return nil, f.usageErr("unexpected arguments: %s", strings.Join(pos[max:], " "))
	}
	return pos, nil
}
