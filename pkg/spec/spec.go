// Package spec describes a plug-in's configuration once, so that the same
// description decodes and checks it, documents it (a Markdown table) and
// tells editors about it (a JSON Schema fragment). A connector declares a
// Component with its settings fields (the mapping's settings: block) and
// its secret fields (the JSON secret); a source declares its secret's.
//
// What stays out: checks no table can express (regular expressions for
// API names, rules that tie two fields together). Those remain in each
// plug-in's Validate, which reports them with Errorf so they carry a path
// like the ones found here.
//
// This package imports nothing of ProfileSync, so pkg/mapping may use it
// without importing any connector.
package spec

// Type is the shape a field's value must have.
type Type string

// The types a field can have. JSON and YAML numbers both decode as Int
// when they are whole.
const (
	String     Type = "string"
	Int        Type = "int"
	Bool       Type = "bool"
	StringList Type = "list of strings"
	IntList    Type = "list of ints"
	StringMap  Type = "map of string to string"
	Object     Type = "object"         // its own Fields
	ObjectMap  Type = "map of objects" // name → object with Fields; Keys limit the names
)

// Field describes one key of a settings block or a secret.
type Field struct {
	Name        string
	Type        Type
	Description string // one line, for the table and the editor
	// Required fields must be present and not empty ("", [], {}).
	Required bool
	// Default is applied when the key is absent, null or "": a string,
	// int, bool or []string matching Type. Defaults that depend on other
	// fields stay in the plug-in's code; say so in Description.
	Default any
	// Enum lists the values a String field admits.
	Enum []string
	// Fields are an Object's keys, or each entry's keys in an ObjectMap.
	Fields []Field
	// Keys, if set, are the only names an ObjectMap admits.
	Keys []string
}

// Component is the configuration of one plug-in kind.
type Component struct {
	Kind     string // the mapping's connector: value, or the secret's kind
	Summary  string // one line
	Settings []Field
	Secret   []Field
}

// field returns the field called name.
func field(fields []Field, name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// names lists the fields' names in declaration order.
func names(fields []Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}
