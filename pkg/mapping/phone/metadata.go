package phone

import (
	"regexp"
	"slices"
	"sort"
	"sync"
)

// region is one region's (or one non-geographical calling code's)
// numbering plan: the part of libphonenumber's PhoneMetadata that parsing
// and validation read. Patterns are kept as libphonenumber writes them and
// compiled on first use (regexFor), so the tables cost nothing at start.
type region struct {
	id            string // ISO 3166 alpha-2, or "001" for a non-geographical code
	cc            int
	intlPrefix    string // international_prefix (a pattern)
	npParsing     string // national_prefix_for_parsing (a pattern)
	npTransform   string // national_prefix_transform_rule (a Go replacement)
	leadingDigits string
	sameMobileFix bool // same_mobile_and_fixed_line_pattern
	general       desc
	// kinds are the number types in the order getNumberTypeHelper tries
	// them: premium rate, toll free, shared cost, VoIP, personal number,
	// pager, UAN, voicemail, fixed line, mobile.
	kinds [10]desc
}

const (
	kindFixedLine = 8
	kindMobile    = 9
)

// desc is a PhoneNumberDesc: a national number pattern and the possible
// lengths (-1 alone: no number of this type exists).
type desc struct {
	pattern   string
	lengths   []int8
	localOnly []int8
}

// callingCode lists the regions sharing a country calling code, the main
// one first (countrycode_to_region).
type callingCode struct {
	cc      int
	regions []string
}

// regionFor returns the metadata of a supported region, nil for an
// unknown one (and for "001", as libphonenumber's getMetadataForRegion).
func regionFor(id string) *region {
	// sort.Search rather than slices.BinarySearchFunc, which would copy
	// each region it compares.
	i := sort.Search(len(regions), func(i int) bool { return regions[i].id >= id })
	if i == len(regions) || regions[i].id != id {
		return nil
	}
	return &regions[i]
}

// nonGeoFor returns the metadata of a non-geographical calling code
// (+800, +882, ...), nil for another code.
func nonGeoFor(cc int) *region {
	i := sort.Search(len(nonGeo), func(i int) bool { return nonGeo[i].cc >= cc })
	if i == len(nonGeo) || nonGeo[i].cc != cc {
		return nil
	}
	return &nonGeo[i]
}

// regionsFor returns the regions of a calling code, nil for an unknown
// code; a non-geographical code has the one region "001".
func regionsFor(cc int) []string {
	i, ok := slices.BinarySearchFunc(callingCodes[:], cc, func(c callingCode, cc int) int { return c.cc - cc })
	if !ok {
		return nil
	}
	return callingCodes[i].regions
}

// metadataFor is getMetadataForRegionOrCallingCode.
func metadataFor(cc int, id string) *region {
	if id == nonGeoRegion {
		return nonGeoFor(cc)
	}
	return regionFor(id)
}

const nonGeoRegion = "001"

var regexCache sync.Map // pattern -> *regexp.Regexp

// regexFor compiles a metadata pattern once, on first use.
func regexFor(pattern string) *regexp.Regexp {
	if re, ok := regexCache.Load(pattern); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := regexCache.LoadOrStore(pattern, regexp.MustCompile(pattern))
	return re.(*regexp.Regexp)
}
