package samgen

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/jobs"
)

// stageCondition is a condition the stage-dependent schedules test.
type stageCondition struct {
	ID    string // JobsOnDev
	Stage string
}

// scheduleYAML is one schedule's properties as the block writes them:
// plain values, or Fn::If over the stages where they differ.
type scheduleYAML struct {
	Expression, TimeZone string
	Mode, Window         string // Window "" leaves MaximumWindowInMinutes out
}

// stageSchedules gives each job its schedule as every stage loads it. A
// property that is the same in every stage stays a plain value; one that
// differs becomes a Fn::If chain over the stages (the last stage is the
// chain's else), with one condition per stage it tests.
func (v *jobsView) stageSchedules(stages []string, load func(string) (*Jobs, error)) error {
	if v == nil {
		return nil
	}
	per := make([]map[string]Job, len(stages))
	if load != nil {
		for i, st := range stages {
			js, err := load(st)
			if err != nil {
				return fmt.Errorf("job files as stage %s loads them: %w", st, err)
			}
			per[i] = map[string]Job{}
			if js != nil {
				for _, j := range js.List {
					per[i][j.Name] = j
				}
			}
		}
	}
	used := map[string]bool{}
	for k := range v.Jobs {
		jv := &v.Jobs[k]
		all := []Job{jv.Job}
		if load != nil && len(stages) > 0 {
			all = all[:0]
			for i, st := range stages {
				j, ok := per[i][jv.Name]
				if !ok {
					return fmt.Errorf("%s: job %q is missing when stage %s loads the job files", jv.File, jv.Name, st)
				}
				all = append(all, j)
			}
		}
		pick := func(f func(Job) string) string {
			vals := make([]string, len(all))
			for i, j := range all {
				vals[i] = f(j)
			}
			s, differs := ifChain(stages, vals)
			if differs {
				for _, st := range stages[:len(stages)-1] {
					used[st] = true
				}
			}
			return s
		}
		jv.YAML.Expression = pick(func(j Job) string { return strconv.Quote(j.Expression) })
		jv.YAML.TimeZone = pick(func(j Job) string { return strconv.Quote(j.TimeZone) })
		jv.YAML.Mode = pick(func(j Job) string {
			if j.Window > 0 {
				return "FLEXIBLE"
			}
			return `"OFF"`
		})
		jv.YAML.Window = pick(func(j Job) string {
			if j.Window > 0 {
				return strconv.Itoa(j.Window)
			}
			return `!Ref "AWS::NoValue"`
		})
		if jv.YAML.Window == `!Ref "AWS::NoValue"` {
			jv.YAML.Window = ""
		}
	}
	for _, st := range stages {
		if used[st] {
			v.StageConditions = append(v.StageConditions, stageCondition{ID: stageConditionID(st), Stage: st})
		}
	}
	return nil
}

// ifChain is vals as one YAML value: the value itself when all are equal,
// else !If [JobsOnA, a, !If [JobsOnB, b, c]] over the stages.
func ifChain(stages []string, vals []string) (string, bool) {
	same := true
	for _, x := range vals[1:] {
		same = same && x == vals[0]
	}
	if same {
		return vals[0], false
	}
	var b strings.Builder
	for i, st := range stages[:len(stages)-1] {
		fmt.Fprintf(&b, "!If [%s, %s, ", stageConditionID(st), vals[i])
	}
	b.WriteString(vals[len(vals)-1])
	b.WriteString(strings.Repeat("]", len(stages)-1))
	return b.String(), true
}

// stageConditionID is the condition true on one stage: JobsOnProd.
func stageConditionID(stage string) string {
	var b strings.Builder
	for _, r := range stage {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return "JobsOn" + LogicalID(b.String())
}

// JobsForStages loads the job files in dir of fsys as each stage would,
// for Options.JobsForStage.
func JobsForStages(l jobs.Loader, fsys fs.FS, dir string) func(stage string) (*Jobs, error) {
	return func(stage string) (*Jobs, error) {
		l.Environment = stage
		set, err := l.LoadFS(fsys, dir)
		if err != nil {
			return nil, err
		}
		return JobsOf(set), nil
	}
}
