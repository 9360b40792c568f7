package brevo

import (
	"net/http"
	"sort"
	"strconv"
)

// MaxListLimit is the largest page GET /v3/contacts answers.
const MaxListLimit = 1000

// defaultListLimit is the page size without a limit parameter.
const defaultListLimit = 50

// list answers GET /v3/contacts?limit=…&offset=…&sort=asc|desc: a page of
// contacts in order of creation (descending unless sort=asc, as Brevo
// does) and the account's count. A limit over MaxListLimit, or a limit,
// offset or sort that is not one, is 400 invalid_parameter. Runs with f.mu
// held.
func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := defaultListLimit, 0
	var err error
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 0 || limit > MaxListLimit {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "limit should be between 0 and 1000")
			return
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "offset is not valid")
			return
		}
	}
	desc := true
	switch q.Get("sort") {
	case "", "desc":
	case "asc":
		desc = false
	default:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "sort should be asc or desc")
		return
	}
	all := make([]*Contact, 0, len(f.contacts))
	for _, c := range f.contacts {
		all = append(all, c)
	}
	// Ids grow with creation: they order the contacts as createdAt does.
	sort.Slice(all, func(i, j int) bool { return (all[i].ID < all[j].ID) != desc })
	page := []Contact{}
	for i := offset; i < len(all) && len(page) < limit; i++ {
		page = append(page, all[i].copy())
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": page, "count": len(all)})
}
