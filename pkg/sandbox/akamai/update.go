package akamai

import (
	"encoding/json"
	"maps"
	"net/http"
)

// Update is one entity.update the fake applied: the record's uuid and the
// attributes as sent.
type Update struct {
	UUID       string
	Attributes map[string]any
}

// Updates returns the entity.update calls applied so far, oldest first;
// refused ones are not among them.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UUID: u.UUID, Attributes: maps.Clone(u.Attributes)}
	}
	return out
}

// readOnly are attributes Capture maintains itself.
var readOnly = map[string]bool{"uuid": true, "id": true, "created": true, "lastUpdated": true}

// entityUpdate is Capture's /entity.update: form type_name, uuid and
// attributes (a JSON object). Named attributes are set, null clears one,
// an object merges into the stored one member by member, a list is
// appended to the stored plural; attributes not named stay. lastUpdated
// is stamped. Errors answer HTTP 200 with stat "error", as Capture does.
// The record is found by uuid only (the id form is not served).
func (f *Fake) entityUpdate(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != f.clientID || secret != f.clientSecret {
		writeJSON(w, captureError(402, "invalid_client_credentials", "the client id or secret is wrong"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, captureError(200, "invalid_argument", "unreadable form"))
		return
	}
	if r.Form.Get("type_name") != "user" {
		writeJSON(w, captureError(224, "unknown_entity_type", "type_name must be user"))
		return
	}
	for _, arg := range []string{"uuid", "attributes"} {
		if r.Form.Get(arg) == "" {
			writeJSON(w, map[string]any{"stat": "error", "code": 100, "error": "missing_argument",
				"argument_name": arg, "error_description": "missing required argument: " + arg})
			return
		}
	}
	var attrs map[string]any
	if err := json.Unmarshal([]byte(r.Form.Get("attributes")), &attrs); err != nil || attrs == nil {
		writeJSON(w, captureError(200, "invalid_argument", "attributes must be a JSON object"))
		return
	}
	for k := range attrs {
		if readOnly[k] {
			writeJSON(w, captureError(200, "invalid_argument", "attribute "+k+" cannot be written"))
			return
		}
	}
	uuid := r.Form.Get("uuid")
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, found := f.records[uuid]
	if !found {
		writeJSON(w, captureError(310, "record_not_found", "record not found"))
		return
	}
	next := merge(rec, attrs)
	next["lastUpdated"] = f.now().UTC().Format("2006-01-02 15:04:05.000000 -0700")
	f.records[uuid] = next
	f.updates = append(f.updates, Update{UUID: uuid, Attributes: attrs})
	writeJSON(w, map[string]any{"stat": "ok"})
}

// merge returns stored updated by change the way entity.update does it,
// copying rather than changing stored.
func merge(stored, change map[string]any) map[string]any {
	out := maps.Clone(stored)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range change {
		switch v := v.(type) {
		case map[string]any:
			old, _ := out[k].(map[string]any)
			out[k] = merge(old, v)
		case []any:
			old, _ := out[k].([]any)
			out[k] = append(append([]any{}, old...), v...)
		default:
			out[k] = v
		}
	}
	return out
}
