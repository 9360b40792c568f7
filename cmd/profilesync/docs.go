package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/profilesync/profilesync/pkg/claims"
	authregistry "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/spec"
	"github.com/profilesync/profilesync/pkg/specdoc"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

const docsHelp = `
Usage: profilesync docs [--check] [--schema FILE] [--claims-schema FILE] [--jobs-schema FILE] [--readme FILE]

Render what the connector, source and authority specs (pkg/spec)
generate: the settings schema of each connector kind at the end of the
mapping schema (the "allOf" key, which editors use to complete and check
settings); the whole claim rule schema, with each authority kind's
settings; and the settings and secret tables between
"<!-- BEGIN generated: NAME -->" and "<!-- END generated: NAME -->"
markers in the README. Nothing else in the mapping schema or the README
changes.

With --check nothing is written: exit 1 and show the lines that differ when
a file is not what the specs produce (make test does the same).`

func runDocs(_ context.Context, c *cli, args []string) error {
	f := newFlags("docs", docsHelp)
	check := f.Bool("check", false, "only check that the files are up to date; exit 1 if not")
	schema := f.String("schema", "mappings/mapping.schema.json", "mapping schema `FILE` to rewrite")
	claimsSchema := f.String("claims-schema", "mappings/claims.schema.json", "claim rule schema `FILE` to rewrite")
	jobsSchema := f.String("jobs-schema", "mappings/jobs.schema.json", "job file schema `FILE` to rewrite")
	readme := f.String("readme", "README.md", "README `FILE` to rewrite")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	tables := specdoc.Tables(registry.Specs(), sourceSpecs())
	for name, table := range specdoc.ClaimTables(authoritySpecs(), []spec.Component{claims.CallersSpec, verifier.ApprovalsSpec}) {
		tables[name] = table
	}
	files := []struct {
		path     string
		generate func([]byte) ([]byte, error)
	}{
		{*schema, func(b []byte) ([]byte, error) { return specdoc.Schema(b, registry.Specs()) }},
		{*claimsSchema, func([]byte) ([]byte, error) { return specdoc.ClaimsSchema(authoritySpecs()) }},
		{*jobsSchema, func([]byte) ([]byte, error) { return specdoc.JobsSchema() }},
		{*readme, func(b []byte) ([]byte, error) { return specdoc.Readme(b, tables) }},
	}
	stale := false
	for _, file := range files {
		old, err := os.ReadFile(file.path)
		if errors.Is(err, fs.ErrNotExist) && (file.path == *claimsSchema || file.path == *jobsSchema) {
			old = nil // generated whole: the first run creates it
		} else if err != nil {
			return err
		}
		out, err := file.generate(old)
		if err != nil {
			return fmt.Errorf("%s: %w", file.path, err)
		}
		switch {
		case bytes.Equal(old, out):
			fmt.Fprintf(c.stdout, "%s is up to date\n", file.path)
		case *check:
			fmt.Fprintf(c.stderr, "%s is not what the specs generate (- committed, + generated):\n%s", file.path, samgen.Diff(old, out, 40))
			stale = true
		case old == nil:
			if err := os.WriteFile(file.path, out, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "wrote %s\n", file.path)
		default:
			if err := writeKeepingMode(file.path, out); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "wrote %s\n", file.path)
		}
	}
	if stale {
		fmt.Fprintln(c.stderr, "run `profilesync docs` and commit the result")
		return errReported
	}
	return nil
}

// authoritySpecs are the claim authority kinds' specs, sorted, then the
// manual approval's (built by the verifier, not the registry).
func authoritySpecs() []spec.Component {
	return append(authregistry.Specs(), claims.ManualSpec)
}
