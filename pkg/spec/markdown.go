package spec

import (
	"fmt"
	"strings"
)

// Markdown is a table of fields for a README: key, type, default (or
// "required") and description with the allowed values. An Object's or an
// ObjectMap's own fields follow it as rows of their own
// (requests.<name>.method). keyHeader names the first column, e.g.
// "Setting" or "Secret key".
func Markdown(keyHeader string, fields []Field) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | Type | Default | Description |\n|---|---|---|---|\n", keyHeader)
	rows(&b, "", fields)
	return b.String()
}

func rows(b *strings.Builder, prefix string, fields []Field) {
	for _, f := range fields {
		name := prefix + f.Name
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", name, f.Type, defaultCell(f), cell(describe(f)))
		switch f.Type {
		case Object:
			rows(b, name+".", f.Fields)
		case ObjectMap:
			rows(b, name+".<name>.", f.Fields)
		}
	}
}

func defaultCell(f Field) string {
	switch {
	case f.Required:
		return "required"
	case f.Default == nil:
		return "—"
	}
	if l, ok := f.Default.([]string); ok {
		return "`" + strings.Join(l, "`, `") + "`"
	}
	return fmt.Sprintf("`%v`", f.Default)
}

func describe(f Field) string {
	d := f.Description
	if f.Enum != nil {
		d = strings.TrimSpace(d + " One of `" + strings.Join(f.Enum, "`, `") + "`.")
	}
	if f.Keys != nil {
		d = strings.TrimSpace(d + " Names: `" + strings.Join(f.Keys, "`, `") + "`.")
	}
	return d
}

// cell keeps a description inside its table cell, and shows <name> as
// text rather than an HTML tag.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;").Replace(s)
}
