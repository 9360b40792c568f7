package profile

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrInvalidKey marks an id, subject or record key that is not text: bytes
// that are not UTF-8, or U+FFFD, which is what encoding/json silently
// makes of such bytes. Either way the value no longer names the record the
// sender meant, so it is refused rather than synced under a mangled key
// (two different ids could collapse into one).
var ErrInvalidKey = errors.New("not valid UTF-8")

// CheckKey returns ErrInvalidKey, wrapped with what names the value, when
// s is not valid UTF-8 or holds U+FFFD. It never quotes s.
func CheckKey(what, s string) error {
	if !utf8.ValidString(s) {
		return &keyError{what: what, why: "has bytes that are not UTF-8"}
	}
	if strings.ContainsRune(s, utf8.RuneError) {
		return &keyError{what: what, why: "holds U+FFFD (invalid UTF-8 once decoded)"}
	}
	return nil
}

type keyError struct{ what, why string }

func (e *keyError) Error() string { return e.what + " " + e.why + ": " + ErrInvalidKey.Error() }
func (e *keyError) Unwrap() error { return ErrInvalidKey }
