package webhook

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// fieldPath is one entry of fields: where a profile field comes from.
type fieldPath struct {
	name string // the profile field as configured, e.g. email, custom.tier
	path Path
	set  setter
}

// setter stores v in p, or says why v does not fit (never quoting it).
type setter func(p *profile.Profile, v any) error

func str(set func(*profile.Profile, string)) setter {
	return func(p *profile.Profile, v any) error {
		s, err := text(v)
		if err != nil {
			return err
		}
		set(p, s)
		return nil
	}
}

func boolean(set func(*profile.Profile, bool)) setter {
	return func(p *profile.Profile, v any) error {
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false")
		}
		set(p, b)
		return nil
	}
}

func addr(set func(*profile.Address, string)) setter {
	return str(func(p *profile.Profile, s string) {
		if p.Address == nil {
			p.Address = &profile.Address{}
		}
		set(p.Address, s)
	})
}

// standardFields are the profile's own fields, by their JSON names.
var standardFields = map[string]setter{
	"name":                   str(func(p *profile.Profile, s string) { p.Name = s }),
	"given_name":             str(func(p *profile.Profile, s string) { p.GivenName = s }),
	"family_name":            str(func(p *profile.Profile, s string) { p.FamilyName = s }),
	"middle_name":            str(func(p *profile.Profile, s string) { p.MiddleName = s }),
	"nickname":               str(func(p *profile.Profile, s string) { p.Nickname = s }),
	"preferred_username":     str(func(p *profile.Profile, s string) { p.PreferredUsername = s }),
	"picture":                str(func(p *profile.Profile, s string) { p.Picture = s }),
	"website":                str(func(p *profile.Profile, s string) { p.Website = s }),
	"email":                  str(func(p *profile.Profile, s string) { p.Email = s }),
	"email_verified":         boolean(func(p *profile.Profile, b bool) { p.EmailVerified = b }),
	"gender":                 str(func(p *profile.Profile, s string) { p.Gender = s }),
	"birthdate":              str(func(p *profile.Profile, s string) { p.Birthdate = s }),
	"zoneinfo":               str(func(p *profile.Profile, s string) { p.Zoneinfo = s }),
	"locale":                 str(func(p *profile.Profile, s string) { p.Locale = s }),
	"phone_number":           str(func(p *profile.Profile, s string) { p.PhoneNumber = s }),
	"phone_number_verified":  boolean(func(p *profile.Profile, b bool) { p.PhoneNumberVerified = b }),
	"address.formatted":      addr(func(a *profile.Address, s string) { a.Formatted = s }),
	"address.street_address": addr(func(a *profile.Address, s string) { a.StreetAddress = s }),
	"address.locality":       addr(func(a *profile.Address, s string) { a.Locality = s }),
	"address.region":         addr(func(a *profile.Address, s string) { a.Region = s }),
	"address.postal_code":    addr(func(a *profile.Address, s string) { a.PostalCode = s }),
	"address.country":        addr(func(a *profile.Address, s string) { a.Country = s }),
	"updated_at": func(p *profile.Profile, v any) error {
		t, ok := timeOf(v)
		if !ok {
			return fmt.Errorf("want an RFC 3339 time or Unix seconds or milliseconds")
		}
		p.UpdatedAt = &t
		return nil
	},
}

// compileFields checks every profile field name and path of m (the
// secret's field called name).
func compileFields(name string, m map[string]string) ([]fieldPath, []error) {
	var out []fieldPath
	var errs []error
	for _, f := range sortedKeys(m) {
		at := name + "." + f
		set, err := setterFor(f)
		if err != nil {
			errs = append(errs, sourcekit.Field(at, "%v", err))
			continue
		}
		p, err := ParsePath(m[f])
		if err != nil {
			errs = append(errs, sourcekit.Field(at, "%v", err))
			continue
		}
		out = append(out, fieldPath{name: f, path: p, set: set})
	}
	return out, errs
}

func setterFor(f string) (setter, error) {
	if set, ok := standardFields[f]; ok {
		return set, nil
	}
	if k, ok := strings.CutPrefix(f, "custom."); ok && k != "" {
		return func(p *profile.Profile, v any) error {
			if p.Custom == nil {
				p.Custom = map[string]any{}
			}
			p.Custom[k] = v
			return nil
		}, nil
	}
	if k, ok := strings.CutPrefix(f, "consents."); ok && k != "" {
		return func(p *profile.Profile, v any) error {
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("want true or false")
			}
			if p.Consents == nil {
				p.Consents = map[string]profile.Consent{}
			}
			p.Consents[k] = profile.Consent{Granted: b}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("not a profile field (want a standard claim such as email or address.locality, custom.<name> or consents.<purpose>)")
}

// buildProfile picks fields out of doc for subject. Absent and null paths
// leave their field empty; a value of the wrong shape is an error naming
// the field.
func buildProfile(fields []fieldPath, doc any, subject string) (*profile.Profile, error) {
	p := &profile.Profile{Sub: subject}
	for _, f := range fields {
		v, ok := f.path.Lookup(doc)
		if !ok {
			continue
		}
		if err := f.set(p, v); err != nil {
			return nil, fmt.Errorf("field %s at %s: %w", f.name, f.path, err)
		}
	}
	return p, nil
}

// text reads a string, or a whole number as its digits (ids are often
// numbers). Other values are refused.
func text(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10), nil
		}
	}
	return "", fmt.Errorf("want a string or a whole number")
}

// timeOf reads RFC 3339 text, or a Unix time in seconds or (above 1e11,
// past the year 5138 in seconds) milliseconds.
func timeOf(v any) (time.Time, bool) {
	var t time.Time
	switch v := v.(type) {
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return time.Time{}, false
		}
	case float64:
		if math.IsNaN(v) || math.Abs(v) > 1e15 {
			return time.Time{}, false
		}
		if math.Abs(v) >= 1e11 {
			t = time.UnixMilli(int64(v))
		} else {
			t = time.Unix(int64(v), int64((v-math.Trunc(v))*1e9))
		}
	default:
		return time.Time{}, false
	}
	return sourcekit.JSONTime(t)
}
