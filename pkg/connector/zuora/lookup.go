package zuora

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/fault"
)

// find returns the id of the contact whose id_field equals key, or "" when
// there is none. Two or more is a data problem no retry fixes.
func (c *Client) find(ctx context.Context, key string, sent []string) (string, error) {
	var ids []string
	var err error
	if c.settings.Lookup == LookupZOQL {
		ids, err = c.findZOQL(ctx, key, sent)
	} else {
		ids, err = c.findObjectQuery(ctx, key, sent)
	}
	switch {
	case err != nil:
		return "", err
	case len(ids) > 1:
		return "", fault.New(fault.Permanent, 0, "DUPLICATE_KEY",
			fmt.Sprintf("%d contacts share this %s; de-duplicate them in Zuora", len(ids), c.settings.IDField))
	case len(ids) == 1:
		return ids[0], nil
	}
	return "", nil
}

// findObjectQuery asks GET /object-query/contacts with an EQ filter on the
// id field, two per page (enough to spot a duplicate).
func (c *Client) findObjectQuery(ctx context.Context, key string, sent []string) ([]string, error) {
	q := url.Values{
		"filter[]": {c.settings.IDField + ".EQ:" + key},
		"fields[]": {"id"},
		"pageSize": {"2"},
	}
	resp, err := c.do(ctx, http.MethodGet, "/object-query/contacts?"+q.Encode(), nil, "", sent)
	if err != nil {
		return nil, err
	}
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp, &page); err != nil {
		return nil, fault.New(fault.Transient, http.StatusOK, "", "object query answer is not the documented JSON")
	}
	ids := make([]string, 0, len(page.Data))
	for _, d := range page.Data {
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// findZOQL asks POST /v1/action/query with a ZOQL select.
func (c *Client) findZOQL(ctx context.Context, key string, sent []string) ([]string, error) {
	zoql := "select Id from Contact where " + c.settings.IDField + " = '" + zoqlEscape(key) + "'"
	resp, err := c.do(ctx, http.MethodPost, "/v1/action/query", map[string]string{"queryString": zoql}, "", sent)
	if err != nil {
		return nil, err
	}
	var out struct {
		Records []struct {
			ID string `json:"Id"`
		} `json:"records"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return nil, fault.New(fault.Transient, http.StatusOK, "", "query answer is not the documented JSON")
	}
	ids := make([]string, 0, len(out.Records))
	for _, r := range out.Records {
		ids = append(ids, r.ID)
	}
	return ids, nil
}

// zoqlEscape escapes a string literal's backslashes and single quotes with
// a backslash, so a key cannot end the literal and extend the query.
func zoqlEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}
