package akamai

import (
	"cmp"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// MaxResults is the largest max_results entity.find accepts, as Akamai
// documents it; DefaultMaxResults is what it returns without one
// (UNCONFIRMED: the fake's choice where the docs are silent).
const (
	MaxResults        = 10000
	DefaultMaxResults = 100
)

// keysetFilter is the one filter the fake evaluates: `id > N`, the
// keyset paging Akamai recommends for large data sets (sort_on ["id"]).
var keysetFilter = regexp.MustCompile(`^\s*id\s*>\s*'?(\d+)'?\s*$`)

// entityFind is Capture's /entity.find, as far as paging needs it: form
// type_name, an optional filter (only `id > N`), max_results (1 to
// 10000), sort_on (absent or ["id"]) and attributes (a JSON array of
// names to return). Records come in ascending id, which is also the
// order Capture creates them in, so a record created while someone pages
// lands after every id already seen. The answer is {"stat":"ok",
// "result_count":n,"results":[...]}; errors answer HTTP 200 with stat
// "error", as Capture does. first_result and show_total_count are not
// served.
func (f *Fake) entityFind(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != f.clientID || secret != f.clientSecret {
		writeJSON(w, captureError(402, "invalid_client_credentials", "the client id or secret is wrong"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, captureError(200, "invalid_argument", "unreadable form"))
		return
	}
	if r.Form.Get("type_name") != "user" {
		writeJSON(w, captureError(224, "unknown_entity_type", "type_name must be user"))
		return
	}
	after := int64(0)
	if filter := r.Form.Get("filter"); filter != "" {
		m := keysetFilter.FindStringSubmatch(filter)
		if m == nil {
			writeJSON(w, invalidArgument("filter", "the fake evaluates only id > N"))
			return
		}
		after, _ = strconv.ParseInt(m[1], 10, 64)
	}
	limit := DefaultMaxResults
	if s := r.Form.Get("max_results"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxResults {
			writeJSON(w, invalidArgument("max_results", "max_results must be an integer from 1 to 10000"))
			return
		}
		limit = n
	}
	if s := r.Form.Get("sort_on"); s != "" {
		var on []string
		if json.Unmarshal([]byte(s), &on) != nil || !slices.Equal(on, []string{"id"}) {
			writeJSON(w, invalidArgument("sort_on", `the fake sorts only on ["id"]`))
			return
		}
	}
	var attrs []string
	if s := r.Form.Get("attributes"); s != "" {
		if json.Unmarshal([]byte(s), &attrs) != nil {
			writeJSON(w, invalidArgument("attributes", "attributes must be a JSON array of names"))
			return
		}
	}
	f.mu.Lock()
	var found []map[string]any
	for _, rec := range f.records {
		if recordID(rec) > after {
			found = append(found, rec)
		}
	}
	slices.SortFunc(found, func(a, b map[string]any) int { return cmp.Compare(recordID(a), recordID(b)) })
	page := make([]map[string]any, 0, min(len(found), limit))
	for _, rec := range found[:min(len(found), limit)] {
		page = append(page, project(rec, attrs))
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"stat": "ok", "result_count": len(page), "results": page})
}

func recordID(rec map[string]any) int64 { n, _ := rec["id"].(int64); return n }

// project copies rec, keeping only attrs (all of it when attrs is nil).
func project(rec map[string]any, attrs []string) map[string]any {
	out := make(map[string]any, len(rec))
	for k, v := range rec {
		if attrs == nil || slices.Contains(attrs, k) {
			out[k] = v
		}
	}
	return out
}

func invalidArgument(arg, desc string) map[string]any {
	e := captureError(200, "invalid_argument", desc)
	e["argument_name"] = arg
	return e
}
