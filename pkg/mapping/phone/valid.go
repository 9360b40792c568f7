package phone

// valid is IsValidNumber: the number matches one of the number types of
// the region its calling code (and, for a shared code, its leading
// digits) points to.
func valid(n number) bool {
	id := regionForNumber(n)
	meta := metadataFor(n.cc, id)
	if meta == nil || (id != nonGeoRegion && n.cc != meta.cc) {
		return false
	}
	return hasType(n.nsn(), meta)
}

// regionForNumber is GetRegionCodeForNumber.
func regionForNumber(n number) string {
	ids := regionsFor(n.cc)
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return ids[0]
	}
	nsn := n.nsn()
	for _, id := range ids {
		meta := regionFor(id)
		if meta.leadingDigits != "" {
			if regexFor("^(?:" + meta.leadingDigits + ")").MatchString(nsn) {
				return id
			}
		} else if hasType(nsn, meta) {
			return id
		}
	}
	return ""
}

// hasType is getNumberTypeHelper(...) != UNKNOWN.
func hasType(nsn string, meta *region) bool {
	if !matches(nsn, &meta.general) {
		return false
	}
	for i := range kindFixedLine {
		if matches(nsn, &meta.kinds[i]) {
			return true
		}
	}
	if matches(nsn, &meta.kinds[kindFixedLine]) {
		return true
	}
	return !meta.sameMobileFix && matches(nsn, &meta.kinds[kindMobile])
}

// matches is isNumberMatchingDesc: one of the lengths, if there are any,
// and the whole pattern.
func matches(nsn string, d *desc) bool {
	if d.pattern == "" || d.pattern == "NA" { // matches no number
		return false
	}
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int(l) == len(nsn) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return regexFor("^(?:" + d.pattern + ")$").MatchString(nsn)
}
