package samgen

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/internal/samtemplate"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// Delivery defaults and AWS limits for a mapping's delivery block. The
// defaults apply when a mapping leaves a setting out (0).
const (
	DefaultMaxConcurrency = mapping.DefaultMaxConcurrency
	MinMaxConcurrency     = 2 // the least an SQS event source's ScalingConfig allows
	MaxMaxConcurrency     = 1000
	MaxMaxReceiveCount    = 1000 // SQS RedrivePolicy limit
	// maxOldestAgeAlarm is the longest a target's oldest message may wait
	// before its alarm fires: an hour, or a quarter of a shorter budget,
	// long before the budget dead-letters anything.
	maxOldestAgeAlarm = time.Hour

	// visibilityFactor is how many function timeouts a queue's visibility
	// timeout spans: AWS advises six, so a throttled batch is not
	// redelivered while its invocation still retries.
	visibilityFactor = 6
	// lambdaDefaultTimeout is Lambda's Timeout when the template sets none.
	lambdaDefaultTimeout = 3
)

// secretRE is what a secret name may hold: it lands unescaped in the JSON
// of SECRET_ARNS inside a quoted YAML string.
var secretRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// environment is what the hand-written part of the template tells the
// generated blocks.
type environment struct {
	timeout int      // Globals.Function.Timeout, seconds
	sources []string // Globals SOURCES, each with a <Source>SecretArn parameter
	// stages are the Stage parameter's AllowedValues: the environments a
	// deployment can be (its functions' ENVIRONMENT).
	stages []string
}

// target is one mapping as the blocks render it.
type target struct {
	Name            string // salesforce, crm-eu
	ID              string // logical id prefix: Salesforce, CrmEu
	Secret          string // the SECRET_ARNS key of its credentials
	MaxConcurrency  int
	MaxReceiveCount int    // the policy's receives for the outage budget
	Budget          string // the outage budget, for comments
	Retention       int    // the queue's MessageRetentionPeriod, seconds: budget + margin
	OldestAgeAlarm  int    // seconds

	Connector      string // connector kind
	MaxBatch       int    // records per API call; 0 if the connector does not batch
	BatchSize      int
	BatchingWindow int // MaximumBatchingWindowInSeconds; 0 for none
	Timeout        int
	Visibility     int // visibilityFactor x Timeout + BatchingWindow
	Sources        []source
}

// source is a source whose secret every sync function reads (to fetch
// profiles).
type source struct{ Name, ID string }

// LogicalID is the logical-id prefix of a target's resources: the name
// title-cased per '-'-separated part (salesforce → Salesforce, crm-eu →
// CrmEu). It replicates devstack.SyncFunctionID without "SyncFunction" (a
// test keeps the two equal) so that this package does not link the local
// stack.
func LogicalID(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// readEnvironment decodes the template with its generated blocks emptied,
// so a damaged block never stops its own regeneration.
func readEnvironment(handWritten string) (environment, error) {
	tpl, err := samtemplate.Decode([]byte(handWritten))
	if err != nil {
		return environment{}, fmt.Errorf("template (outside the generated blocks): %w", err)
	}
	fn := mapOf(mapOf(tpl["Globals"])["Function"])
	env := environment{timeout: lambdaDefaultTimeout}
	if v, ok := fn["Timeout"]; ok {
		n, isInt := v.(int)
		if !isInt || n < 1 {
			return environment{}, fmt.Errorf("Globals.Function.Timeout %v: want a literal number of seconds", v)
		}
		env.timeout = n
	}
	sources, _ := mapOf(mapOf(fn["Environment"])["Variables"])["SOURCES"].(string)
	params := mapOf(tpl["Parameters"])
	if allowed, ok := mapOf(params["Stage"])["AllowedValues"].([]any); ok {
		for _, v := range allowed {
			if s, ok := v.(string); ok {
				env.stages = append(env.stages, s)
			}
		}
	}
	for _, s := range strings.Split(sources, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if params[LogicalID(s)+"SecretArn"] == nil {
			return environment{}, fmt.Errorf("source %s (Globals SOURCES) has no %sSecretArn parameter", s, LogicalID(s))
		}
		env.sources = append(env.sources, s)
	}
	return env, nil
}

// targetsOf checks each mapping's delivery settings and applies defaults.
func targetsOf(set *mapping.Set, env environment, opts Options) ([]target, error) {
	var out []target
	byID := map[string]string{}
	var srcs []source
	for _, s := range env.sources {
		srcs = append(srcs, source{Name: s, ID: LogicalID(s)})
	}
	for _, m := range set.All() {
		id := LogicalID(m.Name)
		if other, dup := byID[id]; dup {
			return nil, fmt.Errorf("%s: target %q and %q both become logical id %s; rename one file", m.File, other, m.Name, id)
		}
		byID[id] = m.Name
		if !secretRE.MatchString(m.Secret) {
			return nil, &mapping.Error{File: m.File, Field: "secret", Msg: fmt.Sprintf("%q: want letters, digits, '.', '_' or '-'", m.Secret)}
		}
		conc, err := setting(m, "delivery.max_concurrency", m.Delivery.MaxConcurrency, DefaultMaxConcurrency, MinMaxConcurrency, MaxMaxConcurrency)
		if err != nil {
			return nil, err
		}
		policy := delivery.Policy{}.ForTarget(m.Delivery)
		receives := policy.Receives()
		if receives > MaxMaxReceiveCount {
			return nil, &mapping.Error{File: m.File, Field: "delivery.outage_budget",
				Msg: fmt.Sprintf("%s needs %d receives, above SQS's %d", m.Delivery.Budget(), receives, MaxMaxReceiveCount)}
		}
		b, err := batchingOf(m, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, target{
			Name: m.Name, ID: id, Secret: m.Secret, MaxConcurrency: conc, MaxReceiveCount: receives,
			Budget: fmtDuration(m.Delivery.Budget()), Retention: int(policy.Retention().Seconds()),
			OldestAgeAlarm: int(min(maxOldestAgeAlarm, m.Delivery.Budget()/4).Seconds()),
			Connector:      b.connector, MaxBatch: b.maxBatch, BatchSize: b.size, BatchingWindow: b.window,
			// Messages gathered during the window are already in flight,
			// so the window comes on top of AWS's six timeouts.
			Timeout: env.timeout, Visibility: visibilityFactor*env.timeout + b.window, Sources: srcs,
		})
	}
	return out, nil
}

// fmtDuration writes 24h0m0s as 24h and 72h0m0s as 3d.
func fmtDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// setting returns v, or def when v is 0, checked against [lo, hi].
func setting(m *mapping.Mapping, field string, v, def, lo, hi int) (int, error) {
	if v == 0 {
		return def, nil
	}
	if v < lo || v > hi {
		return 0, &mapping.Error{File: m.File, Field: field, Msg: fmt.Sprintf("%d is outside %d-%d, what AWS allows", v, lo, hi)}
	}
	return v, nil
}

// yamlScalar quotes s when a YAML 1.1 reader (CloudFormation's) would not
// read it back as that string.
func yamlScalar(s string) string {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return strconv.Quote(s)
	}
	return s
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }
