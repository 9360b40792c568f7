package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/claims"
	authorities "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

const validateHelp = `
Usage: profilesync validate [FILE|DIR]...

Load and check mapping files, and the claim rules in a DIR's claims/ and
the jobs in its jobs/ (or a FILE in a directory called claims or jobs), as
the functions would at start,
connector and authority settings and expressions included, and print each
problem as
FILE:LINE:COLUMN: FIELD: what was expected. A FILE is checked alone; a DIR
means every *.yaml in it. Unknown keys are errors; profile attributes the
canonical profile does not have are warnings. Without arguments: ./mappings
when it exists, else the mappings built into this binary. Exits 1 when
there are errors (warnings alone exit 0).`

func runValidate(_ context.Context, c *cli, args []string) error {
	f := newFlags("validate", validateHelp)
	pos, err := f.parse(c, args, 0, math.MaxInt)
	if err != nil {
		return err
	}
	for _, p := range pos { // every path before any output
		if _, err := os.Stat(p); err != nil {
			return f.usageErr("%v", statError(p, err))
		}
	}
	if len(pos) == 0 {
		pos = []string{""}
	}
	var sum validation
	for _, p := range pos {
		if err := sum.check(c, p); err != nil {
			return err
		}
	}
	where := strings.Join(sum.where, ", ")
	if sum.failed || sum.errs > 0 {
		fmt.Fprintf(c.stdout, "%d error(s), %d warning(s) in %s\n", sum.errs, sum.warns, where)
		return errReported
	}
	rules := ""
	if sum.rules > 0 {
		rules = fmt.Sprintf(", %d claim rules OK", sum.rules)
	}
	if sum.jobs > 0 {
		rules += fmt.Sprintf(", %d jobs OK", sum.jobs)
	}
	fmt.Fprintf(c.stdout, "%d mappings OK%s, %d warning(s) (%s)\n", sum.ok, rules, sum.warns, where)
	return nil
}

// validation sums the problems of every path validate checks.
type validation struct {
	ok, rules, jobs, errs, warns int
	failed                       bool // a file that did not load, even without an error line
	where                        []string
}

// check validates one FILE or DIR ("" for the default directory) and
// prints its problems.
func (v *validation) check(c *cli, p string) error {
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		v.where = append(v.where, p)
		if filepath.Base(filepath.Dir(p)) == jobs.Dir {
			j, problems := jobLoader.Diagnose(p, data)
			v.report(c, problems, "")
			if j == nil {
				v.failed = true
			} else {
				v.jobs++
			}
			return nil
		}
		if filepath.Base(filepath.Dir(p)) == claims.RulesDir {
			r, problems := ruleLoader.Diagnose(p, data)
			v.report(c, problems, "")
			if r == nil {
				v.failed = true
			} else {
				v.rules++
			}
			return nil
		}
		m, problems := plugins.All.Loader().Diagnose(p, data)
		v.report(c, problems, "")
		if m == nil {
			v.failed = true
		} else {
			v.ok++
		}
		return nil
	}
	var pos []string
	if p != "" {
		pos = []string{p}
	}
	fsys, dir, onDisk, err := mappingDir(pos)
	if err != nil {
		return err
	}
	set, problems, err := plugins.All.Loader().CheckFS(fsys, ".")
	if err != nil {
		return err
	}
	if !onDisk {
		dir = ""
	}
	v.report(c, problems, dir)
	v.where = append(v.where, mappingsName(dir))
	if set == nil {
		v.failed = true
	} else {
		v.ok += len(set.All())
	}
	rules, problems, err := ruleLoader.CheckFS(fsys, claims.RulesDir)
	if err != nil {
		return err
	}
	v.report(c, problems, dir)
	if rules == nil {
		v.failed = true
	} else {
		v.rules += len(rules.All())
	}
	js, problems, err := jobLoader.CheckFS(fsys, jobs.Dir)
	if err != nil {
		return err
	}
	v.report(c, problems, dir)
	if js == nil {
		v.failed = true
	} else {
		v.jobs += len(js.All())
	}
	return nil
}

// jobLoader checks job files as the jobs function loads them.
var jobLoader = jobs.Loader{Mapping: plugins.All.Loader()}

// ruleLoader checks claim rules with the authority registry.
var ruleLoader = claims.Loader{CheckSettings: authorities.CheckSettings}

// report prints problems, their files joined to dir so the reader can
// open them.
func (v *validation) report(c *cli, problems []*mapping.Error, dir string) {
	for _, p := range problems {
		if dir != "" && p.File != "" {
			p.File = filepath.Join(dir, p.File)
		}
		fmt.Fprintln(c.stdout, p)
		if p.Warning {
			v.warns++
		} else {
			v.errs++
		}
	}
}

func mappingsName(dir string) string {
	if dir == "" {
		return "mappings (built in)"
	}
	return dir
}

// statError names a path that cannot be read: "x: no such file or
// directory", without Go's "stat" prefix.
func statError(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such file or directory", p)
	}
	return fmt.Errorf("%s: %w", p, errors.Unwrap(err))
}

// mappingDir picks the mappings a command reads: DIR when given, else
// ./mappings when it exists, else the ones built into this binary.
func mappingDir(pos []string) (fsys fs.FS, dir string, onDisk bool, err error) {
	fsys, dir = mappings.FS, "mappings (built in)"
	if len(pos) == 1 {
		dir, onDisk = pos[0], true
		st, err := os.Stat(dir)
		if err != nil {
			return nil, "", false, statError(dir, err)
		}
		if !st.IsDir() {
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
