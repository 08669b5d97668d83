package intake

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/vulnsteward/vulnsteward/projects"
)

func readScan(t testing.TB, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "scan", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestParseScanSARIF(t *testing.T) {
	s, err := ParseScan(readScan(t, "results.sarif"), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != FormatSARIF || s.Tool != "CodeQL 2.19.0" || len(s.ID) != 12 || len(s.Findings) != 4 {
		t.Fatalf("scan = %s %s %s %d findings", s.Format, s.Tool, s.ID, len(s.Findings))
	}
	tests := []struct {
		i                                int
		id, title, severity, cwe, status string
		files                            string
	}{
		{0, "go/request-forgery@server/webhooks/deliver.go:88", "Uncontrolled data used in network request in server/webhooks/deliver.go", "CRITICAL", "CWE-918", "", "server/webhooks/deliver.go:88"},
		{1, "go/clear-text-logging@server/auth/refresh.go:41", "Clear-text logging of sensitive information in server/auth/refresh.go", "HIGH", "CWE-312, CWE-359", "", "server/auth/refresh.go:41"},
		{2, "js/xss@web/src/markdown/render.ts:12", "Client-side cross-site scripting in web/src/markdown/render.ts", "MEDIUM", "CWE-79", "absent", "web/src/markdown/render.ts:12"},
		{3, "9f0c5a1e-2d4b-4c1e-8b7a-2f9d0e1c3b4a", "Uncontrolled data used in network request in server/importer/client.go", "CRITICAL", "CWE-918", "", "server/importer/client.go:30"},
	}
	for _, tc := range tests {
		f := s.Findings[tc.i]
		if f.ID != tc.id || f.Title != tc.title || f.Severity != tc.severity || f.CWE != tc.cwe || f.Status != tc.status || strings.Join(f.Files, ",") != tc.files {
			t.Errorf("finding %d = id %q title %q severity %q cwe %q status %q files %v", tc.i, f.ID, f.Title, f.Severity, f.CWE, f.Status, f.Files)
		}
		if f.Repository != "example-org/example-server" || f.Branch != "main" {
			t.Errorf("finding %d repository %q branch %q", tc.i, f.Repository, f.Branch)
		}
	}
	if len(s.Findings[1].Links) != 1 || !strings.HasSuffix(s.Findings[1].Links[0], "/pull/97") {
		t.Errorf("links = %v", s.Findings[1].Links)
	}
	again, _ := ParseScan(readScan(t, "results.sarif"), "sarif")
	if again.ID != s.ID {
		t.Errorf("the scan id is not stable: %s then %s", s.ID, again.ID)
	}
}

func TestParseScanASVS(t *testing.T) {
	s, err := ParseScan(readScan(t, "consolidated.md"), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != FormatASVS || len(s.Findings) != 3 {
		t.Fatalf("scan = %s, %d findings", s.Format, len(s.Findings))
	}
	a, b, c := s.Findings[0], s.Findings[1], s.Findings[2]
	if a.ID != "V5.3.4" || a.Title != "Unescaped link title in the markdown renderer" || a.Severity != "HIGH" || a.Level != "L1" || a.CWE != "CWE-79" ||
		strings.Join(a.Files, ",") != "web/src/markdown/render.ts:44" || a.Attacker != "authenticated user with write access to a project" {
		t.Errorf("finding 1 = %+v", a)
	}
	if !strings.Contains(a.Details, "Evidence: the renderer") || !strings.Contains(a.Details, "title=\"${title}\"") {
		t.Errorf("evidence = %q", a.Details)
	}
	if b.ID != "V12.6.1" || b.Impact != "the server fetches any URL the administrator types,\nincluding loopback addresses." || b.RecommendedFix != "none needed." {
		t.Errorf("finding 2 = %+v (a labelled value continues on the next line)", b)
	}
	if c.ID != "V8.3.1" || c.Title != "Session cookie is not HttpOnly" || c.Status != "Fixed in 2.4.1" || c.Severity != "LOW" {
		t.Errorf("finding 3 = %+v", c)
	}
}

func TestParseScanErrors(t *testing.T) {
	tests := []struct{ name, in, format, want string }{
		{"empty", "  ", "", "empty"},
		{"unknown format", "x", "csv", "not a scan format"},
		{"broken SARIF", "{\"runs\": [", "", "not SARIF JSON"},
		{"SARIF without runs", `{"version":"2.1.0","runs":[]}`, "", "no runs"},
		{"SARIF without results", `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}`, "", "no findings"},
		{"markdown with no finding heading", "# Scan\n\nNothing found.\n", "", "no finding in the asvs output"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScan(tc.in, tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestScanFindingIDs(t *testing.T) {
	in := "## F-1: one\n**Severity:** LOW\n## F-1: again\n**Severity:** LOW\n## [weird id!!] x\n"
	s, err := ParseScan(in, "asvs")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range s.Findings {
		ids = append(ids, f.ID)
	}
	if strings.Join(ids, ",") != "F-1,F-1~2" {
		t.Errorf("ids = %v (duplicates get a suffix; a heading that is not an id is evidence)", ids)
	}
	for _, tc := range []struct{ in, want string }{{"a b", "a_b"}, {"", "F7"}, {"x--y", "x-y"}, {"<script>", "script"}} {
		if got := findingID(tc.in, 7); got != tc.want {
			t.Errorf("findingID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSARIFSeverity(t *testing.T) {
	tests := []struct {
		props map[string]any
		level string
		want  string
	}{
		{map[string]any{"security-severity": "9.8"}, "", "CRITICAL"},
		{map[string]any{"security-severity": 7.0}, "note", "HIGH"},
		{map[string]any{"security-severity": "4"}, "", "MEDIUM"},
		{map[string]any{"security-severity": "0.1"}, "", "LOW"},
		{map[string]any{"security-severity": "n/a"}, "warning", "MEDIUM"},
		{nil, "error", "HIGH"},
		{nil, "note", "LOW"},
		{nil, "", "UNKNOWN"},
	}
	for _, tc := range tests {
		if got := sarifSeverity(tc.props, tc.level); got != tc.want {
			t.Errorf("sarifSeverity(%v, %q) = %q, want %q", tc.props, tc.level, got, tc.want)
		}
	}
}

func TestModelRolesAndRoleNamed(t *testing.T) {
	doc := projects.ParseSecurityModel("# M\n\n## Scope\n\nx\n\n## Roles\n\n### Operators\n\nTrusted.\n\n### Plugin authors\n\nTrusted.\n\n## Not vulnerabilities\n\n### Self-XSS\n\nNo.\n", "https://m.example/model")
	var names []string
	for _, r := range modelRoles(doc) {
		names = append(names, r.Heading)
	}
	if strings.Join(names, ",") != "Operators,Plugin authors" {
		t.Fatalf("roles = %v", names)
	}
	tests := []struct {
		text, heading string
		want          bool
	}{
		{"an operator editing the config", "Operators", true},
		{"OPERATORS only", "Operators", true},
		{"a cooperator", "Operators", false},
		{"a plugin author shipping code", "Plugin authors", true},
		{"", "Operators", false},
		{"admin", "Ops", false},
	}
	for _, tc := range tests {
		if got := roleNamed(tc.text, tc.heading); got != tc.want {
			t.Errorf("roleNamed(%q, %q) = %v", tc.text, tc.heading, got)
		}
	}
}

func FuzzParseScan(f *testing.F) {
	f.Add(readScan(f, "results.sarif"), "")
	f.Add(readScan(f, "consolidated.md"), "")
	f.Add(`{"runs":[{"results":[{"ruleIndex":99,"locations":[{}]}]}]}`, "sarif")
	f.Add("## A1: t\n**Files:**\n**Severity:** ?\n```\n## B2: in code\n", "asvs")
	f.Fuzz(func(t *testing.T, in, format string) {
		s, err := ParseScan(in, format)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i, x := range s.Findings {
			if x.Index != i+1 || x.ID == "" || seen[x.ID] {
				t.Fatalf("finding %d: index %d id %q (ids must be unique and non-empty)", i, x.Index, x.ID)
			}
			seen[x.ID] = true
			if strings.IndexFunc(x.ID, unicode.IsSpace) >= 0 || strings.Contains(x.ID, "--") {
				t.Fatalf("finding id %q is not one token", x.ID)
			}
			if strings.TrimSpace(x.Title) == "" || x.Severity == "" {
				t.Fatalf("finding %d: title %q severity %q", i, x.Title, x.Severity)
			}
		}
	})
}
