package awsadapter_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

// stateFixture is a state table in moto, created per test with the key
// schema of template.yaml's StateTable, and a fixed clock.
type stateFixture struct {
	srv    *moto.Server
	client *dynamodb.Client
	table  string
	now    time.Time
	store  *paws.StateTable
}

func newStateFixture(t *testing.T) *stateFixture {
	t.Helper()
	srv := moto.Start(t)
	client := dynamodb.NewFromConfig(srv.AWSConfig(ctxFor(t)))
	// Named per test so no Reset is needed (Reset would wipe every other
	// moto user's queues and tables too).
	table := "state-" + strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())
	_, err := client.CreateTable(ctxFor(t), &dynamodb.CreateTableInput{
		TableName:   awssdk.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: awssdk.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: awssdk.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: awssdk.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: awssdk.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	_, err = client.UpdateTimeToLive(ctxFor(t), &dynamodb.UpdateTimeToLiveInput{
		TableName: awssdk.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: awssdk.String("expires_at"), Enabled: awssdk.Bool(true),
		},
	})
	if err != nil {
		t.Fatalf("enable ttl: %v", err)
	}
	f := &stateFixture{srv: srv, client: client, table: table, now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	f.store = paws.NewStateTable(paws.DynamoDBOf(client), table, paws.WithStateClock(func() time.Time { return f.now }))
	return f
}

// raw reads the item as stored, bypassing StateTable.
func (f *stateFixture) raw(t *testing.T, target, subject string) map[string]types.AttributeValue {
	t.Helper()
	out, err := f.client.GetItem(ctxFor(t), &dynamodb.GetItemInput{
		TableName: awssdk.String(f.table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "target#" + target},
			"sk": &types.AttributeValueMemberS{Value: "subject#" + subject},
		},
		ConsistentRead: awssdk.Bool(true),
	})
	if err != nil {
		t.Fatalf("raw get: %v", err)
	}
	return out.Item
}

func (f *stateFixture) put(t *testing.T, target, subject string, st delivery.State) {
	t.Helper()
	if err := f.store.Put(ctxFor(t), target, subject, st); err != nil {
		t.Fatalf("put %s/%s at %s: %v", target, subject, st.LastEventAt, err)
	}
}

func (f *stateFixture) get(t *testing.T, target, subject string) delivery.State {
	t.Helper()
	st, found, err := f.store.Get(ctxFor(t), target, subject)
	if err != nil {
		t.Fatalf("get %s/%s: %v", target, subject, err)
	}
	if !found {
		t.Fatalf("get %s/%s: not found", target, subject)
	}
	return st
}

func sameState(t *testing.T, got, want delivery.State) {
	t.Helper()
	if !got.LastEventAt.Equal(want.LastEventAt) || got.LastEventID != want.LastEventID ||
		got.RecordID != want.RecordID || got.Hash != want.Hash || got.Deleted != want.Deleted {
		t.Fatalf("state = %+v, want %+v", got, want)
	}
}

func sAttr(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a string", name, item[name])
	}
	return v.Value
}

func nAttr(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a number", name, item[name])
	}
	return v.Value
}

var (
	// A non-UTC zone and every nanosecond digit, to prove the round trip.
	berlin = time.FixedZone("CEST", 2*3600)
	t0     = time.Date(2025, 5, 31, 9, 8, 7, 123456789, berlin)
)

func TestStateTableGetMissing(t *testing.T) {
	f := newStateFixture(t)
	st, found, err := f.store.Get(ctxFor(t), "salesforce", "nobody")
	if err != nil || found {
		t.Fatalf("Get missing = %+v, %v, %v; want not found", st, found, err)
	}
	// The same subject under another target is another item.
	f.put(t, "clerk", "nobody", delivery.State{LastEventAt: t0, LastEventID: "e1"})
	if _, found, err := f.store.Get(ctxFor(t), "salesforce", "nobody"); err != nil || found {
		t.Fatalf("Get other target = %v, %v; want not found", found, err)
	}
}

func TestStateTableRoundTrip(t *testing.T) {
	f := newStateFixture(t)
	want := delivery.State{LastEventAt: t0, LastEventID: "evt-1", RecordID: "003XYZ", Hash: "abc123"}
	f.put(t, "salesforce", "user-1", want)
	got := f.get(t, "salesforce", "user-1")
	sameState(t, got, want)
	if got.LastEventAt.Nanosecond() != 123456789 || got.LastEventAt.Location() != time.UTC {
		t.Fatalf("LastEventAt = %s, want nanoseconds kept, in UTC", got.LastEventAt.Format(time.RFC3339Nano))
	}

	item := f.raw(t, "salesforce", "user-1")
	if got := sAttr(t, item, "last_event_at"); got != "2025-05-31T07:08:07.123456789Z" {
		t.Fatalf("last_event_at = %q", got)
	}
	if got, want := nAttr(t, item, "last_event_nanos"), strconv.FormatInt(t0.UnixNano(), 10); got != want {
		t.Fatalf("last_event_nanos = %s, want %s", got, want)
	}
	if got := sAttr(t, item, "updated_at"); got != f.now.Format(time.RFC3339Nano) {
		t.Fatalf("updated_at = %q, want %s", got, f.now.Format(time.RFC3339Nano))
	}
	if d, ok := item["deleted"].(*types.AttributeValueMemberBOOL); !ok || d.Value {
		t.Fatalf("deleted = %#v, want BOOL false", item["deleted"])
	}
}

func TestStateTableNewerPutOverwrites(t *testing.T) {
	f := newStateFixture(t)
	f.put(t, "salesforce", "user-1", delivery.State{LastEventAt: t0, LastEventID: "e1", RecordID: "r1", Hash: "h1"})
	newer := delivery.State{LastEventAt: t0.Add(time.Nanosecond), LastEventID: "e2", RecordID: "r1", Hash: "h2"}
	f.put(t, "salesforce", "user-1", newer)
	sameState(t, f.get(t, "salesforce", "user-1"), newer)
}

func TestStateTableOlderPutIsStale(t *testing.T) {
	f := newStateFixture(t)
	current := delivery.State{LastEventAt: t0, LastEventID: "e2", RecordID: "r1", Hash: "h2"}
	f.put(t, "salesforce", "user-1", current)
	before := f.raw(t, "salesforce", "user-1")

	f.now = f.now.Add(time.Minute) // so an overwrite would show in updated_at
	older := delivery.State{LastEventAt: t0.Add(-time.Nanosecond), LastEventID: "e1", Hash: "h1", Deleted: true}
	err := f.store.Put(ctxFor(t), "salesforce", "user-1", older)
	if !errors.Is(err, paws.ErrStaleState) {
		t.Fatalf("older Put error = %v, want ErrStaleState", err)
	}
	if !strings.Contains(err.Error(), "2025-05-31T07:08:07.123456789Z") {
		t.Fatalf("error %q does not name the stored event time", err)
	}
	sameState(t, f.get(t, "salesforce", "user-1"), current)
	after := f.raw(t, "salesforce", "user-1")
	for _, name := range []string{"last_event_at", "last_event_id", "hash", "updated_at"} {
		if sAttr(t, after, name) != sAttr(t, before, name) {
			t.Fatalf("%s changed by a stale Put: %q → %q", name, sAttr(t, before, name), sAttr(t, after, name))
		}
	}
	if _, ok := after["expires_at"]; ok {
		t.Fatal("stale tombstone Put left expires_at on the live item")
	}
}

func TestStateTableEqualTimeReplaySucceeds(t *testing.T) {
	f := newStateFixture(t)
	st := delivery.State{LastEventAt: t0, LastEventID: "e1", RecordID: "r1", Hash: "h1"}
	f.put(t, "salesforce", "user-1", st)
	// The same instant in another zone is the same event.
	replay := st
	replay.LastEventAt = t0.In(time.UTC)
	replay.RecordID = "r1-retry"
	f.put(t, "salesforce", "user-1", replay)
	sameState(t, f.get(t, "salesforce", "user-1"), replay)
}

func TestStateTableTombstoneExpires(t *testing.T) {
	f := newStateFixture(t)
	f.put(t, "salesforce", "live", delivery.State{LastEventAt: t0, LastEventID: "e1", RecordID: "r1", Hash: "h1"})
	if item := f.raw(t, "salesforce", "live"); item["expires_at"] != nil {
		t.Fatalf("live record has expires_at = %#v", item["expires_at"])
	}

	tomb := delivery.State{LastEventAt: t0, LastEventID: "e2", RecordID: "r1", Deleted: true}
	f.put(t, "salesforce", "gone", tomb)
	sameState(t, f.get(t, "salesforce", "gone"), tomb)
	item := f.raw(t, "salesforce", "gone")
	want := strconv.FormatInt(f.now.Add(30*24*time.Hour).Unix(), 10)
	if got := nAttr(t, item, "expires_at"); got != want {
		t.Fatalf("tombstone expires_at = %s, want %s (now + 30 days)", got, want)
	}
	if d, ok := item["deleted"].(*types.AttributeValueMemberBOOL); !ok || !d.Value {
		t.Fatalf("deleted = %#v, want BOOL true", item["deleted"])
	}

	// A later re-creation makes the item live again, without expiry.
	revived := delivery.State{LastEventAt: t0.Add(time.Second), LastEventID: "e3", RecordID: "r2", Hash: "h3"}
	f.put(t, "salesforce", "gone", revived)
	if item := f.raw(t, "salesforce", "gone"); item["expires_at"] != nil {
		t.Fatalf("revived record kept expires_at = %#v", item["expires_at"])
	}
}

// TestStateTableOrderIndependent applies events in random orders: whatever
// the order, the table ends with the latest, and exactly the events that
// arrive after a later one are refused as stale.
func TestStateTableOrderIndependent(t *testing.T) {
	f := newStateFixture(t)
	events := make([]delivery.State, 8)
	for i := range events {
		events[i] = delivery.State{LastEventAt: t0.Add(time.Duration(i) * time.Millisecond), LastEventID: "e" + strconv.Itoa(i), Hash: "h" + strconv.Itoa(i)}
	}
	for round := range 5 {
		subject := "user-" + strconv.Itoa(round)
		order := rand.Perm(len(events))
		latest := -1
		for _, i := range order {
			err := f.store.Put(ctxFor(t), "salesforce", subject, events[i])
			switch {
			case i > latest && err != nil:
				t.Fatalf("order %v: Put e%d after e%d: %v", order, i, latest, err)
			case i < latest && !errors.Is(err, paws.ErrStaleState):
				t.Fatalf("order %v: Put e%d after e%d = %v, want ErrStaleState", order, i, latest, err)
			}
			latest = max(latest, i)
		}
		sameState(t, f.get(t, "salesforce", subject), events[len(events)-1])
	}
}

// TestStateTableTimesOutsideUnixNanoRange checks the zero Time and instants
// past 2262, where time.Time.UnixNano overflows, still order correctly.
func TestStateTableTimesOutsideUnixNanoRange(t *testing.T) {
	f := newStateFixture(t)
	zero := delivery.State{LastEventID: "zero"}
	f.put(t, "salesforce", "u", zero)
	if got := f.get(t, "salesforce", "u"); !got.LastEventAt.IsZero() || got.LastEventID != "zero" {
		t.Fatalf("zero time round trip = %+v", got)
	}
	far := delivery.State{LastEventAt: time.Date(2300, 1, 1, 0, 0, 0, 1, time.UTC), LastEventID: "far"}
	f.put(t, "salesforce", "u", far)
	sameState(t, f.get(t, "salesforce", "u"), far)
	if err := f.store.Put(ctxFor(t), "salesforce", "u", delivery.State{LastEventAt: t0, LastEventID: "now"}); !errors.Is(err, paws.ErrStaleState) {
		t.Fatalf("Put 2025 over 2300 = %v, want ErrStaleState", err)
	}
	if err := f.store.Put(ctxFor(t), "salesforce", "u", zero); !errors.Is(err, paws.ErrStaleState) {
		t.Fatalf("Put zero time over 2300 = %v, want ErrStaleState", err)
	}
}

func TestStateTableRequiresTargetAndSubject(t *testing.T) {
	store := paws.NewStateTable(nil, "unused") // never reaches the client
	if err := store.Put(ctxFor(t), "", "s", delivery.State{}); err == nil {
		t.Fatal("Put with empty target succeeded")
	}
	if err := store.Put(ctxFor(t), "t", "", delivery.State{}); err == nil {
		t.Fatal("Put with empty subject succeeded")
	}
}

// TestCLIReadsWhatStateTableWrote checks our items with an independent
// client: Debian's AWS CLI v2.
func TestCLIReadsWhatStateTableWrote(t *testing.T) {
	cli := moto.AWSCLI(t)
	f := newStateFixture(t)
	f.put(t, "salesforce", "user-1", delivery.State{LastEventAt: t0, LastEventID: "evt-1", RecordID: "003XYZ", Hash: "abc"})
	f.put(t, "salesforce", "user-2", delivery.State{LastEventAt: t0, LastEventID: "evt-2", RecordID: "003ABC", Deleted: true})

	getItem := func(subject string) map[string]map[string]any {
		t.Helper()
		key := `{"pk":{"S":"target#salesforce"},"sk":{"S":"subject#` + subject + `"}}`
		cmd := exec.CommandContext(ctxFor(t), cli, "--endpoint-url", f.srv.Endpoint(), "--output", "json",
			"dynamodb", "get-item", "--table-name", f.table, "--key", key, "--consistent-read")
		cmd.Env = append(os.Environ(), f.srv.Env()...)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("aws dynamodb get-item: %v\n%s%s", err, out, stderr)
		}
		var resp struct{ Item map[string]map[string]any }
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("aws dynamodb get-item output %q: %v", out, err)
		}
		return resp.Item
	}

	live := getItem("user-1")
	checks := []struct {
		attr, typ string
		want      any
	}{
		{"last_event_at", "S", "2025-05-31T07:08:07.123456789Z"},
		{"last_event_nanos", "N", strconv.FormatInt(t0.UnixNano(), 10)},
		{"last_event_id", "S", "evt-1"},
		{"record_id", "S", "003XYZ"},
		{"hash", "S", "abc"},
		{"deleted", "BOOL", false},
		{"updated_at", "S", f.now.Format(time.RFC3339Nano)},
	}
	for _, c := range checks {
		if got := live[c.attr][c.typ]; got != c.want {
			t.Errorf("CLI sees %s = %v, want {%s: %v}", c.attr, live[c.attr], c.typ, c.want)
		}
	}
	if _, ok := live["expires_at"]; ok {
		t.Errorf("CLI sees expires_at on a live record: %v", live["expires_at"])
	}

	tomb := getItem("user-2")
	if got := tomb["deleted"]["BOOL"]; got != true {
		t.Errorf("CLI sees tombstone deleted = %v", tomb["deleted"])
	}
	if got, want := tomb["expires_at"]["N"], strconv.FormatInt(f.now.Add(30*24*time.Hour).Unix(), 10); got != want {
		t.Errorf("CLI sees tombstone expires_at = %v, want %s", tomb["expires_at"], want)
	}
}
