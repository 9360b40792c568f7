package hubspot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// All handlers below run with f.mu held (see serve).

type upsertInput struct {
	ID                 string         `json:"id"`
	IDProperty         string         `json:"idProperty"`
	Properties         map[string]any `json:"properties"`
	ObjectWriteTraceID string         `json:"objectWriteTraceId,omitempty"`
}

// propertyError is one entry of the "Property values were not valid"
// message HubSpot answers a batch with when an input's values are refused.
type propertyError struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

// readOnly are properties HubSpot computes; writing them is refused.
var readOnly = map[string]bool{"hs_object_id": true, "createdate": true, "lastmodifieddate": true}

func (f *Fake) batchUpsert(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Inputs []upsertInput `json:"inputs"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&in); err != nil {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1, column 1")
		return
	}
	if msg := f.checkBatch(in.Inputs); msg != "" {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", msg)
		return
	}
	var results, errs []map[string]any
	for _, input := range in.Inputs {
		res, e := f.upsertOne(input)
		if e != nil {
			errs = append(errs, e)
			continue
		}
		results = append(results, res)
	}
	now := f.now().UTC().Format(time.RFC3339Nano)
	body := map[string]any{"status": "COMPLETE", "results": results, "requestedAt": now, "startedAt": now, "completedAt": now}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		body["errors"], body["numErrors"] = errs, len(errs)
	}
	writeJSON(w, status, body)
}

// checkBatch finds what makes HubSpot refuse a whole batch: its size, a
// non-unique idProperty, duplicate ids, and invalid property values.
func (f *Fake) checkBatch(inputs []upsertInput) string {
	switch {
	case len(inputs) == 0:
		return "inputs: must not be empty"
	case len(inputs) > MaxBatch:
		return fmt.Sprintf("Batch input limit exceeded: %d inputs, at most %d are allowed", len(inputs), MaxBatch)
	}
	seen := map[string]bool{}
	var invalid []propertyError
	for _, in := range inputs {
		if !f.unique[in.IDProperty] {
			return fmt.Sprintf("Unable to perform update/upsert by non-unique 0-1 property %s in portal ID 1", in.IDProperty)
		}
		if in.ID == "" {
			return "inputs: id is required"
		}
		if seen[in.IDProperty+"\x00"+in.ID] {
			return "Duplicate IDs found in batch input: [" + in.ID + "]"
		}
		seen[in.IDProperty+"\x00"+in.ID] = true
		invalid = append(invalid, f.checkProperties(in.Properties)...)
	}
	if len(invalid) == 0 {
		return ""
	}
	b, _ := json.Marshal(invalid)
	return "Property values were not valid: " + string(b)
}

func (f *Fake) checkProperties(props map[string]any) []propertyError {
	var out []propertyError
	for name, v := range props {
		switch {
		case readOnly[name]:
			out = append(out, propertyError{Message: fmt.Sprintf("%q is a read only property; its value cannot be set.", name), Error: "READ_ONLY_VALUE", Name: name})
		case f.schema != nil && !f.schema[name] && !f.unique[name]:
			out = append(out, propertyError{Message: fmt.Sprintf("Property %q does not exist", name), Error: "PROPERTY_DOESNT_EXIST", Name: name})
		case name == "email" && !validEmail(fmt.Sprint(v)):
			out = append(out, propertyError{Message: fmt.Sprintf("Email address %s is invalid", v), Error: "INVALID_EMAIL", Name: name})
		}
		if _, ok := v.(map[string]any); ok {
			out = append(out, propertyError{Message: fmt.Sprintf("%q: property values must be strings", name), Error: "INVALID_OPTION", Name: name})
		}
	}
	return out
}

// validEmail is the fake's rough check; a value without @ or a dot in the
// domain is refused. An empty value clears the property.
func validEmail(s string) bool {
	if s == "" {
		return true
	}
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t")
}

// upsertOne applies one input: a per-input CONFLICT error when its email
// belongs to another contact, else the created or updated contact.
func (f *Fake) upsertOne(in upsertInput) (map[string]any, map[string]any) {
	c := f.find(in.IDProperty, in.ID)
	if email, ok := in.Properties["email"].(string); ok && email != "" {
		if other := f.find("email", email); other != nil && other != c {
			return nil, map[string]any{
				"status": "error", "category": "CONFLICT",
				"message": "Contact already exists. Existing ID: " + other.ID,
				"context": map[string]any{"ids": []string{in.ID}},
				"errors":  []any{},
			}
		}
	}
	now := f.now().UTC()
	created := c == nil
	if created {
		f.seq++
		c = &Contact{ID: strconv.Itoa(f.seq), Properties: map[string]string{}, CreatedAt: now}
		f.contacts[c.ID] = c
		c.Properties[in.IDProperty] = in.ID
		c.Properties["hs_object_id"] = c.ID
		c.Properties["createdate"] = now.Format(time.RFC3339Nano)
	}
	for k, v := range in.Properties {
		if k == in.IDProperty {
			continue // the id addresses the contact; HubSpot keeps it
		}
		c.Properties[k] = propertyString(v)
	}
	c.UpdatedAt = now
	c.Properties["lastmodifieddate"] = now.Format(time.RFC3339Nano)
	res := contactJSON(c)
	res["new"] = created
	if in.ObjectWriteTraceID != "" {
		res["objectWriteTraceId"] = in.ObjectWriteTraceID
	}
	return res, nil
}

func propertyString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// find returns the contact whose property prop is value (hs_object_id or
// "" for the record id); emails match case-insensitively.
func (f *Fake) find(prop, value string) *Contact {
	if prop == "" || prop == "hs_object_id" {
		return f.contacts[value]
	}
	for _, c := range f.contacts {
		v := c.Properties[prop]
		if v == value || (prop == "email" && v != "" && strings.EqualFold(v, value)) {
			return c
		}
	}
	return nil
}

func contactJSON(c *Contact) map[string]any {
	props := make(map[string]string, len(c.Properties))
	for k, v := range c.Properties {
		props[k] = v
	}
	return map[string]any{
		"id": c.ID, "properties": props, "archived": false,
		"createdAt": c.CreatedAt.Format(time.RFC3339Nano), "updatedAt": c.UpdatedAt.Format(time.RFC3339Nano),
	}
}

// read answers GET /crm/v3/objects/contacts/{id}[?idProperty=...].
func (f *Fake) read(w http.ResponseWriter, r *http.Request, id string) {
	prop := r.URL.Query().Get("idProperty")
	if prop != "" && prop != "hs_object_id" && !f.unique[prop] {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Property "+prop+" is not a unique identifier property")
		return
	}
	c := f.find(prop, id)
	if c == nil {
		f.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found")
		return
	}
	writeJSON(w, http.StatusOK, contactJSON(c))
}

// archive answers DELETE /crm/v3/objects/contacts/{contactId}: 204, also
// for an id that is already gone.
func (f *Fake) archive(w http.ResponseWriter, id string) {
	delete(f.contacts, id)
	w.WriteHeader(http.StatusNoContent)
}

// gdprDelete answers POST /crm/v3/objects/contacts/gdpr-delete: the contact
// goes and its email is blocklisted. An unknown email is blocklisted too
// (204); an unknown id of another property is 404.
func (f *Fake) gdprDelete(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ObjectID   string `json:"objectId"`
		IDProperty string `json:"idProperty"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil || in.ObjectID == "" {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: objectId is required")
		return
	}
	if in.IDProperty != "" && in.IDProperty != "hs_object_id" && !f.unique[in.IDProperty] {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Property "+in.IDProperty+" is not a unique identifier property")
		return
	}
	c := f.find(in.IDProperty, in.ObjectID)
	switch {
	case c != nil:
		if e := c.Properties["email"]; e != "" {
			f.blocked[strings.ToLower(e)] = true
		}
		delete(f.contacts, c.ID)
	case in.IDProperty == "email":
		f.blocked[strings.ToLower(in.ObjectID)] = true
	default:
		f.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// unsubscribe answers POST /communication-preferences/v3/unsubscribe.
// Unsubscribing twice is refused with 400, as HubSpot does.
func (f *Fake) unsubscribe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		EmailAddress          string `json:"emailAddress"`
		SubscriptionID        string `json:"subscriptionId"`
		LegalBasis            string `json:"legalBasis"`
		LegalBasisExplanation string `json:"legalBasisExplanation"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in)
	if err != nil || in.EmailAddress == "" || in.SubscriptionID == "" {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			"Invalid input JSON on line 1, column 2: Cannot build PublicUpdateSubscriptionStatusRequest, some of required attributes are not set [emailAddress, subscriptionId]")
		return
	}
	if _, err := strconv.ParseUint(in.SubscriptionID, 10, 64); err != nil {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid subscription id")
		return
	}
	email := strings.ToLower(in.EmailAddress)
	if f.unsub[email][in.SubscriptionID] {
		f.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			in.EmailAddress+" is already unsubscribed from subscription "+in.SubscriptionID)
		return
	}
	if f.unsub[email] == nil {
		f.unsub[email] = map[string]bool{}
	}
	f.unsub[email][in.SubscriptionID] = true
	writeJSON(w, http.StatusOK, map[string]any{
		"id": in.SubscriptionID, "name": "Marketing Information", "description": "Marketing offers and updates.",
		"status": "NOT_SUBSCRIBED", "sourceOfStatus": "SUBSCRIPTION_STATUS",
		"legalBasis": in.LegalBasis, "legalBasisExplanation": in.LegalBasisExplanation,
	})
}
