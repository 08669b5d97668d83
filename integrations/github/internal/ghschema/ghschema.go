// Package ghschema loads GitHub's own published API descriptions for the
// honesty tests of integrations/github and its fake: the GraphQL schema
// (npm @octokit/graphql-schema, schema.graphql) and the REST OpenAPI description
// (npm @octokit/openapi, generated/api.github.com.json). They are not committed;
// .ci/fetch-github-schemas installs them into a cache directory, found through
// $VULNSTEWARD_GITHUB_SCHEMAS or <module root>/.cache/github-schemas.
//
// OpenAPI 3.0 schemas are JSON Schema with differences; before compiling with
// santhosh-tekuri/jsonschema (draft 2020-12) the description is adapted:
//   - "nullable": true becomes a "null" member of "type" (and of "enum" when
//     there is one), or, on a schema without "type" (a $ref, allOf, oneOf,
//     anyOf), an anyOf of the schema and {"type": "null"};
//   - nothing else needs changing for GitHub's description: it has no boolean
//     exclusiveMinimum and no $ref with siblings (checked when loading), and
//     OpenAPI-only keywords (example, discriminator, x-*) are ignored by the
//     validator as unknown keywords.
//
// Formats are asserted (date-time, email, uri, ...), so timestamps and URLs in
// the fake's answers must be well formed too.
package ghschema

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Paths are the two description files.
type Paths struct {
	Dir     string
	GraphQL string
	OpenAPI string
}

// Locate finds the description files. ok is false when they are absent.
func Locate() (Paths, bool) {
	dir := os.Getenv("VULNSTEWARD_GITHUB_SCHEMAS")
	if dir == "" {
		if root, err := moduleRoot(); err == nil {
			dir = filepath.Join(root, ".cache", "github-schemas")
		}
	}
	p := Paths{
		Dir:     dir,
		GraphQL: filepath.Join(dir, "node_modules", "@octokit", "graphql-schema", "schema.graphql"),
		OpenAPI: filepath.Join(dir, "node_modules", "@octokit", "openapi", "generated", "api.github.com.json"),
	}
	for _, f := range []string{p.GraphQL, p.OpenAPI} {
		if _, err := os.Stat(f); err != nil {
			return p, false
		}
	}
	return p, true
}

// Require returns the paths, or skips the test with a message saying how to
// get them; when $CI is set a missing description fails the test instead.
func Require(t testing.TB) Paths {
	t.Helper()
	p, ok := Locate()
	if ok {
		return p
	}
	msg := fmt.Sprintf("GitHub's API descriptions are not in %q: run .ci/fetch-github-schemas (or set VULNSTEWARD_GITHUB_SCHEMAS)", p.Dir)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return p
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// LoadGraphQL parses and validates GitHub's schema.graphql.
//
// GitHub's published schema is not quite valid GraphQL: a few object types
// define a field twice (EnterpriseOwnerInfo.repositoryDeployKeySetting, seen in
// @octokit/graphql-schema 15.26), which gqlparser rightly rejects. Repeated
// definitions of a field with the same type are dropped (the first is kept);
// repeats that disagree on the type are an error. Dropped names are returned.
func LoadGraphQL(path string) (*ast.Schema, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "schema.graphql", Input: string(b)})
	if err != nil {
		return nil, nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var dropped []string
	for _, def := range doc.Definitions {
		seen := map[string]*ast.FieldDefinition{}
		kept := def.Fields[:0]
		for _, f := range def.Fields {
			if first, ok := seen[f.Name]; ok {
				if first.Type.String() != f.Type.String() {
					return nil, nil, fmt.Errorf("%s: %s.%s defined twice with different types", path, def.Name, f.Name)
				}
				dropped = append(dropped, def.Name+"."+f.Name)
				continue
			}
			seen[f.Name] = f
			kept = append(kept, f)
		}
		def.Fields = kept
	}
	s, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", path, err)
	}
	return s, dropped, nil
}

// OpenAPI is GitHub's REST description, adapted and ready to validate against.
type OpenAPI struct {
	doc map[string]any

	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

const docURL = "https://api.github.com/openapi.json"

// LoadOpenAPI reads and adapts the description.
func LoadOpenAPI(path string) (*OpenAPI, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	doc, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a JSON object", path)
	}
	if err := adapt(doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		return nil, err
	}
	return &OpenAPI{doc: doc, compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
}

// adapt rewrites OpenAPI 3.0 schema dialect into JSON Schema, in place.
func adapt(v any) error {
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			if err := adapt(x); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, x := range v {
			if err := adapt(x); err != nil {
				return err
			}
		}
		if _, ok := v["$ref"].(string); ok && len(v) > 1 {
			if _, nullable := v["nullable"]; !nullable {
				return fmt.Errorf("a $ref with sibling keywords (%v): the adaptation does not handle it", keys(v))
			}
		}
		for _, k := range []string{"exclusiveMinimum", "exclusiveMaximum"} {
			if _, ok := v[k].(bool); ok {
				return errors.New("boolean " + k + ": the adaptation does not handle it")
			}
		}
		if v["nullable"] == true {
			delete(v, "nullable")
			switch t := v["type"].(type) {
			case string:
				v["type"] = []any{t, "null"}
				if e, ok := v["enum"].([]any); ok {
					v["enum"] = append(e, nil)
				}
			default:
				rest := map[string]any{}
				for k, x := range v {
					rest[k] = x
					delete(v, k)
				}
				v["anyOf"] = []any{rest, map[string]any{"type": "null"}}
			}
		} else if v["nullable"] == false {
			delete(v, "nullable")
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// pointer escapes JSON-pointer tokens and makes them URL-fragment safe.
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		t = strings.ReplaceAll(t, "~", "~0")
		t = strings.ReplaceAll(t, "/", "~1")
		b.WriteString("/" + url.PathEscape(t))
	}
	return b.String()
}

// HasOperation reports whether the description has the operation.
func (o *OpenAPI) HasOperation(method, route string) bool {
	_, ok := o.operation(method, route)
	return ok
}

func (o *OpenAPI) operation(method, route string) (map[string]any, bool) {
	paths, _ := o.doc["paths"].(map[string]any)
	item, _ := paths[route].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	return op, ok
}

// resolveRef follows a local "#/..." reference to its target object and
// returns the target's pointer.
func (o *OpenAPI) resolveRef(v map[string]any, ptr string) (map[string]any, string) {
	for {
		ref, ok := v["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v, ptr
		}
		var cur any = o.doc
		var toks []string
		for _, t := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			t = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
			toks = append(toks, t)
			m, _ := cur.(map[string]any)
			cur = m[t]
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, ""
		}
		v, ptr = m, pointer(toks...)
	}
}

// ValidateResponse checks a response body against the description of
// METHOD route for the status. A status the description does not list is an
// error; a listed status without a JSON body must have an empty body.
func (o *OpenAPI) ValidateResponse(method, route string, status int, body []byte) error {
	op, ok := o.operation(method, route)
	if !ok {
		return fmt.Errorf("%s %s is not in GitHub's OpenAPI description", method, route)
	}
	responses, _ := op["responses"].(map[string]any)
	code := fmt.Sprint(status)
	resp, ok := responses[code].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s: status %d is not a documented response", method, route, status)
	}
	resp, ptr := o.resolveRef(resp, pointer("paths", route, strings.ToLower(method), "responses", code))
	content, _ := resp["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil || media["schema"] == nil {
		if len(bytes.TrimSpace(body)) > 0 {
			return fmt.Errorf("%s %s %d: documented without a JSON body, but the body is %q", method, route, status, truncate(body))
		}
		return nil
	}
	return o.validate(ptr+pointer("content", "application/json", "schema"), body)
}

// ValidateRequest checks a request body against the operation's requestBody.
func (o *OpenAPI) ValidateRequest(method, route string, body []byte) error {
	op, ok := o.operation(method, route)
	if !ok {
		return fmt.Errorf("%s %s is not in GitHub's OpenAPI description", method, route)
	}
	rb, ok := op["requestBody"].(map[string]any)
	if !ok {
		if len(bytes.TrimSpace(body)) > 0 {
			return fmt.Errorf("%s %s takes no request body, but got %q", method, route, truncate(body))
		}
		return nil
	}
	rb, ptr := o.resolveRef(rb, pointer("paths", route, strings.ToLower(method), "requestBody"))
	if len(bytes.TrimSpace(body)) == 0 {
		if rb["required"] == true {
			return fmt.Errorf("%s %s: request body required", method, route)
		}
		return nil
	}
	return o.validate(ptr+pointer("content", "application/json", "schema"), body)
}

func (o *OpenAPI) validate(ptr string, body []byte) error {
	sch, err := o.schema(ptr)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	return sch.Validate(v)
}

func (o *OpenAPI) schema(ptr string) (*jsonschema.Schema, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.compiled[ptr]; ok {
		return s, nil
	}
	s, err := o.compiler.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", ptr, err)
	}
	o.compiled[ptr] = s
	return s, nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
