package mapping

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/expr-lang/expr/ast"
)

// PhoneFunc normalises a phone number to E.164, reading numbers without a
// country code in region; ok is false for a number that is not valid.
// phone.E164 is the implementation.
type PhoneFunc func(number, region string) (e164 string, ok bool)

var phoneFunc atomic.Pointer[PhoneFunc]

// UsePhone sets the normaliser behind the e164 transform and the e164()
// expression function. It lives outside this package (pkg/mapping/phone)
// because it weighs about 4 MB and ~17 ms of cold start, and the ingress
// function, which only routes events, does without it: there a mapping
// that uses e164 still loads and routes, and Decide and Record refuse it
// with ErrNoPhone rather than send records with the phone left out.
// Binaries that evaluate fields call it once before they load mappings.
func UsePhone(f PhoneFunc) { phoneFunc.Store(&f) }

// ErrNoPhone is what evaluating an e164 field returns in a binary that
// never called UsePhone.
var ErrNoPhone = errors.New("e164 needs a phone normaliser and this binary has none (mapping.UsePhone was not called)")

// normaliser returns the normaliser set by UsePhone, or nil.
func normaliser() PhoneFunc {
	if f := phoneFunc.Load(); f != nil {
		return *f
	}
	return nil
}

// e164 normalises with the normaliser set by UsePhone. Callers check
// canEvaluate first; without a normaliser every number is "not valid".
func e164(s, region string) (string, bool) {
	if f := normaliser(); f != nil {
		return f(s, region)
	}
	return "", false
}

// NeedsPhone reports whether the mapping uses e164 anywhere (a transform
// or an expression, in any environment or client override).
func (m *Mapping) NeedsPhone() bool { return m.phone }

// canEvaluate refuses to evaluate a mapping that needs a phone normaliser
// the binary does not have.
func (m *Mapping) canEvaluate() error {
	if m.phone && normaliser() == nil {
		return fmt.Errorf("mapping %s: %w", m.Name, ErrNoPhone)
	}
	return nil
}

// callsPhone reports whether a compiled expression calls e164().
func callsPhone(n ast.Node) bool {
	return ast.Find(n, func(n ast.Node) bool {
		c, ok := n.(*ast.CallNode)
		if !ok {
			return false
		}
		id, ok := c.Callee.(*ast.IdentifierNode)
		return ok && id.Value == "e164"
	}) != nil
}
