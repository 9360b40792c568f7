package auth0

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/source"
)

// A record whose event would not validate (an id or subject that is no
// key, a time that is the zero time) fails the delivery as ErrMalformed
// in Parse, named by its index and not by its data, rather than reaching
// the ingress as an event it refuses. Found by FuzzParse; the corpus in
// testdata/fuzz/FuzzParse keeps the first finds.
func TestParseRefusesEventsThatDoNotValidate(t *testing.T) {
	p := mustParser(t, validConfig)
	auth := headers(loadVector(t).Headers)
	ok := logRec("l0", "ss", "")
	tests := []struct{ name, bad, secret string }{
		{"sapi path %80 unescapes to a byte that is not UTF-8",
			logRec("l1", "sapi", sapiDetails("PATCH", "/api/v2/users/auth0%7Csecret%80", 200, "{}")), "secret"},
		{"user_id not UTF-8", strings.Replace(logRec("l1", "sdu", ""), jane, "auth0|secret\xff", 1), "secret"},
		{"log_id holding U+FFFD", logRec(`secret\ufffd`, "ss", ""), "secret"},
		{"event stream user_id not UTF-8", `{"specversion":"1.0","id":"evt_1","type":"user.deleted","time":"2025-01-01T10:00:00Z",` +
			"\"data\":{\"object\":{\"user_id\":\"auth0|secret\xc3\"}}}", "secret"},
		{"zero date", strings.Replace(logRec("l1", "ss", ""), "2025-01-01T10:00:00.000Z", "0001-01-01T00:00:00Z", 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ok + "\n" + tt.bad
			if strings.HasPrefix(tt.bad, `{"specversion"`) {
				body = tt.bad // an Event Streams delivery is one event
			}
			evs, err := p.Parse(context.Background(), source.Request{Header: auth, Body: []byte(body), Now: now})
			if !errors.Is(err, source.ErrMalformed) || evs != nil {
				t.Fatalf("want ErrMalformed and no events, got %d events, %v", len(evs), err)
			}
			want := "record 1:"
			if body == tt.bad {
				want = "record 0:"
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not name the record (%q): %v", want, err)
			}
			if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error quotes the record's data: %v", err)
			}
		})
	}
}
