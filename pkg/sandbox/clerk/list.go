package clerk

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// MaxLimit is the largest limit GET /v1/users accepts ("greater than zero
// and less than 501"); DefaultLimit is what it returns without one.
const (
	MaxLimit     = 500
	DefaultLimit = 10
)

// listUsers is "List all users", GET /v1/users: limit (1 to 500, default
// 10), offset (default 0) and order_by (created_at or updated_at; a "-"
// prefix reverses the order, "+" or none is ascending; default
// "-created_at", newest first, as Clerk documents; a "+" sent unescaped
// reads as a space, and is refused). It answers a bare JSON array of User
// objects, as Clerk's Backend API does. Users with the same timestamp
// come in the order they were seeded. A limit, offset or order_by out of
// range is 422 (the code form_param_value_invalid is UNCONFIRMED); the
// other order_by values Clerk documents (email_address, username, ...)
// and the filters (email_address, query, ...) are not served.
func (f *Fake) listUsers(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	limit, ok := intParam(q.Get("limit"), DefaultLimit, 1, MaxLimit)
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "form_param_value_invalid", fmt.Sprintf("limit must be between 1 and %d", MaxLimit))
		return
	}
	offset, ok := intParam(q.Get("offset"), 0, 0, int(^uint(0)>>1))
	if !ok {
		writeError(w, http.StatusUnprocessableEntity, "form_param_value_invalid", "offset must be a non-negative integer")
		return
	}
	orderBy := cmp.Or(q.Get("order_by"), "-created_at")
	desc := strings.HasPrefix(orderBy, "-")
	field := strings.TrimLeft(orderBy, "+-")
	if field != "created_at" && field != "updated_at" {
		writeError(w, http.StatusUnprocessableEntity, "form_param_value_invalid", "the fake orders only by created_at or updated_at")
		return
	}
	f.mu.Lock()
	type row struct {
		u   map[string]any
		at  int64
		seq int
	}
	rows := make([]row, 0, len(f.users))
	for id, u := range f.users {
		rows = append(rows, row{u, millis(u[field]), f.seq[id]}) // stored users are replaced, never changed
	}
	f.mu.Unlock()
	slices.SortFunc(rows, func(a, b row) int {
		c := cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
		if desc {
			return -c
		}
		return c
	})
	page := []map[string]any{}
	for i := offset; i < len(rows) && len(page) < limit; i++ {
		page = append(page, rows[i].u)
	}
	writeJSON(w, http.StatusOK, page)
}

// intParam reads an integer query parameter: def when absent, false when
// it is no integer or outside [lo, hi].
func intParam(s string, def, lo, hi int) (int, bool) {
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= lo && n <= hi
}

// millis reads an epoch-ms timestamp as seeded (int64) or decoded (float64).
func millis(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
