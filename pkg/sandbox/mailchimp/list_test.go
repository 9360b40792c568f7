package mailchimp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// GET …/members pages the audience in a stable order with total_items,
// archived members included unless status filters them; fields projects
// the answer; a count over 1000 is refused.
func TestListMembers(t *testing.T) {
	f := NewFake("key-us1", "L1")
	for i, st := range []string{"subscribed", "unsubscribed", "archived"} {
		f.Put("L1", fmt.Sprintf("p%d@example.com", i), st)
	}
	if w := do(t, f, "PUT", "/3.0/lists/L1/members/"+hash("p0@example.com"), "any", "key-us1",
		`{"email_address":"p0@example.com","merge_fields":{"FNAME":"Ada","LNAME":"L"},"vip":true}`); w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	type page struct {
		Members    []map[string]any `json:"members"`
		TotalItems *int             `json:"total_items"`
		ListID     string           `json:"list_id"`
	}
	get := func(query string, want int) page {
		t.Helper()
		w := do(t, f, "GET", "/3.0/lists/L1/members"+query, "any", "key-us1", "")
		var p page
		if w.Code != want {
			t.Fatalf("%s: %d %s", query, w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	seen := map[string]string{}
	for off := 0; off < 3; off += 2 {
		p := get(fmt.Sprintf("?count=2&offset=%d", off), 200)
		if *p.TotalItems != 3 || p.ListID != "L1" || len(p.Members) != min(2, 3-off) {
			t.Fatalf("offset %d: %+v", off, p)
		}
		for _, m := range p.Members {
			seen[m["email_address"].(string)] = m["status"].(string)
			if m["email_address"] == "p0@example.com" && (m["vip"] != true || m["merge_fields"].(map[string]any)["FNAME"] != "Ada") {
				t.Errorf("member = %v, want vip and merge fields at the top level", m)
			}
		}
	}
	if want := map[string]string{"p0@example.com": "subscribed", "p1@example.com": "unsubscribed", "p2@example.com": "archived"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("members %v, want %v", seen, want)
	}
	if p := get("?status=archived", 200); *p.TotalItems != 1 || len(p.Members) != 1 {
		t.Errorf("archived: %+v", p)
	}
	p := get("?status=subscribed&fields=members.email_address,members.merge_fields.FNAME,total_items", 200)
	if want := []map[string]any{{"email_address": "p0@example.com", "merge_fields": map[string]any{"FNAME": "Ada"}}}; !reflect.DeepEqual(p.Members, want) || p.ListID != "" || *p.TotalItems != 1 {
		t.Errorf("fields: %+v, want %v", p, want)
	}
	for _, q := range []string{"?count=1001", "?offset=x", "?status=gone"} {
		get(q, 400)
	}
	if w := do(t, f, "GET", "/3.0/lists/L2/members", "any", "key-us1", ""); w.Code != 404 {
		t.Errorf("unknown list: %d", w.Code)
	}
	if w := do(t, f, "GET", "/3.0/lists/L1/members", "any", "bad", ""); w.Code != 401 {
		t.Errorf("bad key: %d", w.Code)
	}
	if c := f.Calls(); c.List != 8 {
		t.Errorf("list calls = %d, want 8", c.List)
	}
}
