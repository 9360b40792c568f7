package jobsfn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/reconcile"
	sfsandbox "github.com/profilesync/profilesync/pkg/sandbox/salesforce"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

type secrets map[string]string

func (s secrets) Secret(_ context.Context, name string) ([]byte, error) {
	v, ok := s[name]
	if !ok {
		return nil, fmt.Errorf("no secret %q", name)
	}
	return []byte(v), nil
}

type offsetPages []*profile.Profile

func (p offsetPages) List(_ context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	off, _ := strconv.Atoi(cursor)
	end := min(off+size, len(p))
	next := ""
	if end < len(p) {
		next = strconv.Itoa(end)
	}
	return p[off:end], next, nil
}

type memQueue struct {
	mu   sync.Mutex
	msgs []ingress.Message
}

func (q *memQueue) SendBatch(_ context.Context, _ string, msgs []ingress.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs = append(q.msgs, msgs...)
	return nil
}

const reconcileMapping = `version: 1
connector: salesforce
secret: salesforce
events: [created, updated, deleted]
settings: {object: Contact, external_id_field: ProfileSync_Id__c}
key: sub
fields:
  LastName: family_name
on_delete: delete
`

const reconcileJob = `version: 1
kind: reconcile
schedule: {rate: 7 days}
source: cidaas
target: salesforce
deletes: {max_count: 100, max_percent: 20}
`

// A reconcile job reads the target through its connector, plans, and
// quarantines a run that would delete 30 % of the managed records:
// nothing enqueued, the alarm's log line written; allowed, it applies.
func TestReconcileJob(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	var ps pages
	for i := range 10 {
		sub := fmt.Sprintf("sub-%d", i)
		fake.Put("Contact", map[string]any{"ProfileSync_Id__c": sub, "LastName": "F"})
		if i >= 3 {
			ps = append(ps, &profile.Profile{Sub: sub, FamilyName: "F"})
		}
	}
	fsys := fstest.MapFS{"salesforce.yaml": {Data: []byte(reconcileMapping)}, "jobs/sf-reconcile.yaml": {Data: []byte(reconcileJob)}}
	ms, err := plugins.All.LoadMappings(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	set, err := jobs.Loader{Mapping: mapping.Loader{}}.LoadFS(fsys, jobs.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		var logs bytes.Buffer
		q := &memQueue{}
		var plan *reconcile.Plan
		r := &Runner{listers: map[string]source.Lister{"cidaas": ps}, p: Ports{
			Function: wiring.Function{Mappings: ms, Secrets: secrets{"salesforce": fmt.Sprintf(`{"login_url":%q,"client_id":"cid","client_secret":"csecret"}`, srv.URL)},
				HTTP: egress.Client(egress.Local, 5*time.Second), Log: slog.New(slog.NewJSONHandler(&logs, nil))},
			Jobs: set, Reconcile: ReconcilePorts{Queue: q, AllowDeletes: allow, Plans: func(p *reconcile.Plan) { plan = p }}}}
		res, err := r.Run(context.Background(), "sf-reconcile")
		if err != nil {
			t.Fatal(err)
		}
		if plan == nil || plan.Counts.Delete != 3 || plan.Counts.Managed != 10 {
			t.Fatalf("allow=%v: plan %+v", allow, plan)
		}
		quarantined := strings.Contains(logs.String(), `"msg":"reconcile quarantined"`)
		if allow {
			if res.Rows != 3 || !res.Done || len(q.msgs) != 3 || quarantined {
				t.Errorf("allowed: result %+v, %d messages, quarantine logged %v", res, len(q.msgs), quarantined)
			}
			continue
		}
		if !plan.Quarantined || res.Done || len(q.msgs) != 0 || !quarantined {
			t.Errorf("not allowed: quarantined %v, result %+v, %d messages, logged %v", plan.Quarantined, res, len(q.msgs), quarantined)
		}
		if strings.Contains(logs.String(), "sub-0") {
			t.Error("the logs name a subject")
		}
	}
	if n := len(fake.Records("Contact")); n != 10 {
		t.Fatalf("the job deleted directly: %d records", n)
	}
}

// A reconciliation compares and repairs with the mapping as the source's
// environment has it, and its events carry that environment, as the
// source's webhooks do.
func TestReconcileUsesTheSourceEnvironment(t *testing.T) {
	fake := sfsandbox.NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	var ps pages
	for i := range 4 {
		sub := fmt.Sprintf("sub-%d", i)
		fake.Put("Contact", map[string]any{"ProfileSync_Id__c": sub, "LastName": "F", "LeadSource": "Web"})
		ps = append(ps, &profile.Profile{Sub: sub, FamilyName: "F"})
	}
	m := reconcileMapping + "environments:\n  staging:\n    constants: {LeadSource: Staging}\n"
	fsys := fstest.MapFS{"salesforce.yaml": {Data: []byte(m)}, "jobs/sf-reconcile.yaml": {Data: []byte(reconcileJob)}}
	ms, err := plugins.All.LoadMappings(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	set, err := jobs.Loader{Mapping: mapping.Loader{}}.LoadFS(fsys, jobs.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"", "staging"} {
		q := &memQueue{}
		var plan *reconcile.Plan
		r := &Runner{listers: map[string]source.Lister{"cidaas": ps}, envs: map[string]string{"cidaas": env}, p: Ports{
			Function: wiring.Function{Mappings: ms, Secrets: secrets{"salesforce": fmt.Sprintf(`{"login_url":%q,"client_id":"cid","client_secret":"csecret"}`, srv.URL)},
				HTTP: egress.Client(egress.Local, 5*time.Second), Log: slog.New(slog.DiscardHandler)},
			Jobs: set, Reconcile: ReconcilePorts{Queue: q, Plans: func(p *reconcile.Plan) { plan = p }}}}
		if _, err := r.Run(context.Background(), "sf-reconcile"); err != nil {
			t.Fatal(err)
		}
		if env == "" {
			if plan.Counts.Update != 0 {
				t.Errorf("no environment: LeadSource is no mapped field, yet %d updates", plan.Counts.Update)
			}
			continue
		}
		if plan.Counts.Update != 4 || len(q.msgs) != 4 {
			t.Fatalf("staging: %+v, %d messages", plan.Counts, len(q.msgs))
		}
		for _, c := range plan.Changes {
			if len(c.Fields) != 1 || c.Fields[0].Field != "LeadSource" || c.Fields[0].New != "Staging" {
				t.Errorf("change %+v", c)
			}
		}
		var env profile.Envelope
		if err := json.Unmarshal(q.msgs[0].Body, &env); err != nil {
			t.Fatal(err)
		}
		if env.Event.Environment != "staging" {
			t.Errorf("the repair event's environment is %q", env.Event.Environment)
		}
	}
}
