package connectorkit

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/fault"
)

func TestPathSegment(t *testing.T) {
	for in, want := range map[string]string{"u-1": "u-1", "a/b?c=d#e": "a%2Fb%3Fc=d%23e", "jane@example.com": "jane@example.com", "...": "...", "%2e%2e": "%252e%252e", "a b": "a%20b"} {
		if got, err := PathSegment("generic", "record key", in); err != nil || got != want {
			t.Errorf("PathSegment(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", ".."} {
		_, err := PathSegment("generic", "record key", in)
		if fault.ClassOf(err) != fault.Permanent || !strings.Contains(err.Error(), "generic: the record key is empty") {
			t.Errorf("PathSegment(%q) = %v, want a permanent fault naming the connector", in, err)
		}
	}
}
