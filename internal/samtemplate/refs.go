package samtemplate

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// subVar matches ${Name} and ${Name.Attr} in Fn::Sub strings; ${!Literal}
// is an escape and does not match.
var subVar = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// CheckReferences returns every Ref, Fn::GetAtt, Fn::Sub variable and
// condition name in tpl that points at nothing declared, sorted. It catches
// the typos a generator or a hand edit leaves behind before CloudFormation
// does.
func CheckReferences(tpl map[string]any) []string {
	r := refChecker{
		resources:  mapOf(tpl["Resources"]),
		params:     mapOf(tpl["Parameters"]),
		conditions: mapOf(tpl["Conditions"]),
	}
	for _, section := range []string{"Resources", "Outputs", "Conditions"} {
		r.walk(section, tpl[section])
	}
	for _, name := range sortedKeys(r.resources) {
		if cond, ok := mapOf(r.resources[name])["Condition"].(string); ok {
			r.condition("Resources."+name, cond)
		}
	}
	sort.Strings(r.problems)
	return r.problems
}

type refChecker struct {
	resources, params, conditions map[string]any
	problems                      []string
}

func (r *refChecker) walk(path string, v any) {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			r.intrinsic(path, t)
		}
		for _, k := range sortedKeys(t) {
			r.walk(path+"."+k, t[k])
		}
	case []any:
		for i, e := range t {
			r.walk(fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}

func (r *refChecker) intrinsic(path string, m map[string]any) {
	switch {
	case m["Ref"] != nil:
		if name, ok := m["Ref"].(string); ok && !r.declared(name) {
			r.problems = append(r.problems, fmt.Sprintf("%s: Ref %s is not declared", path, name))
		}
	case m["Fn::GetAtt"] != nil:
		if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) > 0 {
			if name, ok := ga[0].(string); ok && r.resources[name] == nil {
				r.problems = append(r.problems, fmt.Sprintf("%s: GetAtt %s is not a resource", path, name))
			}
		}
	case m["Fn::Sub"] != nil:
		r.sub(path, m["Fn::Sub"])
	case m["Fn::If"] != nil:
		if args, ok := m["Fn::If"].([]any); ok && len(args) == 3 {
			if name, ok := args[0].(string); ok {
				r.condition(path, name)
			}
		}
	case m["Condition"] != nil:
		if name, ok := m["Condition"].(string); ok && strings.HasPrefix(path, "Conditions") {
			r.condition(path, name)
		}
	}
}

func (r *refChecker) sub(path string, v any) {
	s, ok := v.(string)
	vars := map[string]any{}
	if list, isList := v.([]any); isList && len(list) == 2 {
		s, ok = list[0].(string)
		vars = mapOf(list[1])
	}
	if !ok {
		return
	}
	for _, m := range subVar.FindAllStringSubmatch(s, -1) {
		name := m[1]
		if _, local := vars[name]; local {
			continue
		}
		if res, _, isAttr := strings.Cut(name, "."); isAttr && !strings.HasPrefix(name, "AWS::") {
			if r.resources[res] == nil {
				r.problems = append(r.problems, fmt.Sprintf("%s: Sub ${%s}: %s is not a resource", path, name, res))
			}
			continue
		}
		if !r.declared(name) {
			r.problems = append(r.problems, fmt.Sprintf("%s: Sub ${%s} is not declared", path, name))
		}
	}
}

func (r *refChecker) declared(name string) bool {
	return strings.HasPrefix(name, "AWS::") || r.resources[name] != nil || r.params[name] != nil
}

func (r *refChecker) condition(path, name string) {
	if r.conditions[name] == nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: condition %s is not declared", path, name))
	}
}
