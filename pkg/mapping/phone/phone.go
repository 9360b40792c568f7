// Package phone normalises phone numbers to E.164 with Google's
// libphonenumber metadata. It is the implementation behind the mappings'
// e164 transform and e164() expression function.
//
// It answers as github.com/nyaruka/phonenumbers's Parse, IsValidNumber and
// Format(E164) do (parse.go ports those steps), for every region, but
// without linking that library: its metadata decoding cost 15-19 ms and
// 2.4 MB of package initialisation at every cold start, and it, protobuf
// and golang.org/x/text/language/display about 4 MB of each binary that
// evaluates fields. Here the metadata is a static table
// (metadata_gen.go, generated from the library by the tests with -update,
// which also check it against the library's own example numbers), and
// each pattern is compiled the first time a number needs it: nothing runs
// at start.
//
// The binaries that evaluate fields (sync, jobs, the CLI, the local stack)
// load their mappings with it (mapping.Loader.Phone, through
// pkg/wiring/plugins); the ingress function only routes events and does
// not link it.
package phone

import "strings"

// E164 normalises a phone number to E.164; numbers without a country code
// are read in region (ISO 3166 alpha-2, any case). ok is false for a number
// that is not a valid one.
func E164(number, region string) (string, bool) {
	number = strings.TrimSpace(number)
	if number == "" {
		return "", false
	}
	n, err := parse(number, strings.ToUpper(region))
	if err != nil || !valid(n) {
		return "", false
	}
	return n.e164(), true
}
