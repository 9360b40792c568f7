package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The reconciliation's read side: the portal's contacts, page by page,
// with GET /crm/v3/objects/contacts?limit=&after=&properties= (the cursor
// is HubSpot's paging.next.after). The list endpoint, unlike search, has
// no 10,000-result ceiling.

var _ connector.Readable = (*Client)(nil)

// MaxListPage is the most contacts one list call answers.
const MaxListPage = 100

// ContactReader lists the contacts of one portal; see Client.Reader.
type ContactReader struct {
	c     *Client
	props []string // the properties read, id_property not included
}

var _ connector.Reader = (*ContactReader)(nil)

// Reader returns a connector.Reader over the portal's contacts reading
// paths. HubSpot properties are flat, so a path is a property's internal
// name; a path that cannot be one (nested, upper case) is left out of the
// paths returned. A contact without a value in id_property is returned
// unmanaged.
//
// Every property comes back as a string; "true" and "false" are returned
// as booleans, so that a mapped boolean (a consent) compares equal to the
// checkbox property it was written to. Numbers stay strings, and a
// reconciliation compares as text (TextValues).
func (c *Client) Reader(paths []string) (connector.Reader, []string, error) {
	r := &ContactReader{c: c}
	read := make([]string, 0, len(paths))
	seen := map[string]bool{}
	for _, p := range paths {
		if !propertyRE.MatchString(p) || p == c.settings.IDProperty {
			continue
		}
		read = append(read, p)
		if !seen[p] {
			seen[p] = true
			r.props = append(r.props, p)
		}
	}
	return r, read, nil
}

type listPage struct {
	Results *[]struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
	} `json:"results"`
	Paging *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// Records returns one page of at most size contacts (MaxListPage when
// size is 0 or more than that). Errors are classified as the writes' are;
// a 200 that is not a list answer is Permanent, code MALFORMED_ANSWER.
func (r *ContactReader) Records(ctx context.Context, cursor string, size int) ([]connector.Record, string, error) {
	if size <= 0 || size > MaxListPage {
		size = MaxListPage
	}
	q := url.Values{
		"limit":      {strconv.Itoa(size)},
		"properties": {strings.Join(append([]string{r.c.settings.IDProperty}, r.props...), ",")},
	}
	if cursor != "" {
		q.Set("after", cursor)
	}
	status, h, body, err := r.c.call(ctx, http.MethodGet, contactsPath, q, nil)
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", classify(status, h, body, nil)
	}
	var p listPage
	if json.Unmarshal(body, &p) != nil || p.Results == nil {
		return nil, "", fault.New(fault.Permanent, status, "MALFORMED_ANSWER", "the answer is not a contacts list")
	}
	out := make([]connector.Record, 0, len(*p.Results))
	for _, res := range *p.Results {
		out = append(out, r.record(res.Properties))
	}
	if p.Paging == nil || p.Paging.Next == nil || p.Paging.Next.After == "" {
		return out, "", nil
	}
	if p.Paging.Next.After == cursor {
		return nil, "", fault.New(fault.Permanent, status, "MALFORMED_ANSWER", "paging.next.after repeats the cursor just used")
	}
	return out, p.Paging.Next.After, nil
}

func (r *ContactReader) record(props map[string]*string) connector.Record {
	k := props[r.c.settings.IDProperty]
	if k == nil || *k == "" {
		return connector.Record{}
	}
	fields := make(map[string]any, len(r.props))
	for _, name := range r.props {
		v := props[name]
		switch {
		case v == nil:
			fields[name] = nil
		case *v == "true":
			fields[name] = true
		case *v == "false":
			fields[name] = false
		default:
			fields[name] = *v
		}
	}
	return connector.Record{Key: *k, Fields: fields}
}

// TextValues is true: the target keeps every value as text (see
// connector.TextValued).
func (r *ContactReader) TextValues() bool { return true }
