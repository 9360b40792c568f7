package samgen

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/mapping"
)

// The scheduled jobs' blocks: one function, its queue, table and export
// bucket whatever the jobs, and one EventBridge Scheduler schedule per
// job file (mappings/jobs/*.yaml). With no jobs they are empty.
const (
	BlockJobParameters = "JOB PARAMETERS"
	BlockJobConditions = "JOB CONDITIONS"
	BlockJobs          = "JOBS"
	BlockJobOutputs    = "JOB OUTPUTS"
)

// The jobs function runs for Lambda's longest (a run checkpoints and
// continues on the jobs queue when it nears the end), with room for one
// segment being encoded and uploaded (pkg/export holds about one 5 MiB
// part per open file).
const (
	JobsTimeout = 900
	JobsMemory  = 512
	// jobsMaxReceiveCount: a continuation whose run fails is tried this
	// often, a visibility timeout (90 minutes) apart, then dead-lettered;
	// the checkpoint keeps what every try committed.
	jobsMaxReceiveCount = 3
	// jobsScheduleRetries and jobsScheduleMaxAge are the schedules'
	// RetryPolicy: EventBridge Scheduler retries an invocation Lambda
	// refused (throttled, unavailable) for up to an hour.
	jobsScheduleRetries = 3
	jobsScheduleMaxAge  = 3600
	// jobsAsyncRetries: a scheduled run that fails is retried by Lambda
	// (asynchronous invocation), continuing from its checkpoint, then
	// recorded in the jobs dead-letter queue.
	jobsAsyncRetries = 2
)

// Jobs is what the job files tell the template.
type Jobs struct {
	List []Job
}

// Job is one job's schedule and what its function needs.
type Job struct {
	Name       string
	File       string
	Expression string // cron(...) or rate(...)
	TimeZone   string
	Window     int // flexible window in minutes; 0: off
	// Bucket is the job's own S3 bucket ("": the export bucket), Prefix
	// its key prefix, KMSKey its own SSE-KMS key.
	Kind, Bucket, Prefix, KMSKey string
	// Secrets the job reads besides its source's: the OpenPGP recipient
	// and an SFTP or HTTPS destination's connection.
	Secrets []string
	// SendsToTargets is true for a cleanup or reconcile job: it sends
	// events to the targets' queues.
	SendsToTargets bool
	// Target is a reconcile job's target: the function reads it through
	// its connector, with its secret.
	Target string
	// ReadsSyncLog is true for a synclog job: the function queries the
	// sync-log table's time index.
	ReadsSyncLog bool
}

// JobsOf summarises set for the template; nil when there are no jobs.
func JobsOf(set *jobs.Set) *Jobs {
	if len(set.All()) == 0 {
		return nil
	}
	out := &Jobs{}
	for _, j := range set.All() {
		g := Job{Name: j.Name, File: j.File, Expression: j.Schedule.Expression(), TimeZone: j.Schedule.TimeZone,
			Window: int(j.Schedule.Window.Minutes()), Kind: j.Dest.Kind, Bucket: j.Dest.Bucket, Prefix: j.Dest.Prefix, KMSKey: j.Dest.KMSKey,
			SendsToTargets: j.Kind == jobs.KindCleanup || j.Kind == jobs.KindReconcile, Target: j.Target,
			ReadsSyncLog: j.Kind == jobs.KindSyncLog}
		if g.TimeZone == "" {
			g.TimeZone = "UTC"
		}
		if j.Schedule.Window > 0 && g.Window < 1 {
			g.Window = 1
		}
		for _, s := range []string{j.Format.EncryptTo, j.Dest.Secret} {
			if s != "" && !slices.Contains(g.Secrets, s) {
				g.Secrets = append(g.Secrets, s)
			}
		}
		out.List = append(out.List, g)
	}
	return out
}

// jobsView is the job blocks' data.
type jobsView struct {
	Jobs []jobView
	// StageConditions are the conditions stage-dependent schedules test.
	StageConditions []stageCondition
	// Queues are the targets' queues a cleanup job sends to (QUEUE_URLS
	// and SendMessage), when there is one.
	Queues          []target
	SyncLog         bool          // a synclog job reads the sync-log table
	Secrets         []secretParam // SECRET_ARNS: the sources', then the jobs'
	Objects         []string      // the S3 object ARNs the function writes (Fn::Sub strings)
	Buckets         []string      // the bucket ARNs it lists uploads of
	KMSKeys         []string      // the jobs' own KMS key ARNs
	Timeout         int
	Memory          int
	Visibility      int
	MaxReceiveCount int
	Retries         int
	MaxAge          int
	AsyncRetries    int
}

type jobView struct {
	Job
	ID    string // logical id prefix: Newsletter
	Input string // the schedule's Input, JSON
	YAML  scheduleYAML
}

// kmsKeyARNRE is a KMS key's ARN: a job's own key must be one, so that
// the function can be granted it and nothing else.
var kmsKeyARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)

// prefixRE is a key prefix that is safe in an IAM resource inside
// Fn::Sub: S3's safe characters.
var prefixRE = regexp.MustCompile(`^[A-Za-z0-9/!_.*'()-]*$`)

// jobsViewOf resolves js's secrets against the parameters the targets,
// sources and claim rules already declare.
func jobsViewOf(js *Jobs, targets []target, cv *claimsView, env environment) (*jobsView, error) {
	if js == nil {
		return nil, nil
	}
	v := &jobsView{Timeout: JobsTimeout, Memory: JobsMemory, Visibility: visibilityFactor * JobsTimeout,
		MaxReceiveCount: jobsMaxReceiveCount, Retries: jobsScheduleRetries, MaxAge: jobsScheduleMaxAge, AsyncRetries: jobsAsyncRetries}
	for _, j := range js.List {
		if j.SendsToTargets {
			v.Queues = targets
		}
		v.SyncLog = v.SyncLog || j.ReadsSyncLog
	}
	taken := map[string]string{} // parameter id → the secret it holds
	byName := map[string]string{}
	for _, t := range targets {
		taken[t.ID], byName[t.Secret] = t.Secret, t.ID
	}
	if cv != nil {
		for _, s := range cv.Secrets {
			taken[s.ID], byName[s.Name] = s.Name, s.ID
		}
	}
	seen := map[string]bool{}
	// Every source is built when the function starts (jobsfn.New), so
	// the function reads every source's secret.
	for _, s := range env.sources {
		v.Secrets = append(v.Secrets, secretParam{Name: s, ID: LogicalID(s)})
		seen[s] = true
		taken[LogicalID(s)] = s
	}
	byID := map[string]string{}
	for _, j := range js.List {
		id := LogicalID(j.Name)
		if other, dup := byID[id]; dup {
			return nil, fmt.Errorf("%s: job %q and %q both become logical id %sJobSchedule; rename one file", j.File, other, j.Name, id)
		}
		byID[id] = j.Name
		v.Jobs = append(v.Jobs, jobView{Job: j, ID: id, Input: fmt.Sprintf(`{"job":%q}`, j.Name)})
		secrets := j.Secrets
		if j.Target != "" {
			found := false
			for _, t := range targets {
				if t.Name == j.Target {
					secrets, found = append(slices.Clone(secrets), t.Secret), true
				}
			}
			if !found {
				return nil, &mapping.Error{File: j.File, Field: "target", Msg: fmt.Sprintf("no mapping for target %q", j.Target)}
			}
		}
		for _, s := range secrets {
			if seen[s] {
				continue
			}
			seen[s] = true
			if !secretRE.MatchString(s) {
				return nil, &mapping.Error{File: j.File, Field: "secret", Msg: fmt.Sprintf("%q: want letters, digits, '.', '_' or '-'", s)}
			}
			if id, ok := byName[s]; ok {
				v.Secrets = append(v.Secrets, secretParam{Name: s, ID: id})
				continue
			}
			pid := LogicalID(s)
			if other, ok := taken[pid]; ok {
				return nil, &mapping.Error{File: j.File, Field: "secret",
					Msg: fmt.Sprintf("secret %q would take parameter %sSecretArn, which holds secret %q; rename one", s, pid, other)}
			}
			taken[pid] = s
			v.Secrets = append(v.Secrets, secretParam{Name: s, ID: pid, New: true, What: s + ", a secret a job file names (an OpenPGP recipient or a destination's connection)"})
		}
		if j.Kind != "s3" {
			continue
		}
		if !prefixRE.MatchString(j.Prefix) {
			return nil, &mapping.Error{File: j.File, Field: "destination.prefix", Msg: fmt.Sprintf("%q: want S3's safe characters (letters, digits, / ! - _ . * ' ( ))", j.Prefix)}
		}
		if j.KMSKey != "" {
			if !kmsKeyARNRE.MatchString(j.KMSKey) {
				return nil, &mapping.Error{File: j.File, Field: "destination.kms_key", Msg: "on AWS, give the key's ARN (arn:aws:kms:<region>:<account>:key/<id>), so the function is granted that key only"}
			}
			if !slices.Contains(v.KMSKeys, j.KMSKey) {
				v.KMSKeys = append(v.KMSKeys, j.KMSKey)
			}
		}
		bucket, object := "${ExportBucket.Arn}", "${ExportBucket.Arn}/"+j.Prefix+"*"
		if j.Bucket != "" {
			bucket = "arn:${AWS::Partition}:s3:::" + j.Bucket
			object = bucket + "/" + j.Prefix + "*"
		}
		if !slices.Contains(v.Buckets, bucket) {
			v.Buckets = append(v.Buckets, bucket)
		}
		if !slices.Contains(v.Objects, object) {
			v.Objects = append(v.Objects, object)
		}
	}
	return v, nil
}

// jobSecretARNs is the jobs function's SECRET_ARNS (an Fn::Sub string
// inside single quotes).
func jobSecretARNs(v *jobsView) string {
	parts := make([]string, 0, len(v.Secrets))
	for _, s := range v.Secrets {
		parts = append(parts, fmt.Sprintf(`"%s":"${%sSecretArn}"`, s.Name, s.ID))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
