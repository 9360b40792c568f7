package salesforce

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

var versionRE = regexp.MustCompile(`^v([1-9][0-9]*)\.[0-9]$`)

// required lists the fields Salesforce insists on for common objects.
var required = map[string][]string{
	"contact": {"LastName"},
	"lead":    {"LastName", "Company"},
	"account": {"Name"},
}

// keyPrefixes are the three-character id prefixes of standard objects.
var keyPrefixes = map[string]string{
	"account": "001", "contact": "003", "user": "005", "opportunity": "006",
	"lead": "00Q", "case": "500",
}

// serveData handles /services/data/{version}/sobjects/{rest...}.
func (f *Fake) serveData(w http.ResponseWriter, r *http.Request, version string, rest []string) {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if !f.authorized(r) {
		writeErrors(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count(r.Method)
	if in, ok := f.failures.Next(); ok {
		writeErrors(w, in.status, in.errorCode, in.message)
		return
	}
	v46, _ := strconv.Atoi(m[1])
	object := rest[0]
	if !f.objectExists(object) {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	switch len(rest) {
	case 2:
		f.serveByID(w, r, object, rest[1])
	case 3:
		f.serveByExternalID(w, r, object, rest[1], rest[2], v46 >= 46, version)
	default:
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

func (f *Fake) count(method string) {
	switch method {
	case http.MethodPatch:
		f.calls.Upsert++
	case http.MethodDelete:
		f.calls.Delete++
	case http.MethodGet, http.MethodHead:
		f.calls.Get++
	}
}

func (f *Fake) objectExists(object string) bool {
	if len(f.schemas) == 0 {
		return true
	}
	_, ok := f.schemas[strings.ToLower(object)]
	return ok
}

func (f *Fake) serveByID(w http.ResponseWriter, r *http.Request, object, id string) {
	key := f.objectKey(object)
	idx := -1
	for i, rec := range f.records[key] {
		if rec.id == id {
			idx = i
		}
	}
	if idx < 0 {
		if _, gone := f.deleted[id]; gone {
			writeErrors(w, http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
			return
		}
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	rec := f.records[key][idx]
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, f.render(object, rec, r.URL.Path))
	case http.MethodPatch:
		fields, ok := f.readBody(w, r, object, "")
		if ok && f.apply(w, object, rec, fields) {
			w.WriteHeader(http.StatusNoContent)
		}
	case http.MethodDelete:
		f.remove(key, idx)
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r.Method)
	}
}

func (f *Fake) serveByExternalID(w http.ResponseWriter, r *http.Request, object, field, value string, v46 bool, version string) {
	if !f.fieldAllowed(object, field) {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+field)
		return
	}
	key := f.objectKey(object)
	var matches []int
	for i, rec := range f.records[key] {
		if v, ok := lookup(rec.fields, field); ok && fmt.Sprint(v) == value {
			matches = append(matches, i)
		}
	}
	if len(matches) > 1 && r.Method != http.MethodPost {
		urls := make([]string, len(matches))
		for i, idx := range matches {
			urls[i] = "/services/data/" + version + "/sobjects/" + object + "/" + f.records[key][idx].id
		}
		writeJSON(w, http.StatusMultipleChoices, urls)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if len(matches) == 0 {
			writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return
		}
		writeJSON(w, http.StatusOK, f.render(object, f.records[key][matches[0]], "/services/data/"+version))
	case http.MethodPatch:
		fields, ok := f.readBody(w, r, object, field)
		if !ok {
			return
		}
		if e := f.popRecordFailure(value); e != nil {
			e.write(w)
			return
		}
		if len(matches) == 0 {
			rec := &record{id: f.newID(object), fields: map[string]any{f.canonical(object, nil, field): value}}
			if f.apply(w, object, rec, fields) {
				f.records[key] = append(f.records[key], rec)
				writeJSON(w, http.StatusCreated, map[string]any{"id": rec.id, "success": true, "errors": []any{}, "created": true})
			}
			return
		}
		rec := f.records[key][matches[0]]
		if !f.apply(w, object, rec, fields) {
			return
		}
		if !v46 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": rec.id, "success": true, "errors": []any{}, "created": false})
	case http.MethodDelete:
		if len(matches) == 0 {
			writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return
		}
		f.remove(key, matches[0])
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r.Method)
	}
}

// readBody decodes a write's JSON object and checks its field names against
// the External ID in the URL.
func (f *Fake) readBody(w http.ResponseWriter, r *http.Request, object, extField string) (map[string]any, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var fields map[string]any
	if err != nil || json.Unmarshal(b, &fields) != nil || fields == nil {
		writeErrors(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "The request body is not a JSON object")
		return nil, false
	}
	delete(fields, "attributes")
	if e := f.checkFields(object, fields, extField, lastSegment(r)); e != nil {
		e.write(w)
		return nil, false
	}
	return fields, true
}

// sfError is one Salesforce error: the HTTP status the single-record
// endpoints answer it with, and what both error shapes carry.
type sfError struct {
	status int
	code   string
	msg    string
	fields []string
}

func (e *sfError) write(w http.ResponseWriter) { writeErrors(w, e.status, e.code, e.msg, e.fields...) }

func badRequest(code, msg string, fields ...string) *sfError {
	return &sfError{status: http.StatusBadRequest, code: code, msg: msg, fields: fields}
}

// checkFields refuses Id, fields outside the object's schema, and an
// External ID value other than extValue (the one the record is matched on).
func (f *Fake) checkFields(object string, fields map[string]any, extField, extValue string) *sfError {
	for k := range fields {
		if strings.EqualFold(k, "Id") {
			return badRequest("INVALID_FIELD", "Unable to create/update fields: Id. Please check the security settings of this field.", "Id")
		}
		if !f.fieldAllowed(object, k) {
			return badRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, object), k)
		}
	}
	if v, ok := lookup(fields, extField); ok && extField != "" && fmt.Sprint(v) != extValue {
		return badRequest("INVALID_FIELD", "The external ID in the body differs from the one in the URL", extField)
	}
	return nil
}

// apply merges fields into rec, or writes why it cannot; see merge.
func (f *Fake) apply(w http.ResponseWriter, object string, rec *record, fields map[string]any) bool {
	if e := f.merge(object, rec, fields); e != nil {
		e.write(w)
		return false
	}
	return true
}

// merge merges fields into rec (null clears a field) and checks required
// fields; on failure rec is unchanged. It replaces rec.fields rather than
// changing the map in place, so a saved map restores the record.
func (f *Fake) merge(object string, rec *record, fields map[string]any) *sfError {
	merged := fakekit.CopyMap(rec.fields)
	for k, v := range fields {
		k = f.canonical(object, merged, k)
		if v == nil {
			delete(merged, k)
			continue
		}
		merged[k] = v
	}
	var missing []string
	for _, name := range required[strings.ToLower(object)] {
		if v, ok := lookup(merged, name); !ok || v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return badRequest("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(missing, ", ")+"]", missing...)
	}
	rec.fields = merged
	return nil
}

func (f *Fake) remove(key string, idx int) {
	recs := f.records[key]
	f.deleted[recs[idx].id] = key
	f.records[key] = append(recs[:idx:idx], recs[idx+1:]...)
}

// render is a record as GET returns it, with its attributes map.
func (f *Fake) render(object string, rec *record, base string) map[string]any {
	m := fakekit.CopyMap(rec.fields)
	m["Id"] = rec.id
	if i := strings.Index(base, "/sobjects"); i >= 0 {
		base = base[:i]
	}
	m["attributes"] = map[string]string{"type": object, "url": base + "/sobjects/" + object + "/" + rec.id}
	return m
}

func (f *Fake) fieldAllowed(object, field string) bool {
	schema, ok := f.schemas[strings.ToLower(object)]
	if !ok {
		return true
	}
	for _, s := range schema {
		if strings.EqualFold(s, field) {
			return true
		}
	}
	return false
}

// canonical is field's stored spelling: the schema's, else an existing
// key's, else as given.
func (f *Fake) canonical(object string, existing map[string]any, field string) string {
	for _, s := range f.schemas[strings.ToLower(object)] {
		if strings.EqualFold(s, field) {
			return s
		}
	}
	for k := range existing {
		if strings.EqualFold(k, field) {
			return k
		}
	}
	return field
}

// newID makes an 18-character id: the object's key prefix, a sequence
// number, and the case-safe checksum Salesforce appends to 15-char ids.
func (f *Fake) newID(object string) string {
	f.seq++
	prefix, ok := keyPrefixes[strings.ToLower(object)]
	if !ok {
		prefix = "a00"
	}
	id := fmt.Sprintf("%s5g0%09d", prefix, f.seq)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var suffix []byte
	for chunk := 0; chunk < 3; chunk++ {
		flags := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				flags |= 1 << i
			}
		}
		suffix = append(suffix, alphabet[flags])
	}
	return id + string(suffix)
}

func lookup(m map[string]any, field string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, field) {
			return v, true
		}
	}
	return nil, false
}

func lastSegment(r *http.Request) string {
	p := r.URL.EscapedPath()
	s, _ := url.PathUnescape(p[strings.LastIndex(p, "/")+1:])
	return s
}

func methodNotAllowed(w http.ResponseWriter, method string) {
	writeErrors(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED",
		"HTTP Method '"+method+"' not allowed. Allowed are HEAD,GET,PATCH,DELETE")
}
