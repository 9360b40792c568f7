// Baseline: the same program without an expression library.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	env := map[string]any{"given_name": "Jane", "family_name": "Doe"}
	fmt.Println(strings.Join([]string{env["given_name"].(string), env["family_name"].(string)}, " "), len(os.Args))
}
