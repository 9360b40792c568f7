package awsadapter_test

import (
	"testing"
	"time"

	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/delivery"
)

func TestAbandonedTableOnMoto(t *testing.T) {
	f := newStateFixture(t)
	log := paws.NewAbandonedTable(paws.DynamoDBOf(f.client), f.table) // as the sync function hands it over
	ctx := ctxFor(t)
	// State beside the abandoned records must not show up in the listing.
	if err := f.store.Put(ctx, "crm", "u-1", delivery.State{LastEventAt: f.now, LastEventID: "e0"}); err != nil {
		t.Fatal(err)
	}
	a := delivery.Abandoned{Target: "crm", Subject: "u-1", EventID: "e1", EventType: "updated", Source: "cidaas", MessageID: "m1",
		Reason: delivery.Reason{Class: "transient", Status: 503, Code: "SERVER_UNAVAILABLE", Attempts: 8,
			FirstFailure: f.now, LastFailure: f.now.Add(2 * time.Hour)}}
	for range 2 { // abandoned again after a redrive: still one record
		if err := log.RecordAbandoned(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := log.RecordAbandoned(ctx, delivery.Abandoned{Target: "crm", MessageID: "m2", Reason: delivery.Reason{Class: "permanent"}}); err != nil {
		t.Fatal(err)
	}
	if err := log.RecordAbandoned(ctx, delivery.Abandoned{Target: "other", Subject: "u-1", EventID: "e9", Reason: delivery.Reason{Class: "permanent"}}); err != nil {
		t.Fatal(err)
	}
	got, err := log.List(ctx, "crm")
	if err != nil || len(got) != 2 {
		t.Fatalf("list: %v %v", err, got)
	}
	byEvent := map[string]map[string]string{}
	for _, r := range got {
		byEvent[r["event_id"]+r["message_id"]] = r
	}
	r := byEvent["e1m1"]
	if r["subject"] != "u-1" || r["failure_status"] != "503" || r["failure_code"] != "SERVER_UNAVAILABLE" ||
		r["attempts"] != "8" || r["reason"] != a.Reason.String() || r["last_failure_at"] != "2025-06-01T14:00:00Z" {
		t.Errorf("record %v", r)
	}
	if byEvent["m2"]["failure_class"] != "permanent" {
		t.Errorf("undecodable message's record %v", byEvent["m2"])
	}
	if st, found, err := f.store.Get(ctx, "crm", "u-1"); err != nil || !found || st.LastEventID != "e0" {
		t.Errorf("state beside the records: %+v %v %v", st, found, err)
	}
}
