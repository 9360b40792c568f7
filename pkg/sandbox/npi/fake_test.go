package npi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// luhn80840 is the NPI check (kept here so the fake imports no authority).
func luhn80840(npi string) bool {
	d := "80840" + npi
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum, double = sum+n, !double
	}
	return sum%10 == 0
}

func TestDemoNumbersPassTheCheckDigit(t *testing.T) {
	for _, n := range []string{DemoActiveNPI, DemoInactiveNPI, DemoNurseNPI, DemoOrganizationNPI, DemoUnknownNPI} {
		if len(n) != 10 || !luhn80840(n) {
			t.Errorf("%s is not a valid NPI", n)
		}
	}
	if luhn80840("1234567890") || !luhn80840("1234567893") {
		t.Fatal("the test's own check is wrong")
	}
}

func get(t *testing.T, f *Fake, query string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/?"+query, nil))
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestAnswersLikeTheRegistry(t *testing.T) {
	f := NewFake()
	code, out := get(t, f, "version=2.1&number="+DemoActiveNPI)
	if code != 200 || out["result_count"] != 1.0 {
		t.Fatalf("%d %v", code, out)
	}
	r := out["results"].([]any)[0].(map[string]any)
	if r["number"] != DemoActiveNPI || r["enumeration_type"] != "NPI-1" || r["basic"].(map[string]any)["status"] != "A" {
		t.Fatalf("record %v", r)
	}
	if _, out := get(t, f, "version=2.1&number="+DemoUnknownNPI); out["result_count"] != 0.0 {
		t.Fatalf("unknown: %v", out)
	}
	for _, q := range []string{"number=" + DemoActiveNPI, "version=1.0&number=" + DemoActiveNPI, "version=2.1&number=12", "version=2.1"} {
		if code, out := get(t, f, q); code != 200 || out["Errors"] == nil {
			t.Errorf("%s: %d %v, want an Errors answer", q, code, out)
		}
	}
	if f.Calls() != 6 {
		t.Fatalf("calls = %d, want 6", f.Calls())
	}
}

func TestInjectedFailuresComeOnce(t *testing.T) {
	f := NewFake()
	f.ThrottleNext(1, 0)
	f.FailNext(1, http.StatusServiceUnavailable)
	for _, want := range []int{429, 503, 200} {
		if code, _ := get(t, f, "version=2.1&number="+DemoActiveNPI); code != want {
			t.Fatalf("status %d, want %d", code, want)
		}
	}
}
