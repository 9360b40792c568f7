package brevo

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// All handlers below run with f.mu held (see serve).

// contactBody is the union of the create and update bodies.
type contactBody struct {
	Email            string         `json:"email"`
	ExtID            *string        `json:"ext_id"`
	Attributes       map[string]any `json:"attributes"`
	EmailBlacklisted *bool          `json:"emailBlacklisted"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted"`
	ListIDs          []int64        `json:"listIds"`
	UnlinkListIDs    []int64        `json:"unlinkListIds"`
	UpdateEnabled    bool           `json:"updateEnabled"`
}

func decodeBody(w http.ResponseWriter, r *http.Request) (contactBody, bool) {
	var b contactBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&b); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "Invalid JSON body")
		return b, false
	}
	return b, true
}

// create answers POST /v3/contacts: 201 {"id"} for a new contact; for an
// existing one (same email or ext_id) 204 when updateEnabled, else 400
// duplicate_parameter.
func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	b, ok := decodeBody(w, r)
	if !ok || !f.checkAttributes(w, b.Attributes) {
		return
	}
	ext := ""
	if b.ExtID != nil {
		ext = *b.ExtID
	}
	if b.Email == "" && ext == "" && b.Attributes["SMS"] == nil {
		writeError(w, http.StatusBadRequest, "missing_parameter", "email, ext_id or attributes.SMS is required")
		return
	}
	if b.Email != "" && !validEmail(b.Email) {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "Invalid email address")
		return
	}
	byEmail, byExt := f.find(b.Email, "email_id"), f.find(ext, "ext_id")
	existing := byExt
	if existing == nil {
		existing = byEmail
	}
	switch {
	case byEmail != nil && byExt != nil && byEmail != byExt,
		byExt == nil && byEmail != nil && ext != "" && byEmail.ExtID != "":
		writeDuplicate(w, "Unable to create contact, email is already associated with another Contact", "email")
		return
	case existing != nil && !b.UpdateEnabled:
		field := "email"
		if byExt != nil {
			field = "ext_id"
		}
		writeDuplicate(w, "Unable to create contact, "+field+" is already associated with another Contact", field)
		return
	case existing != nil:
		f.apply(existing, b)
		if ext != "" {
			existing.ExtID = ext
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	f.seq++
	c := &Contact{ID: f.seq, Email: strings.ToLower(b.Email), ExtID: ext, Attributes: map[string]any{}, ListIDs: []int64{}, CreatedAt: f.now().UTC()}
	f.contacts[c.ID] = c
	f.apply(c, b)
	writeJSON(w, http.StatusCreated, map[string]int64{"id": c.ID})
}

// update answers PUT /v3/contacts/{identifier}: 204, 404 when there is no
// such contact, 400 duplicate_parameter when a new email or ext_id belongs
// to another contact.
func (f *Fake) update(w http.ResponseWriter, r *http.Request, id, idType string) {
	c, ok := f.resolve(w, id, idType)
	if !ok {
		return
	}
	b, ok := decodeBody(w, r)
	if !ok || !f.checkAttributes(w, b.Attributes) {
		return
	}
	if e, ok := b.Attributes["EMAIL"].(string); ok {
		if !validEmail(e) {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "Invalid email address")
			return
		}
		if other := f.find(e, "email_id"); other != nil && other != c {
			writeDuplicate(w, "Unable to update contact, email is already associated with another Contact", "email")
			return
		}
		c.Email = strings.ToLower(e)
		delete(b.Attributes, "EMAIL")
	}
	if b.ExtID != nil {
		if other := f.find(*b.ExtID, "ext_id"); other != nil && other != c {
			writeDuplicate(w, "Unable to update contact, ext_id is already associated with another Contact", "ext_id")
			return
		}
		c.ExtID = *b.ExtID
	}
	f.apply(c, b)
	w.WriteHeader(http.StatusNoContent)
}

// apply writes attributes, blocklist flags and list changes to c.
func (f *Fake) apply(c *Contact, b contactBody) {
	for k, v := range b.Attributes {
		c.Attributes[k] = v
	}
	if b.EmailBlacklisted != nil {
		c.EmailBlacklisted = *b.EmailBlacklisted
	}
	if b.SMSBlacklisted != nil {
		c.SMSBlacklisted = *b.SMSBlacklisted
	}
	for _, l := range b.ListIDs {
		if !slices.Contains(c.ListIDs, l) {
			c.ListIDs = append(c.ListIDs, l)
		}
	}
	c.ListIDs = slices.DeleteFunc(c.ListIDs, func(l int64) bool { return slices.Contains(b.UnlinkListIDs, l) })
	slices.Sort(c.ListIDs)
	c.ModifiedAt = f.now().UTC()
}

func (f *Fake) get(w http.ResponseWriter, id, idType string) {
	if c, ok := f.resolve(w, id, idType); ok {
		writeJSON(w, http.StatusOK, c.copy())
	}
}

// remove answers DELETE /v3/contacts/{identifier}: 204, or 404.
func (f *Fake) remove(w http.ResponseWriter, id, idType string) {
	if c, ok := f.resolve(w, id, idType); ok {
		delete(f.contacts, c.ID)
		w.WriteHeader(http.StatusNoContent)
	}
}

// resolve finds the contact an identifier names, answering 400 for an
// identifier type Brevo does not know and 404 for no contact. Without
// identifierType only an email or a contact id works.
func (f *Fake) resolve(w http.ResponseWriter, id, idType string) (*Contact, bool) {
	switch idType {
	case "":
		if strings.Contains(id, "@") {
			idType = "email_id"
		} else if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			idType = "contact_id"
		} else {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "Invalid identifier: pass identifierType for identifiers other than email and contact id")
			return nil, false
		}
	case "email_id", "contact_id", "ext_id", "phone_id", "whatsapp_id", "landline_number_id":
	default:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "identifierType is not valid")
		return nil, false
	}
	c := f.find(id, idType)
	if c == nil {
		writeError(w, http.StatusNotFound, "document_not_found", "Contact does not exist")
		return nil, false
	}
	return c, true
}

func (f *Fake) find(id, idType string) *Contact {
	if id == "" {
		return nil
	}
	for _, c := range f.contacts {
		switch idType {
		case "email_id":
			if strings.EqualFold(c.Email, id) {
				return c
			}
		case "contact_id":
			if strconv.FormatInt(c.ID, 10) == id {
				return c
			}
		case "ext_id":
			if c.ExtID == id {
				return c
			}
		case "phone_id":
			if s, _ := c.Attributes["SMS"].(string); s == id {
				return c
			}
		}
	}
	return nil
}

func (f *Fake) checkAttributes(w http.ResponseWriter, attrs map[string]any) bool {
	for name := range attrs {
		if f.attributes != nil && !f.attributes[name] && name != "EMAIL" && name != "SMS" {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "Attribute "+name+" does not exist")
			return false
		}
	}
	return true
}

func writeDuplicate(w http.ResponseWriter, msg, field string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"code": "duplicate_parameter", "message": msg,
		"metadata": map[string]any{"duplicate_identifiers": []string{field}},
	})
}

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t")
}
