package eventbridge

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/spec"
)

// Defaults for the optional settings.
const (
	DefaultSource           = "profilesync"
	DefaultDetailType       = "ProfileChanged"
	DefaultDeleteDetailType = "ProfileDeleted"
)

// Spec is the eventbridge connector's settings and secret, once: decoding,
// the mapping schema and the README table derive from it.
var Spec = spec.Component{
	Kind:    "eventbridge",
	Summary: "Publishes one event per change to an EventBridge bus (PutEvents, 10 per call).",
	Settings: []spec.Field{
		{Name: "bus_name", Type: spec.String, Required: true, Description: "The event bus, by name (default, customer-profiles) or ARN (another account's bus)."},
		{Name: "source", Type: spec.String, Default: DefaultSource, Description: "Every event's source, which rules match on; must not start with aws."},
		{Name: "detail_type", Type: spec.String, Default: DefaultDetailType, Description: "The detail-type of an upsert's event."},
		{Name: "delete_detail_type", Type: spec.String, Default: DefaultDeleteDetailType, Description: "The detail-type of a delete's event."},
	},
	Secret: []spec.Field{
		{Name: "endpoint", Type: spec.String, Description: "Another endpoint (moto_server, LocalStack), e.g. http://127.0.0.1:5000; default: AWS_ENDPOINT_URL or AWS's."},
		{Name: "region", Type: spec.String, Description: "Another region, e.g. eu-west-1; default: the function's. An empty secret ({}) uses the Lambda role and region."},
	},
}

// Settings are the non-secret options a mapping file gives an EventBridge
// target.
type Settings struct {
	// BusName is the event bus, by name ("default", "customer-profiles")
	// or ARN (another account's bus).
	BusName string `json:"bus_name"`
	// Source is every event's source; rules match on it.
	Source string `json:"source"`
	// DetailType is the detail-type of an upsert's event.
	DetailType string `json:"detail_type"`
	// DeleteDetailType is the detail-type of a delete's event.
	DeleteDetailType string `json:"delete_detail_type"`
}

// Credentials come from the target's secret. Both fields are optional: an
// empty secret ({}) uses the Lambda role, the region of the environment and
// AWS_ENDPOINT_URL if set; endpoint and region aim the client elsewhere
// (moto_server, LocalStack, another region's bus).
type Credentials struct {
	Endpoint string `json:"endpoint"`
	Region   string `json:"region"`
}

var (
	// A bus name, optionally inside an event-bus ARN; "/" admits partner
	// buses (aws.partner/…).
	// The name's 256-character limit is checked apart (validBus): a
	// {1,256} repetition here took 2.6 ms to compile at every cold start.
	busRE    = lazyregexp.New(`^(arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/)?([/.\-_A-Za-z0-9]+)$`)
	regionRE = lazyregexp.New(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// DecodeSettings reads a mapping's settings as Spec says, and then checks
// what Spec cannot. Errors are *spec.Error, naming the offending field.
func DecodeSettings(m map[string]any) (Settings, error) {
	var s Settings
	if err := spec.Decode(Spec.Settings, m, &s); err != nil {
		return Settings{}, err
	}
	return s, s.Validate()
}

// CheckSettings is what `profilesync validate` runs: DecodeSettings without
// the result.
func CheckSettings(m map[string]any) error {
	_, err := DecodeSettings(m)
	return err
}

// validBus accepts an event bus name of at most 256 characters, optionally
// inside an event-bus ARN.
func validBus(s string) bool {
	m := busRE.FindStringSubmatch(s)
	return m != nil && len(m[2]) <= 256
}

// Validate checks every field and reports all problems at once. The limits
// are PutEvents' own, so a mapping that loads does not fail at send time.
func (s Settings) Validate() error {
	errs := []error{spec.Validate(Spec.Settings, s)}
	if s.BusName != "" && !validBus(s.BusName) {
		errs = append(errs, spec.Errorf(spec.At("bus_name"), "%q is not an event bus name or ARN", s.BusName))
	}
	if err := checkText("source", s.Source, 256); err != nil {
		errs = append(errs, err)
	} else if strings.HasPrefix(s.Source, "aws.") {
		errs = append(errs, spec.Errorf(spec.At("source"), `%q: sources starting with "aws." are reserved for AWS services`, s.Source))
	}
	if err := checkText("detail_type", s.DetailType, 128); err != nil {
		errs = append(errs, err)
	}
	if err := checkText("delete_detail_type", s.DeleteDetailType, 128); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkText(field, v string, max int) error {
	switch {
	case v == "":
		return spec.Errorf(spec.At(field), "required")
	case !utf8.ValidString(v) || len(v) > max:
		return spec.Errorf(spec.At(field), "want at most %d bytes of UTF-8", max)
	case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return spec.Errorf(spec.At(field), "control characters are not allowed")
	}
	return nil
}

// ParseCredentials decodes the target's secret; an empty one means {}.
// Errors name fields, never values.
func ParseCredentials(secret []byte) (Credentials, error) {
	var c Credentials
	if len(bytes.TrimSpace(secret)) == 0 {
		return c, nil
	}
	if err := spec.DecodeJSON(Spec.Secret, secret, &c); err != nil {
		return Credentials{}, fmt.Errorf("eventbridge secret: %w", err)
	}
	var errs []error
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, spec.Errorf(spec.At("endpoint"), "want an absolute http(s) URL such as http://127.0.0.1:5000"))
		}
	}
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		errs = append(errs, spec.Errorf(spec.At("region"), "want a region such as eu-west-1"))
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, fmt.Errorf("eventbridge secret: %w", err)
	}
	return c, nil
}
