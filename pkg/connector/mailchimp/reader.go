package mailchimp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The reconciliation's read side: the audience's members, page by page
// (GET /lists/{list_id}/members, count and offset; the cursor is the next
// offset), only the fields read (the fields parameter).
//
// A member's Key is what the connector's records are keyed by on this
// audience: the key_merge_field's value when one is set (the mapping's
// key, written there on every upsert; a member without it, one who signed
// up through a Mailchimp form, is unmanaged), else the member's
// email_address, which the mapping's key must then produce (the
// connector addresses members by their email). An archived member is no
// record: archiving is the connector's delete, and the address can be
// added again. Unsubscribed, cleaned, pending and transactional members
// exist, and are records.

var _ connector.Readable = (*Client)(nil)

// MemberReader lists the members of one audience; see Client.Reader.
type MemberReader struct {
	c      *Client
	top    []string // the first segments of the paths read
	fields string   // the fields parameter
}

var _ connector.Reader = (*MemberReader)(nil)

// MaxReadPage is the largest page Mailchimp lists, and DefaultReadPage
// the one asked for when the caller gives no size.
const (
	MaxReadPage     = 1000
	DefaultReadPage = 500
)

// unread are the paths the connector writes but a member does not read
// back as written: status_if_new and previous_email_address are not
// stored, and tags come back as objects, not the names written.
var unread = map[string]bool{"status_if_new": true, FieldPreviousEmail: true, "tags": true}

// Reader returns a connector.Reader over the audience reading paths, as
// the connector writes them: top-level member fields (email_address,
// status, language, vip, …) and nested ones such as merge_fields.FNAME,
// returned as Mailchimp nests them.
func (c *Client) Reader(paths []string) (connector.Reader, []string, error) {
	r := &MemberReader{c: c}
	want := []string{"members.email_address", "members.status"}
	if tag := c.settings.KeyMergeField; tag != "" {
		want = append(want, "members.merge_fields."+tag)
	}
	var read []string
	seen := map[string]bool{}
	for _, p := range paths {
		top, _, _ := strings.Cut(p, ".")
		if unread[top] || p == "" || strings.ContainsAny(p, ", ") || strings.Contains(p, "..") || strings.HasSuffix(p, ".") {
			continue
		}
		read = append(read, p)
		want = append(want, "members."+p)
		if !seen[top] {
			seen[top] = true
			r.top = append(r.top, top)
		}
	}
	r.fields = strings.Join(append(want, "total_items"), ",")
	return r, read, nil
}

// Records returns one page of at most size members (DefaultReadPage when
// size is 0, MaxReadPage at most), archived members left out.
func (r *MemberReader) Records(ctx context.Context, cursor string, size int) ([]connector.Record, string, error) {
	offset := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", fault.New(fault.Permanent, 0, "", "mailchimp reader: the cursor is not an offset")
		}
		offset = n
	}
	if size <= 0 {
		size = DefaultReadPage
	}
	size = min(size, MaxReadPage)
	q := url.Values{"count": {strconv.Itoa(size)}, "offset": {strconv.Itoa(offset)}, "fields": {r.fields}}
	path := "/lists/" + url.PathEscape(r.c.settings.ListID) + "/members?" + q.Encode()
	status, h, body, err := r.c.call(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, "", fmt.Errorf("list members: %w", err)
	}
	if status != http.StatusOK {
		return nil, "", fmt.Errorf("list members: %w", classify(status, h, body, nil))
	}
	var page struct {
		Members    []map[string]any `json:"members"`
		TotalItems *int             `json:"total_items"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.TotalItems == nil {
		return nil, "", fault.New(fault.Transient, status, "", "list members answered with a body that is not a member list")
	}
	out := make([]connector.Record, 0, len(page.Members))
	for _, m := range page.Members {
		if s, _ := m["status"].(string); s == "archived" {
			continue
		}
		out = append(out, r.record(m))
	}
	next := offset + len(page.Members)
	if len(page.Members) == 0 || next >= *page.TotalItems {
		return out, "", nil
	}
	return out, strconv.Itoa(next), nil
}

// record keeps the fields read, nested as the member has them.
func (r *MemberReader) record(m map[string]any) connector.Record {
	var key string
	if tag := r.c.settings.KeyMergeField; tag != "" {
		merge, _ := m["merge_fields"].(map[string]any)
		key, _ = merge[tag].(string)
	} else {
		key, _ = m[FieldEmail].(string)
	}
	if key == "" {
		return connector.Record{}
	}
	fields := make(map[string]any, len(r.top))
	for _, t := range r.top {
		fields[t] = m[t]
	}
	return connector.Record{Key: key, Fields: fields}
}
