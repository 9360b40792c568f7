package samgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/metrics"
)

// BlockMetrics is the dashboard and the alarms on the functions' own
// metrics (pkg/metrics, CloudWatch Embedded Metric Format): rendered once,
// from every target and source.
const BlockMetrics = "METRICS"

// LatencyParameter is the hand-written template parameter the latency
// alarms compare each target's p99 with.
const LatencyParameter = "DeliveryLatencyAlarmMs"

// DashboardID is the dashboard's logical id.
const DashboardID = "ProfileSyncDashboard"

// The signature alarm: over signatureRatePercent of a source's webhooks
// in signaturePeriod seconds failed their signature check, among at least
// signatureMinRequests (a scanner's odd POST is not an incident).
const (
	signatureRatePercent = 50
	signaturePeriod      = 900
	signatureMinRequests = 3
)

// metricsView is what the METRICS block renders.
// countAlarm is a per-target alarm on a count over 0: <Target><Metric>Alarm.
// Desc is a format with the target's name as %[1]s.
type countAlarm struct{ Metric, Desc string }

var countAlarms = []countAlarm{
	{metrics.DeadLettered, "The %[1]s sync function abandoned changes to its dead-letter queue (the dashboard shows the failure class; the DLQ messages and the log say why)."},
	{metrics.ErasureFailed, "A subject's erasure at %[1]s was not confirmed within its outage budget and went to the dead-letter queue (profilesync log SUBJECT shows the ledger; redrive the DLQ once %[1]s accepts deletes again)."},
}

type metricsView struct {
	Targets   []target
	Sources   []source
	Namespace string
	Body      string // the dashboard's JSON, with ${...} for Fn::Sub
	Latency   string // the latency parameter
	// The metric names, so the block and pkg/metrics cannot drift apart.
	// CountAlarms fire per target when a count is over 0 in 5 minutes.
	CountAlarms                                   []countAlarm
	LatencyMetric, Accepted, Rejected             string
	DimTarget, DimSource, DimReason, BadSignature string
	SigPercent, SigPeriod, SigMin                 int
}

var metricsTemplate = template.Must(template.New(BlockMetrics).Funcs(template.FuncMap{"yaml": yamlScalar}).Parse(strings.TrimPrefix(`
# --- the functions' metrics (pkg/metrics): dashboard and alarms ---
`+DashboardID+`:
  Type: AWS::CloudWatch::Dashboard
  Properties:
    DashboardBody: !Sub |
{{.Body}}
{{- range $t := .Targets}}
{{- range $.CountAlarms}}

{{$t.ID}}{{.Metric}}Alarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: {{printf .Desc $t.Name}}
    Namespace: {{$.Namespace}}
    MetricName: {{.Metric}}
    Dimensions:
      - Name: {{$.DimTarget}}
        Value: {{yaml $t.Name}}
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
{{- end}}

{{.ID}}DeliveryLatencyAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: !Sub "The p99 time from a change at the CIAM to its delivery to {{.Name}} stayed over ${ {{- $.Latency}}} ms for 15 minutes: {{.Name}} is slow, throttling or failing, or its queue is backing up."
    Namespace: {{$.Namespace}}
    MetricName: {{$.LatencyMetric}}
    Dimensions:
      - Name: {{$.DimTarget}}
        Value: {{yaml .Name}}
    ExtendedStatistic: p99
    Period: 300
    EvaluationPeriods: 3
    Threshold: !Ref {{$.Latency}}
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
{{- end}}
{{- range .Sources}}

{{.ID}}SignatureRejectionsAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: Over {{$.SigPercent}}% of the webhooks from {{.Name}} in 15 minutes (at least {{$.SigMin}}) failed their signature check; its signing secret in {{.Name}} and in ProfileSync ({{.ID}}SecretArn) are likely out of step.
    Metrics:
      - Id: rejected
        MetricStat:
          Metric:
            Namespace: {{$.Namespace}}
            MetricName: {{$.Rejected}}
            Dimensions: [{Name: {{$.DimSource}}, Value: {{yaml .Name}}}, {Name: {{$.DimReason}}, Value: {{$.BadSignature}}}]
          Period: {{$.SigPeriod}}
          Stat: Sum
        ReturnData: false
      - Id: accepted
        MetricStat:
          Metric:
            Namespace: {{$.Namespace}}
            MetricName: {{$.Accepted}}
            Dimensions: [{Name: {{$.DimSource}}, Value: {{yaml .Name}}}]
          Period: {{$.SigPeriod}}
          Stat: Sum
        ReturnData: false
      - Id: rate
        Label: Signature failures (% of webhooks)
        Expression: IF(FILL(rejected, 0) + FILL(accepted, 0) >= {{$.SigMin}}, 100 * FILL(rejected, 0) / (FILL(rejected, 0) + FILL(accepted, 0)), 0)
        ReturnData: true
    EvaluationPeriods: 1
    Threshold: {{$.SigPercent}}
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
{{- end}}
`, "\n")))

// renderMetrics returns the METRICS block's lines.
func renderMetrics(targets []target, sources []source, queues []queue) ([]string, error) {
	body, err := dashboardBody(targets, sources, queues)
	if err != nil {
		return nil, err
	}
	v := metricsView{Targets: targets, Sources: sources, Namespace: metrics.Namespace, Latency: LatencyParameter,
		CountAlarms: countAlarms, LatencyMetric: metrics.EventToDeliveryLatency,
		Accepted: metrics.Accepted, Rejected: metrics.Rejected,
		DimTarget: metrics.DimTarget, DimSource: metrics.DimSource, DimReason: metrics.DimReason,
		BadSignature: ingress.ReasonBadSignature,
		SigPercent:   signatureRatePercent, SigPeriod: signaturePeriod, SigMin: signatureMinRequests}
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, "      "+l)
	}
	v.Body = strings.Join(lines, "\n")
	var buf bytes.Buffer
	if err := metricsTemplate.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render %s: %w", BlockMetrics, err)
	}
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n"), nil
}

// sourcesOf lists the template's sources (Globals SOURCES).
func sourcesOf(env environment) []source {
	out := make([]source, 0, len(env.sources))
	for _, s := range env.sources {
		out = append(out, source{Name: s, ID: LogicalID(s)})
	}
	return out
}

// queue is one SQS queue of the template and its dead-letter queue, by
// logical id, for the dashboard.
type queue struct{ Name, ID, DLQ string }

// queuesOf lists the targets' queues, then the verifier's and the jobs'
// when the template has them.
func queuesOf(targets []target, claims, jobs bool) []queue {
	var out []queue
	for _, t := range targets {
		out = append(out, queue{Name: t.Name, ID: t.ID + "Queue", DLQ: t.ID + "DeadLetterQueue"})
	}
	if claims {
		out = append(out, queue{Name: "claims", ID: "ClaimsQueue", DLQ: "ClaimsDeadLetterQueue"})
	}
	if jobs {
		out = append(out, queue{Name: "jobs", ID: "JobsQueue", DLQ: "JobsDeadLetterQueue"})
	}
	return out
}

// widget is one CloudWatch dashboard widget (the dashboard body's
// structure: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
type widget struct {
	Type       string      `json:"type"`
	X          int         `json:"x"`
	Y          int         `json:"y"`
	Width      int         `json:"width"`
	Height     int         `json:"height"`
	Properties widgetProps `json:"properties"`
}

type widgetProps struct {
	Title   string  `json:"title"`
	Region  string  `json:"region"`
	View    string  `json:"view"`
	Stacked bool    `json:"stacked"`
	Period  int     `json:"period"`
	Stat    string  `json:"stat"`
	Metrics [][]any `json:"metrics"` // last: layout writes it a line per metric
}

const widgetWidth, widgetHeight, gridWidth = 8, 6, 24

// dashboardBody is the dashboard's JSON: a row per target (its outcomes,
// its skips and failures by reason, its latency p50 and p99), a row for
// the sources (accepted, rejected and unavailable, rejections by reason)
// and a row for the queues (depth, dead-letter depth, oldest message).
// Queue names are ${<Queue>.QueueName} for Fn::Sub; ${AWS::Region} too.
func dashboardBody(targets []target, sources []source, queues []queue) (string, error) {
	ns := metrics.Namespace
	var ws []widget
	add := func(title, stat string, ms ...[]any) {
		i := len(ws)
		ws = append(ws, widget{Type: "metric", X: (i * widgetWidth) % gridWidth, Y: (i * widgetWidth) / gridWidth * widgetHeight,
			Width: widgetWidth, Height: widgetHeight, Properties: widgetProps{Title: title, Region: "${AWS::Region}",
				View: "timeSeries", Period: 300, Stat: stat, Metrics: ms}})
	}
	label := func(s string) map[string]any { return map[string]any{"label": s} }
	search := func(id, expr string) []any {
		return []any{map[string]any{"id": id, "expression": expr}}
	}
	for _, t := range targets {
		var outcomes [][]any
		for _, m := range []string{metrics.Delivered, metrics.Deleted, metrics.Skipped, metrics.Retried, metrics.DeadLettered} {
			outcomes = append(outcomes, []any{ns, m, metrics.DimTarget, t.Name, label(m)})
		}
		add(t.Name+": messages", "Sum", outcomes...)
		add(t.Name+": skipped, retried and dead-lettered by reason", "Sum",
			search("r", fmt.Sprintf(`SEARCH('{%s,%s,%s} %s="%s"', 'Sum', 300)`, ns, metrics.DimReason, metrics.DimTarget, metrics.DimTarget, t.Name)))
		add(t.Name+": event-to-delivery latency (ms)", "p99",
			[]any{ns, metrics.EventToDeliveryLatency, metrics.DimTarget, t.Name, map[string]any{"stat": "p50", "label": "p50"}},
			[]any{ns, metrics.EventToDeliveryLatency, metrics.DimTarget, t.Name, map[string]any{"stat": "p99", "label": "p99"}})
	}
	var accepted, refused [][]any
	for _, s := range sources {
		accepted = append(accepted, []any{ns, metrics.Accepted, metrics.DimSource, s.Name, label(s.Name)})
		refused = append(refused, []any{ns, metrics.Rejected, metrics.DimSource, s.Name, label(s.Name + " rejected")},
			[]any{ns, metrics.Unavailable, metrics.DimSource, s.Name, label(s.Name + " unavailable")})
	}
	if len(sources) > 0 {
		add("Webhooks accepted by source", "Sum", accepted...)
		add("Webhooks rejected (4xx) or unavailable (503) by source", "Sum", refused...)
		add("Webhooks rejected by source and reason", "Sum",
			search("r", fmt.Sprintf(`SEARCH('{%s,%s,%s}', 'Sum', 300)`, ns, metrics.DimReason, metrics.DimSource)))
	}
	if len(queues) > 0 {
		var depth, dead, age [][]any
		for _, q := range queues {
			depth = append(depth, []any{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${" + q.ID + ".QueueName}", label(q.Name)})
			dead = append(dead, []any{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${" + q.DLQ + ".QueueName}", label(q.Name)})
			age = append(age, []any{"AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "${" + q.ID + ".QueueName}", label(q.Name)})
		}
		add("Queue depth (messages waiting)", "Maximum", depth...)
		add("Dead-letter queue depth", "Maximum", dead...)
		add("Oldest message age (s)", "Maximum", age...)
	}
	return layout(ws)
}

// layout writes the dashboard JSON a widget's head and a metric a line,
// so that the template stays readable and a diff names the metric that
// changed.
func layout(ws []widget) (string, error) {
	var b strings.Builder
	b.WriteString("{\"widgets\": [\n")
	for i, w := range ws {
		ms := w.Properties.Metrics
		w.Properties.Metrics = nil
		head, err := json.Marshal(w)
		if err != nil {
			return "", err
		}
		// head ends in "metrics":null}}: the metrics go in its place.
		h := strings.TrimSuffix(string(head), `"metrics":null}}`)
		if len(h) == len(head) {
			return "", fmt.Errorf("dashboard widget %q: unexpected encoding", w.Properties.Title)
		}
		b.WriteString("  " + h + "\"metrics\": [\n")
		for j, m := range ms {
			line, err := json.Marshal(m)
			if err != nil {
				return "", err
			}
			b.WriteString("    " + string(line))
			if j < len(ms)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("  ]}}")
		if i < len(ws)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}")
	return b.String(), nil
}
