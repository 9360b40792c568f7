package hubspot

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CRM search, POST /crm/v3/objects/{objectType}/search, over the stored
// contacts and the other objects (companies, deals...) tests and the
// local stack put in with PutObject. Handlers run with f.mu held.

// Search limits, as HubSpot documents them.
const (
	maxSearchLimit    = 200
	maxSearchTotal    = 10000
	maxFilterGroups   = 5
	maxGroupFilters   = 6
	maxFiltersOverall = 18
)

// The demo company SeedDemoCompany adds, for the local stack and the claim
// verification examples.
const (
	DemoCompanyName   = "Example Dealer GmbH"
	DemoCompanyDomain = "example-dealer.test"
	DemoDealerNumber  = "D-1001"
)

// defaultProperties are what a search answers when it names none.
var defaultProperties = map[string][]string{
	"contacts":  {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"},
	"companies": {"createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"},
	"deals":     {"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"},
}

// objectStore holds the objects other than contacts, kept in Fake.objects.
type objectStore struct {
	byType   map[string]map[string]*Contact // object type -> id -> object
	searches int
}

// PutObject stores an object of objectType (e.g. "companies") with props
// and returns its id; "contacts" go where the contacts API keeps them.
func (f *Fake) PutObject(objectType string, props map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	now := f.now().UTC()
	o := &Contact{ID: strconv.Itoa(f.seq), Properties: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	for k, v := range props {
		o.Properties[k] = v
	}
	o.Properties["hs_object_id"] = o.ID
	o.Properties["createdate"] = now.Format(time.RFC3339Nano)
	if objectType == "contacts" {
		f.contacts[o.ID] = o
		return o.ID
	}
	f.objectsOf(objectType)[o.ID] = o
	return o.ID
}

// SeedDemoCompany stores the demo company (name DemoCompanyName, domain
// DemoCompanyDomain, dealer_number DemoDealerNumber) unless a company
// with that domain is there, and returns its id.
func (f *Fake) SeedDemoCompany() string {
	f.mu.Lock()
	for id, o := range f.objectsOf("companies") {
		if o.Properties["domain"] == DemoCompanyDomain {
			f.mu.Unlock()
			return id
		}
	}
	f.mu.Unlock()
	return f.PutObject("companies", map[string]string{"name": DemoCompanyName, "domain": DemoCompanyDomain, "dealer_number": DemoDealerNumber})
}

// Searches counts the search calls the fake answered, failed ones included.
func (f *Fake) Searches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects.searches
}

func (f *Fake) objectsOf(objectType string) map[string]*Contact {
	if objectType == "contacts" {
		return f.contacts
	}
	if f.objects.byType == nil {
		f.objects.byType = map[string]map[string]*Contact{}
	}
	m := f.objects.byType[objectType]
	if m == nil {
		m = map[string]*Contact{}
		f.objects.byType[objectType] = m
	}
	return m
}

type searchFilter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        any    `json:"value"`
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []searchFilter `json:"filters"`
	} `json:"filterGroups"`
	Properties []string `json:"properties"`
	Limit      *int     `json:"limit"`
	After      string   `json:"after"`
}

// search answers a search of objectType: {total, results, paging}.
// Results are in id order; after is the offset of the next result, as
// HubSpot's cursors are. EQ and NEQ compare strings case-insensitively.
func (f *Fake) search(w http.ResponseWriter, r *http.Request, objectType string) {
	var req searchRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1, column 1")
		return
	}
	if msg := checkSearch(&req); msg != "" {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", msg)
		return
	}
	limit := 10
	if req.Limit != nil {
		limit = *req.Limit
	}
	offset := 0
	if req.After != "" {
		n, err := strconv.Atoi(req.After)
		if err != nil || n < 0 {
			f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "after: must be a non-negative integer")
			return
		}
		offset = n
	}
	if offset+limit > maxSearchTotal {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Search results are limited to 10000 results")
		return
	}
	objs := f.objectsOf(objectType)
	var found []*Contact
	for _, o := range objs {
		if matchesGroups(o, req) {
			found = append(found, o)
		}
	}
	sort.Slice(found, func(i, j int) bool {
		a, _ := strconv.Atoi(found[i].ID)
		b, _ := strconv.Atoi(found[j].ID)
		return a < b
	})
	props := req.Properties
	if len(props) == 0 {
		props = defaultProperties[objectType]
		if props == nil {
			props = []string{"createdate", "hs_lastmodifieddate", "hs_object_id"}
		}
	}
	results := []map[string]any{}
	for i := offset; i < len(found) && i < offset+limit; i++ {
		o := found[i]
		p := map[string]any{}
		for _, name := range props {
			if v, ok := o.Properties[name]; ok {
				p[name] = v
			} else {
				p[name] = nil
			}
		}
		results = append(results, map[string]any{
			"id": o.ID, "properties": p, "archived": false,
			"createdAt": o.CreatedAt.Format(time.RFC3339Nano), "updatedAt": o.UpdatedAt.Format(time.RFC3339Nano),
		})
	}
	body := map[string]any{"total": len(found), "results": results}
	if next := offset + limit; next < len(found) {
		body["paging"] = map[string]any{"next": map[string]any{"after": strconv.Itoa(next), "link": "?after=" + strconv.Itoa(next)}}
	}
	writeJSON(w, http.StatusOK, body)
}

// checkSearch finds what makes HubSpot refuse a search body.
func checkSearch(req *searchRequest) string {
	if len(req.FilterGroups) > maxFilterGroups {
		return "filterGroups: at most 5 filter groups are allowed"
	}
	total := 0
	for _, g := range req.FilterGroups {
		if len(g.Filters) > maxGroupFilters {
			return "filterGroups.filters: at most 6 filters per group are allowed"
		}
		total += len(g.Filters)
		for _, fl := range g.Filters {
			switch {
			case fl.PropertyName == "":
				return "filters.propertyName: must not be empty"
			case fl.Operator != "EQ" && fl.Operator != "NEQ" && fl.Operator != "HAS_PROPERTY" && fl.Operator != "NOT_HAS_PROPERTY":
				return "filters.operator: the fake supports EQ, NEQ, HAS_PROPERTY and NOT_HAS_PROPERTY"
			}
		}
	}
	if total > maxFiltersOverall {
		return "filterGroups: at most 18 filters are allowed"
	}
	if req.Limit != nil && (*req.Limit < 0 || *req.Limit > maxSearchLimit) {
		return "limit: must be between 0 and 200"
	}
	return ""
}

// matchesGroups: any group whose filters all hold; no groups match all.
func matchesGroups(o *Contact, req searchRequest) bool {
	if len(req.FilterGroups) == 0 {
		return true
	}
	for _, g := range req.FilterGroups {
		all := true
		for _, fl := range g.Filters {
			if !matchesFilter(o, fl) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func matchesFilter(o *Contact, fl searchFilter) bool {
	v, has := o.Properties[fl.PropertyName]
	has = has && v != ""
	want := propertyString(fl.Value)
	switch fl.Operator {
	case "EQ":
		return has && strings.EqualFold(v, want)
	case "NEQ":
		return !has || !strings.EqualFold(v, want)
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	}
	return false
}
