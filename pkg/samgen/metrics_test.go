package samgen_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/metrics"
	"github.com/profilesync/profilesync/pkg/samgen"
)

// dashboard is the parsed DashboardBody of tpl, its Fn::Sub variables
// listed and replaced by their names.
func dashboard(t *testing.T, tpl map[string]any) (body struct {
	Widgets []struct {
		Type                string
		X, Y, Width, Height int
		Properties          struct {
			Title, Region, Stat string
			Metrics             [][]any
		}
	}
}, vars []string) {
	t.Helper()
	res := tpl["Resources"].(map[string]any)[samgen.DashboardID].(map[string]any)
	if res["Type"] != "AWS::CloudWatch::Dashboard" {
		t.Fatalf("%s is a %v", samgen.DashboardID, res["Type"])
	}
	sub, ok := res["Properties"].(map[string]any)["DashboardBody"].(map[string]any)["Fn::Sub"].(string)
	if !ok {
		t.Fatalf("DashboardBody is not an Fn::Sub string: %v", res["Properties"])
	}
	varRE := regexp.MustCompile(`\$\{([^}]+)\}`)
	plain := varRE.ReplaceAllStringFunc(sub, func(v string) string {
		vars = append(vars, v[2:len(v)-1])
		return v[2 : len(v)-1]
	})
	if err := json.Unmarshal([]byte(plain), &body); err != nil {
		t.Fatalf("DashboardBody is not JSON: %v\n%s", err, plain)
	}
	return body, vars
}

// metricsIn lists "Namespace/Metric/Dim=Value" of every widget's metrics,
// and the expressions.
func metricsIn(t *testing.T, m [][]any) []string {
	t.Helper()
	var out []string
	for _, row := range m {
		if e, ok := row[0].(map[string]any); ok {
			out = append(out, "expr:"+e["expression"].(string))
			continue
		}
		s := row[0].(string) + "/" + row[1].(string)
		for i := 2; i+1 < len(row); i += 2 {
			k, kok := row[i].(string)
			v, vok := row[i+1].(string)
			if !kok || !vok {
				break
			}
			s += "/" + k + "=" + v
		}
		out = append(out, s)
	}
	return out
}

func TestDashboardAndAlarmsForEveryTargetAndSource(t *testing.T) {
	set := mapping.NewSet(parse(t, "crm-eu.yaml", ""), parse(t, "audit.yaml", ""))
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
	body, vars := dashboard(t, tpl)

	// Every Fn::Sub variable names the region or a queue the template has.
	for _, v := range vars {
		id, attr, _ := strings.Cut(v, ".")
		if v != "AWS::Region" && (attr != "QueueName" || res[id] == nil) {
			t.Errorf("dashboard variable ${%s} names nothing in the template", v)
		}
	}
	all := map[string]bool{}
	cells := map[[2]int]string{}
	for _, w := range body.Widgets {
		if w.Type != "metric" || w.Properties.Region != "AWS::Region" || len(w.Properties.Metrics) == 0 {
			t.Errorf("widget %q: type %s, region %s, %d metrics", w.Properties.Title, w.Type, w.Properties.Region, len(w.Properties.Metrics))
		}
		if w.X < 0 || w.X+w.Width > 24 || w.Height <= 0 {
			t.Errorf("widget %q outside the 24-column grid", w.Properties.Title)
		}
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				if other := cells[[2]int{x, y}]; other != "" {
					t.Fatalf("widgets %q and %q overlap", other, w.Properties.Title)
				}
				cells[[2]int{x, y}] = w.Properties.Title
			}
		}
		for _, m := range metricsIn(t, w.Properties.Metrics) {
			all[m] = true
		}
	}
	want := []string{}
	for _, target := range []string{"crm-eu", "audit"} {
		for _, m := range []string{metrics.Delivered, metrics.Deleted, metrics.Skipped, metrics.Retried, metrics.DeadLettered, metrics.EventToDeliveryLatency} {
			want = append(want, "ProfileSync/"+m+"/Target="+target)
		}
		want = append(want, `expr:SEARCH('{ProfileSync,Reason,Target} Target="`+target+`"', 'Sum', 300)`)
	}
	for _, q := range []string{"CrmEuQueue", "CrmEuDeadLetterQueue", "AuditQueue", "AuditDeadLetterQueue"} {
		want = append(want, "AWS/SQS/ApproximateNumberOfMessagesVisible/QueueName="+q+".QueueName")
	}
	sources := []string{"cidaas", "akamai", "clerk", "okta", "auth0", "keycloak", "zitadel", "logto", "generic", "fusionauth"}
	for _, s := range sources {
		want = append(want, "ProfileSync/Accepted/Source="+s, "ProfileSync/Rejected/Source="+s)
	}
	for _, w := range want {
		if !all[w] {
			t.Errorf("the dashboard lacks %s", w)
		}
	}

	// The alarms, on the names pkg/metrics writes.
	alarm := func(id string) string {
		t.Helper()
		a, ok := res[id].(map[string]any)
		if !ok || a["Type"] != "AWS::CloudWatch::Alarm" {
			t.Errorf("no alarm %s", id)
			return ""
		}
		s := js(a)
		if !strings.Contains(s, `"AlarmActions":{"Fn::If":["HasAlarmTopic",[{"Ref":"AlarmTopicArn"}]`) {
			t.Errorf("%s does not notify the alarm topic: %s", id, s)
		}
		return s
	}
	for _, tc := range []struct{ id, target string }{{"CrmEu", "crm-eu"}, {"Audit", "audit"}} {
		dl := alarm(tc.id + "DeadLetteredAlarm")
		for _, w := range []string{`"MetricName":"DeadLettered"`, `"Namespace":"ProfileSync"`, `{"Name":"Target","Value":"` + tc.target + `"}`,
			`"Threshold":0`, `"ComparisonOperator":"GreaterThanThreshold"`, `"Statistic":"Sum"`} {
			if !strings.Contains(dl, w) {
				t.Errorf("%sDeadLetteredAlarm lacks %s: %s", tc.id, w, dl)
			}
		}
		ef := alarm(tc.id + "ErasureFailedAlarm")
		for _, w := range []string{`"MetricName":"ErasureFailed"`, `{"Name":"Target","Value":"` + tc.target + `"}`,
			`"Threshold":0`, `"ComparisonOperator":"GreaterThanThreshold"`, `"Statistic":"Sum"`} {
			if !strings.Contains(ef, w) {
				t.Errorf("%sErasureFailedAlarm lacks %s: %s", tc.id, w, ef)
			}
		}
		lat := alarm(tc.id + "DeliveryLatencyAlarm")
		for _, w := range []string{`"MetricName":"EventToDeliveryLatency"`, `"ExtendedStatistic":"p99"`,
			`"Threshold":{"Ref":"` + samgen.LatencyParameter + `"}`, `{"Name":"Target","Value":"` + tc.target + `"}`} {
			if !strings.Contains(lat, w) {
				t.Errorf("%sDeliveryLatencyAlarm lacks %s: %s", tc.id, w, lat)
			}
		}
	}
	if tpl["Parameters"].(map[string]any)[samgen.LatencyParameter] == nil {
		t.Errorf("no %s parameter", samgen.LatencyParameter)
	}
	for _, s := range sources {
		id := samgen.LogicalID(s) + "SignatureRejectionsAlarm"
		a := alarm(id)
		for _, w := range []string{`"MetricName":"Rejected"`, `{"Name":"Reason","Value":"` + ingress.ReasonBadSignature + `"}`,
			`"MetricName":"Accepted"`, `{"Name":"Source","Value":"` + s + `"}`, `"Expression":"IF(`} {
			if !strings.Contains(a, w) {
				t.Errorf("%s lacks %s: %s", id, w, a)
			}
		}
	}
	n := 0
	for _, r := range res {
		if r.(map[string]any)["Type"] == "AWS::CloudWatch::Dashboard" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d dashboards, want 1", n)
	}
}

// X-Ray: every function is traced by the Lambda service (Globals), no SDK.
func TestFunctionsAreTraced(t *testing.T) {
	tpl, err := samtemplate.Decode(committedTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	g := tpl["Globals"].(map[string]any)["Function"].(map[string]any)
	if g["Tracing"] != "Active" {
		t.Errorf("Globals.Function.Tracing = %v, want Active", g["Tracing"])
	}
	for id, r := range tpl["Resources"].(map[string]any) {
		p, _ := r.(map[string]any)["Properties"].(map[string]any)
		if tr, ok := p["Tracing"]; ok && tr != "Active" && slices.Contains([]string{"AWS::Serverless::Function"}, r.(map[string]any)["Type"].(string)) {
			t.Errorf("%s overrides Tracing with %v", id, tr)
		}
	}
}
