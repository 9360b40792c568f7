package scim

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The write-back extension is a schema like the enterprise one: listed,
// validated on create, patched by its URN path; an attribute it does not
// declare is refused in PATCH, as a strict provider refuses it.
func TestProfileSyncExtension(t *testing.T) {
	s, err := New(Auth{Token: "tok"}, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()

	if resp, m := do(t, srv, "GET", "/Schemas/"+ProfileSyncExtension, "", nil); resp.StatusCode != 200 || m["id"] != ProfileSyncExtension {
		t.Fatalf("schema = %d %v", resp.StatusCode, m)
	}
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + ProfileSyncExtension + `"],"userName":"ada",` +
		`"` + ProfileSyncExtension + `":{"hcp_status":"pending","undeclared":"dropped"}}`
	resp, created := do(t, srv, "POST", "/Users", body, nil)
	id, _ := created["id"].(string)
	ext, _ := created[ProfileSyncExtension].(map[string]any)
	if resp.StatusCode != 201 || ext["hcp_status"] != "pending" || ext["undeclared"] != nil {
		t.Fatalf("create = %d %v", resp.StatusCode, created)
	}
	patch := func(ops string) (int, map[string]any) {
		resp, m := do(t, srv, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+ops+`]}`, nil)
		return resp.StatusCode, m
	}
	code, m := patch(`{"op":"replace","path":"` + ProfileSyncExtension + `:hcp_status","value":"verified"},` +
		`{"op":"replace","path":"` + ProfileSyncExtension + `:verified","value":true}`)
	ext, _ = m[ProfileSyncExtension].(map[string]any)
	if code != 200 || ext["hcp_status"] != "verified" || ext["verified"] != true {
		t.Fatalf("patch = %d %v", code, m)
	}
	for name, op := range map[string]string{
		"undeclared":   `{"op":"replace","path":"` + ProfileSyncExtension + `:undeclared","value":"x"}`,
		"wrong type":   `{"op":"replace","path":"` + ProfileSyncExtension + `:verified","value":"yes"}`,
		"wrong schema": `{"op":"replace","path":"urn:example:other:2.0:User:hcp_status","value":"x"}`,
	} {
		code, m := patch(op)
		if typ, _ := m["scimType"].(string); code != 400 || !strings.HasPrefix(typ, "invalid") {
			t.Errorf("%s: %d %v, want 400", name, code, m)
		}
	}
	code, m = patch(`{"op":"remove","path":"` + ProfileSyncExtension + `:hcp_status"}`)
	ext, _ = m[ProfileSyncExtension].(map[string]any)
	if code != 200 || ext["hcp_status"] != nil || ext["verified"] != true {
		t.Fatalf("remove = %d %v", code, m)
	}
}
