package connectorkit

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/spec"
)

// CheckEgress checks the URLs a secret names against the egress policy of
// hc, the client that will call them (egress.PolicyOf), so a secret naming
// http://169.254.169.254 or plain http fails when the connector is built,
// not at the first event. fields alternates a secret field's name and its
// value; an empty value (a default applies) is skipped. Errors read
// "<kind> secret: field "base_url": refused by the egress policy: …" and
// quote the host, never the URL.
func CheckEgress(hc *http.Client, kind string, fields ...string) error {
	var errs []error
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			continue
		}
		if err := egress.CheckURL(hc, fields[i+1]); err != nil {
			errs = append(errs, spec.Errorf(spec.At(fields[i]), "%v", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s secret: %w", kind, err)
	}
	return nil
}
