package salesforce

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// The query resource, GET /services/data/{v}/query?q=SOQL and its
// queryMore, GET /services/data/{v}/query/{locator}, over the records the
// fake holds (soql.go says which SOQL it reads).

// DefaultQueryPageSize is Salesforce's default query batch size.
const DefaultQueryPageSize = 2000

// The demo partner Account SeedDemoAccounts adds, for the local stack and
// the claim verification examples.
const (
	DemoAccountName    = "Example Dealer GmbH"
	DemoAccountType    = "Partner"
	DemoDealerNumber   = "D-1001"
	DemoAccountSegment = "Gold"
)

// queryState is the fake's query bookkeeping, kept in Fake.query.
type queryState struct {
	pageSize int
	cursors  map[string][]map[string]any // locator -> the records not yet answered
	seq      int
	calls    int
}

// SetQueryPageSize sets how many records one query answer holds before
// it sets nextRecordsUrl (default DefaultQueryPageSize), so tests can page
// with a handful of records.
func (f *Fake) SetQueryPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.query.pageSize = n
}

// Queries counts the query and queryMore calls the fake answered.
func (f *Fake) Queries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.query.calls
}

// SeedDemoAccounts stores the demo partner Account (Name DemoAccountName,
// IsPartner true, Type DemoAccountType, Dealer_Number__c DemoDealerNumber,
// Segment__c DemoAccountSegment) unless one with that dealer number is
// there, and returns its Id.
func (f *Fake) SeedDemoAccounts() string {
	for _, r := range f.Records("Account") {
		if v, ok := lookup(r, "Dealer_Number__c"); ok && v == DemoDealerNumber {
			return r["Id"].(string)
		}
	}
	return f.Put("Account", map[string]any{
		"Name": DemoAccountName, "IsPartner": true, "Type": DemoAccountType,
		"Dealer_Number__c": DemoDealerNumber, "Segment__c": DemoAccountSegment,
	})
}

// serveQuery handles /services/data/{version}/query[/{locator}].
func (f *Fake) serveQuery(w http.ResponseWriter, r *http.Request, version string, rest []string) {
	if !versionRE.MatchString(version) || len(rest) > 1 {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if !f.authorized(r) {
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if r.Method != http.MethodGet {
		writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,HEAD")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.query.calls++
	if in, ok := f.failures.Next(); ok {
		writeErrors(w, in.status, in.errorCode, in.message)
		return
	}
	if len(rest) == 1 {
		f.answerPage(w, version, rest[0])
		return
	}
	q, ok := r.URL.Query()["q"]
	if !ok || len(q) != 1 {
		writeErrors(w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	parsed, err := parseSOQL(q[0])
	if err != nil {
		writeErrors(w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
		return
	}
	if e := f.checkQuery(parsed); e != nil {
		e.write(w)
		return
	}
	recs := f.run(parsed, version)
	f.query.seq++
	locator := fmt.Sprintf("01g5g0%012d", f.query.seq)
	f.cursors()[locator] = recs
	f.answerPage(w, version, locator)
}

// checkQuery refuses unknown objects and fields once a schema is set, as
// an org refuses what it does not have.
func (f *Fake) checkQuery(q *soqlQuery) *sfError {
	if !f.objectExists(q.object) {
		return badRequest("INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", q.object))
	}
	names := append([]string(nil), q.fields...)
	for _, c := range q.conds {
		names = append(names, c.field)
	}
	for _, n := range names {
		if !strings.EqualFold(n, "Id") && !f.fieldAllowed(q.object, n) {
			return badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", n, q.object))
		}
	}
	return nil
}

// run selects the matching records, in Id order, rendered as the query
// resource answers them.
func (f *Fake) run(q *soqlQuery, version string) []map[string]any {
	out := []map[string]any{}
	for _, rec := range f.snapshot(f.objectKey(q.object)) {
		if q.limit >= 0 && len(out) == q.limit {
			break
		}
		if !matches(rec, q.conds) {
			continue
		}
		row := map[string]any{"attributes": map[string]string{
			"type": q.object, "url": "/services/data/" + version + "/sobjects/" + q.object + "/" + rec["Id"].(string),
		}}
		for _, name := range q.fields {
			k, v := name, any(nil)
			for stored, sv := range rec {
				if strings.EqualFold(stored, name) {
					k, v = stored, sv
				}
			}
			row[k] = v
		}
		out = append(out, row)
	}
	return out
}

// matches applies the conditions: strings compare case-insensitively, as
// SOQL's = does on text fields; null matches an absent field.
func matches(rec map[string]any, conds []soqlCond) bool {
	for _, c := range conds {
		v, ok := lookup(rec, c.field)
		if !ok || v == nil {
			if c.value != nil {
				return false
			}
			continue
		}
		switch want := c.value.(type) {
		case nil:
			return false
		case string:
			s, isStr := v.(string)
			if !isStr || !strings.EqualFold(s, want) {
				return false
			}
		case bool:
			if b, isBool := v.(bool); !isBool || b != want {
				return false
			}
		case float64:
			n, isNum := number(v)
			if !isNum || math.Abs(n-want) > 1e-9 {
				return false
			}
		}
	}
	return true
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case json.Number:
		n, err := x.Float64()
		return n, err == nil
	}
	return 0, false
}

// answerPage writes the page of the cursor that locator names: the
// query's own locator is its first page, locator-N the page from record N.
func (f *Fake) answerPage(w http.ResponseWriter, version, locator string) {
	base, offset := locator, 0
	if i := strings.LastIndexByte(locator, '-'); i > 0 {
		base = locator[:i]
		n, err := strconv.Atoi(locator[i+1:])
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
			return
		}
		offset = n
	}
	recs, ok := f.cursors()[base]
	if !ok || offset > len(recs) || (offset > 0 && base == locator) {
		writeErrors(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	size := f.query.pageSize
	if size <= 0 {
		size = DefaultQueryPageSize
	}
	end := min(offset+size, len(recs))
	body := map[string]any{"totalSize": len(recs), "done": end == len(recs), "records": recs[offset:end]}
	if end < len(recs) {
		body["nextRecordsUrl"] = "/services/data/" + version + "/query/" + base + "-" + strconv.Itoa(end)
	} else {
		delete(f.query.cursors, base)
	}
	writeJSON(w, http.StatusOK, body)
}

func (f *Fake) cursors() map[string][]map[string]any {
	if f.query.cursors == nil {
		f.query.cursors = map[string][]map[string]any{}
	}
	return f.query.cursors
}
