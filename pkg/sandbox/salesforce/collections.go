package salesforce

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// maxCollection is the most records one sObject Collections call takes.
const maxCollection = 200

// collectionRequest is the body of a Collections upsert.
type collectionRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

// upsertTxn remembers what one Collections call changed, so allOrNone can
// undo it.
type upsertTxn struct {
	key     string
	before  []*record
	changed map[*record]map[string]any // record -> its fields before the call
}

// serveCollection handles the sObject Collections upsert,
// PATCH /services/data/{v}/composite/sobjects/{Object}/{ExternalIdField}
// (API v46.0 and later): up to 200 records of one object, each with
// attributes.type and its External ID value. A malformed call answers 400
// with the usual error array; a well-formed one answers 200 with one
// UpsertResult per record, in order, whose errors use statusCode (not
// errorCode). Each record is checked as a single upsert is (Id, unknown
// fields, required fields), plus External ID values repeated in the call
// or matching several stored records (DUPLICATE_EXTERNAL_ID).
func (f *Fake) serveCollection(w http.ResponseWriter, r *http.Request, version string, rest []string) {
	v := 0
	if m := versionRE.FindStringSubmatch(version); m != nil {
		v, _ = strconv.Atoi(m[1])
	}
	if v < 46 || len(rest) != 2 {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if !f.authorized(r) {
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if r.Method != http.MethodPatch {
		writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are PATCH")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.Collections++
	if in, ok := f.failures.Next(); ok {
		writeErrors(w, in.status, in.errorCode, in.message)
		return
	}
	object, extField := rest[0], rest[1]
	req, e := f.readCollection(r, object, extField)
	if e != nil {
		e.write(w)
		return
	}
	f.calls.CollectionRecords += len(req.Records)
	repeated := map[string]int{}
	for _, rec := range req.Records {
		if v, ok := lookup(rec, extField); ok && v != nil {
			repeated[fmt.Sprint(v)]++
		}
	}
	txn := &upsertTxn{key: f.objectKey(object), changed: map[*record]map[string]any{}}
	txn.before = slices.Clone(f.records[txn.key])
	results := make([]map[string]any, len(req.Records))
	failed := false
	for i, rec := range req.Records {
		results[i] = f.upsertOne(txn, object, extField, rec, repeated)
		failed = failed || results[i]["success"] == false
	}
	if req.AllOrNone && failed {
		f.rollback(txn, results)
	}
	writeJSON(w, http.StatusOK, results)
}

// readCollection decodes and checks the call as a whole: the body's shape,
// the 200-record limit, the object, the External ID field and every
// record's attributes.type.
func (f *Fake) readCollection(r *http.Request, object, extField string) (collectionRequest, *sfError) {
	var req collectionRequest
	b, err := io.ReadAll(io.LimitReader(r.Body, 50<<20))
	if err != nil || json.Unmarshal(b, &req) != nil {
		return req, badRequest("JSON_PARSER_ERROR", "The request body is not a JSON object with a records array")
	}
	switch {
	case len(req.Records) == 0:
		return req, badRequest("INVALID_INPUT", "records: at least one record is required")
	case len(req.Records) > maxCollection:
		return req, badRequest("EXCEEDED_ID_LIMIT", fmt.Sprintf("record limit reached. cannot submit more than %d records into this call", maxCollection))
	case !f.objectExists(object):
		return req, &sfError{status: http.StatusNotFound, code: "NOT_FOUND", msg: "The requested resource does not exist"}
	case !f.fieldAllowed(object, extField):
		return req, &sfError{status: http.StatusNotFound, code: "NOT_FOUND",
			msg: "Provided external ID field does not exist or is not accessible: " + extField}
	}
	for i, rec := range req.Records {
		attrs, _ := rec["attributes"].(map[string]any)
		if t, _ := attrs["type"].(string); !strings.EqualFold(t, object) {
			return req, badRequest("INVALID_TYPE",
				fmt.Sprintf("records[%d]: attributes.type must be %s, the object in the URI", i, object))
		}
	}
	return req, nil
}

// upsertOne applies one record of a Collections call and returns its
// UpsertResult.
func (f *Fake) upsertOne(txn *upsertTxn, object, extField string, fields map[string]any, repeated map[string]int) map[string]any {
	fields = fakekit.CopyMap(fields)
	delete(fields, "attributes")
	v, ok := lookup(fields, extField)
	if !ok || v == nil || v == "" {
		return failure(badRequest("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+extField+"]", extField))
	}
	value := fmt.Sprint(v)
	if repeated[value] > 1 {
		return failure(badRequest("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: "+value, extField))
	}
	if e := f.checkFields(object, fields, extField, value); e != nil {
		return failure(e)
	}
	if e := f.popRecordFailure(value); e != nil {
		return failure(e)
	}
	var matches []*record
	for _, rec := range f.records[txn.key] {
		if sv, ok := lookup(rec.fields, extField); ok && fmt.Sprint(sv) == value {
			matches = append(matches, rec)
		}
	}
	switch len(matches) {
	case 0:
		rec := &record{id: f.newID(object), fields: map[string]any{}}
		if e := f.merge(object, rec, fields); e != nil {
			return failure(e)
		}
		f.records[txn.key] = append(f.records[txn.key], rec)
		return success(rec.id, true)
	case 1:
		rec := matches[0]
		old := rec.fields
		if e := f.merge(object, rec, fields); e != nil {
			return failure(e)
		}
		if _, seen := txn.changed[rec]; !seen {
			txn.changed[rec] = old
		}
		return success(rec.id, false)
	}
	ids := make([]string, len(matches))
	for i, rec := range matches {
		ids[i] = rec.id
	}
	return failure(badRequest("DUPLICATE_EXTERNAL_ID",
		fmt.Sprintf("%s: more than one record found for external id field: [%s]", extField, strings.Join(ids, ", ")), extField))
}

// rollback undoes txn and reports every record that had succeeded as
// ALL_OR_NONE_OPERATION_ROLLED_BACK, as allOrNone=true does.
func (f *Fake) rollback(txn *upsertTxn, results []map[string]any) {
	f.records[txn.key] = txn.before
	for rec, old := range txn.changed {
		rec.fields = old
	}
	for i, res := range results {
		if res["success"] == true {
			results[i] = failure(badRequest("ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all records were valid and the request was using AllOrNone header"))
		}
	}
}

func success(id string, created bool) map[string]any {
	return map[string]any{"id": id, "success": true, "errors": []any{}, "created": created}
}

// failure is an UpsertResult for a record that was not written.
func failure(e *sfError) map[string]any {
	fields := e.fields
	if fields == nil {
		fields = []string{}
	}
	return map[string]any{"success": false, "created": false,
		"errors": []any{map[string]any{"statusCode": e.code, "message": e.msg, "fields": fields}}}
}
