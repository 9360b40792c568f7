package spec

// Schema is the JSON Schema (draft 2020-12) of an object with fields:
// every key described, enums and defaults given, unknown keys refused, so
// an editor completes and underlines keys. It checks the shape only; the
// plug-in's Validate checks more when the configuration loads.
func Schema(fields []Field) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fields {
		props[f.Name] = fieldSchema(f)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if required != nil {
		s["required"] = required
	}
	return s
}

// HasRequired says whether any of fields is required.
func HasRequired(fields []Field) bool {
	for _, f := range fields {
		if f.Required {
			return true
		}
	}
	return false
}

func fieldSchema(f Field) map[string]any {
	var s map[string]any
	switch f.Type {
	case String:
		s = map[string]any{"type": "string"}
		if f.Enum != nil {
			s["enum"] = f.Enum
		}
		if f.Required {
			s["minLength"] = 1
		}
	case Int:
		s = map[string]any{"type": "integer"}
	case Bool:
		s = map[string]any{"type": "boolean"}
	case StringList:
		s = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case IntList:
		s = map[string]any{"type": "array", "items": map[string]any{"type": "integer"}}
	case StringMap:
		s = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	case Object:
		s = Schema(f.Fields)
	case ObjectMap:
		s = objectMapSchema(f)
	default:
		s = map[string]any{}
	}
	if f.Required && (f.Type == StringList || f.Type == IntList) {
		s["minItems"] = 1
	}
	if f.Required && (f.Type == StringMap || f.Type == ObjectMap) {
		s["minProperties"] = 1
	}
	if f.Description != "" {
		s["description"] = f.Description
	}
	if f.Default != nil {
		s["default"] = f.Default
	}
	return s
}

func objectMapSchema(f Field) map[string]any {
	entry := Schema(f.Fields)
	if f.Keys == nil {
		return map[string]any{"type": "object", "additionalProperties": entry}
	}
	props := map[string]any{}
	for _, k := range f.Keys {
		props[k] = entry
	}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": props}
}
