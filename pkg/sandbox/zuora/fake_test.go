package zuora

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestMountedFake(t *testing.T) {
	f := NewFake("cid", "sec", "A1")
	mux := http.NewServeMux()
	mux.Handle("/sandbox/zuora/", http.StripPrefix("/sandbox/zuora", f))
	call := func(method, path, tok, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if method == "POST" && strings.HasSuffix(path, "/oauth/token") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"sec"}}.Encode()
	w := call("POST", "/sandbox/zuora/oauth/token", "", form)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" || tok.ExpiresIn != 3599 {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	if w := call("POST", "/sandbox/zuora/v1/contacts", "stale", `{}`); w.Code != 401 {
		t.Fatalf("stale token: %d", w.Code)
	}
	// Zuora's quirk: a refused create is HTTP 200 with success false.
	w = call("POST", "/sandbox/zuora/v1/contacts", tok.AccessToken, `{"accountId":"A1","firstName":"J"}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"success":false`) || !strings.Contains(w.Body.String(), "53100022") {
		t.Fatalf("missing lastName: %d %s", w.Code, w.Body)
	}
	w = call("POST", "/sandbox/zuora/v1/contacts", tok.AccessToken, `{"accountId":"A1","firstName":"J","lastName":"D","Ext__c":"k'1"}`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"success":true`) {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	q := `{"queryString":"select Id from Contact where Ext__c = 'k\\'1'"}`
	if w := call("POST", "/sandbox/zuora/v1/action/query", tok.AccessToken, q); !strings.Contains(w.Body.String(), `"size":1`) {
		t.Fatalf("zoql: %s", w.Body)
	}
	oq := "/sandbox/zuora/object-query/contacts?" + url.Values{"filter[]": {"ext__c.EQ:k'1"}}.Encode()
	if w := call("GET", oq, tok.AccessToken, ""); !strings.Contains(w.Body.String(), `"data":[{"id"`) {
		t.Fatalf("object query: %s", w.Body)
	}
	w = call("GET", "/sandbox/zuora/_sandbox/records", "", "")
	var got []Contact
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got) != 1 || got[0].AccountID != "A1" {
		t.Fatalf("listing = %s", w.Body)
	}
	if c := f.Calls(); c.Token != 1 || c.Create != 3 || c.Query != 2 {
		t.Fatalf("calls = %+v", c)
	}
}
