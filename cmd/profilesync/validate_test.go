package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestValidateShippedMappings(t *testing.T) {
	out := mustRun(t, "validate", "../../mappings")
	if !strings.HasPrefix(out, "2 mappings OK") {
		t.Fatalf("validate: %s", out)
	}
	// No ./mappings here: the built-in set.
	if out := mustRun(t, "validate"); !strings.Contains(out, "mappings OK, 4 claim rules OK, 4 jobs OK, 0 warning(s) (mappings (built in))") {
		t.Fatalf("validate without DIR: %s", out)
	}
}

func TestValidateBrokenMappings(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"salesforce.yaml", "webhook.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../mappings", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "salesforce.yaml" {
			b = []byte(strings.Replace(string(b), "LastName: family_name", "LastName: family_nam", 1))
		} else {
			b = []byte(strings.Replace(string(b), "connector: generic", "connector: nosuchcrm", 1))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, "validate", dir)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, file := range []string{"salesforce.yaml", "webhook.yaml"} {
		re := regexp.MustCompile(regexp.QuoteMeta(filepath.Join(dir, file)) + `:\d+:\d+: `)
		if !re.MatchString(r.stdout) {
			t.Errorf("no %s:<line>:<column> problem in:\n%s", file, r.stdout)
		}
	}
	// The unknown attribute is a warning; the unknown connector an error.
	for _, want := range []string{
		filepath.Join(dir, "salesforce.yaml") + `:18:13: warning: fields.LastName: profile has no attribute "family_nam"`,
		filepath.Join(dir, "webhook.yaml") + `:7:3: settings: unknown connector "nosuchcrm"`,
		"1 error(s), 1 warning(s) in " + dir,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestValidateErrorsAndWarnings(t *testing.T) {
	tests := []struct {
		name, yaml string
		code       int
		want       []string
	}{
		{"warning only", "version: 1\nconnector: generic\nsettings: {auth: none, requests: {upsert: {method: PUT, path: /c}, deleted: {method: DELETE, path: /c}}}\nevents: [created]\nfields:\n  A: nickame\n",
			0, []string{`crm.yaml:6:6: warning: fields.A: profile has no attribute "nickame"`, "1 mappings OK, 1 warning(s)"}},
		{"unknown keys and a bad expression", "version: 1\nconnector: generic\nsettings: {auth: none, requests: {upsert: {method: PUT, path: /c}, deleted: {method: DELETE, path: /c}}}\nevnts: [created]\nfields:\n  A: {expr: 'given_name * 2', transfrom: [trim]}\n",
			1, []string{
				"crm.yaml:1:1: events: is required",
				"crm.yaml:4:1: evnts: unknown key; want one of version, connector",
				"crm.yaml:6:31: fields.A.transfrom: unknown key; want one of from, expr, transform, default",
				`crm.yaml:6:13: fields.A.expr: expression "given_name * 2": invalid operation`,
				"4 error(s), 0 warning(s)",
			}},
		{"bad on_invalid", "version: 1\nconnector: generic\nsettings: {auth: none, requests: {upsert: {method: PUT, path: /c}, deleted: {method: DELETE, path: /c}}}\nevents: [created]\nfields:\n  A: given_name\n  P: {from: phone_number, transform: [e164], on_invalid: skip}\n",
			1, []string{
				`crm.yaml:7:58: fields.P.on_invalid: want drop, keep or fail, got "skip"`,
				"1 error(s), 0 warning(s)",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "crm.yaml"), []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, "validate", dir)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// A settings problem is reported on its own line: an unknown key at the
// key, a bad value at the value, a missing key at settings:.
func TestValidateLocatesSettings(t *testing.T) {
	b, err := os.ReadFile("../../mappings/salesforce.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(string(b), "  api_version: v62.0\n", "  api_verison: v62.0\n", 1) // line 9
	y = strings.Replace(y, "  object: Contact\n", "  object: 7\n", 1)                      // line 7
	y = strings.Replace(y, "  external_id_field:", "  external_id_fields:", 1)             // line 8
	dir := t.TempDir()
	file := filepath.Join(dir, "salesforce.yaml")
	if err := os.WriteFile(file, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "validate", dir)
	if r.code != 1 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		file + `:9:3: settings: field "api_verison": unknown (want one of object, external_id_field, api_version)`,
		file + `:8:3: settings: field "external_id_fields": unknown`,
		file + `:7:11: settings: field "object": want a string`,
		file + `:7:3: settings: field "external_id_field": required`, // the settings block
		"4 error(s), 0 warning(s)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// validate takes files and directories: a file is checked alone, the
// problems and the summary cover every argument.
func TestValidateFilesAndDirs(t *testing.T) {
	out := mustRun(t, "validate", "../../mappings/salesforce.yaml")
	if !strings.HasPrefix(out, "1 mappings OK, 0 warning(s) (../../mappings/salesforce.yaml)") {
		t.Fatalf("one file: %s", out)
	}
	out = mustRun(t, "validate", "../../mappings/webhook.yaml", "../../mappings")
	if !strings.HasPrefix(out, "3 mappings OK, 4 claim rules OK, 4 jobs OK, 0 warning(s) (../../mappings/webhook.yaml, ../../mappings)") {
		t.Fatalf("a file and a dir: %s", out)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "crm.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nconnector: a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "validate", "../../mappings/salesforce.yaml", bad)
	if r.code != 1 || !strings.Contains(r.stdout, bad+":2:13: mapping values are not allowed in this context\n") ||
		!strings.Contains(r.stdout, "1 error(s), 0 warning(s) in ../../mappings/salesforce.yaml, "+bad) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A YAML syntax error is said once, at its line and column.
func TestValidateYAMLSyntaxError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "crm.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nfields:\n\tA: given_name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "validate", dir)
	want := file + ":3:1: found character that cannot start any token\n"
	if r.code != 1 || !strings.Contains(r.stdout, want) || strings.Count(r.stdout, ":3:") != 1 || strings.Contains(r.stdout, "line 3") {
		t.Fatalf("exit %d, want %q once in:\n%s%s", r.code, want, r.stdout, r.stderr)
	}
}

func TestValidateMissingPath(t *testing.T) {
	for _, args := range [][]string{{"nosuch.yaml"}, {"../../mappings", "nosuch-dir"}} {
		r := runCLI(t, append([]string{"validate"}, args...)...)
		missing := args[len(args)-1]
		if r.code != 2 || !strings.Contains(r.stderr, missing+": no such file or directory") ||
			strings.Contains(r.stderr, "not a directory") || r.stdout != "" {
			t.Errorf("validate %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
		}
	}
}

// validate checks the claim rules beside the mappings, and a rule file on
// its own, at file:line:col.
func TestValidateClaimRules(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "claims"), 0o700); err != nil {
		t.Fatal(err)
	}
	sf, _ := os.ReadFile("../../mappings/salesforce.yaml")
	os.WriteFile(filepath.Join(dir, "salesforce.yaml"), sf, 0o600)
	bad := "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities:\n  - kind: npi\n    settings: {colour: red}\nwrite_back: {status: s}\n"
	rule := filepath.Join(dir, "claims", "hcp.yaml")
	os.WriteFile(rule, []byte(bad), 0o600)
	for _, arg := range []string{dir, rule} {
		r := runCLI(t, "validate", arg)
		want := filepath.Join(dir, "claims", "hcp.yaml") + ":6:16: authorities[0].settings.colour: unknown"
		if r.code != 1 || !strings.Contains(r.stdout, want) {
			t.Errorf("validate %s: exit %d\n%s\nwant a line with %s", arg, r.code, r.stdout, want)
		}
	}
	if out := mustRun(t, "validate", "../../mappings"); !strings.Contains(out, "2 mappings OK, 4 claim rules OK, 4 jobs OK") {
		t.Errorf("the shipped rules:\n%s", out)
	}
}

// validate checks the job files too, at file:line:col.
func TestValidateJobs(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "jobs"), 0o700)
	sf, _ := os.ReadFile("../../mappings/salesforce.yaml")
	os.WriteFile(filepath.Join(dir, "salesforce.yaml"), sf, 0o600)
	job := filepath.Join(dir, "jobs", "nightly.yaml")
	os.WriteFile(job, []byte("version: 1\nkind: export\nschedule: {cron: \"0 2 * * ? *\"}\nsource: cidaas\nfields: {id: sub}\nformat: {type: xlsx}\ndestination: {kind: s3}\n"), 0o600)
	for _, arg := range []string{dir, job} {
		r := runCLI(t, "validate", arg)
		if want := job + ":6:9: format: unknown type \"xlsx\""; r.code != 1 || !strings.Contains(r.stdout, want) {
			t.Errorf("validate %s: exit %d\n%s\nwant %s", arg, r.code, r.stdout, want)
		}
	}
}
