package braze

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// noData is Braze's answer when a request carries nothing it can apply.
const noData = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."

var subscribeStates = []string{"opted_in", "subscribed", "unsubscribed"}

// objectError is one non-fatal error.
type objectError struct {
	Type       string `json:"type"`
	InputArray string `json:"input_array,omitempty"`
	Index      *int   `json:"index,omitempty"`
}

// track applies the attributes objects. Call with f.mu held.
func (f *Fake) track(w http.ResponseWriter, body map[string]json.RawMessage) {
	var attrs []map[string]any
	if raw, ok := body["attributes"]; ok {
		if err := json.Unmarshal(raw, &attrs); err != nil {
			writeMessage(w, http.StatusBadRequest, "'attributes' must be an array of objects.")
			return
		}
	}
	if len(attrs) == 0 && body["events"] == nil && body["purchases"] == nil {
		writeMessage(w, http.StatusBadRequest, noData)
		return
	}
	if len(attrs) > MaxAttributes {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Too many attributes objects in request (max %d).", MaxAttributes))
		return
	}
	var errs []objectError
	processed := 0
	for i, a := range attrs {
		if msg := validate(a); msg != "" {
			e := objectError{Type: msg}
			if !f.unindexed {
				e.InputArray, e.Index = "attributes", &i
			}
			errs = append(errs, e)
			continue
		}
		id, _ := a["external_id"].(string)
		if id == "" {
			processed++ // email/phone/alias-keyed objects are accepted but not stored
			continue
		}
		u, exists := f.users[id]
		if !exists {
			if only, _ := a["_update_existing_only"].(bool); only {
				continue // update-only mode skips unknown users silently
			}
			u = map[string]any{}
			f.users[id] = u
		}
		apply(u, a)
		processed++
	}
	resp := map[string]any{"message": "success", "attributes_processed": processed}
	status := http.StatusCreated
	if processed == 0 && len(errs) > 0 {
		resp["message"], status = noData, http.StatusBadRequest
		delete(resp, "attributes_processed")
	}
	if len(errs) > 0 {
		resp["errors"] = errs
	}
	writeJSON(w, status, resp)
}

// validate returns the non-fatal error for one attributes object, or "".
func validate(a map[string]any) string {
	hasID := false
	for _, k := range []string{"external_id", "braze_id", "user_alias", "email", "phone"} {
		if v, ok := a[k]; ok && v != nil && v != "" {
			hasID = true
		}
	}
	if !hasID {
		return "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required"
	}
	if v, ok := a["external_id"]; ok {
		if _, isString := v.(string); !isString {
			return "'external_id' must be a string"
		}
	}
	if v, ok := a["email_subscribe"]; ok {
		if s, _ := v.(string); !slices.Contains(subscribeStates, s) {
			return fmt.Sprintf("Invalid 'email_subscribe' value '%v': must be one of %s", v, strings.Join(subscribeStates, ", "))
		}
	}
	if v, ok := a["email"]; ok && v != nil {
		if s, _ := v.(string); !strings.Contains(s, "@") {
			return fmt.Sprintf("Invalid 'email' value '%v'", v)
		}
	}
	return ""
}

// apply stores a's attributes on u; subscription_groups become a map of
// group id to state.
func apply(u, a map[string]any) {
	for k, v := range a {
		switch k {
		case "external_id", "_update_existing_only":
		case "subscription_groups":
			groups, _ := u[k].(map[string]any)
			if groups == nil {
				groups = map[string]any{}
			}
			list, _ := v.([]any)
			for _, g := range list {
				m, _ := g.(map[string]any)
				if id, ok := m["subscription_group_id"].(string); ok {
					groups[id] = m["subscription_state"]
				}
			}
			u[k] = groups
		default:
			u[k] = v
		}
	}
}

// deleteUsers handles /users/delete. Call with f.mu held.
func (f *Fake) deleteUsers(w http.ResponseWriter, body map[string]json.RawMessage) {
	var given []string
	for _, k := range []string{"external_ids", "user_aliases", "braze_ids", "email_addresses", "phone_numbers"} {
		if _, ok := body[k]; ok {
			given = append(given, k)
		}
	}
	if len(given) != 1 {
		writeMessage(w, http.StatusBadRequest, "Exactly one of 'external_ids', 'user_aliases', 'braze_ids', 'email_addresses' or 'phone_numbers' must be provided.")
		return
	}
	var ids []any
	if err := json.Unmarshal(body[given[0]], &ids); err != nil {
		writeMessage(w, http.StatusBadRequest, "'"+given[0]+"' must be an array.")
		return
	}
	if len(ids) > MaxDeleteIDs {
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf("Too many identifiers in request (max %d).", MaxDeleteIDs))
		return
	}
	deleted := 0
	if given[0] == "external_ids" {
		for _, v := range ids {
			if id, ok := v.(string); ok {
				if _, exists := f.users[id]; exists {
					delete(f.users, id)
					deleted++
				}
			}
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"deleted": deleted, "message": "success"})
}
