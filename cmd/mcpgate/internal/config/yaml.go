package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// loadYAML decodes the YAML file at path over c.
func (c *Config) loadYAML(path string, getenv func(string) string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file changes nothing
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: want exactly one YAML document", path)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.ShortTag() == "!!null" {
		return nil // a file of comments only
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s:%d: the top level must be a mapping of settings (key: value)", path, root.Line)
	}
	w := &yamlWalker{file: path, getenv: getenv, seen: map[*yaml.Node]bool{}}
	w.walk(root, reflect.TypeFor[Config](), "")
	if len(w.errs) > 0 {
		return errors.Join(w.errs...)
	}
	if err := root.Decode(c); err != nil {
		// The walk above reports wrong types by key and expected type;
		// what remains are the decoder's own checks (a key given twice).
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return fmt.Errorf("config file %s: %s", path, strings.Join(te.Errors, "; "))
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// yamlWalker prepares a parsed YAML tree for decoding into Config. It
// rejects unknown keys (with their line), drops keys without a value (so
// they keep their defaults) and expands ${NAME} in string values.
//
// yaml.v3's Decoder.KnownFields cannot be used here: it works only when
// decoding from text, and turning the expanded tree back into text would
// both move the line numbers in error messages and put expanded secrets
// into the decoder's error messages. Walking the tree against the struct's
// yaml tags gives the same strictness with the original lines.
type yamlWalker struct {
	file   string
	getenv func(string) string
	seen   map[*yaml.Node]bool
	errs   []error
}

var (
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	durationType        = reflect.TypeFor[time.Duration]()
)

func (w *yamlWalker) fail(n *yaml.Node, format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("config file %s:%d: %s", w.file, n.Line, fmt.Sprintf(format, args...)))
}

// walk visits node n, which decodes into a value of type t found at the
// dotted key path.
func (w *yamlWalker) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if w.seen[n] {
		return
	}
	w.seen[n] = true
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshalerType) {
		w.expandScalar(n, t, path)
		w.checkScalar(n, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.wrongType(n, t, path)
			return
		}
		w.walkMapping(n, t, path)
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			w.wrongType(n, t, path)
			return
		}
		for i, item := range n.Content {
			w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.wrongType(n, t, path)
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value))
		}
	default:
		w.expandScalar(n, t, path)
		w.checkScalar(n, t, path)
	}
}

// checkScalar decodes n alone into a value of type t, so that a value of
// the wrong type is reported with its key and the expected type rather
// than as the decoder's "cannot unmarshal !!str into time.Duration" (which
// would also echo the value, perhaps a misplaced secret).
func (w *yamlWalker) checkScalar(n *yaml.Node, t reflect.Type, path string) {
	if n.ShortTag() == "!!null" {
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		w.wrongType(n, t, path)
	}
}

// wrongType reports that the value at path is not of type t.
func (w *yamlWalker) wrongType(n *yaml.Node, t reflect.Type, path string) {
	w.fail(n, "%s must be %s, got %s", path, expectedType(t), yamlKindOf(n))
}

// expectedType describes type t as a person writes it in YAML.
func expectedType(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 30s, 5m or 1h"
	case reflect.PointerTo(t).Implements(yamlUnmarshalerType):
		return "a string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list, such as [a, b] or one \"- item\" line per entry"
	case reflect.Struct, reflect.Map:
		return "a mapping of keys to values (key: value)"
	}
	return "a " + t.String()
}

// yamlKindOf describes what node n holds, without its value.
func yamlKindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	switch n.ShortTag() {
	case "!!str":
		return "a string"
	case "!!int":
		return "a whole number"
	case "!!float":
		return "a number"
	case "!!bool":
		return "true/false"
	case "!!null":
		return "nothing"
	}
	return "a value of YAML type " + n.ShortTag()
}

// walkMapping checks the keys of a mapping against the yaml tags of struct
// type t.
func (w *yamlWalker) walkMapping(n *yaml.Node, t reflect.Type, path string) {
	fields := yamlFields(t)
	kept := n.Content[:0:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.ShortTag() == "!!merge" { // "<<: *anchor" merges a mapping here
			kept = append(kept, key, value)
			if value.Kind == yaml.SequenceNode {
				for _, m := range value.Content {
					w.walk(m, t, path)
				}
			} else {
				w.walk(value, t, path)
			}
			continue
		}
		field, ok := fields[key.Value]
		if !ok {
			where := "at the top level"
			if path != "" {
				where = "in " + path
			}
			w.fail(key, "unknown key %q %s (valid keys: %s)", key.Value, where, strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if value.ShortTag() == "!!null" {
			continue // no value: keep the default
		}
		kept = append(kept, key, value)
		w.walk(value, field.Type, joinPath(path, key.Value))
	}
	n.Content = kept
}

// expandScalar expands ${NAME} references in a string scalar that decodes
// into type t. For non-string types only durations accept a reference, and
// the expanded value is checked here so that no decoder error can echo it.
func (w *yamlWalker) expandScalar(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || !strings.Contains(n.Value, "$") {
		return
	}
	isString := t.Kind() == reflect.String || reflect.PointerTo(t).Implements(yamlUnmarshalerType)
	if !isString && t != durationType {
		if strings.Contains(n.Value, "${") {
			w.fail(n, "%s: ${...} references work only in strings, secrets and durations; write the value directly", path)
		}
		return
	}
	expanded, missing, err := expandRefs(n.Value, w.getenv)
	if err != nil {
		w.fail(n, "%s: %v", path, err)
		return
	}
	if len(missing) > 0 {
		for _, name := range missing {
			w.fail(n, "%s: environment variable %s is not set: set it in the environment or in .env", path, name)
		}
		return
	}
	if t == durationType {
		if _, err := time.ParseDuration(expanded); err != nil {
			w.fail(n, "%s: the expanded value is not a duration such as 30s, 5m or 1h", path)
			return
		}
	}
	n.Value = expanded
}

// expandRefs replaces ${NAME} in s with getenv(NAME) and "$${" with "${".
// Any other "$" is kept. It returns the names that are unset or empty, and an
// error for a malformed reference.
func expandRefs(s string, getenv func(string) string) (string, []string, error) {
	var b strings.Builder
	var missing []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), missing, nil
		}
		if i > 0 && s[i-1] == '$' { // "$${" is a literal "${"
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", nil, errors.New(`unterminated "${": write ${NAME}, or $${ for a literal "${"`)
		}
		name := s[i+2 : i+end]
		if !isEnvName(name) {
			return "", nil, fmt.Errorf("malformed reference ${%s}: a name has letters, digits and _ and does not start with a digit", name)
		}
		b.WriteString(s[:i])
		v := getenv(name)
		if v == "" && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		b.WriteString(v)
		s = s[i+end+1:]
	}
}

// isEnvName reports whether s is a portable environment variable name.
func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// yamlFields maps the YAML key of each field of struct type t to the field.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

func sortedKeys(m map[string]reflect.StructField) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
