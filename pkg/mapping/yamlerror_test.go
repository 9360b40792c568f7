package mapping

import (
	"strings"
	"testing"
)

// A YAML syntax error is reported once as FILE:LINE:COLUMN, the line not
// repeated in the message.
func TestYAMLSyntaxErrorAtLineAndColumn(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"tab indent", "version: 1\nfields:\n\tA: given_name\n", "crm.yaml:3:1: found character that cannot start any token"},
		{"second colon", "version: 1\nconnector: a: b\n", "crm.yaml:2:13: mapping values are not allowed in this context"},
		{"second colon on line 1", "version: 1: 2\n", "crm.yaml:1:11: mapping values are not allowed in this context"},
		{"bad indent", "version: 1\n  connector: generic\n", "crm.yaml:2:3: mapping values are not allowed in this context"},
		{"open flow", "version: 1\nevents: [created,\n", "crm.yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := withPhone.Diagnose("crm.yaml", []byte(tt.yaml))
			if len(problems) != 1 {
				t.Fatalf("problems %v, want one", problems)
			}
			got := problems[0].Error()
			if !strings.HasPrefix(got, tt.want) || strings.Contains(got, "line ") || problems[0].Column == 0 {
				t.Errorf("got %q, want %q with a column and no repeated line", got, tt.want)
			}
		})
	}
}
