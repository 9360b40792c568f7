package main

import (
	"fmt"
	"os"

	"github.com/expr-lang/expr"
)

func main() {
	env := map[string]any{"given_name": "Jane", "family_name": "Doe"}
	prog, err := expr.Compile(`given_name + " " + family_name`, expr.Env(env), expr.AsKind(24))
	if err != nil {
		panic(err)
	}
	out, err := expr.Run(prog, env)
	fmt.Println(out, err, len(os.Args))
}
