package mapping

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/internal/lazyregexp"
)

// SettingsChecker validates a connector's settings block when a mapping
// loads; the target registry supplies it (this package does not import
// connectors).
type SettingsChecker func(connector string, settings map[string]any) error

var (
	nameRE    = lazyregexp.New(`^[a-z][a-z0-9-]{0,39}$`)
	levelRE   = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)
	topKeys   = append([]string{"version", "connector", "secret", "settings", "delivery", "key", "lookups", "log", "environments", "clients"}, layerKeys...)
	levelKeys = layerKeys
)

// Loader loads mapping files with what the binary that loads them has.
// A function that only routes events (the ingress) uses a zero Loader; one
// that evaluates fields and builds connectors (sync, the local stack, the
// CLI) gives it the connector registry's settings check and the phone
// normaliser (pkg/wiring.FullLoader).
type Loader struct {
	// CheckSettings validates each mapping's connector settings (nil: not
	// checked).
	CheckSettings SettingsChecker
	// Phone normalises numbers for the e164 transform and e164() (nil:
	// mappings that use e164 load and route but refuse to evaluate, with
	// ErrNoPhone).
	Phone PhoneFunc
}

// LoadFS loads every *.yaml file in dir of fsys with a Loader that checks
// settings with check and has no phone normaliser.
func LoadFS(fsys fs.FS, dir string, check SettingsChecker) (*Set, error) {
	return Loader{CheckSettings: check}.LoadFS(fsys, dir)
}

// CheckFS is Loader.CheckFS for a Loader with check and no phone normaliser.
func CheckFS(fsys fs.FS, dir string, check SettingsChecker) (*Set, []*Error, error) {
	return Loader{CheckSettings: check}.CheckFS(fsys, dir)
}

// Parse is Loader.Parse for a Loader with check and no phone normaliser.
func Parse(filename string, data []byte, check SettingsChecker) (*Mapping, error) {
	return Loader{CheckSettings: check}.Parse(filename, data)
}

// Diagnose is Loader.Diagnose for a Loader with check and no phone
// normaliser.
func Diagnose(filename string, data []byte, check SettingsChecker) (*Mapping, []*Error) {
	return Loader{CheckSettings: check}.Diagnose(filename, data)
}

// LoadFS loads every *.yaml file in dir of fsys. The target name is the file
// name without its extension. Warnings stay on each Mapping.
func (l Loader) LoadFS(fsys fs.FS, dir string) (*Set, error) {
	set, problems, err := l.CheckFS(fsys, dir)
	if err != nil {
		return nil, err
	}
	if err := joined(problems); err != nil {
		return nil, err
	}
	return set, nil
}

// CheckFS loads every *.yaml file in dir and returns every problem, errors
// and warnings, in file and line order. The set is nil when any error was
// found; err is for a directory that cannot be read or holds no mappings.
func (l Loader) CheckFS(fsys fs.FS, dir string) (*Set, []*Error, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, nil, err
	}
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%s: no mapping files (*.yaml)", dir)
	}
	sort.Strings(names)
	set := &Set{byName: map[string]*Mapping{}}
	var all []*Error
	failed := false
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			all = append(all, &Error{File: n, Msg: err.Error()})
			failed = true
			continue
		}
		m, problems := l.Diagnose(n, b)
		all = append(all, problems...)
		if m == nil {
			failed = true
			continue
		}
		set.add(m)
	}
	if failed {
		return nil, all, nil
	}
	return set, all, nil
}

// Parse decodes and validates one mapping file. filename is its path, used
// in errors and for the target name. The error joins every problem found.
func (l Loader) Parse(filename string, data []byte) (*Mapping, error) {
	m, problems := l.Diagnose(filename, data)
	if m == nil {
		return nil, joined(problems)
	}
	return m, nil
}

// Diagnose parses one mapping file and returns it (nil when it has
// errors) with every error and warning, in line order.
func (l Loader) Diagnose(filename string, data []byte) (*Mapping, []*Error) {
	d := &diags{file: filename, phoneFunc: l.Phone, check: l.CheckSettings}
	m := d.parseFile(filename, data)
	problems := d.sorted()
	if d.errs() > 0 {
		return nil, problems
	}
	m.Warnings = problems
	return m, problems
}

func (d *diags) parseFile(filename string, data []byte) *Mapping {
	name := strings.TrimSuffix(path.Base(filename), path.Ext(filename))
	if !nameRE.MatchString(name) {
		d.at(nil, "", "file name %q must be a target name: lower-case letters, digits and '-', starting with a letter, at most 40", name)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		d.list = append(d.list, yamlError(filename, data, err))
		return nil
	}
	if len(root.Content) == 0 {
		d.at(nil, "", "empty file")
		return nil
	}
	top, _ := d.mapNode(root.Content[0], "", topKeys...)
	if top == nil {
		return nil
	}
	m := &Mapping{Name: name, File: filename, Secret: name, Key: "sub",
		envs: map[string]*Rules{}, clients: map[string]*Rules{}, both: map[[2]string]*Rules{}}
	d.header(top, root.Content[0], m)
	tables := map[string]map[string]any{}
	if n := top["lookups"]; n != nil {
		kv, keys := d.mapNode(n, "lookups")
		for _, k := range keys {
			tables[k.Value] = d.table(kv[k.Value], "lookups."+k.Value)
		}
	}
	baseLayer := d.parseLayer(top, "", tables)
	if baseLayer.eventsNode == nil {
		baseLayer.eventsNode = root.Content[0]
	}
	m.base = (&Rules{OnDelete: Policy{Kind: DeletePolicy}}).with(baseLayer)
	d.checkTargets(m.base, nil, baseLayer, "")
	envLayers := d.levels(top["environments"], "environments", tables)
	clientLayers := d.levels(top["clients"], "clients", tables)
	for _, env := range sortedKeys(envLayers) {
		l := envLayers[env]
		m.envs[env] = m.base.with(l)
		d.checkTargets(m.envs[env], m.base, l, "environments."+env+".")
	}
	for _, c := range sortedKeys(clientLayers) {
		l := clientLayers[c]
		m.clients[c] = m.base.with(l)
		d.checkTargets(m.clients[c], m.base, l, "clients."+c+".")
		for _, env := range sortedKeys(envLayers) {
			r := m.envs[env].with(l)
			m.both[[2]string{env, c}] = r
			d.checkTargets(r, m.envs[env], l, fmt.Sprintf("clients.%s.(on environments.%s).", c, env))
		}
	}
	if n := top["log"]; n != nil {
		m.Log = d.parseLog(n)
		d.checkLogFields(n, m)
	}
	m.phone, m.phoneFunc = d.phone, d.phoneFunc
	return m
}

// header reads the keys that only the file's top level has.
func (d *diags) header(top map[string]*yaml.Node, root *yaml.Node, m *Mapping) {
	if n := top["version"]; n == nil {
		d.at(root, "version", "is required: version: 1")
	} else if n.Value != "1" {
		d.at(n, "version", "must be 1, got %s", n.Value)
	}
	if n := top["connector"]; n == nil {
		d.at(root, "connector", "is required: the connector kind, e.g. salesforce")
	} else {
		m.Connector, _ = d.str(n, "connector", "a connector kind such as salesforce")
	}
	if n := top["secret"]; n != nil {
		m.Secret, _ = d.str(n, "secret", "a secret name")
	}
	if n := top["settings"]; n != nil {
		if err := n.Decode(&m.Settings); err != nil || (n.Kind != yaml.MappingNode && !isNull(n)) {
			d.at(n, "settings", "must be a map of the connector's settings")
		}
	}
	if d.check != nil && m.Connector != "" {
		if err := d.check(m.Connector, m.Settings); err != nil {
			d.settingsErrors(top, err)
		}
	}
	if n := top["delivery"]; n != nil {
		if old := mapValue(n, "max_receive_count"); old != nil {
			d.at(old, "delivery.max_receive_count", "is gone: the queue's receive count follows delivery.outage_budget (e.g. outage_budget: 24h)")
			removeKey(n, "max_receive_count")
		}
		kv, _ := d.mapNode(n, "delivery", "max_concurrency", "outage_budget")
		m.Delivery.MaxConcurrency = d.positive(kv["max_concurrency"], "delivery.max_concurrency")
		m.Delivery.OutageBudget = d.budget(kv["outage_budget"], "delivery.outage_budget")
	}
	if n := top["key"]; n != nil {
		m.Key, _ = d.str(n, "key", "a profile path such as sub or email")
	}
	if p := d.path(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: m.Key, Line: lineOf(top["key"]), Column: colOf(top["key"])}, "key"); p != nil {
		m.keyPath = *p
	}
}

// budget reads an outage budget: a Go duration ("36h", "90m") or whole
// days ("3d"), between MinOutageBudget and MaxOutageBudget.
func (d *diags) budget(n *yaml.Node, field string) time.Duration {
	if n == nil {
		return 0
	}
	v, err := parseBudget(n.Value)
	switch {
	case n.Kind != yaml.ScalarNode || err != nil:
		d.at(n, field, "must be a duration such as 24h, 90m or 3d")
	case v < MinOutageBudget || v > MaxOutageBudget:
		d.at(n, field, "must be between %s and %s (the queue keeps a message the budget plus %s, and SQS at most 14 days)",
			MinOutageBudget, fmtDays(MaxOutageBudget), fmtDays(RetentionMargin))
	default:
		return v
	}
	return 0
}

func parseBudget(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad days %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// fmtDays writes whole days as "13d", anything else as Go does.
func fmtDays(v time.Duration) string {
	if v%(24*time.Hour) == 0 {
		return strconv.Itoa(int(v/(24*time.Hour))) + "d"
	}
	return v.String()
}

// mapValue is key's value node in mapping node n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// removeKey drops key from mapping node n (after its own error is told).
func removeKey(n *yaml.Node, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			return
		}
	}
}

func (d *diags) positive(n *yaml.Node, field string) int {
	if n == nil {
		return 0
	}
	i, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || i < 1 {
		d.at(n, field, "must be a positive integer")
		return 0
	}
	return i
}

// levels reads environments or clients: name → layer.
func (d *diags) levels(n *yaml.Node, field string, tables map[string]map[string]any) map[string]*layer {
	out := map[string]*layer{}
	if n == nil {
		return out
	}
	kv, keys := d.mapNode(n, field)
	for _, k := range keys {
		prefix := field + "." + k.Value + "."
		if !levelRE.MatchString(k.Value) {
			d.at(k, field+"."+k.Value, "bad name: letters, digits, '.', '_', ':' and '-'")
			continue
		}
		m, _ := d.mapNode(kv[k.Value], strings.TrimSuffix(prefix, "."), levelKeys...)
		if m != nil {
			out[k.Value] = d.parseLayer(m, prefix, tables)
		}
	}
	return out
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func colOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Column
}

var yamlLineRE = lazyregexp.New(`^line (\d+)(?::(\d+))?: `)

// yamlError turns a YAML syntax error into an Error at FILE:LINE:COLUMN,
// the line said once. yaml.v3 reports the line (none on line 1) but not
// the column, so yamlColumn finds it on that line.
func yamlError(file string, data []byte, err error) *Error {
	e := &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		e.Msg = te.Errors[0]
	}
	e.Line = 1
	if m := yamlLineRE.FindStringSubmatch(e.Msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Column, _ = strconv.Atoi(m[2])
		e.Msg = e.Msg[len(m[0]):]
	}
	if e.Column == 0 {
		e.Column = yamlColumn(data, e.Line, e.Msg)
	}
	return e
}

// yamlColumn points at the likely culprit on a line: a tab or reserved
// character for "cannot start any token", the second ':' for "mapping
// values are not allowed", else the line's first non-blank character.
func yamlColumn(data []byte, line int, msg string) int {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return 1
	}
	text := []rune(strings.TrimRight(lines[line-1], "\r"))
	first := 0
	for first < len(text) && text[first] == ' ' {
		first++
	}
	switch {
	case strings.Contains(msg, "cannot start any token"):
		for i, r := range text {
			if r == '\t' || r == '@' || r == '`' {
				return i + 1
			}
		}
	case strings.Contains(msg, "mapping values are not allowed"):
		colons := 0
		for i, r := range text {
			if r == ':' && (i+1 == len(text) || text[i+1] == ' ') {
				if colons++; colons == 2 {
					return i + 1
				}
			}
		}
	}
	return first + 1
}
