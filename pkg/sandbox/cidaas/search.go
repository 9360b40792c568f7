package cidaas

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// Paging limits of "Find users using filters" as cidaas documents them:
// size at most 1000, and only the first 10,000 matches can be fetched
// (more need the bulk read). DefaultSearchSize is the fake's choice
// where the docs are silent.
const (
	MaxSearchSize     = 1000
	SearchWindow      = 10000
	DefaultSearchSize = 10
)

// graphUsers is "Find users using filters", POST /user-srv/graph/users,
// as far as paging needs it: a JSON body with from (offset), size (0 to
// 1000), sortfield (createdTime or sub; without one the order is
// unspecified, as cidaas documents no default, and the fake's differs
// from request to request) and descending; the filters (terms, filters, groupsFilter...) and fields
// projection are not served. It answers cidaas's envelope
// {"success":true,"status":200,"data":[users...],"total":n} ("total"
// left out with excludeUserCount), or 204 No Content for an empty page.
// A size, from or sortfield out of range, or a page reaching past the
// first 10,000 matches, is 417 Expectation Failed, cidaas's answer to a
// request it cannot serve. The shape of the envelope around the user
// array and where the total sits are UNCONFIRMED.
func (f *Fake) graphUsers(w http.ResponseWriter, r *http.Request) {
	if !f.bearerOK(r) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, apiError(http.StatusUnauthorized, "invalid_token", "access token missing, unknown or expired"))
		return
	}
	var req struct {
		From             *int   `json:"from"`
		Size             *int   `json:"size"`
		SortField        string `json:"sortfield"`
		Descending       bool   `json:"descending"`
		ExcludeUserCount bool   `json:"excludeUserCount"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError(http.StatusBadRequest, "invalid_body", "a JSON search request"))
		return
	}
	from, size := deref(req.From), DefaultSearchSize
	if req.Size != nil {
		size = *req.Size
	}
	sortField := req.SortField
	switch {
	case size < 0 || size > MaxSearchSize:
		writeJSON(w, http.StatusExpectationFailed, apiError(http.StatusExpectationFailed, "invalid_size", "size must be from 0 to 1000"))
		return
	case from < 0 || from+size > SearchWindow:
		writeJSON(w, http.StatusExpectationFailed, apiError(http.StatusExpectationFailed, "result_window_exceeded", "from + size must not exceed 10000; use the bulk read"))
		return
	case sortField != "" && sortField != "createdTime" && sortField != "sub":
		writeJSON(w, http.StatusExpectationFailed, apiError(http.StatusExpectationFailed, "invalid_sortfield", "the fake sorts only by createdTime or sub"))
		return
	}
	type row struct {
		u        map[string]any
		key, sub string
		seq      int
	}
	f.mu.Lock()
	rows := make([]row, 0, len(f.users))
	for sub, u := range f.users { // stored users are replaced, never changed
		key, _ := u[sortField].(string)
		rows = append(rows, row{u, key, sub, f.seq[sub]})
	}
	f.mu.Unlock()
	if sortField != "" { // else map order: unspecified, as promised
		slices.SortFunc(rows, func(a, b row) int {
			c := cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.seq, b.seq), cmp.Compare(a.sub, b.sub))
			if req.Descending {
				return -c
			}
			return c
		})
	}
	var page []map[string]any
	for i := from; i < len(rows) && len(page) < size; i++ {
		page = append(page, rows[i].u)
	}
	if len(page) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	answer := map[string]any{"success": true, "status": http.StatusOK, "data": page}
	if !req.ExcludeUserCount {
		answer["total"] = len(rows)
	}
	writeJSON(w, http.StatusOK, answer)
}

// bearerOK reports whether r carries a token the fake issued and has not
// expired.
func (f *Fake) bearerOK(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(h) > len(prefix) && h[:len(prefix)] == prefix && f.tokens[h[len(prefix):]]
}

func deref(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}
