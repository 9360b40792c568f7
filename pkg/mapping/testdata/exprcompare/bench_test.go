// Package exprcompare measures CEL against expr-lang/expr on the
// expressions a ProfileSync mapping uses, over the same profile.
package exprcompare

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/google/cel-go/cel"
)

var exprs = []string{
	`given_name + " " + family_name`,
	`email_verified && consents["newsletter"]["granted"] == true`,
	`address["country"] in ["DE", "AT", "CH"] ? "DACH" : "other"`,
}

func profile() map[string]any {
	return map[string]any{
		"sub": "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b", "given_name": "Jane", "family_name": "Doe",
		"email": "jane.doe@example.com", "email_verified": true, "phone_number": "+4915112345678",
		"locale": "de-DE", "birthdate": "1990-04-01",
		"address":  map[string]any{"street_address": "Hauptstr. 1", "locality": "Berlin", "postal_code": "10115", "country": "DE"},
		"consents": map[string]any{"newsletter": map[string]any{"granted": true, "version": "3"}},
		"custom":   map[string]any{"loyalty_tier": "gold"},
	}
}

func celEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("sub", cel.StringType), cel.Variable("given_name", cel.StringType),
		cel.Variable("family_name", cel.StringType), cel.Variable("email", cel.StringType),
		cel.Variable("email_verified", cel.BoolType), cel.Variable("phone_number", cel.StringType),
		cel.Variable("locale", cel.StringType), cel.Variable("birthdate", cel.StringType),
		cel.Variable("address", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("consents", cel.MapType(cel.StringType, cel.MapType(cel.StringType, cel.DynType))),
		cel.Variable("custom", cel.MapType(cel.StringType, cel.DynType)),
	)
}

func exprTypes() map[string]any {
	return map[string]any{
		"sub": "", "given_name": "", "family_name": "", "email": "", "email_verified": false,
		"phone_number": "", "locale": "", "birthdate": "", "address": map[string]any{},
		"consents": map[string]any{}, "custom": map[string]any{},
	}
}

func compileCEL(tb testing.TB) []cel.Program {
	env, err := celEnv()
	if err != nil {
		tb.Fatal(err)
	}
	var out []cel.Program
	for _, src := range exprs {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			tb.Fatal(iss.Err())
		}
		p, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func compileExpr(tb testing.TB) []*vm.Program {
	types := exprTypes()
	var out []*vm.Program
	for _, src := range exprs {
		p, err := expr.Compile(src, expr.Env(types))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func BenchmarkCompileCEL(b *testing.B) {
	for b.Loop() {
		compileCEL(b)
	}
}

func BenchmarkCompileExpr(b *testing.B) {
	for b.Loop() {
		compileExpr(b)
	}
}

func BenchmarkEvalCEL(b *testing.B) {
	ps := compileCEL(b)
	act, _ := cel.NewActivation(profile())
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			if _, _, err := p.Eval(act); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEvalExpr(b *testing.B) {
	ps := compileExpr(b)
	env := profile()
	var m vm.VM
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			if _, err := m.Run(p, env); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestSameResults(t *testing.T) {
	cp, ep := compileCEL(t), compileExpr(t)
	for i := range exprs {
		c, _, err := cp[i].Eval(profile())
		if err != nil {
			t.Fatal(err)
		}
		e, err := expr.Run(ep[i], profile())
		if err != nil {
			t.Fatal(err)
		}
		if c.Value() != e {
			t.Errorf("%s: cel %v, expr %v", exprs[i], c.Value(), e)
		}
	}
}
