package salesforce

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// org is a fake behind a test server, with helpers that speak raw HTTP so
// these tests check the wire, not the connector.
type org struct {
	t    *testing.T
	fake *Fake
	srv  *httptest.Server
	base string // where the data API is reached
}

func newOrg(t *testing.T) *org {
	fake := NewFake("cid", "csecret")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &org{t: t, fake: fake, srv: srv, base: srv.URL}
}

func (o *org) token(form url.Values) (int, map[string]string) {
	o.t.Helper()
	resp, err := http.PostForm(o.base+"/services/oauth2/token", form)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (o *org) login() string {
	o.t.Helper()
	status, m := o.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"csecret"}})
	if status != 200 || m["access_token"] == "" {
		o.t.Fatalf("token = %d %v", status, m)
	}
	return m["access_token"]
}

func (o *org) do(method, path, token, body string) (int, string) {
	o.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, o.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const contactPath = "/services/data/v62.0/sobjects/Contact/Ext__c/"

func TestTokenEndpoint(t *testing.T) {
	o := newOrg(t)
	tests := []struct {
		name   string
		form   url.Values
		status int
		error  string
	}{
		{"wrong grant", url.Values{"grant_type": {"password"}, "client_id": {"cid"}, "client_secret": {"csecret"}}, 400, "unsupported_grant_type"},
		{"wrong client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"csecret"}}, 400, "invalid_client_id"},
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"x"}}, 400, "invalid_client"},
		{"ok", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"csecret"}}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := o.token(tt.form)
			if status != tt.status || m["error"] != tt.error {
				t.Fatalf("token = %d %v", status, m)
			}
			if status == 200 && (m["instance_url"] != o.srv.URL || m["token_type"] != "Bearer" || m["error_description"] != "") {
				t.Fatalf("token response = %v", m)
			}
		})
	}
	if got := o.fake.Calls().Token; got != len(tests) {
		t.Fatalf("token calls = %d", got)
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	fake := NewFake("cid", "csecret")
	fake.SetPathPrefix("/sandbox/salesforce/")
	mux := http.NewServeMux()
	mux.Handle("/sandbox/salesforce/", http.StripPrefix("/sandbox/salesforce", fake))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	o := &org{t: t, fake: fake, srv: srv, base: srv.URL + "/sandbox/salesforce"}
	_, m := o.token(url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"csecret"}})
	if m["instance_url"] != o.base {
		t.Fatalf("instance_url = %q, want %q", m["instance_url"], o.base)
	}
	o.base = m["instance_url"]
	if status, body := o.do("PATCH", contactPath+"a%2Fb", m["access_token"], `{"LastName":"X"}`); status != 201 {
		t.Fatalf("upsert through the prefix = %d %s", status, body)
	}
	if r := fake.Records("Contact"); len(r) != 1 || r[0]["Ext__c"] != "a/b" {
		t.Fatalf("records = %v", r)
	}
}

func TestUpsertLifecycle(t *testing.T) {
	o := newOrg(t)
	tok := o.login()
	status, body := o.do("PATCH", contactPath+"u%201", tok, `{"LastName":"Doe","Email":"j@example.com"}`)
	var created struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
		Created bool   `json:"created"`
	}
	_ = json.Unmarshal([]byte(body), &created)
	if status != 201 || !created.Success || !created.Created || !validID(created.ID, "003") {
		t.Fatalf("create = %d %s", status, body)
	}
	if status, body := o.do("PATCH", contactPath+"u%201", tok, `{"email":null,"FirstName":"Jane"}`); status != 200 || !strings.Contains(body, `"created":false`) {
		t.Fatalf("update = %d %s", status, body)
	}
	if status, _ := o.do("PATCH", "/services/data/v45.0/sobjects/Contact/Ext__c/u%201", tok, `{"FirstName":"J"}`); status != 204 {
		t.Fatalf("update on v45.0 = %d, want 204", status)
	}
	status, body = o.do("GET", "/services/data/v62.0/sobjects/Contact/"+created.ID, tok, "")
	if status != 200 || !strings.Contains(body, `"FirstName":"J"`) || strings.Contains(body, "Email") || !strings.Contains(body, `"attributes"`) {
		t.Fatalf("get by id = %d %s", status, body)
	}
	if status, _ := o.do("GET", contactPath+"u%201", tok, ""); status != 200 {
		t.Fatalf("get by external id = %d", status)
	}
	if status, _ := o.do("DELETE", contactPath+"u%201", tok, ""); status != 204 {
		t.Fatalf("delete = %d", status)
	}
	if status, body := o.do("DELETE", contactPath+"u%201", tok, ""); status != 404 || !strings.Contains(body, `"NOT_FOUND"`) {
		t.Fatalf("second delete = %d %s", status, body)
	}
	if status, body := o.do("GET", "/services/data/v62.0/sobjects/Contact/"+created.ID, tok, ""); status != 404 || !strings.Contains(body, "ENTITY_IS_DELETED") {
		t.Fatalf("get deleted = %d %s", status, body)
	}
	if c := o.fake.Calls(); c.Upsert != 3 || c.Delete != 2 || c.Get != 3 {
		t.Fatalf("calls = %+v", c)
	}
}

func TestErrorsFollowTheAPI(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(*Fake)
		method string
		path   string
		body   string
		token  string // "" = a valid one
		status int
		code   string
	}{
		{"no token", nil, "PATCH", contactPath + "u1", `{"LastName":"X"}`, "-", 401, "INVALID_SESSION_ID"},
		{"expired", func(f *Fake) { f.ExpireTokens() }, "PATCH", contactPath + "u1", `{"LastName":"X"}`, "", 401, "INVALID_SESSION_ID"},
		{"missing LastName", nil, "PATCH", contactPath + "u1", `{"FirstName":"X"}`, "", 400, "REQUIRED_FIELD_MISSING"},
		{"Id in body", nil, "PATCH", contactPath + "u1", `{"Id":"003","LastName":"X"}`, "", 400, "INVALID_FIELD"},
		{"unknown field", func(f *Fake) { f.SetSchema("Contact", "LastName", "Ext__c") }, "PATCH", contactPath + "u1", `{"LastName":"X","Foo__c":1}`, "", 400, "INVALID_FIELD"},
		{"unknown object", func(f *Fake) { f.SetSchema("Contact", "LastName") }, "PATCH", "/services/data/v62.0/sobjects/Nope__c/Ext__c/u1", `{}`, "", 404, "NOT_FOUND"},
		{"not json", nil, "PATCH", contactPath + "u1", `LastName=X`, "", 400, "JSON_PARSER_ERROR"},
		{"bad version", nil, "GET", "/services/data/62/sobjects/Contact/Ext__c/u1", ``, "", 404, "NOT_FOUND"},
		{"throttled", func(f *Fake) { f.ThrottleNext(1) }, "PATCH", contactPath + "u1", `{"LastName":"X"}`, "", 403, "REQUEST_LIMIT_EXCEEDED"},
		{"injected", func(f *Fake) { f.FailNext(1, 400, "UNABLE_TO_LOCK_ROW") }, "DELETE", contactPath + "u1", ``, "", 400, "UNABLE_TO_LOCK_ROW"},
		{"put", nil, "PUT", contactPath + "u1", `{}`, "", 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			tok := o.login()
			if tt.setup != nil {
				tt.setup(o.fake)
			}
			if tt.token == "-" {
				tok = ""
			}
			status, body := o.do(tt.method, tt.path, tok, tt.body)
			var errs []struct{ ErrorCode string }
			if err := json.Unmarshal([]byte(body), &errs); err != nil || len(errs) != 1 || status != tt.status || errs[0].ErrorCode != tt.code {
				t.Fatalf("%s %s = %d %s; want %d %s", tt.method, tt.path, status, body, tt.status, tt.code)
			}
		})
	}
}

func TestMultipleMatches(t *testing.T) {
	o := newOrg(t)
	tok := o.login()
	o.fake.Put("Contact", map[string]any{"Ext__c": "dup", "LastName": "A"})
	o.fake.Put("Contact", map[string]any{"Ext__c": "dup", "LastName": "B"})
	status, body := o.do("PATCH", contactPath+"dup", tok, `{"LastName":"C"}`)
	var urls []string
	if status != 300 || json.Unmarshal([]byte(body), &urls) != nil || len(urls) != 2 {
		t.Fatalf("upsert on a duplicate = %d %s", status, body)
	}
}

func TestListingAndConcurrency(t *testing.T) {
	o := newOrg(t)
	tok := o.login()
	var wg sync.WaitGroup
	for _, k := range []string{"c", "a", "b", "a", "c"} {
		wg.Go(func() { o.do("PATCH", contactPath+k, tok, `{"LastName":"`+k+`"}`) })
	}
	wg.Go(func() { o.do("PATCH", "/services/data/v62.0/sobjects/Account/Ext__c/x", tok, `{"Name":"Acme"}`) })
	wg.Wait()
	status, body := o.do("GET", "/_sandbox/records", "", "")
	var listing map[string][]map[string]any
	if status != 200 || json.Unmarshal([]byte(body), &listing) != nil {
		t.Fatalf("listing = %d %s", status, body)
	}
	if len(listing["Contact"]) != 3 || len(listing["Account"]) != 1 || !validID(listing["Account"][0]["Id"].(string), "001") {
		t.Fatalf("listing = %s", body)
	}
	recs := o.fake.Records("contact")
	for i := 1; i < len(recs); i++ {
		if recs[i-1]["Id"].(string) >= recs[i]["Id"].(string) {
			t.Fatalf("records not sorted by Id: %v", recs)
		}
	}
}

// validID checks the length, prefix and case-safe checksum of an 18-char id.
func validID(id, prefix string) bool {
	if len(id) != 18 || !strings.HasPrefix(id, prefix) {
		return false
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	for chunk := 0; chunk < 3; chunk++ {
		flags := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				flags |= 1 << i
			}
		}
		if id[15+chunk] != alphabet[flags] {
			return false
		}
	}
	return true
}
