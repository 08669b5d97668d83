package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

const project = "../../projects/example"

func TestDemoWalksImport(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "demo")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"demo", "--project", project, "--workspace", ws}, nil, &out, &errOut); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	s := out.String()
	for _, want := range []string{
		"=> import:", "=> reply:", "=> drop: spam", "already imported as",
		"refused:", "already applied", "complete: true",
		// The intake half on fresh mail.
		"post the triage proposal (VALID)", "remove `needs triage`", "board Needs triage → Assessed",
		"draft the reporter update (accepted as valid)", "Closed as invalid", "close #10 as not planned",
		"Merge (kept) (from #11)", "3 of 3 audiences get a draft", "record the phase-1 escalation",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q\n%s", want, s)
		}
	}
	if n := strings.Count(s, "complete: true"); n < 7 {
		t.Errorf("%d applies completed, want every one of the walk's 7 (import twice, triage, sync, invalidate, deduplicate, escalate)", n)
	}
	if strings.Contains(s, "UNEXPECTED") {
		t.Errorf("demo reported an unexpected acceptance:\n%s", s)
	}
	// Rebuilding an existing demo workspace works; a foreign directory is refused.
	if err := run(context.Background(), []string{"demo", "--project", project, "--workspace", ws, "--seed-only"}, nil, &out, &errOut); err != nil {
		t.Fatalf("rebuilding the demo workspace: %v", err)
	}
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "precious.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"demo", "--project", project, "--workspace", foreign}, nil, &out, &errOut); err == nil {
		t.Error("demo deleted a directory that is not a workspace")
	}
	if _, err := os.Stat(filepath.Join(foreign, "precious.txt")); err != nil {
		t.Error("demo removed a foreign file")
	}
}

func TestCheckReportsLineByLine(t *testing.T) {
	var out, errOut bytes.Buffer
	ws := filepath.Join(t.TempDir(), "ws")
	err := run(context.Background(), []string{"check", "--project", project, "--workspace", ws}, nil, &out, &errOut)
	if err != nil {
		t.Fatalf("check on the example project: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ok       config") {
		t.Errorf("check output:\n%s", out.String())
	}
	// The github backend without a token says what is missing.
	out.Reset()
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("VULNSTEWARD_GITHUB_TOKEN", "")
	err = run(context.Background(), []string{"check", "--project", project, "--backend", "github", "--workspace", ws}, nil, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), "MISSING  GitHub token") {
		t.Errorf("check without a token: err=%v\n%s", err, out.String())
	}
	// A broken configuration names file, line and key.
	bad := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(project, "project.toml"))
	if err := os.WriteFile(filepath.Join(bad, "project.toml"), append(b, []byte("\n[surprise]\nkey = 1\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--project", bad, "--workspace", ws}, nil, &out, &errOut); err == nil {
		t.Error("check accepted an unknown key")
	}
	if !strings.Contains(out.String(), "project.toml:") || !strings.Contains(out.String(), "surprise") {
		t.Errorf("check output does not name file, line and key:\n%s", out.String())
	}
}

func TestSecretsNeverFromFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--github-token", "ghp_x"}, nil, &out, &errOut)
	if err == nil {
		t.Error("a --github-token flag was accepted; secrets come only from the environment or files")
	}
}

// TestStdioSubprocess builds the binary and talks MCP to it over stdio.
func TestStdioSubprocess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vulnsteward")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ws := filepath.Join(dir, "ws")
	absProject, _ := filepath.Abs(project)
	if out, err := exec.Command(bin, "demo", "--seed-only", "--project", absProject, "--workspace", ws).CombinedOutput(); err != nil {
		t.Fatalf("seeding: %v\n%s", err, out)
	}
	c, err := client.NewStdioMCPClient(bin, []string{"VULNSTEWARD_GITHUB_TOKEN=ghp_should_never_appear"}, "stdio", "--project", absProject, "--workspace", ws, "--log-file", filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "stdio-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, tl := range tools.Tools {
		names[tl.Name] = true
	}
	for _, want := range []string{"import_propose", "import_apply", "tracker_list", "tracker_get", "guard_check", "project_info"} {
		if !names[want] {
			t.Errorf("tool %s not listed", want)
		}
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "import_propose"
	req.Params.Arguments = map[string]any{"now": "2026-11-24T09:00:00Z"}
	res, err := c.CallTool(ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("import_propose over stdio: %v %+v", err, res)
	}
	req.Params.Name = "import_apply"
	req.Params.Arguments = map[string]any{"confirmation_token": "vst1.forged.token"}
	res, err = c.CallTool(ctx, req)
	if err != nil || !res.IsError {
		t.Fatalf("a forged token over stdio: %v %+v", err, res)
	}
	c.Close()
	log, err := os.ReadFile(filepath.Join(dir, "server.log"))
	if err != nil || !strings.Contains(string(log), "tool call") {
		t.Errorf("no tool calls logged: %v\n%s", err, log)
	}
	if strings.Contains(string(log), "ghp_should_never_appear") {
		t.Error("the token reached the log")
	}
}

// A new local workspace is set up like a new tracker repository: the project's
// labels, the roster as collaborators, and the rejections ledger; check then
// reports nothing missing, and an existing workspace is never re-initialised.
func TestNewLocalWorkspaceIsInitialised(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "ws")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"tool", "--project", project, "--workspace", ws, "project_info"}, nil, &out, &errOut); err != nil {
		t.Fatalf("tool: %v\n%s", err, errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--project", project, "--workspace", ws}, nil, &out, &errOut); err != nil {
		t.Fatalf("check on an initialised workspace: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ok       labels", "ok       collaborators          5", "ok       rejections ledger"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	// A second open (and a third) creates no second ledger: #2 does not exist.
	out.Reset()
	err := run(context.Background(), []string{"tool", "--project", project, "--workspace", ws, "tracker_get", `{"number":2}`}, nil, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("the workspace was initialised twice: tracker_get #2 = %v\n%s", err, out.String())
	}
}
