package samtemplate

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// samSchema is the official AWS SAM template schema (JSON Schema draft-04)
// from aws/serverless-application-model, Apache-2.0; a copy of
// ../shared/schemas/sam.schema.json so that tests need nothing outside the
// repository.
//
//go:embed testdata/sam.schema.json
var samSchema []byte

const schemaURL = "https://profilesync.invalid/sam.schema.json"

var compiled struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// Validate checks tpl (as returned by Load) against the SAM schema. SAM
// resources are checked strictly; other CloudFormation resources only by a
// generic rule.
func Validate(tpl map[string]any) error {
	sch, err := schema()
	if err != nil {
		return err
	}
	// Round-trip through JSON so numbers and maps have the types the
	// validator expects.
	raw, err := json.Marshal(tpl)
	if err != nil {
		return fmt.Errorf("encode template: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("decode template: %w", err)
	}
	return sch.Validate(doc)
}

func schema() (*jsonschema.Schema, error) {
	compiled.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(samSchema))
		if err != nil {
			compiled.err = fmt.Errorf("sam schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		// The schema uses ECMAScript look-aheads that Go's RE2 cannot compile.
		c.UseRegexpEngine(ecmaRegexp)
		if err := c.AddResource(schemaURL, doc); err != nil {
			compiled.err = fmt.Errorf("sam schema: %w", err)
			return
		}
		compiled.schema, compiled.err = c.Compile(schemaURL)
	})
	return compiled.schema, compiled.err
}

type ecmaPattern struct{ re *regexp2.Regexp }

func ecmaRegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return ecmaPattern{re}, nil
}

func (p ecmaPattern) MatchString(s string) bool {
	ok, err := p.re.MatchString(s)
	return err == nil && ok
}

func (p ecmaPattern) String() string { return p.re.String() }
