// Package phone normalises phone numbers to E.164 with Google's
// libphonenumber metadata (github.com/nyaruka/phonenumbers). It is the
// implementation behind the mappings' e164 transform and e164() expression
// function, kept out of package mapping because it is the heaviest thing a
// mapping can use: about 4 MB of a Lambda binary (the number metadata,
// google.golang.org/protobuf and golang.org/x/text/language/display, which
// the library imports) and 15-19 ms and 2.4 MB of package initialisation at
// every cold start. The binaries that evaluate fields (sync, the CLI, the
// local stack) load their mappings with it (mapping.Loader.Phone, through
// pkg/wiring/plugins); the ingress function only routes events and does
// not link it.
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// E164 normalises a phone number to E.164; numbers without a country code
// are read in region (ISO 3166 alpha-2, any case). ok is false for a number
// that is not a valid one.
func E164(number, region string) (string, bool) {
	number = strings.TrimSpace(number)
	if number == "" {
		return "", false
	}
	n, err := phonenumbers.Parse(number, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}
