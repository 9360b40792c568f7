package main

import (
	"fmt"
	"os"

	"github.com/google/cel-go/cel"
)

func main() {
	env, err := cel.NewEnv(cel.Variable("given_name", cel.StringType), cel.Variable("family_name", cel.StringType))
	if err != nil {
		panic(err)
	}
	ast, iss := env.Compile(`given_name + " " + family_name`)
	if iss.Err() != nil {
		panic(iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		panic(err)
	}
	out, _, err := prg.Eval(map[string]any{"given_name": "Jane", "family_name": "Doe"})
	fmt.Println(out, err, len(os.Args))
}
