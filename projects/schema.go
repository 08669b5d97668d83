package projects

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/invopop/jsonschema"
)

// templateTOML is the documented template; its comments are the descriptions
// of the JSON schema, so the two cannot drift apart.
//
//go:embed _template/project.toml
var templateTOML []byte

// JSONSchema returns the JSON schema (draft 2020-12) of project.toml, generated
// from the Config type with the file's key names. Descriptions come from the
// comments of _template/project.toml, defaults from the loader, enumerations
// and required keys from the validator. The loader stays the authority: it
// also runs cross-checks a schema cannot express (files exist, handles unique).
//
// The Config types carry no `jsonschema` struct tags on purpose: mcp-go's
// schema generator reads that tag as a plain description and rejects
// invopop-style "key=value" tags.
func JSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "toml",
		DoNotReference:             true,
		RequiredFromJSONSchemaTags: true, // required keys are set below, from requiredSettings
	}
	s := r.Reflect(&Config{})
	s.ID = "https://github.com/vulnsteward/vulnsteward/projects/project.schema.json"
	s.Title = "vulnsteward project configuration (project.toml)"

	docs, err := templateDocs()
	if err != nil {
		return nil, err
	}
	defaults := schemaDefaults()
	enums := map[string][]string{
		"disclosure.acknowledgement_model": ackModels(),
		"governance.cve_allocation_gate":   gates(),
		"cna.tool":                         cnaTools(),
		"archive.kind":                     archiveKinds(),
		"roster.roles":                     memberRoles(),
	}
	// A required key makes its enclosing tables required too, up to the first
	// array (a required key of an array element does not make the array required).
	required := map[string][]string{}
	for _, p := range requiredSettings() {
		for p != "" {
			parent := parentPath(p)
			name := strings.TrimPrefix(p[len(parent):], ".")
			if !slices.Contains(required[parent], name) {
				required[parent] = append(required[parent], name)
			}
			if parent == "" || settingKind(parent) == reflect.Slice {
				break
			}
			p = parent
		}
	}

	var decorate func(s *jsonschema.Schema, path string)
	decorate = func(s *jsonschema.Schema, path string) {
		if d := docs[path]; d != "" {
			s.Description = d
		}
		if v, ok := defaults[path]; ok {
			s.Default = v
		}
		if e, ok := enums[path]; ok {
			target := s
			if s.Type == "array" && s.Items != nil {
				target = s.Items
			}
			target.Enum = make([]any, len(e))
			for i, v := range e {
				target.Enum[i] = v
			}
		}
		if s.Type == "object" {
			s.Required = required[path]
		}
		if path == "board.columns" {
			// A map in Go, a closed set of roles in the file.
			s.Properties = jsonschema.NewProperties()
			for _, role := range columnRoles() {
				p := "board.columns." + role
				s.Properties.Set(role, &jsonschema.Schema{Type: "string", Description: docs[p], Default: defaults[p]})
			}
			s.AdditionalProperties = jsonschema.FalseSchema
			return
		}
		if s.Items != nil && s.Items.Properties != nil {
			decorate(s.Items, path)
		}
		if s.Properties == nil {
			return
		}
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			decorate(pair.Value, joinPath(path, pair.Key))
		}
	}
	decorate(s, "")
	s.Description = docs[""]

	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal project config schema: %w", err)
	}
	return out, nil
}

// schemaDefaults are the static defaults the loader applies to an empty file,
// by key path. Defaults derived from other keys (the Gmail list form of the
// security list, the CVE vendor) are documented in the template instead.
func schemaDefaults() map[string]any {
	l := &loader{lines: map[string]int{}, headers: map[string]int{}, flagged: map[string]bool{}}
	var c Config
	l.applyDefaults(&c)
	out := map[string]any{}
	v := reflect.ValueOf(c)
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		for i := range v.NumField() {
			name := tomlName(v.Type().Field(i))
			if name == "" {
				continue
			}
			f, p := v.Field(i), joinPath(prefix, name)
			switch f.Kind() {
			case reflect.Struct:
				walk(f, p)
			case reflect.String:
				if f.String() != "" {
					out[p] = f.String()
				}
			case reflect.Int:
				if f.Int() != 0 {
					out[p] = f.Int()
				}
			case reflect.Bool:
				out[p] = f.Bool()
			case reflect.Slice:
				if f.Len() > 0 && f.Type().Elem().Kind() == reflect.String {
					out[p] = f.Interface()
				}
			case reflect.Map:
				for _, k := range f.MapKeys() {
					out[p+"."+k.String()] = f.MapIndex(k).String()
				}
			}
		}
	}
	walk(v, "")
	return out
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// templateDocs maps each key path of the template (array elements without an
// index) to the comment block written immediately above it; "" maps to the
// file's opening comment.
func templateDocs() (map[string]string, error) {
	l := &loader{file: "_template/project.toml", data: templateTOML,
		lines: map[string]int{}, headers: map[string]int{}, flagged: map[string]bool{}}
	var c Config
	if !l.decode(reflect.ValueOf(&c).Elem()) || len(l.problems) > 0 {
		return nil, fmt.Errorf("read the embedded template: %w", l.err())
	}
	src := strings.Split(string(templateTOML), "\n")
	out := map[string]string{}
	for _, m := range []map[string]int{l.headers, l.lines} {
		for path, line := range m {
			key := indexRE.ReplaceAllString(path, "")
			if _, done := out[key]; done {
				continue
			}
			if d := commentAbove(src, line); d != "" {
				out[key] = d
			}
		}
	}
	var head []string
	for _, s := range src {
		t := strings.TrimSpace(s)
		if !strings.HasPrefix(t, "#") {
			break
		}
		head = append(head, strings.TrimSpace(strings.TrimPrefix(t, "#")))
	}
	out[""] = strings.TrimSpace(strings.Join(head, " "))
	return out, nil
}

// commentAbove joins the comment lines directly above 1-based line n.
func commentAbove(src []string, n int) string {
	var block []string
	for i := n - 2; i >= 0; i-- {
		t := strings.TrimSpace(src[i])
		if !strings.HasPrefix(t, "#") || strings.HasPrefix(t, "##") {
			break
		}
		block = append([]string{strings.TrimSpace(strings.TrimPrefix(t, "#"))}, block...)
	}
	return strings.TrimSpace(strings.Join(block, " "))
}

// settingKind is the Go kind of the Config field at a key path (no indexes).
func settingKind(path string) reflect.Kind {
	t := reflect.TypeFor[Config]()
	for _, part := range strings.Split(path, ".") {
		for t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return reflect.Invalid
		}
		i, ok := fieldIndex(t, part)
		if !ok {
			return reflect.Invalid
		}
		t = t.Field(i).Type
	}
	return t.Kind()
}
