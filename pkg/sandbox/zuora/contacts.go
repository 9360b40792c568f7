package zuora

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// Reason codes the fake uses: resource 531000 (contacts) + category.
const (
	codeInvalidValue = 53100020
	codeUnknownField = 53100021
	codeMissing      = 53100022
	codeNotFound     = 53100040
	codeAuth         = 90000011
)

// contactFields are the standard contact fields; custom ones end in __c.
var contactFields = map[string]bool{
	"accountId": true, "firstName": true, "lastName": true, "nickname": true, "workEmail": true,
	"personalEmail": true, "workPhone": true, "homePhone": true, "mobilePhone": true, "otherPhone": true,
	"otherPhoneType": true, "fax": true, "address1": true, "address2": true, "city": true, "state": true,
	"zipCode": true, "country": true, "county": true, "taxRegion": true, "description": true,
}

// scrubbed are the fields PUT …/scrub replaces with dummy values.
var scrubbed = []string{"firstName", "lastName", "nickname", "workEmail", "personalEmail", "workPhone",
	"homePhone", "mobilePhone", "otherPhone", "fax", "address1", "address2", "city", "state", "zipCode"}

var (
	zoqlRE       = regexp.MustCompile(`^select Id from Contact where (\w+) = '((?:[^'\\]|\\.)*)'$`)
	zoqlEscapeRE = regexp.MustCompile(`\\(.)`)
)

// serveAPI handles the authenticated routes.
func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeFailure(w, http.StatusBadRequest, codeInvalidValue, "unreadable body")
		return
	}
	route := strings.Join(segs, "/")
	var id string
	switch {
	case route == "object-query/contacts" && r.Method == http.MethodGet,
		route == "v1/action/query" && r.Method == http.MethodPost:
		route = "query"
	case route == "v1/contacts" && r.Method == http.MethodPost:
		route = "create"
	case len(segs) == 3 && segs[0] == "v1" && segs[1] == "contacts" && r.Method == http.MethodPut:
		route, id = "update", segs[2]
	case len(segs) == 3 && segs[0] == "v1" && segs[1] == "contacts" && r.Method == http.MethodDelete:
		route, id = "delete", segs[2]
	case len(segs) == 4 && segs[0] == "v1" && segs[1] == "contacts" && segs[3] == "scrub" && r.Method == http.MethodPut:
		route, id = "scrub", segs[2]
	default:
		writeFailure(w, http.StatusNotFound, 50000040, "No route for "+r.Method+" "+r.URL.Path)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch route {
	case "query":
		f.calls.Query++
	case "create":
		f.calls.Create++
	case "update":
		f.calls.Update++
	case "delete":
		f.calls.Delete++
	case "scrub":
		f.calls.Scrub++
	}
	if !f.authorized(r) {
		writeFailure(w, http.StatusUnauthorized, codeAuth, "This resource is protected, please sign in first")
		return
	}
	if f.failures.Answer(w, writeInjected) {
		return
	}
	switch route {
	case "query":
		f.query(w, r, body)
	case "create":
		f.create(w, r.Header.Get("Idempotency-Key"), body)
	case "update":
		f.update(w, id, body)
	case "delete", "scrub":
		c, ok := f.contacts[id]
		if !ok {
			writeFailure(w, http.StatusOK, codeNotFound, "Cannot find entity by key: '"+id+"'.")
			return
		}
		if route == "delete" {
			delete(f.contacts, id)
		} else {
			for _, k := range scrubbed {
				if _, set := c.Fields[k]; set {
					c.Fields[k] = "scrubbed"
				}
			}
			c.Scrubbed = true
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	}
}

// query answers an object query (filter[]=Field.EQ:value) or a ZOQL select
// on one field.
func (f *Fake) query(w http.ResponseWriter, r *http.Request, body []byte) {
	var field, value string
	if r.Method == http.MethodGet {
		filters := r.URL.Query()["filter[]"]
		if len(filters) != 1 {
			writeFailure(w, http.StatusBadRequest, codeInvalidValue, "the fake supports exactly one filter[]")
			return
		}
		var ok bool
		field, value, ok = strings.Cut(filters[0], ".EQ:")
		if !ok {
			writeFailure(w, http.StatusBadRequest, codeInvalidValue, "the fake supports only the EQ operator")
			return
		}
	} else {
		var q struct {
			QueryString string `json:"queryString"`
		}
		_ = json.Unmarshal(body, &q) // an unreadable body is a malformed query
		m := zoqlRE.FindStringSubmatch(strings.TrimSpace(q.QueryString))
		if m == nil {
			writeJSON(w, http.StatusOK, map[string]any{"Success": false,
				"Errors": []map[string]string{{"Code": "MALFORMED_QUERY", "Message": "You have an error in your ZOQL syntax"}}})
			return
		}
		field, value = m[1], zoqlEscapeRE.ReplaceAllString(m[2], "$1")
	}
	var ids []string
	for _, c := range f.contacts {
		for k, v := range c.Fields {
			if strings.EqualFold(k, field) && v == value {
				ids = append(ids, c.ID)
			}
		}
	}
	if r.Method == http.MethodGet {
		data := make([]map[string]string, len(ids))
		for i, id := range ids {
			data[i] = map[string]string{"id": id}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
		return
	}
	records := make([]map[string]string, len(ids))
	for i, id := range ids {
		records[i] = map[string]string{"Id": id}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": records, "size": len(ids), "done": true})
}

// create answers POST /v1/contacts, replaying the first answer for a
// repeated Idempotency-Key and refusing one reused with another body.
func (f *Fake) create(w http.ResponseWriter, key string, body []byte) {
	if key != "" {
		if prev, ok := f.replays[key]; ok {
			if prev.body != string(body) {
				writeFailure(w, http.StatusUnprocessableEntity, codeInvalidValue, "The Idempotency-Key was used with a different request body.")
				return
			}
			writeJSON(w, prev.status, prev.resp)
			return
		}
	}
	fields, ok := f.validate(w, body, true)
	if !ok {
		return
	}
	acct, _ := fields["accountId"].(string)
	delete(fields, "accountId")
	resp := map[string]any{"success": true, "id": f.store(acct, fields)}
	if key != "" {
		f.replays[key] = replay{body: string(body), status: http.StatusOK, resp: resp}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (f *Fake) update(w http.ResponseWriter, id string, body []byte) {
	c, ok := f.contacts[id]
	if !ok {
		writeFailure(w, http.StatusOK, codeNotFound, "Cannot find entity by key: '"+id+"'.")
		return
	}
	fields, ok := f.validate(w, body, false)
	if !ok {
		return
	}
	delete(fields, "accountId")
	for k, v := range fields {
		c.Fields[k] = v
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": id})
}

// validate checks a contact body; failures are HTTP 200 with success false.
func (f *Fake) validate(w http.ResponseWriter, body []byte, create bool) (map[string]any, bool) {
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		writeFailure(w, http.StatusBadRequest, codeInvalidValue, "Error parsing JSON request body")
		return nil, false
	}
	for k := range fields {
		if !contactFields[k] && !strings.HasSuffix(k, "__c") {
			writeFailure(w, http.StatusOK, codeUnknownField, "Unknown field: "+k)
			return nil, false
		}
	}
	if create {
		for _, k := range []string{"accountId", "firstName", "lastName"} {
			if s, _ := fields[k].(string); s == "" {
				writeFailure(w, http.StatusOK, codeMissing, "'"+k+"' may not be null")
				return nil, false
			}
		}
		if acct := fields["accountId"].(string); !f.accounts[acct] {
			writeFailure(w, http.StatusOK, codeNotFound, "Cannot find entity by key: '"+acct+"'.")
			return nil, false
		}
	}
	for _, k := range []string{"workEmail", "personalEmail"} {
		if v, set := fields[k]; set {
			if s, _ := v.(string); !strings.Contains(s, "@") {
				writeFailure(w, http.StatusOK, codeInvalidValue, "The email address '"+s+"' is invalid.")
				return nil, false
			}
		}
	}
	return fields, true
}
