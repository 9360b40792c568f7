package samtemplate

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// What every function must run on, and how far a queue's visibility
// timeout must exceed the function timeout (AWS advises six times, plus the
// batching window, so a throttled batch is not redelivered while still
// being retried).
const (
	wantRuntime        = "provided.al2023"
	wantArchitecture   = "arm64"
	wantHandler        = "bootstrap"
	visibilityFactor   = 6
	defaultFunctionSec = 3 // Lambda's default Timeout
	// maxUnwindowedBatch is the largest SQS BatchSize Lambda accepts
	// without a batching window.
	maxUnwindowedBatch = 10
)

// CheckInvariants returns every way tpl breaks the rules ProfileSync relies
// on, sorted; nil means none. See the package tests for the list.
func CheckInvariants(tpl map[string]any) []string {
	c := checker{tpl: tpl, resources: mapOf(tpl["Resources"]), params: mapOf(tpl["Parameters"])}
	globals := mapOf(mapOf(tpl["Globals"])["Function"])
	alarmed := c.functionsWithErrorAlarms()
	for _, name := range sortedKeys(c.resources) {
		res := mapOf(c.resources[name])
		if res["Type"] == "AWS::Serverless::Function" {
			c.function(name, merge(globals, mapOf(res["Properties"])))
			if !alarmed[name] {
				c.addf("%s: no AWS::CloudWatch::Alarm on its AWS/Lambda Errors metric", name)
			}
		}
	}
	c.wildcardResources("", tpl)
	sort.Strings(c.problems)
	return c.problems
}

type checker struct {
	tpl       map[string]any
	resources map[string]any
	params    map[string]any
	problems  []string
}

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *checker) function(name string, props map[string]any) {
	if v := props["Runtime"]; v != wantRuntime {
		c.addf("%s: Runtime %v, want %s", name, v, wantRuntime)
	}
	if a, ok := props["Architectures"].([]any); !ok || len(a) != 1 || a[0] != wantArchitecture {
		c.addf("%s: Architectures %v, want [%s]", name, props["Architectures"], wantArchitecture)
	}
	if v := props["Handler"]; v != wantHandler {
		c.addf("%s: Handler %v, want %s", name, v, wantHandler)
	}
	timeout := defaultFunctionSec
	if v, ok := props["Timeout"]; ok {
		if n, ok := c.number(v); ok {
			timeout = n
		} else {
			c.addf("%s: cannot resolve Timeout %v", name, v)
		}
	}
	events := mapOf(props["Events"])
	for _, ev := range sortedKeys(events) {
		e := mapOf(events[ev])
		if e["Type"] == "SQS" {
			c.sqsEvent(name+"."+ev, mapOf(e["Properties"]), timeout)
		}
	}
	policies, _ := props["Policies"].([]any)
	if s, ok := props["Policies"].(string); ok {
		policies = []any{s}
	}
	for i, p := range policies {
		c.policy(fmt.Sprintf("%s.Policies[%d]", name, i), p)
	}
}

func (c *checker) sqsEvent(where string, props map[string]any, timeout int) {
	if rt, _ := props["FunctionResponseTypes"].([]any); !slices.Contains(rt, any("ReportBatchItemFailures")) {
		c.addf("%s: FunctionResponseTypes must include ReportBatchItemFailures", where)
	}
	if _, ok := mapOf(props["ScalingConfig"])["MaximumConcurrency"]; !ok {
		c.addf("%s: ScalingConfig.MaximumConcurrency is not set", where)
	}
	window := 0 // SQS default: no batching window
	if v, ok := props["MaximumBatchingWindowInSeconds"]; ok {
		if window, ok = c.number(v); !ok {
			c.addf("%s: cannot resolve MaximumBatchingWindowInSeconds %v", where, v)
		}
	}
	if size, ok := c.number(props["BatchSize"]); ok && size > maxUnwindowedBatch && window < 1 {
		// Lambda refuses to create such an event source mapping.
		c.addf("%s: BatchSize %d > %d without a MaximumBatchingWindowInSeconds of at least 1", where, size, maxUnwindowedBatch)
	}
	queue, ok := getAttResource(props["Queue"], "Arn")
	if !ok {
		c.addf("%s: Queue %v is not !GetAtt <Queue>.Arn of a queue in this template", where, props["Queue"])
		return
	}
	q := mapOf(c.resources[queue])
	if q["Type"] != "AWS::SQS::Queue" {
		c.addf("%s: Queue %s is not an AWS::SQS::Queue", where, queue)
		return
	}
	qp := mapOf(q["Properties"])
	redrive := mapOf(qp["RedrivePolicy"])
	if redrive["deadLetterTargetArn"] == nil || redrive["maxReceiveCount"] == nil {
		c.addf("%s: queue %s has no RedrivePolicy with deadLetterTargetArn and maxReceiveCount", where, queue)
	} else if dlq, ok := getAttResource(redrive["deadLetterTargetArn"], "Arn"); !ok || mapOf(c.resources[dlq])["Type"] != "AWS::SQS::Queue" {
		c.addf("%s: queue %s: deadLetterTargetArn is not !GetAtt <Queue>.Arn of a queue here", where, queue)
	}
	vis := 30 // SQS default
	if v, ok := qp["VisibilityTimeout"]; ok {
		if vis, ok = c.number(v); !ok {
			c.addf("%s: cannot resolve %s VisibilityTimeout %v", where, queue, v)
			return
		}
	}
	// Messages gathered during the batching window are already in flight,
	// so AWS advises the window on top of the six timeouts.
	if want := visibilityFactor*timeout + window; vis < want {
		msg := fmt.Sprintf("%s: queue %s VisibilityTimeout %d < %d x function Timeout %d", where, queue, vis, visibilityFactor, timeout)
		if window > 0 {
			msg += fmt.Sprintf(" + MaximumBatchingWindowInSeconds %d", window)
		}
		c.addf("%s", msg)
	}
}

// functionsWithErrorAlarms returns the functions some alarm watches on
// AWS/Lambda Errors with the dimension FunctionName: !Ref <function>.
func (c *checker) functionsWithErrorAlarms() map[string]bool {
	out := map[string]bool{}
	for _, name := range sortedKeys(c.resources) {
		res := mapOf(c.resources[name])
		p := mapOf(res["Properties"])
		if res["Type"] != "AWS::CloudWatch::Alarm" || p["Namespace"] != "AWS/Lambda" || p["MetricName"] != "Errors" {
			continue
		}
		dims, _ := p["Dimensions"].([]any)
		for _, d := range dims {
			if dm := mapOf(d); dm["Name"] == "FunctionName" {
				if ref, ok := mapOf(dm["Value"])["Ref"].(string); ok {
					out[ref] = true
				}
			}
		}
	}
	return out
}

// policy accepts SAM policy templates whose every parameter names a
// resource or parameter of this template, and inline statements (checked
// for "*" separately); managed policies by name are refused because most
// grant Resource "*".
func (c *checker) policy(where string, p any) {
	m, ok := p.(map[string]any)
	if !ok {
		c.addf("%s: managed policy %v: use a SAM policy template scoped to a named resource", where, p)
		return
	}
	if _, inline := m["Statement"]; inline {
		return
	}
	for _, tmpl := range sortedKeys(m) {
		params := mapOf(m[tmpl])
		if len(params) == 0 {
			c.addf("%s: %s has no parameters, so it is not scoped to a named resource", where, tmpl)
		}
		for _, k := range sortedKeys(params) {
			if !c.namesDeclared(params[k]) {
				c.addf("%s: %s.%s = %v does not reference a resource or parameter of this template", where, tmpl, k, params[k])
			}
		}
	}
}

// namesDeclared reports whether v is a Ref or GetAtt of something declared
// in the template.
func (c *checker) namesDeclared(v any) bool {
	m := mapOf(v)
	if ref, ok := m["Ref"].(string); ok {
		_, res := c.resources[ref]
		_, par := c.params[ref]
		return res || par
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		name, _ := ga[0].(string)
		_, res := c.resources[name]
		return res
	}
	return false
}

// wildcardResources finds IAM statements anywhere in the template whose
// Resource is "*".
func (c *checker) wildcardResources(path string, v any) {
	switch t := v.(type) {
	case map[string]any:
		if stmts, ok := t["Statement"].([]any); ok {
			for i, s := range stmts {
				r := mapOf(s)["Resource"]
				if r == "*" || (isList(r) && slices.Contains(r.([]any), any("*"))) {
					c.addf("%s.Statement[%d]: Resource \"*\"", strings.TrimPrefix(path, "."), i)
				}
			}
		}
		for _, k := range sortedKeys(t) {
			c.wildcardResources(path+"."+k, t[k])
		}
	case []any:
		for i, e := range t {
			c.wildcardResources(path+"["+strconv.Itoa(i)+"]", e)
		}
	}
}

// number resolves a literal or a Ref to a parameter's Default.
func (c *checker) number(v any) (int, bool) {
	if ref, ok := mapOf(v)["Ref"].(string); ok {
		v = mapOf(c.params[ref])["Default"]
	}
	switch n := v.(type) {
	case int:
		return n, true
	case float64:
		return int(n), true
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

// getAttResource returns Res for {"Fn::GetAtt": ["Res", attr]}.
func getAttResource(v any, attr string) (string, bool) {
	ga, ok := mapOf(v)["Fn::GetAtt"].([]any)
	if !ok || len(ga) != 2 || ga[1] != attr {
		return "", false
	}
	name, ok := ga[0].(string)
	return name, ok
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func isList(v any) bool { _, ok := v.([]any); return ok }

// merge applies SAM's Globals rule for top-level function properties: the
// function's own value wins. (SAM merges maps such as Environment deeper;
// the invariants only read scalars and lists.)
func merge(globals, own map[string]any) map[string]any {
	out := make(map[string]any, len(globals)+len(own))
	for k, v := range globals {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
