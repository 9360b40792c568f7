package salesforce

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const collectionPath = "/services/data/v62.0/composite/sobjects/Contact/Ext__c"

// upsertResult is one element of a Collections answer, as on the wire.
type upsertResult struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Created bool   `json:"created"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
		ErrorCode  string   `json:"errorCode"` // must stay empty: Collections say statusCode
	} `json:"errors"`
}

// collectionBody builds a Collections request from records given as JSON
// objects without their attributes.
func collectionBody(allOrNone bool, recs ...string) string {
	for i, r := range recs {
		recs[i] = `{"attributes":{"type":"Contact"},` + strings.TrimPrefix(r, "{")
	}
	return fmt.Sprintf(`{"allOrNone":%v,"records":[%s]}`, allOrNone, strings.Join(recs, ","))
}

func (o *org) collection(tok, body string) (int, []upsertResult, string) {
	o.t.Helper()
	status, raw := o.do("PATCH", collectionPath, tok, body)
	var out []upsertResult
	if status == 200 {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			o.t.Fatalf("200 answer %s: %v", raw, err)
		}
	}
	return status, out, raw
}

func TestCollectionUpsert(t *testing.T) {
	o := newOrg(t)
	tok := o.login()
	o.fake.SetSchema("Contact", "LastName", "Email", "Ext__c")
	o.fake.FailRecord("u4", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record")
	status, out, raw := o.collection(tok, collectionBody(false,
		`{"Ext__c":"u1","LastName":"A"}`,
		`{"Ext__c":"u2","Email":"b@example.com"}`, // LastName missing
		`{"Ext__c":"u3","LastName":"C","Foo__c":1}`,
		`{"Ext__c":"u4","LastName":"D"}`,
		`{"Ext__c":"u5","LastName":"E","Id":"003x"}`,
		`{"Ext__c":"u6","LastName":"F"}`,
		`{"Ext__c":"u6","LastName":"G"}`,
	))
	if status != 200 || len(out) != 7 {
		t.Fatalf("status %d, %s", status, raw)
	}
	want := []string{"", "REQUIRED_FIELD_MISSING", "INVALID_FIELD", "UNABLE_TO_LOCK_ROW", "INVALID_FIELD", "DUPLICATE_EXTERNAL_ID", "DUPLICATE_EXTERNAL_ID"}
	for i, w := range want {
		r := out[i]
		if w == "" {
			if !r.Success || !r.Created || !validID(r.ID, "003") || len(r.Errors) != 0 {
				t.Errorf("record %d = %+v, want created", i, r)
			}
			continue
		}
		if r.Success || r.ID != "" || len(r.Errors) != 1 || r.Errors[0].StatusCode != w || r.Errors[0].ErrorCode != "" || r.Errors[0].Fields == nil {
			t.Errorf("record %d = %+v, want %s", i, r, w)
		}
	}
	if n := len(o.fake.Records("Contact")); n != 1 {
		t.Fatalf("%d records stored, want 1", n)
	}
	// The injected failure was used up; u1 now updates.
	_, out, raw = o.collection(tok, collectionBody(false, `{"Ext__c":"u4","LastName":"D"}`, `{"Ext__c":"u1","Email":"a@example.com"}`))
	if !out[0].Success || !out[0].Created || !out[1].Success || out[1].Created {
		t.Fatalf("second call = %s", raw)
	}
	if got := o.fake.Calls(); got.Collections != 2 || got.CollectionRecords != 9 || got.Upsert != 0 {
		t.Fatalf("calls = %+v", got)
	}
}

func TestCollectionAllOrNoneRollsBack(t *testing.T) {
	o := newOrg(t)
	tok := o.login()
	o.fake.Put("Contact", map[string]any{"Ext__c": "u1", "LastName": "Before"})
	_, out, raw := o.collection(tok, collectionBody(true,
		`{"Ext__c":"u1","LastName":"After"}`, `{"Ext__c":"u2","LastName":"New"}`, `{"Ext__c":"u3"}`))
	codes := []string{"ALL_OR_NONE_OPERATION_ROLLED_BACK", "ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUIRED_FIELD_MISSING"}
	for i, c := range codes {
		if out[i].Success || out[i].Errors[0].StatusCode != c {
			t.Fatalf("record %d: %s", i, raw)
		}
	}
	recs := o.fake.Records("Contact")
	if len(recs) != 1 || recs[0]["LastName"] != "Before" {
		t.Fatalf("records after rollback = %v", recs)
	}
}

func TestCollectionWholeCallErrors(t *testing.T) {
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf(`{"Ext__c":"u%d","LastName":"X"}`, i)
	}
	tests := []struct {
		name   string
		setup  func(*Fake)
		path   string
		token  bool
		body   string
		status int
		code   string
	}{
		{"no token", nil, collectionPath, false, collectionBody(false, `{"Ext__c":"u1"}`), 401, "INVALID_SESSION_ID"},
		{"before v46", nil, "/services/data/v45.0/composite/sobjects/Contact/Ext__c", true, collectionBody(false, `{"Ext__c":"u1"}`), 404, "NOT_FOUND"},
		{"not JSON", nil, collectionPath, true, `[`, 400, "JSON_PARSER_ERROR"},
		{"no records", nil, collectionPath, true, `{"allOrNone":false,"records":[]}`, 400, "INVALID_INPUT"},
		{"over 200", nil, collectionPath, true, collectionBody(false, many...), 400, "EXCEEDED_ID_LIMIT"},
		{"no type", nil, collectionPath, true, `{"records":[{"Ext__c":"u1","LastName":"X"}]}`, 400, "INVALID_TYPE"},
		{"other type", nil, collectionPath, true, `{"records":[{"attributes":{"type":"Lead"},"Ext__c":"u1"}]}`, 400, "INVALID_TYPE"},
		{"unknown object", func(f *Fake) { f.SetSchema("Lead", "LastName") }, collectionPath, true, collectionBody(false, `{"Ext__c":"u1"}`), 404, "NOT_FOUND"},
		{"not an external id", func(f *Fake) { f.SetSchema("Contact", "LastName") }, collectionPath, true, collectionBody(false, `{"Ext__c":"u1"}`), 404, "NOT_FOUND"},
		{"throttled", func(f *Fake) { f.ThrottleNext(1) }, collectionPath, true, collectionBody(false, `{"Ext__c":"u1"}`), 403, "REQUEST_LIMIT_EXCEEDED"},
		{"unavailable", func(f *Fake) { f.FailNext(1, 503, "SERVER_UNAVAILABLE") }, collectionPath, true, collectionBody(false, `{"Ext__c":"u1"}`), 503, "SERVER_UNAVAILABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrg(t)
			tok := ""
			if tt.token {
				tok = o.login()
			}
			if tt.setup != nil {
				tt.setup(o.fake)
			}
			status, raw := o.do("PATCH", tt.path, tok, tt.body)
			var errs []map[string]any
			_ = json.Unmarshal([]byte(raw), &errs)
			if status != tt.status || len(errs) != 1 || errs[0]["errorCode"] != tt.code {
				t.Fatalf("= %d %s; want %d %s", status, raw, tt.status, tt.code)
			}
			if n := len(o.fake.Records("Contact")); n != 0 {
				t.Fatalf("%d records stored by a refused call", n)
			}
		})
	}
}

func TestFailRecordAppliesToSingleUpsert(t *testing.T) {
	o := newOrg(t)
	tok := o.login()
	o.fake.FailRecord("u1", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "blocked by a validation rule")
	if status, raw := o.do("PATCH", contactPath+"u1", tok, `{"LastName":"X"}`); status != 400 || !strings.Contains(raw, `"errorCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION"`) {
		t.Fatalf("= %d %s", status, raw)
	}
	if status, _ := o.do("PATCH", contactPath+"u1", tok, `{"LastName":"X"}`); status != 201 {
		t.Fatalf("second upsert = %d, want 201", status)
	}
}
