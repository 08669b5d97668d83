package tools

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestEveryToolSetsAllFourAnnotations(t *testing.T) {
	for _, st := range Inventory(&Deps{}, Options{}) {
		a := st.Tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
			t.Errorf("%s: not every annotation is set explicitly: %+v", st.Tool.Name, a)
		}
		if a.Title == "" {
			t.Errorf("%s: no title", st.Tool.Name)
		}
		switch {
		case strings.HasSuffix(st.Tool.Name, "_propose"):
			if !isReadOnly(st.Tool) {
				t.Errorf("%s: a _propose tool must be read-only", st.Tool.Name)
			}
		case strings.HasSuffix(st.Tool.Name, "_apply"):
			if isReadOnly(st.Tool) {
				t.Errorf("%s: an _apply tool must not claim read-only", st.Tool.Name)
			}
			var schema struct {
				Required []string `json:"required"`
			}
			if err := json.Unmarshal(st.Tool.RawInputSchema, &schema); err != nil {
				t.Fatal(err)
			}
			if !contains(schema.Required, "confirmation_token") {
				t.Errorf("%s: confirmation_token is not required: %s", st.Tool.Name, st.Tool.RawInputSchema)
			}
		default:
			if !isReadOnly(st.Tool) {
				t.Errorf("%s: helpers are read-only", st.Tool.Name)
			}
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestReadOnlyModeListsNoWriteTool(t *testing.T) {
	e := newEnv(t, Options{ReadOnly: true})
	res, err := e.cl.ListTools(e.ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tools) == 0 {
		t.Fatal("no tools listed")
	}
	for _, tool := range res.Tools {
		if tool.Annotations.ReadOnlyHint == nil || !*tool.Annotations.ReadOnlyHint {
			t.Errorf("read-only mode lists write tool %s", tool.Name)
		}
	}
	before := e.state()
	req := mcp.CallToolRequest{}
	req.Params.Name = "import_apply"
	req.Params.Arguments = map[string]any{"confirmation_token": "vst1.x.y"}
	if res, err := e.cl.CallTool(e.ctx, req); err == nil && !res.IsError {
		t.Errorf("read-only mode accepted a call to import_apply")
	}
	if e.state() != before {
		t.Errorf("read-only mode wrote something")
	}
}

func TestToolsets(t *testing.T) {
	all := Inventory(&Deps{}, Options{})
	got, err := Select(all, Options{Toolsets: []string{"release"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range got {
		if st.Toolset != "core" && st.Toolset != "release" {
			t.Errorf("toolset release lists %s (%s)", st.Tool.Name, st.Toolset)
		}
	}
	if _, err := Select(all, Options{Toolsets: []string{"nope"}}); err == nil {
		t.Error("an unknown toolset was accepted")
	}
}

// TestToolSchemaSnapshots fails when a tool's schema changes unreviewed.
// Run with UPDATE_TOOLSNAPS=true to accept a change.
func TestToolSchemaSnapshots(t *testing.T) {
	update := os.Getenv("UPDATE_TOOLSNAPS") == "true"
	for _, st := range Inventory(&Deps{}, Options{}) {
		got, err := json.MarshalIndent(st.Tool, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "toolsnaps", st.Tool.Name+".snap")
		if update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: no snapshot (run with UPDATE_TOOLSNAPS=true): %v", st.Tool.Name, err)
		}
		if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
			t.Errorf("%s: schema changed; review and run with UPDATE_TOOLSNAPS=true\n--- got\n%s", st.Tool.Name, got)
		}
	}
}

func TestReadmeToolsTableIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	updated, ok := ReplaceTable(string(b), ToolsTable(Inventory(&Deps{}, Options{})))
	if !ok {
		t.Fatal("README.md has no tools-table markers")
	}
	if updated != string(b) {
		t.Error("README.md's tools table is stale: run `go run ./cmd/vulnsteward docs`")
	}
}
