package hubspot

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestListPagesAndBoundsLimit(t *testing.T) {
	f := NewFake("tok")
	for _, s := range []string{"a", "b", "c"} {
		f.PutObject("contacts", map[string]string{"profilesync_id": s})
	}
	f.PutObject("companies", map[string]string{"name": "not a contact"})
	get := func(q string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/crm/v3/objects/contacts?"+q, nil)
		req.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		f.ServeHTTP(w, req)
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		return w.Code, body
	}
	code, body := get("limit=2&properties=profilesync_id,firstname")
	res, _ := body["results"].([]any)
	if code != 200 || len(res) != 2 {
		t.Fatalf("first page: %d %v", code, body)
	}
	props := res[0].(map[string]any)["properties"].(map[string]any)
	if v, ok := props["firstname"]; !ok || v != nil || props["profilesync_id"] != "a" {
		t.Errorf("properties = %v", props)
	}
	after := body["paging"].(map[string]any)["next"].(map[string]any)["after"].(string)
	code, body = get("limit=2&properties=profilesync_id&after=" + after)
	res, _ = body["results"].([]any)
	if code != 200 || len(res) != 1 || body["paging"] != nil {
		t.Fatalf("last page: %d %v", code, body)
	}
	if code, _ = get("limit=101"); code != http.StatusBadRequest {
		t.Errorf("limit 101 answered %d", code)
	}
}
