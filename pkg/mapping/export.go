package mapping

import (
	"fmt"
	"io/fs"
	"path"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Path is a compiled profile path in the mapping field syntax (what a
// field's `from:` names: given_name, address.region, custom.npi,
// consents.newsletter.granted), for the other declarative files that read
// profiles: claim rules and jobs. They speak the mappings' syntax rather
// than a second one.
type Path struct{ p attrPath }

// CompilePath compiles src. It returns an error for a malformed path and
// a warning (the path compiles but never has a value) for one the
// canonical profile cannot have.
func CompilePath(src string) (p Path, warning string, err error) {
	ap, err, warn := compilePath(src)
	if err != nil {
		return Path{}, "", err
	}
	return Path{ap}, warn, nil
}

// String is the path as written.
func (p Path) String() string { return p.p.src }

// Lookup returns the path's value in prof, and whether it has one.
func (p Path) Lookup(prof *profile.Profile) (any, bool) {
	if prof == nil {
		return nil, false
	}
	v := borrowEnv(prof, nil)
	defer v.release()
	out, ok := p.p.get(v)
	if !ok {
		return nil, false
	}
	return finish(out), true
}

// Condition is a compiled boolean expression over a profile and its event,
// the syntax of a mapping's `when:` (expr-lang, type-checked at load).
type Condition struct{ p *program }

// CompileCondition compiles src; the error names what is wrong with it.
func CompileCondition(src string) (*Condition, error) {
	p, err := compileExpr(src, true, nil)
	if err != nil {
		return nil, err
	}
	return &Condition{p}, nil
}

// String is the expression as written.
func (c *Condition) String() string { return c.p.src }

// Holds evaluates the condition on prof and e (e may be nil). Run-time
// errors name the expression and quote no profile value.
func (c *Condition) Holds(prof *profile.Profile, e *profile.Event) (bool, error) {
	if prof == nil {
		prof = &profile.Profile{}
	}
	v := borrowEnv(prof, e)
	defer v.release()
	out, err := c.p.run(v)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// YAMLError is a YAML syntax error of file as an Error at its line and
// column, the way mapping files report theirs.
func YAMLError(file string, data []byte, err error) *Error { return yamlError(file, data, err) }

// Expr is a compiled expression over a profile and its event whose value
// is used as it is (a claim rule's evidence: `split(email, "@")[1]`).
type Expr struct{ p *program }

// CompileExpr compiles src; the error names what is wrong with it.
func CompileExpr(src string) (*Expr, error) {
	p, err := compileExpr(src, false, nil)
	if err != nil {
		return nil, err
	}
	return &Expr{p}, nil
}

// String is the expression as written.
func (x *Expr) String() string { return x.p.src }

// Eval evaluates the expression on prof and e (e may be nil). Run-time
// errors name the expression and quote no profile value.
func (x *Expr) Eval(prof *profile.Profile, e *profile.Event) (any, error) {
	if prof == nil {
		prof = &profile.Profile{}
	}
	v := borrowEnv(prof, e)
	defer v.release()
	out, err := x.p.run(v)
	if err != nil {
		return nil, err
	}
	return finish(out), nil
}

// Fields is a `fields:` block in the mapping field syntax (a path, a list
// of paths, {from, transform, default, on_invalid}, {expr}), parsed for a
// file that is not a mapping: a job's export columns. Column order is the
// block's order.
type Fields struct {
	names []string
	specs []*valueSpec
}

// ParseFields parses n, the value of a `fields:` key at field (for
// messages) in file, with l's phone normaliser; lookups are not
// available. Problems carry file:line:col.
func (l Loader) ParseFields(file string, n *yaml.Node, field string) (*Fields, []*Error) {
	d := &diags{file: file, phoneFunc: l.Phone, check: l.CheckSettings}
	f := &Fields{}
	kv, keys := d.mapNode(n, field)
	for _, k := range keys {
		name := field + "." + k.Value
		v := kv[k.Value]
		if isNull(v) {
			d.at(v, name, "a column needs a value")
			continue
		}
		if spec := d.parseValue(v, name, nil); spec != nil {
			f.names = append(f.names, k.Value)
			f.specs = append(f.specs, spec)
		}
	}
	if len(keys) == 0 && n.Kind == yaml.MappingNode {
		d.at(n, field, "at least one column")
	}
	return f, d.sorted()
}

// Columns are the names, in order.
func (f *Fields) Columns() []string { return append([]string(nil), f.names...) }

// Row evaluates every column on prof: nil where a profile has no value.
// An error (on_invalid: fail, an expression that fails) names the column
// and never the value.
func (f *Fields) Row(prof *profile.Profile) ([]any, error) {
	v := newEnv(prof, nil) // not pooled: a row keeps what it read

	out := make([]any, len(f.specs))
	for i, s := range f.specs {
		x, ok, _, err := s.eval(v)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.names[i], err)
		}
		if ok {
			out[i] = x
		}
	}
	return out, nil
}

// CheckDir diagnoses every *.yaml file in dir of fsys, in name order,
// with diagnose (a loader's Diagnose: the value, nil on errors, and the
// problems): the declarative files that sit beside the mappings (claim
// rules, jobs) load the same way. It returns what loaded (nil when any
// file has an error) and every problem; err is for a directory that
// cannot be read. A missing directory is no files.
func CheckDir[T any](fsys fs.FS, dir string, diagnose func(file string, data []byte) (*T, []*Error)) ([]*T, []*Error, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var out []*T
	var all []*Error
	failed := false
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			all = append(all, &Error{File: n, Msg: err.Error()})
			failed = true
			continue
		}
		v, problems := diagnose(n, b)
		all = append(all, problems...)
		if v == nil {
			failed = true
			continue
		}
		out = append(out, v)
	}
	if failed {
		return nil, all, nil
	}
	return out, all, nil
}

// Errs joins the errors among problems (not the warnings), or nil.
func Errs(problems []*Error) error { return joined(problems) }
