package redact

import "testing"

// The hash is sha256's first 12 hex digits: `printf %s user_1 | sha256sum`
// gives an operator the same value to grep the logs for.
func TestSubjectHash(t *testing.T) {
	for in, want := range map[string]string{"user_1": "79b0aa0042b3", "": ""} {
		if got := SubjectHash(in); got != want {
			t.Errorf("SubjectHash(%q) = %q, want %q", in, got, want)
		}
	}
	if SubjectHash("user_1") == SubjectHash("user_2") {
		t.Error("two subjects, one hash")
	}
}
