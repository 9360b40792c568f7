package samgen_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/samgen"
)

func TestMarkerErrors(t *testing.T) {
	const outputsEnd = "  # END GENERATED TARGET OUTPUTS\n"
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"BEGIN missing", func(s string) string {
			return strings.Replace(s, "  # BEGIN GENERATED TARGET PARAMETERS\n", "", 1)
		}, "END GENERATED TARGET PARAMETERS without its BEGIN"},
		{"both missing", func(s string) string {
			s = strings.Replace(s, "# BEGIN GENERATED TARGET OUTPUTS\n", "\n", 1)
			return strings.Replace(s, outputsEnd, "", 1)
		}, "no marker pair for block TARGET OUTPUTS"},
		{"END missing", func(s string) string {
			return strings.Replace(s, "  # END GENERATED JOB OUTPUTS\n", "", 1)
		}, "BEGIN GENERATED JOB OUTPUTS has no END"},
		{"pair duplicated", func(s string) string {
			return s + "  # BEGIN GENERATED TARGET OUTPUTS\n" + outputsEnd
		}, "BEGIN GENERATED TARGET OUTPUTS again"},
		{"END duplicated", func(s string) string {
			return s + outputsEnd
		}, "END GENERATED TARGET OUTPUTS without its BEGIN"},
		{"nested", func(s string) string {
			return strings.Replace(s, outputsEnd, "  # BEGIN GENERATED TARGETS\n"+outputsEnd, 1)
		}, "BEGIN GENERATED TARGETS inside TARGET OUTPUTS"},
		{"unknown block", func(s string) string {
			return s + "  # BEGIN GENERATED TARGET OUTPUT\n  # END GENERATED TARGET OUTPUT\n"
		}, `unknown block "TARGET OUTPUT"`},
	}
	set := loadDir(t, mappingsDir)
	base := string(committedTemplate(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := tt.edit(base)
			if edited == base {
				t.Fatal("the edit changed nothing; the template's markers moved")
			}
			_, err := samgen.Generate([]byte(edited), set, samgen.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// A damaged generated block is repaired by the next run: the generator reads
// only the hand-written lines.
func TestDamagedBlockIsRegenerated(t *testing.T) {
	good := committedTemplate(t)
	damaged := regexp.MustCompile(`(?m)^        maxReceiveCount: \d+ #.*$`).ReplaceAllLiteralString(string(good), "        maxReceiveCount: [8")
	if damaged == string(good) {
		t.Fatal("the template has no maxReceiveCount line to damage; update this test")
	}
	out, err := samgen.Generate([]byte(damaged), loadDir(t, mappingsDir), shippedOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if d := samgen.Diff(good, out, 10); d != "" {
		t.Fatalf("not repaired:\n%s", d)
	}
}

func TestDiff(t *testing.T) {
	a := "one\ntwo\nthree\nfour\n"
	b := "one\n2\nthree\nfour\nfive\n"
	want := "-   2 | two\n+   2 | 2\n+   5 | five\n"
	if got := samgen.Diff([]byte(a), []byte(b), 0); got != want {
		t.Fatalf("Diff =\n%s\nwant\n%s", got, want)
	}
	if got := samgen.Diff([]byte(a), []byte(a), 0); got != "" {
		t.Fatalf("Diff of equal = %q", got)
	}
	if got := samgen.Diff([]byte(a), []byte(b), 1); !strings.HasSuffix(got, "... and 2 more changed lines\n") {
		t.Fatalf("limited Diff = %q", got)
	}
}
