package cognito

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/profilesync/profilesync/internal/moto"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcetest"
)

func TestMain(m *testing.M) { moto.Main(m) }

var poolSeq atomic.Int32

// pool is a fresh user pool on moto with the custom attributes the tests
// write, and a Fetcher built as the registry builds it (credentials from
// the environment).
type pool struct {
	id string
	f  *Fetcher
}

func newPool(t *testing.T) *pool {
	t.Helper()
	srv := moto.Start(t)
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	hc := egress.Client(egress.Local, 10*time.Second)
	// Create the pool with a Fetcher of a placeholder pool: the API
	// client is the one under test.
	boot, err := NewFetcher(Config{UserPoolID: moto.Region + "_boot"}, hc)
	if err != nil {
		t.Fatal(err)
	}
	custom := func(name, typ string) map[string]any {
		return map[string]any{"Name": name, "AttributeDataType": typ, "Mutable": true}
	}
	var out struct {
		UserPool struct {
			ID string `json:"Id"`
		} `json:"UserPool"`
	}
	in := map[string]any{"PoolName": fmt.Sprintf("profilesync-%d", poolSeq.Add(1)), "Schema": []any{
		custom("tier", "String"), custom("marketing_opt_in", "String"), custom("score", "Number"), custom("verdict", "String"),
	}}
	if err := boot.api.call(t.Context(), "CreateUserPool", in, &out); err != nil {
		t.Fatal(err)
	}
	f, err := NewFetcher(Config{UserPoolID: out.UserPool.ID}, hc)
	if err != nil {
		t.Fatal(err)
	}
	return &pool{id: out.UserPool.ID, f: f}
}

// addUser creates a user and returns its sub.
func (p *pool) addUser(t *testing.T, username string, attrs map[string]string) string {
	t.Helper()
	var list []attribute
	for k, v := range attrs {
		list = append(list, attribute{Name: k, Value: v})
	}
	var out struct {
		User user `json:"User"`
	}
	in := map[string]any{"UserPoolId": p.id, "Username": username, "UserAttributes": list, "MessageAction": "SUPPRESS"}
	if err := p.f.api.call(t.Context(), "AdminCreateUser", in, &out); err != nil {
		t.Fatal(err)
	}
	for _, a := range out.User.Attributes {
		if a.Name == "sub" {
			return a.Value
		}
	}
	t.Fatal("AdminCreateUser answered no sub")
	return ""
}

func TestFetchFromMoto(t *testing.T) {
	p := newPool(t)
	sub := p.addUser(t, "jane", map[string]string{
		"email": "jane.doe@example.com", "email_verified": "true", "given_name": "Jane", "family_name": "Doe",
		"custom:tier": "gold", "custom:score": "42",
	})
	p.addUser(t, "john", map[string]string{"email": "john@example.com"})
	got, err := p.f.Fetch(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sub != sub || got.Email != "jane.doe@example.com" || !got.EmailVerified || got.GivenName != "Jane" ||
		got.FamilyName != "Doe" || got.PreferredUsername != "jane" {
		t.Errorf("profile = %+v", got)
	}
	if got.Custom["tier"] != "gold" || got.Custom["score"] != float64(42) {
		t.Errorf("custom = %v, want tier gold and score 42", got.Custom)
	}
	if got.UpdatedAt == nil {
		t.Error("no updated_at from UserLastModifiedDate")
	}
	for _, subject := range []string{"00000000-0000-0000-0000-000000000000", `x" or sub = "y`} {
		if _, err := p.f.Fetch(t.Context(), subject); !errors.Is(err, source.ErrNotFound) {
			t.Errorf("Fetch(%q) = %v, want ErrNotFound", subject, err)
		}
	}
}

func TestUnknownPoolIsPermanent(t *testing.T) {
	p := newPool(t)
	f, err := NewFetcher(Config{UserPoolID: moto.Region + "_NoSuchPool"}, p.f.api.hc)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.List(t.Context(), "", 10)
	if fe := fault.As(err); fe == nil || fe.Class != fault.Permanent || fe.Code != "ResourceNotFoundException" {
		t.Errorf("List of an unknown pool = %v, want a permanent ResourceNotFoundException", err)
	}
}

func TestListFromMoto(t *testing.T) {
	p := newPool(t)
	want := map[string]bool{}
	for i := range 7 {
		want[p.addUser(t, fmt.Sprintf("user%d", i), map[string]string{"email": fmt.Sprintf("u%d@example.com", i)})] = true
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		ps, next, err := p.f.List(t.Context(), cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(ps) > 3 {
			t.Fatalf("page of %d, asked for 3", len(ps))
		}
		for _, pr := range ps {
			if seen[pr.Sub] {
				t.Errorf("sub %s listed twice", pr.Sub)
			}
			seen[pr.Sub] = true
		}
		if next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("no end of pages")
		}
		cursor = next
	}
	if len(seen) != len(want) || pages < 3 {
		t.Errorf("listed %d users in %d pages, want %d in at least 3", len(seen), pages, len(want))
	}
	for sub := range want {
		if !seen[sub] {
			t.Errorf("sub %s not listed", sub)
		}
	}
}

func TestUpdateOnMoto(t *testing.T) {
	p := newPool(t)
	sub := p.addUser(t, "jane", map[string]string{"email": "jane@example.com", "custom:tier": "gold", "custom:marketing_opt_in": "true"})
	sourcetest.CheckUpdate(t, p.f, sub,
		map[string]any{"verdict": map[string]any{"status": "verified", "n": 2}, "score": 7, "tier": nil},
		map[string]any{"verdict": map[string]any{"status": "verified", "n": 2}, "score": 7, "marketing_opt_in": true})
	if err := p.f.Update(t.Context(), "00000000-0000-0000-0000-000000000000", map[string]any{"tier": "x"}); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("update of an unknown sub = %v, want ErrNotFound", err)
	}
	if err := p.f.Update(t.Context(), sub, map[string]any{"custom:tier": "x"}); fault.ClassOf(err) != fault.Permanent {
		t.Errorf("update with a prefixed name = %v, want permanent", err)
	}
}
