package akamai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// MaxPageSize is the largest max_results entity.find accepts (Akamai
// documents 10000); DefaultPageSize is what List asks for when the
// caller gives no size.
const (
	MaxPageSize     = 10000
	DefaultPageSize = 100
)

var _ source.Lister = (*Fetcher)(nil)

// List implements source.Lister with Capture's /entity.find, paged the
// way Akamai recommends for large data sets: sort_on ["id"] and a filter
// `id > N`, where N is the last id of the previous page (the cursor, as
// decimal text; "" starts at id 0). Keyset paging never skips or repeats
// a record, even when records are created while listing (they get higher
// ids and come on a later page), and it is not bound by the 10,000-record
// window of first_result paging. size ≤ 0 means DefaultPageSize; above
// MaxPageSize it is capped. A page shorter than asked is the last.
// Records map as Fetch maps them; errors are classified as Fetch's.
func (f *Fetcher) List(ctx context.Context, cursor string, size int) ([]*profile.Profile, string, error) {
	after := int64(0)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return nil, "", fault.New(fault.Permanent, 0, "", "capture entity.find: the cursor is not a record id")
		}
		after = n
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	size = min(size, MaxPageSize)
	form := url.Values{
		"type_name":   {f.cfg.TypeName},
		"filter":      {fmt.Sprintf("id > %d", after)},
		"sort_on":     {`["id"]`},
		"max_results": {strconv.Itoa(size)},
	}
	status, h, body, err := sourcekit.Send(ctx, f.hc, "capture entity.find", http.MethodPost, f.cfg.CaptureURL+"/entity.find",
		"application/x-www-form-urlencoded", []byte(form.Encode()), sourcekit.Basic(f.cfg.ClientID, f.cfg.ClientSecret))
	if err != nil {
		return nil, "", err
	}
	var fr struct {
		captureResponse
		Results []json.RawMessage `json:"results"`
	}
	jsonErr := json.Unmarshal(body, &fr)
	if status != http.StatusOK {
		return nil, "", fault.FromHTTP(status, h, fr.Error, fr.ErrorDescription)
	}
	if jsonErr != nil {
		return nil, "", fault.New(fault.Transient, status, "", "capture entity.find: response is not JSON")
	}
	switch fr.Stat {
	case "ok":
	case "error":
		return nil, "", &fault.Error{Class: captureClass(fr.Code), Status: status,
			Code: fr.Error, Message: fmt.Sprintf("capture code %d: %s", fr.Code, fr.ErrorDescription)}
	default:
		return nil, "", fault.New(fault.Transient, status, "", fmt.Sprintf("capture entity.find: unexpected stat %q", fr.Stat))
	}
	out := make([]*profile.Profile, 0, len(fr.Results))
	last := after
	for i, raw := range fr.Results {
		var key struct {
			ID json.Number `json:"id"`
		}
		p, err := mapRecord(raw)
		if err == nil {
			err = json.Unmarshal(raw, &key)
		}
		id, idErr := key.ID.Int64()
		if err != nil || idErr != nil || id <= after {
			// Without a readable id above the cursor the next page
			// cannot be asked for: no retry fixes that.
			return nil, "", fault.New(fault.Permanent, status, "", fmt.Sprintf("capture entity.find: result %d has no id past the cursor", i))
		}
		last = max(last, id)
		out = append(out, p)
	}
	if len(fr.Results) < size {
		return out, "", nil
	}
	return out, strconv.FormatInt(last, 10), nil
}
