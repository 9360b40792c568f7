package mailchimp

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

var writableStatuses = []string{"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}

// serveMember handles one member resource (rest is what follows the hash).
func (f *Fake) serveMember(w http.ResponseWriter, r *http.Request, listID, h string, rest []string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "Invalid Resource", "unreadable body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	permanent := len(rest) == 2 && rest[0] == "actions" && rest[1] == "delete-permanent"
	switch {
	case permanent:
		f.calls.DeletePermanent++
	case r.Method == http.MethodPut:
		f.calls.Put++
	case r.Method == http.MethodPatch:
		f.calls.Patch++
	case r.Method == http.MethodDelete:
		f.calls.Archive++
	default:
		f.calls.Get++
	}
	if f.failures.Answer(w, writeInjected) {
		return
	}
	members, ok := f.lists[listID]
	if !ok || (len(rest) > 0 && !permanent) {
		writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
		return
	}
	m := members[h]
	switch {
	case permanent && r.Method == http.MethodPost:
		if m == nil {
			writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
			return
		}
		delete(members, h)
		f.forgotten[listID+"/"+h] = true
		w.WriteHeader(http.StatusNoContent)
	case permanent:
		writeProblem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "The requested method and resource are not compatible.")
	case r.Method == http.MethodGet:
		if m == nil {
			writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
			return
		}
		writeJSON(w, http.StatusOK, m)
	case r.Method == http.MethodDelete:
		if m == nil || m.Status == "archived" {
			writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
			return
		}
		m.Status = "archived"
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut || r.Method == http.MethodPatch:
		f.write(w, listID, h, body, r.Method == http.MethodPut)
	default:
		writeProblem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "The requested method and resource are not compatible.")
	}
}

// write is PUT (add or update) and PATCH (update only).
func (f *Fake) write(w http.ResponseWriter, listID, h string, raw []byte, put bool) {
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil {
		writeProblem(w, http.StatusBadRequest, "JSON Parse Exception", "We encountered an unspecified JSON parsing error.")
		return
	}
	members := f.lists[listID]
	m := members[h]
	email, _ := b["email_address"].(string)
	status, _ := b["status"].(string)
	ifNew, _ := b["status_if_new"].(string)
	for field, v := range map[string]string{"status": status, "status_if_new": ifNew} {
		if v != "" && !slices.Contains(writableStatuses, v) {
			invalid(w, fieldError{field, "Value must be one of: " + strings.Join(writableStatuses, ", ")})
			return
		}
	}
	switch {
	case !put && (m == nil || m.Status == "archived"):
		writeProblem(w, http.StatusNotFound, "Resource Not Found", "The requested resource could not be found.")
		return
	case put && email == "":
		invalid(w, fieldError{"email_address", "This value should not be blank."})
		return
	case email != "" && !looksReal(email):
		writeProblem(w, http.StatusBadRequest, "Invalid Resource", email+" looks fake or invalid, please enter a real email address.")
		return
	}
	if email == "" {
		email = m.EmailAddress
	}
	if m == nil {
		switch {
		case hash(email) != h:
			writeProblem(w, http.StatusBadRequest, "Invalid Resource", "The subscriber hash does not match the email address.")
		case f.forgotten[listID+"/"+h]:
			writeProblem(w, http.StatusBadRequest, "Forgotten Email Not Subscribed",
				email+" was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.")
		case status == "" && ifNew == "":
			invalid(w, fieldError{"status_if_new", "The status_if_new field is required for new members."})
		default:
			if status == "" {
				status = ifNew
			}
			m = f.newMember(listID, h, email, status)
			members[h] = m
			apply(m, b)
			writeJSON(w, http.StatusOK, m)
		}
		return
	}
	switch {
	case m.Status == "archived":
		if status == "" {
			status = ifNew
		}
		if status == "" {
			status = "subscribed"
		}
	case status == "subscribed" && (m.Status == "unsubscribed" || m.Status == "cleaned"):
		writeProblem(w, http.StatusBadRequest, "Member In Compliance State",
			email+" is already a list member in compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.")
		return
	}
	if nh := hash(email); nh != h {
		if members[nh] != nil {
			writeProblem(w, http.StatusBadRequest, "Member Exists", email+" is already a list member. Use PUT to insert or update list members.")
			return
		}
		delete(members, h)
		members[nh], m.ID = m, nh
	}
	m.EmailAddress = email
	if status != "" {
		m.Status = status
	}
	apply(m, b)
	writeJSON(w, http.StatusOK, m)
}

// apply merges the body's merge fields and other fields into m.
func apply(m *Member, b map[string]any) {
	if mf, ok := b["merge_fields"].(map[string]any); ok {
		for k, v := range mf {
			m.MergeFields[k] = v
		}
	}
	for k, v := range b {
		switch k {
		case "email_address", "status", "status_if_new", "merge_fields":
		default:
			m.Other[k] = v
		}
	}
	m.LastChanged = time.Now().UTC().Format(time.RFC3339)
}

// looksReal is the fake's stand-in for Mailchimp's address checks.
func looksReal(email string) bool {
	at := strings.LastIndexByte(email, '@')
	return at > 0 && strings.Contains(email[at:], ".") && !strings.HasSuffix(email, ".invalid")
}

func invalid(w http.ResponseWriter, errs ...fieldError) {
	writeProblem(w, http.StatusBadRequest, "Invalid Resource",
		"The resource submitted could not be validated. For field-specific details, see the 'errors' array.", errs...)
}
