package zitadel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	fake "github.com/profilesync/profilesync/pkg/sandbox/zitadel"
	"github.com/profilesync/profilesync/pkg/source"
)

func newFetcher(t *testing.T, token string) (*Fetcher, *fake.Fake) {
	t.Helper()
	fk := fake.NewFake("pat-good")
	mux := http.NewServeMux()
	mux.Handle("/zitadel/", http.StripPrefix("/zitadel", fk)) // mounted under a prefix, as the local stack does
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f, err := NewFetcher(Config{SigningKey: "k", APIURL: srv.URL + "/zitadel", Token: token}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return f, fk
}

func TestFetchMapsUser(t *testing.T) {
	f, fk := newFetcher(t, "pat-good")
	fk.PutUser("42", map[string]any{"state": "USER_STATE_LOCKED", "username": "jane",
		"human": map[string]any{"profile": map[string]any{"givenName": "Jane", "familyName": "Doe", "nickName": "JD",
			"preferredLanguage": "de", "gender": "GENDER_FEMALE"},
			"email": map[string]any{"email": "jane@example.com", "isVerified": true},
			"phone": map[string]any{"phone": "+4915100000000"}}})
	got, err := f.Fetch(context.Background(), "42")
	if err != nil {
		t.Fatal(err)
	}
	upd := time.Date(2025, 1, 1, 10, 0, 0, 123456000, time.UTC)
	want := &profile.Profile{Sub: "42", PreferredUsername: "jane", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe", Nickname: "JD",
		Locale: "de", Gender: "female", Email: "jane@example.com", EmailVerified: true, PhoneNumber: "+4915100000000",
		UpdatedAt: &upd, Custom: map[string]any{"state": "USER_STATE_LOCKED"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	jane := &profile.Profile{Sub: "43", PreferredUsername: "j@example.com", Name: "Jane Doe", GivenName: "Jane", FamilyName: "Doe",
		Email: "j@example.com", EmailVerified: true, Locale: "de-DE", PhoneNumber: "+4915112345678", UpdatedAt: &upd}
	fk.Put(jane)
	if got, err := f.Fetch(context.Background(), "43"); err != nil || !reflect.DeepEqual(got, jane) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		setup  func(*fake.Fake)
		class  fault.Class
		notFnd bool
	}{
		{name: "unknown user", token: "pat-good", notFnd: true},
		{name: "wrong token", token: "pat-bad", class: fault.Auth},
		{name: "throttled", token: "pat-good", setup: func(f *fake.Fake) { f.FailNext(1, 429, time.Second) }, class: fault.Throttled},
		{name: "down", token: "pat-good", setup: func(f *fake.Fake) { f.FailNext(1, 503, 0) }, class: fault.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, fk := newFetcher(t, tt.token)
			if tt.setup != nil {
				tt.setup(fk)
			}
			_, err := f.Fetch(context.Background(), "nobody")
			if tt.notFnd {
				if !errors.Is(err, source.ErrNotFound) {
					t.Fatalf("want ErrNotFound, got %v", err)
				}
				return
			}
			if err == nil || errors.Is(err, source.ErrNotFound) || fault.ClassOf(err) != tt.class {
				t.Fatalf("want class %v, got %v (%v)", tt.class, fault.ClassOf(err), err)
			}
		})
	}
}
