package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/stack"
)

const validateHelp = `
Usage: profilesync validate [DIR]

Load and check every mapping file (*.yaml) in DIR as the functions would at
start, connector settings included, and print each problem with its file,
line and field. DIR defaults to ./mappings when it exists, else the
mappings built into this binary. Exits 1 when there are problems.`

func runValidate(_ context.Context, c *cli, args []string) error {
	f := newFlags("validate", validateHelp)
	pos, err := f.parse(c, args, 0, 1)
	if err != nil {
		return err
	}
	var (
		fsys   fs.FS = mappings.FS
		dir          = "mappings (built in)"
		onDisk       = false
	)
	if len(pos) == 1 {
		dir, onDisk = pos[0], true
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return f.usageErr("%s: not a directory", dir)
		}
	} else if st, err := os.Stat("mappings"); err == nil && st.IsDir() {
		dir, onDisk = "mappings", true
	}
	if onDisk {
		fsys = os.DirFS(dir)
	}
	set, err := stack.LoadMappings(fsys, ".")
	if err != nil {
		problems := leaves(err)
		for _, p := range problems {
			var me *mapping.Error
			if onDisk && errors.As(p, &me) {
				me.File = filepath.Join(dir, me.File) // a path the reader can open
			}
			fmt.Fprintln(c.stdout, p)
		}
		fmt.Fprintf(c.stdout, "%d problem(s) in %s\n", len(problems), dir)
		return errReported
	}
	fmt.Fprintf(c.stdout, "%d mappings OK (%s)\n", len(set.All()), dir)
	return nil
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
