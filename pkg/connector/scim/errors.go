package scim

import (
	"encoding/json"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"

	"github.com/profilesync/profilesync/pkg/fault"
)

// maxMessage bounds the provider message kept in an error.
const maxMessage = 300

// apiError is the SCIM error body (RFC 7644 §3.12). status is a string in
// the RFC; some providers send a number, which is why it is not decoded.
type apiError struct {
	Schemas  []string `json:"schemas"`
	ScimType string   `json:"scimType"`
	Detail   string   `json:"detail"`
}

// classify turns a non-2xx response into a fault.Error: Code is the
// scimType (invalidValue, uniqueness, mutability, …), Message the detail
// with the values we sent removed (providers quote the userName they
// refused). The HTTP table decides the class, with SCIM's exceptions:
//   - 412 reaches here only after one refresh of the ETag: another writer
//     keeps changing the resource, so a later retry may pass (Transient);
//   - 409 is a uniqueness conflict we could not resolve by re-querying
//     (another resource holds the userName): Permanent;
//   - 501 (not implemented: PATCH, filtering) is a provider capability,
//     not an outage: Permanent.
func classify(status int, h http.Header, body []byte, sent []string) *fault.Error {
	var ae apiError
	_ = json.Unmarshal(body, &ae)
	e := fault.FromHTTP(status, h, ae.ScimType, redact.Message(ae.Detail, sent, maxMessage))
	switch status {
	case http.StatusPreconditionFailed:
		e.Class = fault.Transient
	case http.StatusConflict, http.StatusNotImplemented:
		e.Class = fault.Permanent
	}
	return e
}
