package samgen_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/samgen"
)

// TestBatchingConnectors renders one target per connector kind: a kind
// whose connector batches gets larger queue batches over a window, and the
// queue's visibility timeout grows by the window; the rest keep Lambda's
// default of 10 and no window. Every result is a template SAM accepts.
func TestBatchingConnectors(t *testing.T) {
	tests := []struct {
		connector      string
		size, window   int // window 0: no MaximumBatchingWindowInSeconds
		visibility     int
		maxBatch       int // rendered in the comment
		withoutComment bool
	}{
		{connector: "salesforce", size: 100, window: 5, visibility: 185, maxBatch: 200}, // capped at MaxBatchSize
		{connector: "hubspot", size: 100, window: 5, visibility: 185, maxBatch: 100},
		{connector: "braze", size: 75, window: 5, visibility: 185, maxBatch: 75},
		{connector: "eventbridge", size: 10, window: 5, visibility: 185, maxBatch: 10},
		{connector: "generic", size: 10, visibility: 180, withoutComment: true},
		{connector: "scim", size: 10, visibility: 180, withoutComment: true},
	}
	for _, tt := range tests {
		t.Run(tt.connector, func(t *testing.T) {
			set := mapping.NewSet(parseConnector(t, "crm.yaml", tt.connector))
			out, err := samgen.Generate(committedTemplate(t), set, samgen.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := samtemplate.Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := samtemplate.Validate(tpl); err != nil {
				t.Errorf("SAM schema: %v", err)
			}
			for _, p := range append(samtemplate.CheckInvariants(tpl), samtemplate.CheckReferences(tpl)...) {
				t.Error(p)
			}
			res := tpl["Resources"].(map[string]any)
			fn := res["CrmSyncFunction"].(map[string]any)["Properties"].(map[string]any)
			ev := fn["Events"].(map[string]any)["Queue"].(map[string]any)["Properties"].(map[string]any)
			if got := ev["BatchSize"]; got != tt.size {
				t.Errorf("BatchSize = %v, want %d", got, tt.size)
			}
			if got, ok := ev["MaximumBatchingWindowInSeconds"]; tt.window == 0 && ok {
				t.Errorf("MaximumBatchingWindowInSeconds = %v, want none", got)
			} else if tt.window > 0 && got != tt.window {
				t.Errorf("MaximumBatchingWindowInSeconds = %v, want %d", got, tt.window)
			}
			for _, want := range []string{`"FunctionResponseTypes":["ReportBatchItemFailures"]`, `"MaximumConcurrency":5`} {
				if !strings.Contains(js(ev), want) {
					t.Errorf("event source lacks %s: %s", want, js(ev))
				}
			}
			q := res["CrmQueue"].(map[string]any)["Properties"].(map[string]any)
			if got := q["VisibilityTimeout"]; got != tt.visibility {
				t.Errorf("VisibilityTimeout = %v, want %d", got, tt.visibility)
			}
			comment := "# The " + tt.connector + " connector takes up to " + itoa(tt.maxBatch) + " records per API call"
			if strings.Contains(string(out), comment) == tt.withoutComment {
				t.Errorf("comment %q present = %v, want %v", comment, !tt.withoutComment, !tt.withoutComment)
			}
		})
	}
}

func TestBatchingWindowOverride(t *testing.T) {
	tests := []struct {
		connector string
		window    int
		want      string // in the output, or in the error
		err       bool
	}{
		{"salesforce", 20, "MaximumBatchingWindowInSeconds: 20\n", false},
		{"salesforce", 0, "crm.yaml: BatchSize 100 needs a batching window of at least 1 s", true},
		{"eventbridge", 0, "BatchSize: 10\n            FunctionResponseTypes", false}, // no window needed
		{"generic", 301, "crm.yaml: batching window 301 s outside 0-300", true},
	}
	for _, tt := range tests {
		t.Run(tt.connector+"/"+itoa(tt.window), func(t *testing.T) {
			set := mapping.NewSet(parseConnector(t, "crm.yaml", tt.connector))
			opts := samgen.Options{BatchingWindow: func(*mapping.Mapping) int { return tt.window }}
			out, err := samgen.Generate(committedTemplate(t), set, opts)
			got := string(out)
			if tt.err {
				if err == nil {
					t.Fatal("no error")
				}
				got = err.Error()
			} else if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

// parseConnector is a minimal mapping for connector kind; settings are not
// checked (the generator reads only the kind).
func parseConnector(t *testing.T, file, connector string) *mapping.Mapping {
	t.Helper()
	m, err := mapping.Parse(file, []byte("version: 1\nconnector: "+connector+"\nevents: [created]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }
