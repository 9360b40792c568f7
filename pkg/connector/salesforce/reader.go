package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The reconciliation's read side: every record of the sObject, page by
// page (nextRecordsUrl is the cursor), with its Id, the External ID field
// and the mapped fields.

var _ connector.Readable = (*Client)(nil)

// RecordReader lists the records of one sObject; see Client.Reader.
type RecordReader struct {
	c      *Client
	soql   string
	fields []string // the paths read, as the mapping names them
}

var _ connector.Reader = (*RecordReader)(nil)

// Reader returns a connector.Reader over the Client's sObject reading
// paths. Paths with a '.' (relationship fields) and the key fields are
// not read. Records without a value in the External ID field are
// returned unmanaged (empty Key): SOQL's "!= null" would skip them, but
// the count of records ProfileSync does not manage is part of the
// reconciliation's report.
func (c *Client) Reader(paths []string) (connector.Reader, []string, error) {
	seen := map[string]bool{"id": true, strings.ToLower(c.settings.ExternalIDField): true}
	r := &RecordReader{c: c}
	cols := []string{"Id", c.settings.ExternalIDField}
	for _, p := range paths {
		if strings.Contains(p, ".") || seen[strings.ToLower(p)] {
			continue
		}
		if !apiNameRE.MatchString(p) {
			return nil, nil, fmt.Errorf("salesforce reader: %q is not a field API name", p)
		}
		seen[strings.ToLower(p)] = true
		r.fields = append(r.fields, p)
		cols = append(cols, p)
	}
	r.soql = "SELECT " + strings.Join(cols, ", ") + " FROM " + c.settings.Object
	return r, r.fields, nil
}

// Records returns one page of the query's result; Salesforce chooses the
// page size (2,000 by default), so size is not used.
func (r *RecordReader) Records(ctx context.Context, cursor string, _ int) ([]connector.Record, string, error) {
	path := "/services/data/" + r.c.settings.APIVersion + "/query?" + url.Values{"q": {r.soql}}.Encode()
	if cursor != "" {
		// A cursor is a nextRecordsUrl this reader returned: a path on the
		// instance, never anywhere else the token would go.
		if !strings.HasPrefix(cursor, "/services/data/") || strings.Contains(cursor, "//") {
			return nil, "", fault.New(fault.Permanent, 0, "", "salesforce reader: the cursor is not a data API path")
		}
		path = cursor
	}
	p, err := r.c.queryPage(ctx, path, nil)
	if err != nil {
		return nil, "", err
	}
	out := make([]connector.Record, 0, len(p.Records))
	for _, rec := range p.Records {
		out = append(out, r.record(rec))
	}
	if p.Done || p.NextRecordsURL == "" {
		return out, "", nil
	}
	if !strings.HasPrefix(p.NextRecordsURL, "/services/data/") || strings.Contains(p.NextRecordsURL, "//") {
		return nil, "", fault.New(fault.Permanent, http.StatusOK, "MALFORMED_ANSWER", "query: nextRecordsUrl is not a data API path")
	}
	return out, p.NextRecordsURL, nil
}

// record reads one query row: field names match case-insensitively, as
// Salesforce's API names do.
func (r *RecordReader) record(row map[string]any) connector.Record {
	byName := make(map[string]any, len(row))
	for k, v := range row {
		byName[strings.ToLower(k)] = v
	}
	key, _ := byName[strings.ToLower(r.c.settings.ExternalIDField)].(string)
	if key == "" {
		return connector.Record{}
	}
	fields := make(map[string]any, len(r.fields))
	for _, f := range r.fields {
		fields[f] = byName[strings.ToLower(f)]
	}
	return connector.Record{Key: key, Fields: fields}
}

var _ connector.Finder = (*RecordReader)(nil)

// Find reads the record whose External ID field is key (an escaped SOQL
// literal). Salesforce keeps an External ID unique, so at most one comes.
func (r *RecordReader) Find(ctx context.Context, key string) (connector.Record, bool, error) {
	soql := r.soql + " WHERE " + r.c.settings.ExternalIDField + " = " + QuoteSOQL(key) + " LIMIT 2"
	path := "/services/data/" + r.c.settings.APIVersion + "/query?" + url.Values{"q": {soql}}.Encode()
	p, err := r.c.queryPage(ctx, path, []string{key})
	if err != nil {
		return connector.Record{}, false, err
	}
	if len(p.Records) == 0 {
		return connector.Record{}, false, nil
	}
	return r.record(p.Records[0]), true, nil
}
