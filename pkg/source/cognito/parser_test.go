package cognito

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

const samplePool = "eu-central-1_AbCdEfGhI"

func mustParser(t testing.TB) *Parser {
	t.Helper()
	p, err := NewParser("cognito", Config{UserPoolID: samplePool, Environment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func loadSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/cognito-PostConfirmation_ConfirmSignUp.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withSample returns the sample with the fields of set replaced (a top
// level key, or "attr:<name>" for a user attribute; nil removes).
func withSample(t testing.TB, set map[string]any) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(loadSample(t), &ev); err != nil {
		t.Fatal(err)
	}
	attrs := ev["request"].(map[string]any)["userAttributes"].(map[string]any)
	for k, v := range set {
		m, key := ev, k
		if name, ok := strings.CutPrefix(k, "attr:"); ok {
			m, key = attrs, name
		}
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeSample(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	evs, err := mustParser(t).Decode(loadSample(t), now)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Decode = %v, %v", evs, err)
	}
	e := evs[0]
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	const sub = "8d3f2a1b-6c5e-4d7f-9a0b-1c2d3e4f5a6b"
	if e.Type != profile.Created || e.Subject != sub || e.Source != "cognito" || e.Environment != "prod" ||
		e.ClientID != "4abc5def6ghi7jkl8mno9pqr0s" || e.SourceType != ConfirmSignUp || !e.OccurredAt.Equal(now) {
		t.Errorf("event = %+v", e)
	}
	want := &profile.Profile{Sub: sub, Email: "jane.doe@example.com", EmailVerified: true, GivenName: "Jane", FamilyName: "Doe",
		Custom: map[string]any{"marketing_opt_in": true}}
	got, _ := json.Marshal(e.Profile)
	w, _ := json.Marshal(want)
	if string(got) != string(w) {
		t.Errorf("profile\n got %s\nwant %s", got, w)
	}
}

func TestDecodeTriggers(t *testing.T) {
	p := mustParser(t)
	now := time.Unix(1767225600, 0)
	base, _ := p.Decode(loadSample(t), now)
	for name, tt := range map[string]struct {
		set  map[string]any
		want profile.EventType // "" = no events
		err  error
	}{
		"sign-up":           {set: nil, want: profile.Created},
		"forgot password":   {set: map[string]any{"triggerSource": ConfirmForgotPassword}, want: profile.Updated},
		"login":             {set: map[string]any{"triggerSource": "PostAuthentication_Authentication"}},
		"attribute message": {set: map[string]any{"triggerSource": "CustomMessage_UpdateUserAttribute"}},
		"pre sign-up":       {set: map[string]any{"triggerSource": "PreSignUp_SignUp"}},
		"other pool":        {set: map[string]any{"userPoolId": "eu-central-1_Other"}, err: source.ErrUnauthenticated},
		"no sub":            {set: map[string]any{"attr:sub": nil}, err: source.ErrMalformed},
		"no trigger":        {set: map[string]any{"triggerSource": nil}, err: source.ErrMalformed},
		"no pool":           {set: map[string]any{"userPoolId": nil}, err: source.ErrMalformed},
		"attrs not strings": {set: map[string]any{"attr:email_verified": true}, err: source.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			evs, err := p.Decode(withSample(t, tt.set), now)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || evs != nil {
					t.Fatalf("Decode = %v, %v; want %v", evs, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(evs) != 0 {
					t.Fatalf("events %v, want none", evs)
				}
				return
			}
			if len(evs) != 1 || evs[0].Type != tt.want {
				t.Fatalf("events %+v, want one %s", evs, tt.want)
			}
			if tt.want != profile.Created && evs[0].ID == base[0].ID {
				t.Error("a different trigger of the same user has the same dedupe key")
			}
		})
	}
}

func TestDedupeKey(t *testing.T) {
	p := mustParser(t)
	a, _ := p.Decode(loadSample(t), time.Unix(1, 0))
	b, _ := p.Decode(loadSample(t), time.Unix(99, 0))
	if a[0].ID != b[0].ID {
		t.Error("the same trigger, invoked again, has a new dedupe key")
	}
	c, _ := p.Decode(withSample(t, map[string]any{"userName": "someone-else"}), time.Unix(1, 0))
	if c[0].ID == a[0].ID {
		t.Error("another user name has the same dedupe key")
	}
	d, _ := p.Decode(withSample(t, map[string]any{"attr:given_name": "Janet"}), time.Unix(1, 0))
	if d[0].ID == a[0].ID {
		t.Error("the same trigger of a changed profile has the same dedupe key")
	}
	if dedupeKey("ab", "c", "t", nil) == dedupeKey("a", "bc", "t", nil) {
		t.Error("dedupe key parts run into each other")
	}
}

func TestAttributes(t *testing.T) {
	p := profileOf(map[string]string{
		"sub": "s", "phone_number": "+4915112345678", "phone_number_verified": "true", "updated_at": "1767225600",
		"address": `{"locality":"Berlin","country":"DE"}`, "cognito:user_status": "CONFIRMED",
		"custom:n": "3.5", "custom:zip": "01067", "custom:obj": `{"a":[1]}`, "custom:no": "false", "custom:": "x",
	})
	if p.PhoneNumber != "+4915112345678" || !p.PhoneNumberVerified || p.UpdatedAt == nil || p.UpdatedAt.Unix() != 1767225600 ||
		p.Address == nil || p.Address.Locality != "Berlin" {
		t.Errorf("profile = %+v", p)
	}
	got, _ := json.Marshal(p.Custom)
	if want := `{"n":3.5,"no":false,"obj":{"a":[1]},"zip":"01067"}`; string(got) != want {
		t.Errorf("custom = %s, want %s", got, want)
	}
	if a := profileOf(map[string]string{"sub": "s", "address": "Hauptstr. 1, Berlin"}).Address; a == nil || a.Formatted != "Hauptstr. 1, Berlin" {
		t.Errorf("plain address = %+v", a)
	}
}

func TestHTTPIsRefused(t *testing.T) {
	_, err := mustParser(t).Parse(context.Background(), source.Request{Body: loadSample(t)})
	if !errors.Is(err, source.ErrUnauthenticated) {
		t.Fatalf("Parse = %v, want ErrUnauthenticated", err)
	}
}
