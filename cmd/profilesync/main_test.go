package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/moto"
)

func TestHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, 2, "", "Usage: profilesync COMMAND"},
		{[]string{"-h"}, 0, "Commands:", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"dev", "-h"}, 0, "Usage: profilesync dev", ""},
		{[]string{"send", "--help"}, 0, "Usage: profilesync send SOURCE FILE", ""},
		{[]string{"invoke", "-h"}, 0, "Usage: profilesync invoke FUNCTION -e FILE", ""},
		{[]string{"sandbox", "-h"}, 0, "Usage: profilesync sandbox list", ""},
		{[]string{"validate", "-h"}, 0, "Usage: profilesync validate", ""},
		{[]string{"dlq", "-h"}, 0, "Usage: profilesync dlq list TARGET", ""},
		{[]string{"dev", "extra"}, 2, "", "unexpected arguments: extra"},
		{[]string{"dev", "--port", "1"}, 2, "", "flag provided but not defined: -port"},
		{[]string{"send", "cidaas"}, 2, "", "missing arguments"},
		{[]string{"send", "cidaas", "f.json", "--url"}, 2, "", "flag needs an argument"},
		{[]string{"invoke", "IngressFunction"}, 2, "", "-e FILE is required"},
		{[]string{"invoke", "NopeFunction", "-e", "x.json"}, 2, "", "SalesforceSyncFunction"},
		{[]string{"invoke", "ingress", "-e", "x.json", "--now", "yesterday"}, 2, "", "want RFC3339"},
		{[]string{"sandbox", "show"}, 2, "", `unknown subcommand "show"`},
		{[]string{"sandbox", "list", "epsilon"}, 2, "", `no fake of "epsilon"`},
		{[]string{"validate", "../../mappings", "b"}, 2, "", "b: no such file or directory"},
		{[]string{"validate", "/nonexistent"}, 2, "", "/nonexistent: no such file or directory"},
		{[]string{"dlq", "list"}, 2, "", "missing arguments"},
		{[]string{"dlq", "purge", "salesforce"}, 2, "", `unknown subcommand "purge"`},
		{[]string{"dlq", "list", "hubspot"}, 2, "", "targets: salesforce, webhook"},
		{[]string{"send", "cidaas", "/nonexistent.json"}, 1, "", "no such file"},
		{[]string{"sync", "", "--target", "salesforce"}, 2, "", "an empty argument"},
		{[]string{"footprint", " "}, 2, "", "an empty argument"},
		{[]string{"log", ""}, 2, "", "an empty argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.inStdout) || !strings.Contains(r.stderr, tt.inStderr) {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.code == 2 && tt.args != nil && !strings.Contains(r.stderr, "Usage: profilesync") {
				t.Errorf("usage error without usage:\n%s", r.stderr)
			}
		})
	}
}

func TestFlagsAnywhere(t *testing.T) {
	f := newFlags("x", "Usage: x")
	a := f.String("a", "", "")
	pos, err := f.parse(&cli{}, []string{"one", "-a", "1", "two", "--", "-three"}, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if *a != "1" || strings.Join(pos, " ") != "one two -three" {
		t.Fatalf("a=%q pos=%q", *a, pos)
	}
}

func TestVersionAndHelpCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out := mustRun(t, args...)
		if !strings.HasPrefix(out, "profilesync ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: %q", args, out)
		}
	}
	help := mustRun(t, "help", "send")
	if !strings.Contains(help, "Usage: profilesync send") || strings.Contains(help, "Commands:") {
		t.Errorf("help send printed %q, want send's own help", help)
	}
	if out := mustRun(t, "help"); !strings.Contains(out, "Commands:") || !strings.Contains(out, "version") {
		t.Errorf("help: %q", out)
	}
	if out := mustRun(t, "help", "help"); !strings.Contains(out, "Commands:") {
		t.Errorf("help help: %q", out)
	}
}

// motoForCLI starts moto_server and points the CLI's AWS configuration at
// it, as an operator's environment would (no shared config or
// credentials files).
func motoForCLI(t *testing.T) *moto.Server {
	t.Helper()
	srv := moto.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	return srv
}
