package hubspot

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Listing, GET /crm/v3/objects/contacts?limit=&after=&properties=, as
// HubSpot documents it: limit defaults to 10 and is at most 100,
// properties is a comma-separated list (none: the default properties; a
// requested property without a value is answered null), and the answer is
// {results, paging.next.after} with no total. Results are in id order;
// after is the id to continue after, an opaque cursor to the caller.
// Handlers run with f.mu held.

// maxListLimit is the most contacts one list call answers.
const maxListLimit = 100

// list answers the contacts list.
func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxListLimit {
			f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "limit: must be between 1 and 100")
			return
		}
		limit = n
	}
	after := 0
	if s := q.Get("after"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "after: must be a valid cursor")
			return
		}
		after = n
	}
	var props []string
	for _, v := range q["properties"] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				props = append(props, p)
			}
		}
	}
	if len(props) == 0 {
		props = defaultProperties["contacts"]
	}
	ids := make([]int, 0, len(f.contacts))
	for id := range f.contacts {
		if n, err := strconv.Atoi(id); err == nil && n > after {
			ids = append(ids, n)
		}
	}
	sort.Ints(ids)
	results := []map[string]any{}
	for i := 0; i < len(ids) && i < limit; i++ {
		c := f.contacts[strconv.Itoa(ids[i])]
		p := map[string]any{}
		for _, name := range props {
			if v, ok := c.Properties[name]; ok {
				p[name] = v
			} else {
				p[name] = nil
			}
		}
		results = append(results, map[string]any{
			"id": c.ID, "properties": p, "archived": false,
			"createdAt": c.CreatedAt.Format(time.RFC3339Nano), "updatedAt": c.UpdatedAt.Format(time.RFC3339Nano),
		})
	}
	body := map[string]any{"results": results}
	if len(ids) > limit {
		next := strconv.Itoa(ids[limit-1])
		body["paging"] = map[string]any{"next": map[string]any{"after": next, "link": "?after=" + next}}
	}
	writeJSON(w, http.StatusOK, body)
}
