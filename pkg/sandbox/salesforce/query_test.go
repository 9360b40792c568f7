package salesforce

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// query sends GET path (relative to the data API of v62.0) with a fresh
// token and decodes the answer.
func query(t *testing.T, f *Fake, srv *httptest.Server, path string) (int, any) {
	t.Helper()
	tok := accessToken(t, srv)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func accessToken(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"secret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	return tr.AccessToken
}

func TestQueryRefusesWhatItCannotParse(t *testing.T) {
	f := NewFake("cid", "secret")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	for _, q := range []string{
		"",
		"SELECT FROM Account",
		"SELECT Id FROM Account WHERE Name = 'unterminated",
		"SELECT Id FROM Account WHERE Name = 'bad \\q escape'",
		"SELECT Id FROM Account WHERE Name LIKE 'x%'",
		"SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'",
		"SELECT Id FROM Account LIMIT x",
		"SELECT Id FROM Account WHERE Name = 'a' trailing",
		"SELECT Id, FROM Account",
	} {
		status, body := query(t, f, srv, "/services/data/v62.0/query?"+url.Values{"q": {q}}.Encode())
		arr, _ := body.([]any)
		if status != http.StatusBadRequest || len(arr) != 1 || arr[0].(map[string]any)["errorCode"] != "MALFORMED_QUERY" {
			t.Errorf("%q: %d %v, want 400 MALFORMED_QUERY", q, status, body)
		}
	}
}

func TestQueryMatchesTypedLiterals(t *testing.T) {
	f := NewFake("cid", "secret")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	want := f.Put("Account", map[string]any{"Name": "It's", "IsPartner": true, "NumberOfEmployees": 12.0})
	f.Put("Account", map[string]any{"Name": "It's", "IsPartner": false, "NumberOfEmployees": 12.0})
	f.Put("Account", map[string]any{"Name": "It's", "IsPartner": true})
	q := `select Id, Name from Account where Name = 'it\'s' and IsPartner = TRUE and NumberOfEmployees = 12 limit 5`
	status, body := query(t, f, srv, "/services/data/v62.0/query?"+url.Values{"q": {q}}.Encode())
	m, _ := body.(map[string]any)
	recs, _ := m["records"].([]any)
	if status != http.StatusOK || m["totalSize"] != 1.0 || m["done"] != true || len(recs) != 1 || recs[0].(map[string]any)["Id"] != want {
		t.Fatalf("%d %v", status, body)
	}
}

func TestQueryMoreWithUnknownLocator(t *testing.T) {
	f := NewFake("cid", "secret")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	status, body := query(t, f, srv, "/services/data/v62.0/query/01gnope-2")
	arr, _ := body.([]any)
	if status != http.StatusBadRequest || len(arr) != 1 || arr[0].(map[string]any)["errorCode"] != "INVALID_QUERY_LOCATOR" {
		t.Fatalf("%d %v", status, body)
	}
}
