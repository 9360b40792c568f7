package lazyregexp

import (
	"regexp"
	"testing"
)

func TestSameAsRegexp(t *testing.T) {
	const pat = `^([a-z]+)-(\d+)$`
	lr, re := &Regexp{str: pat}, regexp.MustCompile(pat)
	if lr.rx != nil {
		t.Fatal("compiled before first use")
	}
	for _, s := range []string{"abc-12", "abc", "-1", "x-1"} {
		if lr.MatchString(s) != re.MatchString(s) {
			t.Errorf("MatchString(%q) differs", s)
		}
		if got, want := lr.FindStringSubmatch(s), re.FindStringSubmatch(s); len(got) != len(want) {
			t.Errorf("FindStringSubmatch(%q) = %q, want %q", s, got, want)
		}
	}
	if lr.rx == nil || lr.String() != pat {
		t.Error("not compiled after use, or String changed")
	}
}

func TestNewCompilesInTests(t *testing.T) {
	if !inTest {
		t.Fatal("inTest is false in a test binary")
	}
	defer func() {
		if recover() == nil {
			t.Error("New with an invalid pattern did not panic in a test binary")
		}
	}()
	New(`(`)
}
