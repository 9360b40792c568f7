package ldap

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The reconciliation's read side: the entries below the DN template's
// base, page by page with the Simple Paged Results control (RFC 2696).
// The cursor is the control's cookie, base64url. A directory ties the
// cookie to the connection the search started on (OpenLDAP keeps the
// paged state per connection), so a cursor is good only on the same
// Reader while the Client's connection lives: one reconciliation run in
// one process. When the connection was renewed between two pages (a
// dropped connection, a restarted server) Records answers Transient,
// code pagedSearchLost, and the run has to start again from "".

var _ connector.Readable = (*Client)(nil)

// DefaultReadPage is the page size asked for when the caller gives none.
const DefaultReadPage = 500

// EntryReader lists the entries of one directory subtree; see
// Client.Reader.
type EntryReader struct {
	c      *Client
	attrs  []string  // the attributes read, the id attribute not included
	filter string    // the same on every page, as RFC 2696 wants
	conn   directory // the connection the paged search runs on
}

var _ connector.Reader = (*EntryReader)(nil)

// Reader returns a connector.Reader over the entries below the DN
// template's base. It reads the entries that have id_attribute (managed,
// keyed by its value) and the entries of all the object classes a new
// entry gets that lack it (returned unmanaged, so they are counted; with
// flavor ad that includes computer accounts, whose class is user too).
// A path is an attribute name; one that cannot be (nested) or that the
// connector decides itself (objectClass, the id and RDN attributes, AD's
// userAccountControl) is left out of the paths returned.
//
// Values come back as the directory holds them: an attribute with one
// value as a string, with more as a list of strings, sorted (LDAP values
// are unordered, and the writer sorts them too); "TRUE" and "FALSE" (RFC
// 4517 Boolean) as booleans, which is how a mapped boolean is written.
// Numbers stay strings, and a reconciliation compares as text
// (TextValues).
func (c *Client) Reader(paths []string) (connector.Reader, []string, error) {
	r := &EntryReader{c: c}
	read := make([]string, 0, len(paths))
	seen := map[string]bool{}
	for _, p := range paths {
		if !attrNameRE.MatchString(p) || c.owned(p) {
			continue
		}
		read = append(read, p)
		if !seen[strings.ToLower(p)] {
			seen[strings.ToLower(p)] = true
			r.attrs = append(r.attrs, p)
		}
	}
	var classes strings.Builder
	for _, oc := range c.settings.ObjectClasses {
		classes.WriteString("(objectClass=" + ldap.EscapeFilter(oc) + ")")
	}
	r.filter = "(|(" + c.settings.IDAttribute + "=*)(&" + classes.String() + "))"
	return r, read, nil
}

// Records returns one page of at most size entries (DefaultReadPage when
// size is 0). Errors are classified as the writes' are.
func (r *EntryReader) Records(ctx context.Context, cursor string, size int) ([]connector.Record, string, error) {
	var cookie []byte
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(b) == 0 {
			return nil, "", fault.New(fault.Permanent, 0, "", "ldap reader: the cursor is not a paged results cookie")
		}
		cookie = b
	}
	if size <= 0 {
		size = DefaultReadPage
	}
	var out []connector.Record
	var next []byte
	err := r.c.with(ctx, func(d directory) error {
		if cookie != nil && d != r.conn {
			return fault.New(fault.Transient, 0, "pagedSearchLost",
				"the directory connection was renewed since the previous page; the paged search has to start again")
		}
		paging := ldap.NewControlPaging(uint32(size))
		paging.SetCookie(cookie)
		attrs := append([]string{r.c.settings.IDAttribute}, r.attrs...)
		res, err := d.Search(ldap.NewSearchRequest(r.c.base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, 0, false, r.filter, attrs, []ldap.Control{paging}))
		if err != nil {
			return err
		}
		r.conn = d
		out = make([]connector.Record, 0, len(res.Entries))
		for _, e := range res.Entries {
			out = append(out, r.record(e))
		}
		pc, ok := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if !ok {
			return fault.New(fault.Permanent, 0, "pagingUnsupported", "the directory answered a paged search without the paged results control (RFC 2696)")
		}
		next = pc.Cookie
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read entries: %w", classify(err, false, nil))
	}
	if len(next) == 0 {
		return out, "", nil
	}
	return out, base64.RawURLEncoding.EncodeToString(next), nil
}

func (r *EntryReader) record(e *ldap.Entry) connector.Record {
	key := e.GetEqualFoldAttributeValue(r.c.settings.IDAttribute)
	if key == "" {
		return connector.Record{}
	}
	fields := make(map[string]any, len(r.attrs))
	for _, a := range r.attrs {
		fields[a] = readValue(e.GetEqualFoldAttributeValues(a))
	}
	return connector.Record{Key: key, Fields: fields}
}

// readValue is an attribute's values as the comparison sees a mapped
// field: none nil, one a string (or a boolean), more a sorted list.
func readValue(vals []string) any {
	switch len(vals) {
	case 0:
		return nil
	case 1:
		switch vals[0] {
		case "TRUE":
			return true
		case "FALSE":
			return false
		}
		return vals[0]
	}
	s := slices.Clone(vals)
	slices.Sort(s)
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TextValues is true: the target keeps every value as text (see
// connector.TextValued).
func (r *EntryReader) TextValues() bool { return true }
