package main

import (
	"context"
	"fmt"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/profilesync/profilesync/mappings"
)

const validateHelp = `
Usage: profilesync validate [DIR]

Load and check every mapping file (*.yaml) in DIR as the functions would at
start, connector settings and expressions included, and print each problem
as FILE:LINE:COLUMN: FIELD: what was expected. Unknown keys are errors;
profile attributes the canonical profile does not have are warnings.
DIR defaults to ./mappings when it exists, else the mappings built into
this binary. Exits 1 when there are errors (warnings alone exit 0).`

func runValidate(_ context.Context, c *cli, args []string) error {
	f := newFlags("validate", validateHelp)
	pos, err := f.parse(c, args, 0, 1)
	if err != nil {
		return err
	}
	fsys, dir, onDisk, err := mappingDir(pos)
	if err != nil {
		return f.usageErr("%v", err)
	}
	set, problems, err := plugins.All.Loader().CheckFS(fsys, ".")
	if err != nil {
		return err
	}
	errs, warns := 0, 0
	for _, p := range problems {
		if onDisk && p.File != "" {
			p.File = filepath.Join(dir, p.File) // a path the reader can open
		}
		fmt.Fprintln(c.stdout, p)
		if p.Warning {
			warns++
		} else {
			errs++
		}
	}
	if set == nil || errs > 0 {
		fmt.Fprintf(c.stdout, "%d error(s), %d warning(s) in %s\n", errs, warns, dir)
		return errReported
	}
	fmt.Fprintf(c.stdout, "%d mappings OK, %d warning(s) (%s)\n", len(set.All()), warns, dir)
	return nil
}

// mappingDir picks the mappings a command reads: DIR when given, else
// ./mappings when it exists, else the ones built into this binary.
func mappingDir(pos []string) (fsys fs.FS, dir string, onDisk bool, err error) {
	fsys, dir = mappings.FS, "mappings (built in)"
	if len(pos) == 1 {
		dir, onDisk = pos[0], true
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, "", false, fmt.Errorf("%s: not a directory", dir)
		}
	} else if st, err := os.Stat("mappings"); err == nil && st.IsDir() {
		dir, onDisk = "mappings", true
	}
	if onDisk {
		fsys = os.DirFS(dir)
	}
	return fsys, dir, onDisk, nil
}

// leaves flattens errors.Join trees into their single errors.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
