package brevo

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The reconciliation's read side: every contact of the account, page by
// page (GET /v3/contacts, oldest first; the cursor is the next offset).
//
// A contact's Key is what the connector upserts on: its ext_id
// (identifier: ext_id), or its email (identifier: email), which is then
// what the mapping's key produces. Contacts without one (an ext_id
// contact created in Brevo's UI, say) are unmanaged.

var _ connector.Readable = (*Client)(nil)

// ContactReader lists the contacts of one Brevo account; see
// Client.Reader.
type ContactReader struct {
	c     *Client
	paths []string // the paths read, as the mapping names them
}

var _ connector.Reader = (*ContactReader)(nil)

// MaxReadPage is the largest page Brevo lists, and DefaultReadPage the
// one asked for when the caller gives no size.
const (
	MaxReadPage     = 1000
	DefaultReadPage = 500
)

// Reader returns a connector.Reader over the account reading paths as the
// connector writes them: email (the contact's email), subscribed (true
// when the contact is in every list_ids list, false when in none; read
// only when list_ids is set), emailBlacklisted and smsBlacklisted, and every other name as the
// upper-cased attribute. ext_id (the key) and paths with a '.' (the
// connector writes no nested value) are not read.
func (c *Client) Reader(paths []string) (connector.Reader, []string, error) {
	r := &ContactReader{c: c}
	seen := map[string]bool{}
	for _, p := range paths {
		low := strings.ToLower(p)
		switch {
		case seen[low], strings.Contains(p, "."), low == fieldExtID,
			low == fieldSubscribed && len(c.settings.ListIDs) == 0:
			continue
		case low != fieldEmail && low != fieldEmailBlacklisted && low != fieldSMSBlacklisted && low != fieldSubscribed &&
			!attributeRE.MatchString(strings.ToUpper(p)):
			continue // the connector refuses to write it
		}
		seen[low] = true
		r.paths = append(r.paths, p)
	}
	return r, r.paths, nil
}

// listedContact is one contact of a GET /v3/contacts page.
type listedContact struct {
	Email            string         `json:"email"`
	ExtID            string         `json:"ext_id"`
	EmailBlacklisted bool           `json:"emailBlacklisted"`
	SMSBlacklisted   bool           `json:"smsBlacklisted"`
	ListIDs          []int64        `json:"listIds"`
	Attributes       map[string]any `json:"attributes"`
}

// Records returns one page of at most size contacts (DefaultReadPage
// when size is 0, MaxReadPage at most), oldest first so that contacts
// created during the read land on later pages.
func (r *ContactReader) Records(ctx context.Context, cursor string, size int) ([]connector.Record, string, error) {
	offset := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, "", fault.New(fault.Permanent, 0, "", "brevo reader: the cursor is not an offset")
		}
		offset = n
	}
	if size <= 0 {
		size = DefaultReadPage
	}
	size = min(size, MaxReadPage)
	q := url.Values{"limit": {strconv.Itoa(size)}, "offset": {strconv.Itoa(offset)}, "sort": {"asc"}}
	status, h, body, err := r.c.call(ctx, http.MethodGet, contactsPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, "", wrap("list", err)
	}
	if status != http.StatusOK {
		return nil, "", wrap("list", classify(status, h, body, nil))
	}
	var page struct {
		Contacts []listedContact `json:"contacts"`
		Count    *int64          `json:"count"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, "", fault.New(fault.Transient, status, "", "list contacts answered with a body that is not a contact list")
	}
	out := make([]connector.Record, 0, len(page.Contacts))
	for i := range page.Contacts {
		out = append(out, r.record(&page.Contacts[i]))
	}
	next := offset + len(page.Contacts)
	if len(page.Contacts) < size || page.Count != nil && int64(next) >= *page.Count {
		return out, "", nil
	}
	return out, strconv.Itoa(next), nil
}

// record keeps the paths read. The ext_id comes from the contact's
// ext_id, or its EXT_ID attribute, where Brevo's UI shows it.
func (r *ContactReader) record(ct *listedContact) connector.Record {
	attrs := make(map[string]any, len(ct.Attributes))
	for k, v := range ct.Attributes {
		attrs[strings.ToUpper(k)] = v
	}
	key := ct.Email
	if r.c.settings.Identifier == ByExtID {
		key = ct.ExtID
		if key == "" {
			key, _ = attrs["EXT_ID"].(string)
		}
	}
	if key == "" {
		return connector.Record{}
	}
	fields := make(map[string]any, len(r.paths))
	for _, p := range r.paths {
		switch strings.ToLower(p) {
		case fieldEmail:
			fields[p] = ct.Email
		case fieldEmailBlacklisted:
			fields[p] = ct.EmailBlacklisted
		case fieldSMSBlacklisted:
			fields[p] = ct.SMSBlacklisted
		case fieldSubscribed:
			fields[p] = member(ct.ListIDs, r.c.settings.ListIDs)
		default:
			fields[p] = attrs[strings.ToUpper(p)]
		}
	}
	return connector.Record{Key: key, Fields: fields}
}

// member is true when the contact is in every consent list, false when in
// none, and nil (a difference from both, which an upsert repairs) when in
// some.
func member(in, lists []int64) any {
	n := 0
	for _, l := range lists {
		if slices.Contains(in, l) {
			n++
		}
	}
	switch n {
	case len(lists):
		return true
	case 0:
		return false
	}
	return nil
}
