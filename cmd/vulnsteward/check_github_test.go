package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
)

// TestCheckAgainstFakeGitHub runs `check --backend github` against the fake:
// the token works, the repositories answer, and missing labels and the missing
// rejections ledger are reported line by line.
func TestCheckAgainstFakeGitHub(t *testing.T) {
	const token = "ghp_checktokencheckcheckcheck0000"
	gh := fakegithub.New(fakegithub.WithToken(token))
	defer gh.Close()
	gh.AddRepo("example-org/example-server-security")
	gh.AddRepo("example-org/example-server")
	gh.AddCollaborator("example-org/example-server-security", "alice")
	gh.AddLabel("example-org/example-server-security", "needs triage")
	gh.AddProject("example-org", 7, "Needs triage", "Assessed", "CVE allocated", "PR created", "PR merged", "Fix released", "Announced")
	t.Setenv("VULNSTEWARD_GITHUB_TOKEN", token)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"check", "--project", project, "--backend", "github", "--github-api-url", gh.URL(),
		"--workspace", t.TempDir(), "--state-dir", t.TempDir()}, nil, &out, &errOut)
	s := out.String()
	if err == nil {
		t.Errorf("check passed with labels and the ledger missing:\n%s", s)
	}
	for _, want := range []string{"ok       GitHub token", "ok       tracker repository", "ok       upstream repository",
		"MISSING  labels", "security issue", "MISSING  rejections ledger", "ok       collaborators"} {
		if !strings.Contains(s, want) {
			t.Errorf("check output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s+errOut.String(), token) {
		t.Error("check printed the token")
	}
}
