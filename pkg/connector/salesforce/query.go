package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The read side: SOQL queries through the REST API's query resource, for
// claim verification (pkg/claims/authority/salesforce) and reconciliation.

// maxQueryPages bounds how many pages one Query follows, so a server that
// keeps answering nextRecordsUrl cannot keep a caller forever (at the
// default batch size of 2,000 this is 2 million records).
const maxQueryPages = 1000

// Reader runs queries against one org. It is what a caller that only reads
// builds (no sObject or External ID field to name); a Client reads too.
// It is safe for concurrent use.
type Reader struct{ c *Client }

// NewReader returns a Reader for the org c names, on REST API apiVersion
// (e.g. "v62.0"; "" is DefaultAPIVersion). A nil hc gets a client with
// DefaultTimeout.
func NewReader(apiVersion string, c Credentials, hc *http.Client) (*Reader, error) {
	if apiVersion == "" {
		apiVersion = DefaultAPIVersion
	}
	if !apiVersionRE.MatchString(apiVersion) {
		return nil, fmt.Errorf("salesforce reader: api_version %q is not a version like %q", apiVersion, DefaultAPIVersion)
	}
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	return &Reader{c: &Client{settings: Settings{APIVersion: apiVersion}, hc: hc, tokens: newTokenSource(c, hc)}}, nil
}

// BuildReader parses the connector's secret (ParseCredentials), checks its
// login_url against hc's egress policy and returns a Reader: the
// constructor for callers that hold the secret's bytes.
func BuildReader(apiVersion string, secret []byte, hc *http.Client) (*Reader, error) {
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "salesforce", "login_url", c.LoginURL)
	}
	if err != nil {
		return nil, err
	}
	return NewReader(apiVersion, c, hc)
}

// Query runs soql and returns every record of its result (following
// nextRecordsUrl). See Client.Query.
func (r *Reader) Query(ctx context.Context, soql string) ([]map[string]any, error) {
	return r.c.Query(ctx, soql)
}

// queryPage is one answer of the query resource.
type queryPage struct {
	TotalSize      *int             `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// Query runs soql (build its literals with QuoteSOQL) with GET
// /services/data/{api_version}/query and returns every record of the
// result, following nextRecordsUrl page by page. Each record is the JSON
// object Salesforce answers, its "attributes" ({type, url}) included;
// numbers are json.Number, so ids and large values keep their digits.
//
// Errors are classified as the writes' are (REQUEST_LIMIT_EXCEEDED is
// Throttled, 5xx Transient, a refused token Permanent, MALFORMED_QUERY and
// INVALID_FIELD Permanent); the string literals of soql are removed from
// any message Salesforce quotes back. A 200 that is not a query result is
// Permanent, code MALFORMED_ANSWER.
func (c *Client) Query(ctx context.Context, soql string) ([]map[string]any, error) {
	path := "/services/data/" + c.settings.APIVersion + "/query?" + url.Values{"q": {soql}}.Encode()
	sent := soqlLiterals(soql)
	var out []map[string]any
	for page := 0; ; page++ {
		if page == maxQueryPages {
			return nil, fault.New(fault.Permanent, 0, "", fmt.Sprintf("query: more than %d pages", maxQueryPages))
		}
		p, err := c.queryPage(ctx, path, sent)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Records...)
		if p.Done || p.NextRecordsURL == "" {
			return out, nil
		}
		// nextRecordsUrl is a path on the instance; refuse anything else
		// rather than send the token somewhere it names.
		if !strings.HasPrefix(p.NextRecordsURL, "/services/data/") || strings.Contains(p.NextRecordsURL, "//") {
			return nil, fault.New(fault.Permanent, http.StatusOK, "MALFORMED_ANSWER", "query: nextRecordsUrl is not a data API path")
		}
		path = p.NextRecordsURL
	}
}

func (c *Client) queryPage(ctx context.Context, path string, sent []string) (*queryPage, error) {
	status, h, body, err := c.call(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("query: %w", classify(status, h, body, sent))
	}
	var p queryPage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil || p.TotalSize == nil || (p.Records == nil && *p.TotalSize > 0) {
		return nil, fault.New(fault.Permanent, status, "MALFORMED_ANSWER", "query: the answer is not a query result")
	}
	return &p, nil
}
