package mapping

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/profile"
)

func fieldsNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0].Content[1]
}

// A job's columns use the mapping field syntax, in the block's order.
func TestParseFieldsAndRow(t *testing.T) {
	n := fieldsNode(t, "fields:\n  id: sub\n  email: {from: email, transform: [trim, lower]}\n  newsletter: consents.newsletter.granted\n  name: {expr: 'given_name + \" \" + family_name'}\n  tier: {from: custom.tier, default: none}\n")
	f, problems := Loader{}.ParseFields("job.yaml", n, "fields")
	if len(problems) != 0 {
		t.Fatal(problems)
	}
	if got := strings.Join(f.Columns(), ","); got != "id,email,newsletter,name,tier" {
		t.Errorf("columns = %s", got)
	}
	row, err := f.Row(&profile.Profile{Sub: "s1", Email: " Jane@Example.COM ", GivenName: "Jane", FamilyName: "Doe",
		Consents: map[string]profile.Consent{"newsletter": {Granted: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(row); got != "[s1 jane@example.com true Jane Doe none]" {
		t.Errorf("row = %s", got)
	}
}

func TestParseFieldsErrorsAtLineAndColumn(t *testing.T) {
	n := fieldsNode(t, "fields:\n  id: sub\n  bad: {from: email, transform: [nosuch]}\n  gone: null\n")
	_, problems := Loader{}.ParseFields("job.yaml", n, "fields")
	got := fmt.Sprint(problems)
	for _, want := range []string{"job.yaml:3:", "fields.bad", "job.yaml:4:9: fields.gone: a column needs a value"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %s lack %q", got, want)
		}
	}
}
