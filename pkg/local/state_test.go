package local

import (
	"github.com/profilesync/profilesync/pkg/delivery"

	"context"
	"reflect"
	"testing"
	"time"
)

func TestState(t *testing.T) {
	db := openDB(t, t.TempDir())
	s := NewState(db)
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CET", 3600))

	if _, found, err := s.Get(ctx, "hubspot", "u-1"); err != nil || found {
		t.Fatalf("Get on empty store = found %v, %v", found, err)
	}
	steps := []struct {
		target, subject string
		put             delivery.State
	}{
		{"hubspot", "u-1", delivery.State{LastEventAt: at, LastEventID: "e1", RecordID: "101", Hash: "h1",
			Fields: map[string]string{"Email": "3fa29c0e1b2dmj***@e***.com", "Tier": "91bc00aa11ff"}}},
		{"hubspot", "u-1", delivery.State{LastEventAt: at.Add(time.Second), LastEventID: "e2", RecordID: "101", Hash: "h2", Deleted: true}},
		{"brevo", "u-1", delivery.State{LastEventID: "e3"}}, // zero time stays zero
	}
	for _, st := range steps {
		if err := s.Put(ctx, st.target, st.subject, st.put); err != nil {
			t.Fatalf("Put: %v", err)
		}
		got, found, err := s.Get(ctx, st.target, st.subject)
		if err != nil || !found {
			t.Fatalf("Get = found %v, %v", found, err)
		}
		if !got.LastEventAt.Equal(st.put.LastEventAt) || got.LastEventAt.IsZero() != st.put.LastEventAt.IsZero() {
			t.Errorf("LastEventAt %v, want %v", got.LastEventAt, st.put.LastEventAt)
		}
		got.LastEventAt, st.put.LastEventAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, st.put) {
			t.Errorf("Get = %+v, want %+v", got, st.put)
		}
	}
	if got, _, _ := s.Get(ctx, "hubspot", "u-1"); got.LastEventID != "e2" {
		t.Errorf("targets share state: %+v", got)
	}
	if err := s.Put(ctx, "", "u", delivery.State{}); err == nil {
		t.Error("Put without target accepted")
	}
}
