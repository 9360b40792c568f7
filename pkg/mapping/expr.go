package mapping

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Expressions are expr-lang/expr programs over env, compiled and
// type-checked when the mapping loads (README: "Expressions: why expr").

// program is one compiled expression.
type program struct {
	src   string
	prog  *vm.Program
	phone bool // calls e164()
}

// exprFuncs are the functions expressions get on top of expr's built-ins
// (lower, upper, trim, split, join, date, now, len, ...): the transforms
// that are not built in, under the same names. e164 uses the loader's
// phone normaliser, and refuses without one.
func exprFuncs(phone PhoneFunc) []expr.Option {
	return []expr.Option{
		expr.Function("sha256", func(a ...any) (any, error) { return hashHex(sha256.New(), a[0].(string)), nil }, new(func(string) string)),
		expr.Function("md5", func(a ...any) (any, error) { return hashHex(md5.New(), a[0].(string)), nil }, new(func(string) string)),
		expr.Function("e164", func(a ...any) (any, error) {
			if phone == nil {
				return nil, ErrNoPhone
			}
			s, _ := phone.call(a[0].(string), a[1].(string))
			return s, nil
		}, new(func(string, string) string)),
	}
}

// compileExpr type-checks src against the profile. asBool requires a
// boolean result (scope rules).
func compileExpr(src string, asBool bool, phone PhoneFunc) (*program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	opts := append([]expr.Option{expr.Env(env{})}, exprFuncs(phone)...)
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	p, err := compileSafe(src, opts)
	if err != nil {
		return nil, fmt.Errorf("expression %s: %s", quote(src), oneLine(err))
	}
	return &program{src: src, prog: p, phone: callsPhone(p.Node())}, nil
}

// compileSafe turns a panic inside the compiler (a bug there, reachable by
// a fuzzer) into an error: a bad mapping must fail validation, not crash it.
func compileSafe(src string, opts []expr.Option) (p *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot compile: %v", r)
		}
	}()
	return expr.Compile(src, opts...)
}

func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

var vms = sync.Pool{New: func() any { return new(vm.VM) }}

// run evaluates the program; a runtime error (a nil where a value was
// needed, a bad type in custom.*) is returned, never a panic.
func (p *program) run(v *env) (out any, err error) {
	m := vms.Get().(*vm.VM)
	defer func() {
		vms.Put(m)
		if r := recover(); r != nil {
			err = fmt.Errorf("expression %s: %s", quote(p.src), v.redact(fmt.Sprint(r)))
		}
	}()
	out, err = m.Run(p.prog, v)
	if err != nil {
		return nil, fmt.Errorf("expression %s: %s", quote(p.src), v.redact(oneLine(err)))
	}
	return out, nil
}

// maxRunError bounds the run-time detail an expression error keeps.
const maxRunError = 300

// redact removes the profile's values from an expression's run-time error:
// expr quotes its operands ("invalid operation: int(Olga)", "invalid date
// olga@example.com"), and the error becomes a DLQ reason and a log line.
func (v *env) redact(msg string) string {
	var m map[string]any
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		return "(detail withheld: it may quote the profile)"
	}
	return redact.Message(msg, redact.SentValues(m), maxRunError)
}

func hashHex(h interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
}, s string) string {
	_, _ = h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}
