package projects

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestJSONSchemaShape(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s["additionalProperties"] != false {
		t.Error("the root must reject unknown keys")
	}
	// Every key has a description, taken from the template's comments.
	for _, p := range settingPaths(reflect.TypeFor[Config]()) {
		prop := schemaAt(t, s, p)
		if prop == nil {
			t.Errorf("schema has no property %s", p)
			continue
		}
		if d, _ := prop["description"].(string); d == "" {
			t.Errorf("%s has no description", p)
		}
	}
	if got := schemaAt(t, s, "disclosure.window_days")["default"]; got != float64(90) {
		t.Errorf("disclosure.window_days default = %v", got)
	}
	if got := schemaAt(t, s, "labels.needs_triage")["default"]; got != "needs triage" {
		t.Errorf("labels.needs_triage default = %v", got)
	}
	if got := schemaAt(t, s, "board.columns.pr_open")["default"]; got != "PR created" {
		t.Errorf("board.columns.pr_open default = %v", got)
	}
	enum, _ := schemaAt(t, s, "disclosure.acknowledgement_model")["enum"].([]any)
	if len(enum) != 3 {
		t.Errorf("acknowledgement_model enum = %v", enum)
	}
	required, _ := s["required"].([]any)
	for _, want := range []string{"project", "repos", "lists", "canned", "security_model", "roster"} {
		if !slices.Contains(required, any(want)) {
			t.Errorf("root required %v lacks %s", required, want)
		}
	}
	if slices.Contains(required, any("scopes")) {
		t.Error("scopes is optional; only its elements' label is required")
	}
}

// schemaAt walks properties (and array items) along a dotted path.
func schemaAt(t *testing.T, s map[string]any, path string) map[string]any {
	t.Helper()
	cur := s
	for _, part := range strings.Split(path, ".") {
		if items, ok := cur["items"].(map[string]any); ok {
			cur = items
		}
		props, _ := cur["properties"].(map[string]any)
		next, _ := props[part].(map[string]any)
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// TestJSONSchemaValidatesProjects checks the schema against the shipped files
// and against a file with an unknown key, with an independent validator.
func TestJSONSchemaValidatesProjects(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("project.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("project.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	asJSON := func(t *testing.T, tomlText string) any {
		var m map[string]any
		if err := toml.Unmarshal([]byte(tomlText), &m); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, dir := range []string{"_template", "example"} {
		data, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(asJSON(t, string(data))); err != nil {
			t.Errorf("%s/project.toml does not match the schema: %v", dir, err)
		}
		bad := strings.Replace(string(data), "[disclosure]\n", "[disclosure]\nwindow = 3\n", 1)
		if err := sch.Validate(asJSON(t, bad)); err == nil {
			t.Errorf("%s: the schema accepted an unknown key", dir)
		}
	}
}

func TestRosterHelpers(t *testing.T) {
	c, err := Load("example")
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := c.MemberByEmail(`"Mara L." <Mara.Lindqvist@MAIL.example.net>`); !ok || m.Handle != "mara-lindqvist" {
		t.Errorf("MemberByEmail = %q, %v", m.Handle, ok)
	}
	if _, ok := c.MemberByEmail("jane.doe@acme-research.example"); ok {
		t.Error("an external reporter matched the roster")
	}
	if m, ok := c.MemberByHandle("@TKowalski"); !ok || m.Name != "Tomasz Kowalski" || !m.HasRole(RoleReleaseManager) {
		t.Errorf("MemberByHandle = %+v, %v", m, ok)
	}
	team := map[string]bool{
		"priya@example-server.example":        true,
		"Security@Example-Server.example":     true,
		"private@example-server.example":      true,
		"security@example-foundation.example": false, // relays external reports
		"jane.doe@acme-research.example":      false,
		"not an address":                      false,
	}
	for addr, want := range team {
		if got := c.IsTeamEmail(addr); got != want {
			t.Errorf("IsTeamEmail(%q) = %v, want %v", addr, got, want)
		}
	}
	var triagers []string
	for _, m := range c.Triagers() {
		triagers = append(triagers, m.Handle)
	}
	if want := []string{"mara-lindqvist", "tkowalski", "lena-vogt"}; !slices.Equal(triagers, want) {
		t.Errorf("Triagers = %v, want %v", triagers, want)
	}
	if got := c.ScopeLabels(); !slices.Equal(got, []string{"server", "web-ui", "helm-chart"}) {
		t.Errorf("ScopeLabels = %v", got)
	}
	if s, ok := c.ScopeByLabel("Web-UI"); !ok || s.PathPrefixes[0] != "web/" {
		t.Errorf("ScopeByLabel = %+v, %v", s, ok)
	}
	if got := c.LabelRoles()["announced_emails_sent"]; got != "announced - emails sent" {
		t.Errorf("LabelRoles announced_emails_sent = %q", got)
	}
	if got := c.ColumnName(ColumnFixReleased); got != "Fix released" {
		t.Errorf("ColumnName = %q", got)
	}
	if got := c.ColumnName("nope"); got != "" {
		t.Errorf("ColumnName(nope) = %q", got)
	}
}
