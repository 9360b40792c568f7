package gigya

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The LIMIT search applies without one, and the most it accepts (SAP's).
const (
	DefaultLimit = 300
	MaxLimit     = 10000
)

var selectAll = regexp.MustCompile(`(?i)^\s*select\s+\*\s+from\s+accounts(?:\s+limit\s+(\d+))?\s*$`)

// search serves accounts.search: a query ("SELECT * FROM accounts
// [LIMIT n]") and, with openCursor=true, a cursor whose id (cursorId)
// fetches the next LIMIT results; nextCursorId is absent on the last page.
// Results come in UID order; a cursor continues after the last UID it
// served, so accounts created meanwhile are listed once.
func (f *Fake) search(w http.ResponseWriter, r *http.Request) {
	q, cid := r.Form.Get("query"), r.Form.Get("cursorId")
	var c cursor
	switch {
	case q != "" && cid != "":
		f.fail(w, CodeInvalidParameter, "Invalid parameter value: query and cursorId are exclusive")
		return
	case cid != "":
		f.mu.Lock()
		cur, ok := f.cursors[cid]
		delete(f.cursors, cid)
		f.mu.Unlock()
		if !ok {
			f.fail(w, CodeInvalidParameter, "Invalid parameter value: cursorId")
			return
		}
		c = cur
	case q != "":
		m := selectAll.FindStringSubmatch(q)
		if m == nil {
			f.fail(w, CodeInvalidParameter, "Invalid parameter value: query (the fake knows SELECT * FROM accounts [LIMIT n])")
			return
		}
		c.size = DefaultLimit
		if m[1] != "" {
			n, err := strconv.Atoi(m[1])
			if err != nil || n < 1 || n > MaxLimit {
				f.fail(w, CodeInvalidParameter, "Invalid parameter value: LIMIT")
				return
			}
			c.size = n
		}
	default:
		f.fail(w, CodeMissingParameter, "Missing required parameter: query")
		return
	}
	f.mu.Lock()
	uids := make([]string, 0, len(f.accounts))
	for uid := range f.accounts {
		uids = append(uids, uid)
	}
	total := len(uids)
	sort.Strings(uids)
	start := sort.SearchStrings(uids, c.after)
	if start < len(uids) && uids[start] == c.after {
		start++
	}
	end := min(start+c.size, len(uids))
	results := make([]any, 0, end-start)
	for _, uid := range uids[start:end] {
		results = append(results, deepCopy(f.accounts[uid]))
	}
	body := map[string]any{"results": results, "objectsCount": len(results), "totalCount": total}
	if (cid != "" || strings.EqualFold(r.Form.Get("openCursor"), "true")) && end < len(uids) {
		id := make([]byte, 12)
		_, _ = rand.Read(id)
		next := hex.EncodeToString(id)
		f.cursors[next] = cursor{after: uids[end-1], size: c.size}
		body["nextCursorId"] = next
	}
	f.mu.Unlock()
	f.ok(w, body)
}
