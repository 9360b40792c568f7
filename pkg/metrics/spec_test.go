package metrics_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The EMF specification's document shape, checked member by member (the
// JSON schema of
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
// plus the rules it states in prose: references resolve to root members,
// metric targets are numbers or arrays of at most 100 numbers, dimension
// targets are strings, at most 100 metrics per directive and 30 keys per
// dimension set).

// unitRE is the schema's MetricUnit pattern.
var unitRE = regexp.MustCompile(`^(Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|Gigabits|Terabits|Percent|Count|Bytes/Second|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|Terabytes/Second|Bits/Second|Kilobits/Second|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None)$`)

// emfDoc is one parsed line: its root members, and per directive the
// metric names with their values and the dimension values.
type emfDoc struct {
	Root       map[string]any
	Timestamp  int64
	Namespaces []string
	Dims       [][]string           // per directive: its first dimension set
	Metrics    map[string][]float64 // name -> values (a number is one value)
	Units      map[string]string
}

// dim is the string value of a dimension member.
func (d emfDoc) dim(name string) string {
	s, _ := d.Root[name].(string)
	return s
}

// parseEMF splits out into lines and checks each against the
// specification, failing t on the first violation of each line.
func parseEMF(t *testing.T, out []byte) []emfDoc {
	t.Helper()
	var docs []emfDoc
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		docs = append(docs, checkEMF(t, sc.Bytes()))
	}
	return docs
}

func checkEMF(t *testing.T, line []byte) emfDoc {
	t.Helper()
	d, err := validateEMF(line)
	if err != nil {
		t.Errorf("EMF line %s: %v", line, err)
	}
	return d
}

// validateEMF parses one line and says how it breaks the specification.
func validateEMF(line []byte) (emfDoc, error) {
	fail := func(format string, args ...any) (emfDoc, error) {
		return emfDoc{}, fmt.Errorf(format, args...)
	}
	// "The LogEvent message MUST be a valid JSON object with no additional
	// data at the beginning or end."
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return fail("not a JSON object: %v", err)
	}
	if dec.More() || len(bytes.TrimSpace(line)) != int(dec.InputOffset()) {
		return fail("data after the object")
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		return fail("no _aws object")
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if !ok {
		return fail("_aws.Timestamp is not a number")
	}
	ms, err := ts.Int64()
	if err != nil || ms < 1_000_000_000_000 {
		return fail("_aws.Timestamp %v is not epoch milliseconds", ts)
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		return fail("_aws.CloudWatchMetrics is not a non-empty array")
	}
	doc := emfDoc{Root: root, Timestamp: ms, Metrics: map[string][]float64{}, Units: map[string]string{}}
	for _, d := range dirs {
		dir, ok := d.(map[string]any)
		if !ok {
			return fail("a MetricDirective is not an object")
		}
		for k := range dir {
			if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
				return fail("MetricDirective has the extra member %q", k)
			}
		}
		ns, ok := dir["Namespace"].(string)
		if !ok || ns == "" || len(ns) > 255 {
			return fail("Namespace %v", dir["Namespace"])
		}
		doc.Namespaces = append(doc.Namespaces, ns)
		sets, ok := dir["Dimensions"].([]any)
		if !ok || len(sets) == 0 {
			return fail("Dimensions is not a non-empty array of DimensionSets")
		}
		for i, s := range sets {
			set, ok := s.([]any)
			if !ok || len(set) > 30 {
				return fail("DimensionSet %v: not an array of at most 30 keys", s)
			}
			var names []string
			for _, k := range set {
				name, ok := k.(string)
				if !ok || name == "" || len(name) > 255 {
					return fail("dimension key %v", k)
				}
				if v, ok := root[name].(string); !ok || v == "" {
					return fail("dimension %q has no string member on the root", name)
				}
				names = append(names, name)
			}
			if i == 0 {
				doc.Dims = append(doc.Dims, names)
			}
		}
		defs, ok := dir["Metrics"].([]any)
		if !ok || len(defs) > 100 {
			return fail("Metrics is not an array of at most 100 MetricDefinitions")
		}
		for _, m := range defs {
			def, ok := m.(map[string]any)
			if !ok {
				return fail("MetricDefinition %v", m)
			}
			name, ok := def["Name"].(string)
			if !ok || name == "" || len(name) > 255 {
				return fail("MetricDefinition Name %v", def["Name"])
			}
			if u, ok := def["Unit"]; ok {
				if us, ok := u.(string); !ok || !unitRE.MatchString(us) {
					return fail("metric %s: unit %v is not a CloudWatch unit", name, u)
				}
				doc.Units[name] = u.(string)
			}
			vals, ok := numbers(root[name])
			if !ok {
				return fail("metric %s: root member %v is not a number or an array of at most 100 numbers", name, root[name])
			}
			doc.Metrics[name] = vals
		}
	}
	return doc, nil
}

// numbers reads a metric target: a number, or an array of at most 100.
func numbers(v any) ([]float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return []float64{f}, err == nil
	case []any:
		if len(x) == 0 || len(x) > 100 {
			return nil, false
		}
		var out []float64
		for _, e := range x {
			n, ok := e.(json.Number)
			if !ok {
				return nil, false
			}
			f, err := n.Float64()
			if err != nil {
				return nil, false
			}
			out = append(out, f)
		}
		return out, true
	}
	return nil, false
}

// The checker itself fails on lines that break the specification: each
// case is one rule.
func TestCheckerRefusesBrokenLines(t *testing.T) {
	good := `{"_aws":{"Timestamp":1735725600000,"CloudWatchMetrics":[{"Namespace":"ProfileSync","Dimensions":[["Target"]],"Metrics":[{"Name":"Received","Unit":"Count"}]}]},"Target":"crm","Received":1}`
	bad := map[string]string{
		"trailing data":        good + ` x`,
		"no timestamp":         strings.Replace(good, `"Timestamp":1735725600000,`, ``, 1),
		"seconds timestamp":    strings.Replace(good, `1735725600000`, `1735725600`, 1),
		"no dimension member":  strings.Replace(good, `"Target":"crm",`, ``, 1),
		"numeric dimension":    strings.Replace(good, `"Target":"crm"`, `"Target":7`, 1),
		"no metric member":     strings.Replace(good, `,"Received":1`, ``, 1),
		"string metric":        strings.Replace(good, `"Received":1`, `"Received":"1"`, 1),
		"bad unit":             strings.Replace(good, `"Count"`, `"Counts"`, 1),
		"empty namespace":      strings.Replace(good, `"ProfileSync"`, `""`, 1),
		"extra member":         strings.Replace(good, `"Namespace"`, `"Extra":1,"Namespace"`, 1),
		"101 values":           strings.Replace(good, `"Received":1`, `"Received":[`+strings.Repeat("1,", 100)+`1]`, 1),
		"no dimension sets":    strings.Replace(good, `[["Target"]]`, `[]`, 1),
		"dimensions not array": strings.Replace(good, `[["Target"]]`, `"Target"`, 1),
	}
	for name, line := range bad {
		if _, err := validateEMF([]byte(line)); err == nil {
			t.Errorf("%s: the checker passed %s", name, line)
		}
	}
	if _, err := validateEMF([]byte(good)); err != nil {
		t.Errorf("the checker refused the specification's shape: %v", err)
	}
}
