// Package metrics writes CloudWatch metrics as Embedded Metric Format
// (EMF) log lines: one JSON object per line, which CloudWatch Logs turns
// into metrics. On Lambda the lines go to stdout, where the Lambda logging
// agent ships them like any log line; no SDK, no PutMetricData permission,
// nothing on the request path but a write.
//
// What lives here: the EMF writer (Emitter, Set), the sync function's
// per-target metrics as a delivery.Journal (Journal), a fan-out of
// journals (Journals), and the ingress function's per-source metrics as an
// ingress.Meter (Ingress). Metric names, dimensions and the namespace are
// constants here because the template's dashboard and alarms
// (pkg/samgen/metrics.go) read the same names.
//
// What does not: personal data. Dimensions are target and source names
// and outcome or reason codes, a small closed set each; never a subject,
// an event id or a free-text reason, which would also make a metric per
// value.
package metrics

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every ProfileSync metric.
const Namespace = "ProfileSync"

// Limits of the EMF specification.
const (
	// MaxMetrics is the most MetricDefinitions one directive may hold.
	MaxMetrics = 100
	// MaxValues is the most values one metric's array may hold.
	MaxValues = 100
	// MaxDimensions is the most keys one DimensionSet may hold (30 since
	// 2022; the first edition of the specification said 9).
	MaxDimensions = 30
)

// Unit is a CloudWatch metric unit.
type Unit string

// The units we use.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Dimension is one dimension name and value.
type Dimension struct{ Name, Value string }

// Set is the metrics of one flush under one set of dimension values: one
// EMF line (more only past the specification's limits). Counts add up;
// observations keep every value, for percentiles. The zero value is not
// ready: use NewSet.
type Set struct {
	dims    []Dimension
	order   []string
	metrics map[string]*metric
}

type metric struct {
	unit   Unit
	values []float64
	count  bool // a count: one value, summed
}

// NewSet starts a set under dims, in order: Target, then Reason, say.
func NewSet(dims ...Dimension) *Set {
	return &Set{dims: dims, metrics: map[string]*metric{}}
}

// Count adds n to a count.
func (s *Set) Count(name string, n int) {
	m := s.get(name, Count, true)
	m.values[0] += float64(n)
}

// Observe records one value of a distribution (a latency, say).
func (s *Set) Observe(name string, unit Unit, v float64) {
	m := s.get(name, unit, false)
	m.values = append(m.values, v)
}

func (s *Set) get(name string, unit Unit, count bool) *metric {
	m := s.metrics[name]
	if m == nil {
		m = &metric{unit: unit, count: count}
		if count {
			m.values = []float64{0}
		}
		s.metrics[name] = m
		s.order = append(s.order, name)
	}
	return m
}

// Empty is true when nothing was counted or observed.
func (s *Set) Empty() bool { return len(s.order) == 0 }

// Emitter writes sets as EMF lines to W, one Write per line, so lines
// from concurrent batches never interleave. The zero value with a W is
// ready; a nil *Emitter or a nil W writes nothing.
type Emitter struct {
	W         io.Writer
	Namespace string           // default Namespace
	Now       func() time.Time // default time.Now

	mu sync.Mutex
}

// NewEmitter writes to w under the default namespace and clock.
func NewEmitter(w io.Writer) *Emitter { return &Emitter{W: w} }

// Emit writes every non-empty set: one line each, split where a set
// exceeds the specification's limits.
func (e *Emitter) Emit(sets ...*Set) error {
	if e == nil || e.W == nil {
		return nil
	}
	ns := e.Namespace
	if ns == "" {
		ns = Namespace
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ts := now().UnixMilli()
	var lines [][]byte
	for _, s := range sets {
		if s == nil || s.Empty() {
			continue
		}
		ls, err := s.lines(ns, ts)
		if err != nil {
			return err
		}
		lines = append(lines, ls...)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range lines {
		if _, err := e.W.Write(l); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	return nil
}

// directive is one MetricDirective of the specification.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit,omitempty"`
}

type metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// lines renders s: metrics in name order, at most MaxMetrics a line and
// MaxValues values a metric; a longer distribution continues on further
// lines with the rest of its values.
func (s *Set) lines(ns string, ts int64) ([][]byte, error) {
	if len(s.dims) > MaxDimensions {
		return nil, fmt.Errorf("metrics: %d dimensions, at most %d", len(s.dims), MaxDimensions)
	}
	names := append([]string(nil), s.order...)
	sort.Strings(names)
	dimNames := make([]string, len(s.dims))
	for i, d := range s.dims {
		if d.Name == "" || d.Value == "" {
			return nil, fmt.Errorf("metrics: dimension %q has an empty name or value", d.Name)
		}
		if _, clash := s.metrics[d.Name]; clash {
			return nil, fmt.Errorf("metrics: %q is both a dimension and a metric", d.Name)
		}
		dimNames[i] = d.Name
	}
	// pending[i] is what remains of names[i]'s values.
	pending := make([][]float64, len(names))
	for i, n := range names {
		pending[i] = s.metrics[n].values
	}
	var out [][]byte
	for {
		root := map[string]any{}
		var defs []definition
		for i, n := range names {
			vs := pending[i]
			if len(vs) == 0 || len(defs) == MaxMetrics {
				continue
			}
			take := min(len(vs), MaxValues)
			defs = append(defs, definition{Name: n, Unit: s.metrics[n].unit})
			if s.metrics[n].count {
				root[n] = finite(vs[0])
			} else {
				arr := make([]float64, take)
				for j, v := range vs[:take] {
					arr[j] = finite(v)
				}
				root[n] = arr
			}
			pending[i] = vs[take:]
		}
		if len(defs) == 0 {
			return out, nil
		}
		for _, d := range s.dims {
			root[d.Name] = d.Value
		}
		root["_aws"] = metadata{Timestamp: ts, CloudWatchMetrics: []directive{{
			Namespace: ns, Dimensions: [][]string{dimNames}, Metrics: defs}}}
		b, err := json.Marshal(root)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		out = append(out, append(b, '\n'))
	}
}

// finite keeps NaN and infinities, which JSON cannot carry, out of a line.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
