package vies

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, f *Fake, body string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/rest-api/check-vat-number", strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("not JSON: %s", rec.Body)
	}
	return rec.Code, out
}

func errorOf(out map[string]any) string {
	ws, _ := out["errorWrappers"].([]any)
	if len(ws) == 0 {
		return ""
	}
	return ws[0].(map[string]any)["error"].(string)
}

func TestAnswers(t *testing.T) {
	f := NewFake()
	code, out := post(t, f, `{"countryCode":"EL","vatNumber":"`+DemoNumberEL+`"}`)
	if code != 200 || out["valid"] != true || out["name"] != DemoNameEL || out["requestIdentifier"] != "" {
		t.Fatalf("%d %v", code, out)
	}
	if _, out := post(t, f, `{"countryCode":"DE","vatNumber":"`+DemoNumberDE+`","requesterMemberStateCode":"NL","requesterNumber":"`+DemoNumberNL+`"}`); out["name"] != "---" || !strings.HasPrefix(out["requestIdentifier"].(string), "WAPI") {
		t.Fatalf("DE with requester: %v", out)
	}
	if _, out := post(t, f, `{"countryCode":"FR","vatNumber":"00999999999"}`); out["valid"] != false {
		t.Fatalf("unregistered: %v", out)
	}
	for _, body := range []string{`{"countryCode":"GR","vatNumber":"` + DemoNumberEL + `"}`, `{"countryCode":"DE","vatNumber":"1"}`, `nope`} {
		if code, out := post(t, f, body); code != 400 || errorOf(out) != "INVALID_INPUT" {
			t.Errorf("%s: %d %v", body, code, out)
		}
	}
	if code, out := post(t, f, `{"countryCode":"DE","vatNumber":"`+DemoNumberDE+`","requesterMemberStateCode":"DE"}`); code != 400 || errorOf(out) != "INVALID_REQUESTER_INFO" {
		t.Errorf("requester: %d %v", code, out)
	}
	f.SetUnavailable("EL", true)
	if _, out := post(t, f, `{"countryCode":"EL","vatNumber":"`+DemoNumberEL+`"}`); errorOf(out) != "MS_UNAVAILABLE" || out["actionSucceed"] != false {
		t.Errorf("outage: %v", out)
	}
	if f.Calls() != 8 {
		t.Fatalf("calls %d, want 8", f.Calls())
	}
}
