package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/profile"
)

// SettingsChecker validates a connector's settings block when a mapping
// loads; the target registry supplies it (this package does not import
// connectors).
type SettingsChecker func(connector string, settings map[string]any) error

// file is the YAML shape of one mapping file.
type file struct {
	Version      int                  `yaml:"version"`
	Connector    string               `yaml:"connector"`
	Secret       string               `yaml:"secret"`
	Settings     map[string]any       `yaml:"settings"`
	Delivery     Delivery             `yaml:"delivery"`
	Key          string               `yaml:"key"`
	Rules        layer                `yaml:",inline"`
	Environments map[string]yaml.Node `yaml:"environments"`
	Clients      map[string]yaml.Node `yaml:"clients"`
}

// layer is what an override level may set.
type layer struct {
	Events    []string  `yaml:"events"`
	Sources   []string  `yaml:"sources"`
	Fields    yaml.Node `yaml:"fields"`
	Constants yaml.Node `yaml:"constants"`
}

// Delivery holds per-target queue settings the template generator and the
// local runtime read.
type Delivery struct {
	MaxConcurrency  int `yaml:"max_concurrency" json:"max_concurrency,omitempty"`
	MaxReceiveCount int `yaml:"max_receive_count" json:"max_receive_count,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Error is one problem in one mapping file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// LoadFS loads every *.yaml file in dir of fsys. The target name is the file
// name without its extension.
func LoadFS(fsys fs.FS, dir string, check SettingsChecker) (*Set, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	set := &Set{byName: map[string]*Mapping{}}
	var errs []error
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := Parse(n, b, check)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set.add(m)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(set.list) == 0 {
		return nil, fmt.Errorf("%s: no mapping files (*.yaml)", dir)
	}
	return set, nil
}

// Parse decodes and validates one mapping file. file is its path, used in
// errors and for the target name.
func Parse(filename string, data []byte, check SettingsChecker) (*Mapping, error) {
	name := strings.TrimSuffix(path.Base(filename), path.Ext(filename))
	errf := func(line int, field, format string, a ...any) error {
		return &Error{File: filename, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if !nameRE.MatchString(name) {
		return nil, errf(0, "", "file name %q must be a target name: lower-case letters, digits and '-', starting with a letter, at most 40", name)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	if len(root.Content) == 0 {
		return nil, errf(0, "", "empty file")
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	top := root.Content[0]
	line := func(key string) int { return keyLine(top, key) }

	if f.Version != 1 {
		return nil, errf(line("version"), "version", "must be 1, got %d", f.Version)
	}
	if f.Connector == "" {
		return nil, errf(0, "connector", "is required")
	}
	if check != nil {
		if err := check(f.Connector, f.Settings); err != nil {
			return nil, errf(line("settings"), "settings", "%v", err)
		}
	}
	m := &Mapping{
		Name: name, File: filename, Connector: f.Connector, Settings: f.Settings,
		Secret: f.Secret, Delivery: f.Delivery, Key: f.Key,
		envs: map[string]*Rules{}, clients: map[string]layer{},
	}
	if m.Secret == "" {
		m.Secret = name
	}
	if m.Key == "" {
		m.Key = "sub"
	}
	if err := checkPath(m.Key); err != nil {
		return nil, errf(line("key"), "key", "%v", err)
	}
	base, err := (&Rules{fields: map[string]string{}, constants: map[string]any{}}).with(f.Rules, "")
	if err != nil {
		return nil, withFile(err, filename)
	}
	if len(base.Events) == 0 {
		return nil, errf(line("events"), "events", "is required: list the event types this target receives (%v)", profile.EventTypes)
	}
	m.base = base
	for env, node := range f.Environments {
		l, err := decodeLayer(&node)
		if err != nil {
			return nil, errf(node.Line, "environments."+env, "%v", err)
		}
		r, err := base.with(l, "environments."+env+".")
		if err != nil {
			return nil, withFile(err, filename)
		}
		m.envs[env] = r
	}
	for client, node := range f.Clients {
		l, err := decodeLayer(&node)
		if err != nil {
			return nil, errf(node.Line, "clients."+client, "%v", err)
		}
		// Validate the client layer against the base now; it is applied
		// on top of the environment's rules at resolve time.
		if _, err := base.with(l, "clients."+client+"."); err != nil {
			return nil, withFile(err, filename)
		}
		m.clients[client] = l
	}
	return m, nil
}

func decodeLayer(n *yaml.Node) (layer, error) {
	var l layer
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return l, err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return l, err
	}
	// Re-encoding loses line numbers; keep the originals for errors.
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "fields":
			l.Fields = *n.Content[i+1]
		case "constants":
			l.Constants = *n.Content[i+1]
		}
	}
	return l, nil
}

func keyLine(mapping *yaml.Node, key string) int {
	if mapping == nil || mapping.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i].Line
		}
	}
	return 0
}

func withFile(err error, filename string) error {
	var me *Error
	if errors.As(err, &me) {
		me.File = filename
		return me
	}
	return fmt.Errorf("%s: %w", filename, err)
}
