package jobsfn

import (
	"context"
	"log/slog"
	"path"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// pages lists fixed profiles, two a page.
type pages []*profile.Profile

func (ps pages) List(_ context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	off := 0
	if cursor != "" {
		off = int(cursor[0] - '0')
	}
	end := min(off+min(size, 2), len(ps))
	next := ""
	if end < len(ps) {
		next = string(rune('0' + end))
	}
	return ps[off:end], next, nil
}

// housekeeping records the cutoffs it is asked for.
type housekeeping struct {
	state, abandoned time.Time
	dry              bool
}

func (h *housekeeping) ExpireState(_ context.Context, cutoff time.Time, dry bool) (int64, error) {
	h.state, h.dry = cutoff, dry
	return 3, nil
}

func (h *housekeeping) ExpireAbandoned(_ context.Context, cutoff time.Time, dry bool) (int64, error) {
	h.abandoned = cutoff
	return 2, nil
}

const mappingTemplate = `version: 1
connector: generic
settings:
  auth: hmac
  requests:
    upsert: {method: PUT, path: "/contacts/{key}"}
    deleted: {method: DELETE, path: "/contacts/{key}"}
events: [%s]
fields:
  id: sub
`

func cleanupMappings(t *testing.T) *mapping.Set {
	t.Helper()
	var ms []*mapping.Mapping
	for name, events := range map[string]string{"crm": "updated, consent_revoked", "mailer": "consent_revoked, deleted", "audit": "updated"} {
		m, err := plugins.All.Loader().Parse(name+".yaml", []byte(strings.Replace(mappingTemplate, "%s", events, 1)))
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	return mapping.NewSet(ms...)
}

const retentionJob = `version: 1
kind: cleanup
schedule: {cron: "0 3 * * ? *"}
source: cidaas
cleanup:
  state_older_than: 400d
  abandoned_older_than: 90d
  lapsed_consents: [{purpose: newsletter, older_than: 730d}]
  inactive: {older_than: 3y}
`

var start = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)

func ago(days int) *time.Time {
	t := start.Add(-time.Duration(days) * 24 * time.Hour)
	return &t
}

func cleanupProfiles() pages {
	return pages{
		{Sub: "lapsed", UpdatedAt: ago(10), Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: ago(800)}}},
		{Sub: "fresh", UpdatedAt: ago(10), Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: ago(100)}}},
		{Sub: "inactive", UpdatedAt: ago(4 * 365)},
		{Sub: "revoked", UpdatedAt: ago(500), Consents: map[string]profile.Consent{"newsletter": {Granted: false, At: ago(500)}}},
		{Sub: "never-asked", UpdatedAt: ago(1)},
	}
}

type cleanupRig struct {
	r     *Runner
	queue *ingress.MemoryQueue
	cps   *jobs.MemoryCheckpoints
	hk    *housekeeping
	now   time.Time
}

func newCleanupRig(t *testing.T, src pages) *cleanupRig {
	t.Helper()
	j, err := jobs.Loader{}.Parse("retention.yaml", []byte(retentionJob))
	if err != nil {
		t.Fatal(err)
	}
	set, err := jobsSet(t, j)
	if err != nil {
		t.Fatal(err)
	}
	rig := &cleanupRig{queue: &ingress.MemoryQueue{}, cps: jobs.NewMemoryCheckpoints(), hk: &housekeeping{}, now: start}
	p := Ports{Function: wiring.Function{Mappings: cleanupMappings(t), Now: func() time.Time { return rig.now },
		Log: slog.New(slog.DiscardHandler)},
		Jobs: set, Checkpoints: rig.cps, Queue: rig.queue, Housekeeping: rig.hk}
	rig.r = &Runner{p: p, listers: map[string]source.Lister{"cidaas": src}, envs: map[string]string{"cidaas": "prod"}}
	return rig
}

// jobsSet is a set holding j, loaded as the deployment would.
func jobsSet(t *testing.T, j *jobs.Job) (*jobs.Set, error) {
	t.Helper()
	return jobs.Loader{}.LoadFS(fstestJob(j.File, retentionJob), jobs.Dir)
}

func envelopes(t *testing.T, q *ingress.MemoryQueue, target string) []profile.Envelope {
	t.Helper()
	var out []profile.Envelope
	for _, m := range q.Messages(target) {
		env, err := profile.UnmarshalEnvelope(m.Body)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if m.Attributes["event_id"] != env.Event.ID || m.Attributes["event_type"] != string(env.Event.Type) || m.Attributes["source"] != SourceCleanup {
			t.Errorf("%s: attributes %v for %+v", target, m.Attributes, env.Event)
		}
		out = append(out, env)
	}
	return out
}

func gist(envs []profile.Envelope) string {
	var s []string
	for _, e := range envs {
		s = append(s, string(e.Event.Type)+":"+e.Event.Subject+":"+e.Event.Purpose)
	}
	return strings.Join(s, " ")
}

func TestCleanupQueuesWhatIsDue(t *testing.T) {
	src := cleanupProfiles()
	rig := newCleanupRig(t, src)
	ctx := context.Background()
	res, err := rig.r.Run(ctx, "retention")
	if err != nil {
		t.Fatal(err)
	}
	// crm takes consent_revoked only; mailer consent_revoked and deleted;
	// audit neither.
	if got, want := gist(envelopes(t, rig.queue, "crm")), "consent_revoked:lapsed:newsletter consent_revoked:revoked:newsletter"; got != want {
		t.Errorf("crm got %q\nwant %q", got, want)
	}
	mailer := envelopes(t, rig.queue, "mailer")
	if got, want := gist(mailer), "consent_revoked:lapsed:newsletter deleted:inactive: consent_revoked:revoked:newsletter"; got != want {
		t.Errorf("mailer got %q\nwant %q", got, want)
	}
	if n := len(rig.queue.Messages("audit")); n != 0 {
		t.Errorf("audit got %d messages", n)
	}
	for _, env := range mailer {
		e := env.Event
		if env.Target != "mailer" || env.Version != profile.EnvelopeVersion || e.Source != "cidaas" || e.SourceType != SourceCleanup || e.Environment != "prod" ||
			!strings.HasPrefix(e.ID, "cleanup-20260601T030000Z-") || !e.OccurredAt.Equal(start) ||
			(e.Type == profile.Deleted) != (e.Profile == nil) || e.Profile != nil && (e.Profile.Sub != e.Subject || e.Profile.Consents["newsletter"].Granted) {
			t.Errorf("envelope %+v", env)
		}
	}
	if !src[0].Consents["newsletter"].Granted {
		t.Error("the listed profile was changed")
	}
	c := res.Cleanup
	if !res.Done || c.Listed != 5 || c.ConsentsRevoked != 2 || c.Inactive != 1 || c.Messages != 5 || c.Unrouted != 0 ||
		c.StateExpired != 3 || c.AbandonedExpired != 2 {
		t.Errorf("result %+v, counts %+v", res, c)
	}
	if !rig.hk.state.Equal(start.Add(-400*jobs.Day)) || !rig.hk.abandoned.Equal(start.Add(-90*jobs.Day)) || rig.hk.dry {
		t.Errorf("housekeeping %+v", rig.hk)
	}

	// The next night nothing new is due: nothing is queued again.
	rig.queue.Reset()
	rig.now = start.Add(24 * time.Hour)
	res, err = rig.r.Run(ctx, "retention")
	if err != nil {
		t.Fatal(err)
	}
	if rig.queue.Len() != 0 || res.Cleanup.ConsentsRevoked+res.Cleanup.Inactive != 0 {
		t.Errorf("second run queued %d: %+v", rig.queue.Len(), res.Cleanup)
	}
}

// A grant that lapses between two runs is sent by the run after it.
func TestCleanupSendsWhatLapsedSinceTheLastRun(t *testing.T) {
	src := pages{{Sub: "u-1", UpdatedAt: ago(1), Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: ago(729)}}}}
	rig := newCleanupRig(t, src)
	ctx := context.Background()
	if _, err := rig.r.Run(ctx, "retention"); err != nil || rig.queue.Len() != 0 {
		t.Fatalf("inside the window: %d queued, %v", rig.queue.Len(), err)
	}
	rig.now = start.Add(2 * 24 * time.Hour)
	if _, err := rig.r.Run(ctx, "retention"); err != nil {
		t.Fatal(err)
	}
	if got := gist(envelopes(t, rig.queue, "crm")); got != "consent_revoked:u-1:newsletter" {
		t.Errorf("crm got %q", got)
	}
}

func TestCleanupInsideTheWindowsQueuesNothing(t *testing.T) {
	src := pages{
		{Sub: "active", UpdatedAt: ago(3*365 - 1), Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: ago(729)}}},
		{Sub: "no-time", Consents: map[string]profile.Consent{"newsletter": {Granted: true}}},
	}
	rig := newCleanupRig(t, src)
	res, err := rig.r.Run(context.Background(), "retention")
	if err != nil {
		t.Fatal(err)
	}
	if rig.queue.Len() != 0 || res.Cleanup.Messages != 0 || res.Cleanup.Listed != 2 {
		t.Errorf("queued %d: %+v", rig.queue.Len(), res.Cleanup)
	}
}

func TestCleanupDryRunChangesNothing(t *testing.T) {
	rig := newCleanupRig(t, cleanupProfiles())
	rig.r.p.DryRun = true
	ctx := context.Background()
	res, err := rig.r.Run(ctx, "retention")
	if err != nil {
		t.Fatal(err)
	}
	if rig.queue.Len() != 0 || res.Cleanup.Messages != 5 || res.Cleanup.StateExpired != 3 || !rig.hk.dry {
		t.Errorf("dry run queued %d, counted %+v, housekeeping dry %v", rig.queue.Len(), res.Cleanup, rig.hk.dry)
	}
	if last, _ := rig.cps.Last(ctx, "retention"); last != nil {
		t.Errorf("dry run saved a run: %+v", last)
	}
}

// A failed send leaves the run unfinished; the next invocation queues the
// page again with the same event ids.
func TestCleanupResumesWithTheSameIDs(t *testing.T) {
	rig := newCleanupRig(t, cleanupProfiles())
	ctx := context.Background()
	rig.queue.Fail = map[string]error{"mailer": context.DeadlineExceeded}
	if _, err := rig.r.Run(ctx, "retention"); err == nil {
		t.Fatal("no error from a failed send")
	}
	first := envelopes(t, rig.queue, "crm")
	rig.queue.Fail = nil
	if _, err := rig.r.Run(ctx, "retention"); err != nil {
		t.Fatal(err)
	}
	again := envelopes(t, rig.queue, "crm")
	if len(first) == 0 || len(again) < len(first) || again[len(first)].Event.ID != first[0].Event.ID {
		t.Errorf("first %s, then %s", ids(first), ids(again))
	}
}

func ids(envs []profile.Envelope) string {
	var s []string
	for _, e := range envs {
		s = append(s, e.Event.ID)
	}
	return strings.Join(s, ",")
}

// Without a store to expire in (AWS: TTL does it) the run still sweeps.
func TestCleanupWithoutHousekeeping(t *testing.T) {
	rig := newCleanupRig(t, cleanupProfiles())
	rig.r.p.Housekeeping = nil
	res, err := rig.r.Run(context.Background(), "retention")
	if err != nil || res.Cleanup.StateExpired != 0 || res.Cleanup.Messages != 5 {
		t.Fatalf("%+v, %v", res.Cleanup, err)
	}
}

func fstestJob(name, src string) fstest.MapFS {
	return fstest.MapFS{jobs.Dir + "/" + path.Base(name): {Data: []byte(src)}}
}

// Against the local stack's own stores: the events land on the embedded
// queues as SQS messages with their attributes, state past retention is
// expired in SQLite, and the run is recorded as the last complete one.
func TestCleanupOnTheLocalStores(t *testing.T) {
	ctx := context.Background()
	db, err := local.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	queues, err := local.NewQueues(db, local.QueueConfig{Target: "crm"}, local.QueueConfig{Target: "mailer"}, local.QueueConfig{Target: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	state := local.NewState(db)
	if err := state.Put(ctx, "mailer", "gone", delivery.State{LastEventAt: start.Add(-500 * jobs.Day), Deleted: true}); err != nil {
		t.Fatal(err)
	}
	rig := newCleanupRig(t, cleanupProfiles())
	rig.r.p.Queue, rig.r.p.Housekeeping, rig.r.p.Checkpoints = queues, state, local.NewJobCheckpoints(db)
	res, err := rig.r.Run(ctx, "retention")
	if err != nil || res.Cleanup.StateExpired != 1 {
		t.Fatalf("%+v, %v", res.Cleanup, err)
	}
	msgs, err := queues.Receive(ctx, "mailer", 10)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("mailer received %d, %v", len(msgs), err)
	}
	types := map[string]int{}
	for _, m := range msgs {
		env, err := profile.UnmarshalEnvelope([]byte(m.Body))
		if err != nil || env.Target != "mailer" {
			t.Fatalf("%v: %+v", err, env)
		}
		if a := m.MessageAttributes["event_type"].StringValue; a == nil || *a != string(env.Event.Type) {
			t.Errorf("event_type attribute %v for %s", a, env.Event.Type)
		}
		types[string(env.Event.Type)]++
	}
	if types["consent_revoked"] != 2 || types["deleted"] != 1 {
		t.Errorf("mailer got %v", types)
	}
	if _, found, _ := state.Get(ctx, "mailer", "gone"); found {
		t.Error("the old tombstone is still there")
	}
	if last, err := local.NewJobCheckpoints(db).Last(ctx, "retention"); err != nil || last == nil || !last.Started.Equal(start) {
		t.Errorf("last run %+v, %v", last, err)
	}
}

// A run that meets its deadline asks for a continuation, which goes on
// with the same run: its start, its ids.
func TestCleanupContinuesAfterTheDeadline(t *testing.T) {
	rig := newCleanupRig(t, cleanupProfiles())
	var continued []string
	rig.r.p.Continue = func(_ context.Context, job string) error { continued = append(continued, job); return nil }
	ctx, cancel := context.WithTimeout(context.Background(), cleanupMargin-time.Second)
	defer cancel()
	res, err := rig.r.Run(ctx, "retention")
	if err != nil || !res.Continue || res.Done || len(continued) != 1 || rig.queue.Len() != 0 {
		t.Fatalf("%+v, %v; continued %v, queued %d", res, err, continued, rig.queue.Len())
	}
	rig.now = start.Add(time.Hour)
	res, err = rig.r.Run(context.Background(), "retention")
	if err != nil || !res.Done || res.Run != "20260601T030000Z" {
		t.Fatalf("%+v, %v", res, err)
	}
	if got := ids(envelopes(t, rig.queue, "crm")); !strings.HasPrefix(got, "cleanup-20260601T030000Z-1,") {
		t.Errorf("crm ids %s", got)
	}
}

// A profile too large for a queue message goes thin.
func TestCleanupOversizedProfileGoesThin(t *testing.T) {
	big := pages{{Sub: "big", UpdatedAt: ago(1), Custom: map[string]any{"notes": strings.Repeat("x", profile.MaxMessage)},
		Consents: map[string]profile.Consent{"newsletter": {Granted: true, At: ago(800)}}}}
	rig := newCleanupRig(t, big)
	if _, err := rig.r.Run(context.Background(), "retention"); err != nil {
		t.Fatal(err)
	}
	envs := envelopes(t, rig.queue, "crm")
	if len(envs) != 1 || envs[0].Event.Profile != nil || envs[0].Event.Type != profile.ConsentRevoked {
		t.Fatalf("crm got %s", gist(envs))
	}
	if n := len(rig.queue.Messages("crm")[0].Body); n > profile.MaxMessage {
		t.Errorf("a message of %d bytes", n)
	}
}

// A job runs in one invocation at a time: while another holds its lease,
// a run does nothing and says so; once the lease is given back, or has
// expired, a run goes on.
func TestOneInvocationAtATime(t *testing.T) {
	rig := newCleanupRig(t, cleanupProfiles())
	ctx := context.Background()
	if got, err := rig.cps.Acquire(ctx, "retention", "another", rig.now.Add(10*time.Minute), rig.now); err != nil || !got {
		t.Fatalf("the other invocation's lease: %v %v", got, err)
	}
	res, err := rig.r.Run(ctx, "retention")
	if err != nil || !res.Busy || res.Run != "" {
		t.Fatalf("run while the job is held: %+v %v", res, err)
	}
	if n := len(rig.queue.Messages("webhook")) + len(rig.queue.Messages("salesforce")); n != 0 {
		t.Errorf("the busy run queued %d messages", n)
	}
	rig.now = rig.now.Add(11 * time.Minute) // the other invocation died; its lease expired
	res, err = rig.r.Run(ctx, "retention")
	if err != nil || res.Busy {
		t.Fatalf("run after the lease expired: %+v %v", res, err)
	}
	// Given back at the end: the next run takes it at once.
	if got, _ := rig.cps.Acquire(ctx, "retention", "next", rig.now.Add(time.Minute), rig.now); !got {
		t.Error("the run did not give its lease back")
	}
}
