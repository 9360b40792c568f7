package connectorkit

import (
	"fmt"
	"net/url"

	"github.com/profilesync/profilesync/pkg/fault"
)

// PathSegment is value escaped as exactly one URL path segment, for a
// record key or anything else a record or a back-end's answer puts into a
// path: "/" and "?" are escaped, so the value cannot add segments or a
// query. Empty, "." and ".." are refused, since they would address the
// collection or, once the server cleans the path, its parent
// (PUT /api/users/../profile). The refusal is Permanent and names the
// connector and what was refused (e.g. "record key"), never the value,
// which is personal data more often than not.
func PathSegment(connectorName, what, value string) (string, error) {
	if value == "" || value == "." || value == ".." {
		return "", fault.New(fault.Permanent, 0, "", fmt.Sprintf(`%s: the %s is empty, "." or "..", which cannot be one URL path segment`, connectorName, what))
	}
	return url.PathEscape(value), nil
}
