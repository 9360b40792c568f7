package mapping

import (
	"errors"
	"fmt"

	"github.com/expr-lang/expr/ast"
)

// PhoneFunc normalises a phone number to E.164, reading numbers without a
// country code in region; ok is false for a number that is not valid.
// phone.E164 is the implementation.
type PhoneFunc func(number, region string) (e164 string, ok bool)

// A Loader's Phone is the normaliser behind the e164 transform and the
// e164() expression function. It lives outside this package
// (pkg/mapping/phone) because its metadata table weighs about 0.4 MB, and
// the ingress function, which only routes events, loads its mappings
// without it: there a mapping that uses e164 still loads and
// routes, and Decide and Record refuse it with ErrNoPhone rather than send
// records with the phone left out.

// ErrNoPhone is what evaluating an e164 field returns when its mapping was
// loaded without a phone normaliser.
var ErrNoPhone = errors.New("e164 needs a phone normaliser and these mappings were loaded without one (mapping.Loader.Phone)")

// call normalises with f. Callers check canEvaluate first; without a
// normaliser every number is "not valid".
func (f PhoneFunc) call(s, region string) (string, bool) {
	if f == nil {
		return "", false
	}
	return f(s, region)
}

// NeedsPhone reports whether the mapping uses e164 anywhere (a transform
// or an expression, in any environment or client override).
func (m *Mapping) NeedsPhone() bool { return m.phone }

// canEvaluate refuses to evaluate a mapping that needs a phone normaliser
// the binary does not have.
func (m *Mapping) canEvaluate() error {
	if m.phone && m.phoneFunc == nil {
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
