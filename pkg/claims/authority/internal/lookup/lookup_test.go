package lookup

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/fault"
)

func TestExpand(t *testing.T) {
	q := func(s string) string { return "<" + s + ">" }
	got, missing, ok := Expand("a = {x} AND b = {y_1} AND c = {x}", map[string]string{"x": "1", "y_1": "{x}"}, q)
	if !ok || missing != "" || got != "a = <1> AND b = <{x}> AND c = <1>" {
		t.Errorf("Expand = %q %q %v", got, missing, ok)
	}
	if _, missing, ok := Expand("{x} {gone}", map[string]string{"x": "1", "gone": " "}, q); ok || missing != "gone" {
		t.Errorf("missing = %q, ok %v", missing, ok)
	}
	if n := Names("{b} {a} {b} {not-a-name} {}"); fmt.Sprint(n) != "[a b]" {
		t.Errorf("Names = %v", n)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want error
	}{
		{fault.New(fault.Throttled, 429, "", ""), claims.ErrUnavailable},
		{fault.New(fault.Transient, 503, "", ""), claims.ErrUnavailable},
		{errors.New("connection reset"), claims.ErrUnavailable},
		{context.DeadlineExceeded, claims.ErrUnavailable},
		{fault.New(fault.Auth, 401, "", ""), claims.ErrMisconfigured},
		{fault.New(fault.Permanent, 400, "MALFORMED_QUERY", ""), claims.ErrMisconfigured},
	}
	for _, tt := range tests {
		if got := Classify("x", tt.err); !errors.Is(got, tt.want) || !errors.Is(got, tt.err) {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestField(t *testing.T) {
	rec := map[string]any{"Id": "001", "Owner": map[string]any{"Name": "Sales"}, "n": nil}
	if v, ok := Field(rec, "owner.name"); !ok || v != "Sales" {
		t.Errorf("owner.name = %v %v", v, ok)
	}
	if _, ok := Field(rec, "Owner.Missing"); ok {
		t.Error("found a missing field")
	}
	if v, ok := Field(rec, "n"); !ok || v != nil || String(v) != "" {
		t.Errorf("null field = %v %v", v, ok)
	}
}
