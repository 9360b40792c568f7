package scim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func do(t *testing.T, srv *httptest.Server, method, path, body string, h map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp, m
}

const janeBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Jane","externalId":"u-1","name":{"givenName":"Jane"}}`

func TestProtocol(t *testing.T) {
	s, err := New(Auth{Token: "tok"}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	resp, created := do(t, srv, "POST", "/Users", janeBody, nil)
	id, _ := created["id"].(string)
	if resp.StatusCode != 201 || id == "" || resp.Header.Get("Etag") != `W/"1"` || created["externalId"] != "u-1" {
		t.Fatalf("create = %d %v %v", resp.StatusCode, resp.Header, created)
	}
	// userName is unique case-insensitively, externalId case-exactly.
	for _, body := range []string{strings.Replace(janeBody, `"u-1"`, `"u-2"`, 1), strings.Replace(janeBody, `"Jane"`, `"other"`, 1)} {
		if resp, m := do(t, srv, "POST", "/Users", body, nil); resp.StatusCode != 409 || m["scimType"] != "uniqueness" {
			t.Fatalf("duplicate = %d %v", resp.StatusCode, m)
		}
	}
	if resp, _ := do(t, srv, "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","externalId":"U-1"}`, nil); resp.StatusCode != 201 {
		t.Fatalf("externalId differing in case = %d", resp.StatusCode)
	}

	q := "/Users?filter=" + url.QueryEscape(`externalId eq "u-1"`)
	if resp, m := do(t, srv, "GET", q, "", nil); resp.StatusCode != 200 || m["totalResults"] != float64(1) {
		t.Fatalf("filter = %d %v", resp.StatusCode, m)
	}

	patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.familyName","value":"Doe"},{"op":"replace","path":"active","value":false}]}`
	if resp, _ := do(t, srv, "PATCH", "/Users/"+id, patch, map[string]string{"If-Match": `W/"7"`}); resp.StatusCode != 412 {
		t.Fatalf("stale If-Match = %d", resp.StatusCode)
	}
	resp, m := do(t, srv, "PATCH", "/Users/"+id, patch, map[string]string{"If-Match": `W/"1"`})
	name, _ := m["name"].(map[string]any)
	if resp.StatusCode != 200 || name["givenName"] != "Jane" || name["familyName"] != "Doe" || m["active"] != false {
		t.Fatalf("patch = %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(t, srv, "DELETE", "/Users/"+id, "", map[string]string{"If-Match": `W/"2"`}); resp.StatusCode != 204 {
		t.Fatalf("delete = %d", resp.StatusCode)
	}
	if resp, _ := do(t, srv, "GET", "/Users/"+id, "", nil); resp.StatusCode != 404 {
		t.Fatalf("get after delete = %d", resp.StatusCode)
	}
	if resp, _ := do(t, srv, "GET", "/_sandbox/records", "", nil); resp.StatusCode != 200 || len(s.Records()) != 1 {
		t.Fatalf("records = %d %v", resp.StatusCode, s.Records())
	}
	req, _ := http.NewRequest("GET", srv.URL+"/Users", nil)
	resp, err = srv.Client().Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("no token = %v %v", resp, err)
	}
	resp.Body.Close()
}
