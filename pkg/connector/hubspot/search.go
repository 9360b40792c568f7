package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector/internal/connectorkit"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// The read side: the CRM v3 search endpoint, for claim verification
// (pkg/claims/authority/hubspot) and reconciliation.

// Search limits HubSpot documents.
const (
	// MaxSearchPage is the most results one search call answers.
	MaxSearchPage = 200
	// MaxSearchResults is the most results a search pages through; past
	// it HubSpot answers 400.
	MaxSearchResults = 10000
)

// Filter operators the search endpoint takes (a subset).
const (
	OpEQ             = "EQ"
	OpNEQ            = "NEQ"
	OpHasProperty    = "HAS_PROPERTY"
	OpNotHasProperty = "NOT_HAS_PROPERTY"
)

// SearchRequest is the search body. FilterGroups are ORed, the filters of
// a group ANDed.
type SearchRequest struct {
	FilterGroups []FilterGroup `json:"filterGroups"`
	// Properties to return; none gets the object's default properties.
	Properties []string `json:"properties,omitempty"`
	// Sorts, e.g. [{"propertyName":"createdate","direction":"ASCENDING"}].
	Sorts []Sort `json:"sorts,omitempty"`
	// Limit is the page size (1..MaxSearchPage; 0 lets HubSpot choose, 10).
	Limit int `json:"limit,omitempty"`
	// After is the cursor to start from ("" for the first page).
	After string `json:"after,omitempty"`
	// MaxResults stops paging once this many results are in (0: page
	// through everything, up to MaxSearchResults). Not sent.
	MaxResults int `json:"-"`
}

// FilterGroup is one ANDed group of filters.
type FilterGroup struct {
	Filters []Filter `json:"filters"`
}

// Filter is one condition on a property.
type Filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value,omitempty"`
}

// Sort orders the results.
type Sort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"` // ASCENDING or DESCENDING
}

// SearchResult is one object a search found. Properties holds the
// requested (or default) properties that have a value; unset ones, which
// HubSpot answers as null, are absent.
type SearchResult struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  string            `json:"createdAt"`
	UpdatedAt  string            `json:"updatedAt"`
	Archived   bool              `json:"archived"`
}

// searchPage is one answer of the search endpoint.
type searchPage struct {
	Total   *int `json:"total"`
	Results []struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
		CreatedAt  string             `json:"createdAt"`
		UpdatedAt  string             `json:"updatedAt"`
		Archived   bool               `json:"archived"`
	} `json:"results"`
	Paging *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// Searcher searches one portal's CRM. It is what a caller that only reads
// builds (no mapping settings); a Client searches too. It is safe for
// concurrent use.
type Searcher struct {
	creds Credentials
	hc    *http.Client
}

// NewSearcher returns a Searcher for the portal c names. A nil hc gets a
// client with DefaultTimeout.
func NewSearcher(c Credentials, hc *http.Client) *Searcher {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if hc == nil {
		hc = egress.Client(egress.Production, DefaultTimeout)
	}
	return &Searcher{creds: c, hc: hc}
}

// BuildSearcher parses the connector's secret (ParseCredentials), checks
// its base_url against hc's egress policy and returns a Searcher.
func BuildSearcher(secret []byte, hc *http.Client) (*Searcher, error) {
	c, err := ParseCredentials(secret)
	if err == nil {
		err = connectorkit.CheckEgress(hc, "hubspot", "base_url", c.BaseURL)
	}
	if err != nil {
		return nil, err
	}
	return NewSearcher(c, hc), nil
}

// Search runs req against objectType; see Searcher.Search.
func (c *Client) Search(ctx context.Context, objectType string, req SearchRequest) ([]SearchResult, error) {
	return (&Searcher{creds: c.creds, hc: c.hc}).Search(ctx, objectType, req)
}

// Search runs req with POST /crm/v3/objects/{objectType}/search
// (objectType: contacts, companies, deals, a custom object's type id...)
// and returns the results, following paging.next.after until there is no
// next page or req.MaxResults are in.
//
// Errors are classified as the writes' are: 429 Throttled (search has its
// own per-second limit), 5xx Transient, 401 and 403 Permanent, 400 (an
// unknown property, too many filters) Permanent; filter values are
// removed from HubSpot's messages. A 200 that is not a search answer is
// Permanent, code MALFORMED_ANSWER.
func (s *Searcher) Search(ctx context.Context, objectType string, req SearchRequest) ([]SearchResult, error) {
	seg, err := connectorkit.PathSegment("hubspot", "object type", objectType)
	if err != nil {
		return nil, err
	}
	if req.FilterGroups == nil {
		req.FilterGroups = []FilterGroup{} // HubSpot wants the key
	}
	var sent []string
	for _, g := range req.FilterGroups {
		for _, f := range g.Filters {
			sent = append(sent, f.Value)
		}
	}
	path := "/crm/v3/objects/" + seg + "/search"
	var out []SearchResult
	for {
		body, err := connectorkit.EncodeJSON(req, "search request")
		if err != nil {
			return nil, err
		}
		status, h, resp, err := s.call(ctx, path, body)
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", objectType, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("search %s: %w", objectType, classify(status, h, resp, sent))
		}
		var p searchPage
		if json.Unmarshal(resp, &p) != nil || p.Total == nil {
			return nil, fmt.Errorf("search %s: %w", objectType, fault.New(fault.Permanent, status, "MALFORMED_ANSWER", "the answer is not a search result"))
		}
		for _, r := range p.Results {
			props := make(map[string]string, len(r.Properties))
			for k, v := range r.Properties {
				if v != nil {
					props[k] = *v
				}
			}
			out = append(out, SearchResult{ID: r.ID, Properties: props, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Archived: r.Archived})
		}
		if req.MaxResults > 0 && len(out) >= req.MaxResults {
			return out[:req.MaxResults], nil
		}
		if p.Paging == nil || p.Paging.Next == nil || p.Paging.Next.After == "" || len(out) >= MaxSearchResults {
			return out, nil
		}
		if p.Paging.Next.After == req.After {
			return nil, fmt.Errorf("search %s: %w", objectType, fault.New(fault.Permanent, status, "MALFORMED_ANSWER", "paging.next.after repeats the cursor just used"))
		}
		req.After = p.Paging.Next.After
	}
}

func (s *Searcher) call(ctx context.Context, path string, body []byte) (int, http.Header, []byte, error) {
	h := connectorkit.JSONHeader(body)
	h.Set("Authorization", "Bearer "+s.creds.AccessToken)
	return connectorkit.Call(ctx, s.hc, http.MethodPost, s.creds.BaseURL+path, h, body, maxBody)
}
