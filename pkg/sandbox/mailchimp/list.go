package mailchimp

import (
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxListCount is the largest page GET …/members answers.
const MaxListCount = 1000

// defaultListCount is the page size without a count parameter.
const defaultListCount = 10

// listStatuses are the values of the list's status filter.
var listStatuses = []string{"subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"}

// serveList answers GET /3.0/lists/{list_id}/members?count=…&offset=…
// &status=…&fields=…: a page of the audience's members, archived ones
// included (status "archived") unless status filters them, with
// total_items counting every member the filter matches. fields keeps only
// the comma-separated dot paths it names (members.email_address,
// members.merge_fields.FNAME, total_items). A count over MaxListCount, or
// a count, offset or status that is not one, is 400.
func (f *Fake) serveList(w http.ResponseWriter, r *http.Request, listID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.List++
	if f.failures.Answer(w, writeInjected) {
		return
	}
	members, ok := f.lists[listID]
	if !ok {
		writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
		return
	}
	q := r.URL.Query()
	count, offset := defaultListCount, 0
	var err error
	if s := q.Get("count"); s != "" {
		if count, err = strconv.Atoi(s); err != nil || count < 0 || count > MaxListCount {
			invalid(w, fieldError{Field: "count", Message: "Must be between 0 and 1000."})
			return
		}
	}
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			invalid(w, fieldError{Field: "offset", Message: "Must be a non-negative integer."})
			return
		}
	}
	status := q.Get("status")
	if status != "" && !slices.Contains(listStatuses, status) {
		invalid(w, fieldError{Field: "status", Message: "Invalid status."})
		return
	}
	var all []*Member
	for _, m := range members {
		if status == "" || m.Status == status {
			all = append(all, m)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID }) // a stable order across pages
	page := []any{}
	for i := offset; i < len(all) && len(page) < count; i++ {
		page = append(page, all[i].listed())
	}
	body := map[string]any{"members": page, "list_id": listID, "total_items": len(all)}
	if fields := q.Get("fields"); fields != "" {
		body = project(body, strings.Split(fields, ",")).(map[string]any)
	}
	writeJSON(w, http.StatusOK, body)
}

// listed is the member as the API answers it: the other fields written
// (tags, language, vip, …) at the top level, beside the stored ones.
func (m *Member) listed() map[string]any {
	out := make(map[string]any, len(m.Other)+7)
	for k, v := range m.Other {
		out[k] = v
	}
	merge := make(map[string]any, len(m.MergeFields))
	for k, v := range m.MergeFields {
		merge[k] = v
	}
	out["id"], out["email_address"], out["unique_email_id"], out["status"] = m.ID, m.EmailAddress, m.UniqueEmailID, m.Status
	out["merge_fields"], out["list_id"], out["last_changed"] = merge, m.ListID, m.LastChanged
	return out
}

// project keeps the dot paths of v (arrays project each element).
func project(v any, paths []string) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = project(e, paths)
		}
		return out
	case map[string]any:
		sub := map[string][]string{}
		whole := map[string]bool{}
		for _, p := range paths {
			head, rest, nested := strings.Cut(strings.TrimSpace(p), ".")
			if nested {
				sub[head] = append(sub[head], rest)
			} else {
				whole[head] = true
			}
		}
		out := map[string]any{}
		for k, e := range x {
			switch {
			case whole[k]:
				out[k] = e
			case sub[k] != nil:
				out[k] = project(e, sub[k])
			}
		}
		return out
	}
	return v
}
