package tools

import (
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
)

// inputSchema infers the JSON Schema of T (descriptions from the
// `jsonschema` tags, required fields from the absence of omitempty) and
// applies refinements that struct tags cannot express: defaults, bounds,
// enums and patterns. The SDK validates every call against it and applies
// the defaults before the handler runs, so a model sees the same rules that
// are enforced.
//
// It panics on a schema that cannot be built or a refinement that names a
// missing property: both are programming errors, caught at registration
// (and by the snapshot tests) rather than on a call.
func inputSchema[T any](refine ...func(*jsonschema.Schema)) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("tools: input schema: %v", err))
	}
	nonNullArrays(s)
	for _, r := range refine {
		r(s)
	}
	return s
}

// outputSchema infers the JSON Schema of T. Slices are declared as plain
// arrays (jsonschema-go says ["null","array"]), because every slice in our
// outputs is non-nil and marshals as []; inputSchema does the same, since
// a list argument is either a list or absent.
func outputSchema[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("tools: output schema: %v", err))
	}
	nonNullArrays(s)
	return s
}

func nonNullArrays(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && s.Types[0] == "null" && s.Types[1] == "array" {
		s.Types = nil
		s.Type = "array"
	}
	for _, p := range s.Properties {
		nonNullArrays(p)
	}
	nonNullArrays(s.Items)
}

// prop returns the named property of s, panicking when it does not exist.
func prop(s *jsonschema.Schema, name string) *jsonschema.Schema {
	p, ok := s.Properties[name]
	if !ok {
		panic(fmt.Sprintf("tools: schema has no property %q", name))
	}
	return p
}

// withRepo constrains owner and repo to GitHub names.
func withRepo(s *jsonschema.Schema) {
	for _, name := range []string{"owner", "repo"} {
		p := prop(s, name)
		p.MinLength = new(1)
		p.Pattern = namePatternSource
	}
}

// withPagination bounds page and perPage and sets their defaults.
func withPagination(s *jsonschema.Schema) {
	page := prop(s, "page")
	page.Minimum = new(float64(1))
	page.Default = json.RawMessage(`1`)
	perPage := prop(s, "perPage")
	perPage.Minimum = new(float64(1))
	perPage.Maximum = new(float64(maxPerPage))
	perPage.Default = json.RawMessage(fmt.Sprint(defaultPerPage))
}

// withPerPageAlias is withPagination's bounds for per_page, GitHub's
// spelling in the tools that use it, and marks perPage as its alias.
// Neither has a schema default: the SDK would fill it in, and a call that
// gives one spelling would then seem to give both.
func withPerPageAlias(s *jsonschema.Schema) {
	perPage := prop(s, "per_page")
	perPage.Minimum = new(float64(1))
	perPage.Maximum = new(float64(maxPerPage))
	alias := prop(s, "perPage")
	alias.Default = nil
	alias.Description = "Same as per_page (mcpgate's earlier spelling)."
}

// withEnum restricts a string property to values, with an optional default.
func withEnum(name, def string, values ...string) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		p := prop(s, name)
		p.Enum = make([]any, len(values))
		for i, v := range values {
			p.Enum[i] = v
		}
		if def != "" {
			b, err := json.Marshal(def)
			if err != nil {
				panic(fmt.Sprintf("tools: default of %q: %v", name, err))
			}
			p.Default = b
		}
	}
}

// withNonEmpty requires string properties to hold at least one character.
func withNonEmpty(names ...string) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		for _, name := range names {
			prop(s, name).MinLength = new(1)
		}
	}
}

// withMinimum sets an inclusive lower bound on a number property.
func withMinimum(name string, minimum float64) func(*jsonschema.Schema) {
	return func(s *jsonschema.Schema) {
		prop(s, name).Minimum = new(minimum)
	}
}

// withLineRange bounds start_line and end_line.
func withLineRange(s *jsonschema.Schema) {
	prop(s, "start_line").Minimum = new(float64(1))
	prop(s, "end_line").Minimum = new(float64(1))
}
