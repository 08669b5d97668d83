package projects

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// copyProject copies a project directory (without seed data) into a temp dir,
// with project.toml replaced by the result of edit.
func copyProject(t *testing.T, src string, edit func(string) string) (dir, toml string) {
	t.Helper()
	dir = t.TempDir()
	for _, name := range []string{"canned-responses.md", "security-model.md"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(src, FileName))
	if err != nil {
		t.Fatal(err)
	}
	toml = string(data)
	if edit != nil {
		toml = edit(toml)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, toml
}

// lineOf returns the 1-based line of the first occurrence of s in text.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("test setup: %q not in the document", s)
	}
	return 1 + strings.Count(text[:i], "\n")
}

// replaceOnce replaces the first occurrence, failing the test when absent.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("test setup: %q not in the document", old)
	}
	return strings.Replace(s, old, new, 1)
}

func TestLoadShippedProjects(t *testing.T) {
	for _, dir := range []string{"_template", "example"} {
		t.Run(dir, func(t *testing.T) {
			c, err := Load(dir)
			if err != nil {
				t.Fatalf("Load(%s): %v", dir, err)
			}
			if c.Dir != dir {
				t.Errorf("Dir = %q, want %q", c.Dir, dir)
			}
			if _, err := c.CannedResponses(); err != nil {
				t.Errorf("CannedResponses: %v", err)
			}
			if _, err := c.LoadSecurityModel(); err != nil {
				t.Errorf("LoadSecurityModel: %v", err)
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	// A minimal file: only the required keys.
	minimal := `[project]
name = "Mini"
vendor = "Mini Org"

[repos]
tracker = "mini/mini-security"
upstream = "mini/mini"

[lists]
security = "security@mini.example"

[canned]
receipt = "confirmation-of-receiving-the-report"

[security_model]
url = "https://mini.example/security-model"

[[roster]]
handle = "alice"
name = "Alice"
roles = ["triager"]
governance = true
`
	dir, _ := copyProject(t, "_template", func(string) string { return minimal })
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{
		"security_marker": "security issue", "needs_triage": "needs triage", "cve_allocated": "cve allocated",
		"pr_open": "pr created", "pr_merged": "pr merged", "fix_released": "fix released",
		"announced_emails_sent": "announced - emails sent", "announced": "announced", "invalid": "invalid",
		"not_cve_worthy": "not CVE worthy", "duplicate": "duplicate", "wontfix": "wontfix",
		"rejections_ledger": "rejections-ledger", "rc_voting": "rc voting",
	}
	if got := c.LabelRoles(); !reflect.DeepEqual(got, wantLabels) {
		t.Errorf("LabelRoles = %v\nwant %v", got, wantLabels)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"window", c.Disclosure.WindowDays, 90},
		{"grace", c.Disclosure.GracePeriodDays, 14},
		{"ack", c.Disclosure.AcknowledgementModel, "manual"},
		{"stall", c.Disclosure.StallDays, 30},
		{"stall2", c.Disclosure.StallPhase2Days, 7},
		{"intake window", c.Intake.WindowDays, 14},
		{"rollup", c.Markers.RollupPrefix, "airflow-s"},
		{"status field", c.Board.StatusField, "Status"},
		{"code ext", c.Intake.CodeExtensions, []string{".py", ".go", ".java", ".js", ".ts"}},
		{"gate", c.Governance.CVEAllocationGate, "pmc-member"},
		{"gate label", c.Governance.GateLabel, "PMC"},
		{"cna", c.CNA.Tool, "none"},
		{"cve vendor", c.CVERecord.Vendor, "Mini Org"},
		{"cve product", c.CVERecord.DefaultProduct, "Mini"},
		{"security domain", c.Lists.SecurityDomain, "security.mini.example"},
		{"noreply", c.Lists.TrackerNoreply, []string{"mini-security@noreply.github.com"}},
		{"canned file", c.Canned.File, "canned-responses.md"},
		{"model file", c.SecModel.File, "security-model.md"},
		{"branch", c.Repos.UpstreamDefaultBranch, "main"},
		{"milestone format", c.Milestones.Format, "{version}"},
		{"archive", c.Archive.Kind, "none"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	wantColumns := []string{"Needs triage", "Assessed", "CVE allocated", "PR created", "PR merged", "Fix released", "Announced"}
	for i, role := range columnRoles() {
		if got := c.ColumnName(role); got != wantColumns[i] {
			t.Errorf("ColumnName(%s) = %q, want %q", role, got, wantColumns[i])
		}
	}
}

func TestLoadProblems(t *testing.T) {
	type edit = func(t *testing.T, s string) string
	cases := []struct {
		name string
		edit edit
		// Each expectation: the key, the text locating its line in the edited
		// document, and a fragment of the message.
		want [][3]string
	}{
		{
			name: "unknown key with suggestion",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `needs_triage = "needs triage"`, `needs_triag = "needs triage"`)
			},
			want: [][3]string{{"labels.needs_triag", "needs_triag =", `is not a known setting (did you mean "labels.needs_triage"?)`}},
		},
		{
			name: "unknown key in the wrong table",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "[markers]\n", "[markers]\nstall_phase2_days = 3\n")
			},
			want: [][3]string{{"markers.stall_phase2_days", "stall_phase2_days = 3", `did you mean "disclosure.stall_phase2_days"?`}},
		},
		{
			name: "unknown table",
			edit: func(t *testing.T, s string) string { return s + "\n[labelz]\nfoo = 1\n" },
			want: [][3]string{{"labelz", "[labelz]", `is not a known setting (did you mean "labels"?)`}},
		},
		{
			name: "array of tables written as a table",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "[[scopes]]\n", "[scopes]\n")
			},
			want: [][3]string{{"scopes", "[scopes]\n", "is an array of tables; write [[scopes]]"}},
		},
		{
			name: "wrong type",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "window_days = 90", `window_days = "90"`)
			},
			want: [][3]string{{"disclosure.window_days", `window_days = "90"`, "must be an integer, got a string"}},
		},
		{
			name: "wrong type in array",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `code_extensions = [".py"`, `code_extensions = [1, ".py"`)
			},
			want: [][3]string{{"intake.code_extensions[0]", "code_extensions = [1", "must be a string, got an integer"}},
		},
		{
			name: "missing required key points at its table",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "name = \"Your Project\"\n", "")
			},
			want: [][3]string{{"project.name", "[project]", "is required but missing"}},
		},
		{
			name: "missing required table points at line 1",
			edit: func(t *testing.T, s string) string {
				start := strings.Index(s, "[security_model]")
				end := strings.Index(s, "# One [[roster]]")
				return s[:start] + s[end:]
			},
			want: [][3]string{{"security_model.url", "# vulnsteward project configuration", "is required but missing"}},
		},
		{
			name: "missing receipt",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "receipt = \"Confirmation of receiving the report\"\n", "")
			},
			want: [][3]string{{"canned.receipt", "[canned]", "is required but missing"}},
		},
		{
			name: "bad enum",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `acknowledgement_model = "manual"`, `acknowledgement_model = "manul"`)
			},
			want: [][3]string{{"disclosure.acknowledgement_model", `acknowledgement_model = "manul"`, `must be one of "manual", "auto", "none", got "manul" (did you mean "manual"?)`}},
		},
		{
			name: "bad gate",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `cve_allocation_gate = "pmc-member"`, `cve_allocation_gate = "pmc"`)
			},
			want: [][3]string{{"governance.cve_allocation_gate", `cve_allocation_gate = "pmc"`, "must be one of"}},
		},
		{
			name: "duplicate handle",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "# Who may allocate CVEs", "[[roster]]\nhandle = \"Your-Handle\"\nname = \"Twin\"\n\n# Who may allocate CVEs")
			},
			want: [][3]string{{"roster[1].handle", `handle = "Your-Handle"`, `repeats the handle "Your-Handle" of roster[0]`}},
		},
		{
			name: "handle with @ and bad role",
			edit: func(t *testing.T, s string) string {
				s = replaceOnce(t, s, `handle = "your-handle"`, `handle = "@your-handle"`)
				return replaceOnce(t, s, `roles = ["triager", "remediation", "release-manager"]`, `roles = ["triager", "releasemanager"]`)
			},
			want: [][3]string{
				{"roster[0].handle", `handle = "@your-handle"`, "without \"@\""},
				{"roster[0].roles[1]", `roles = ["triager", "releasemanager"]`, `(did you mean "release-manager"?)`},
				{"intake.operator", `operator = "your-handle"`, "is not a roster handle"},
			},
		},
		{
			name: "unknown canned name",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `media = "Media / research-disclosure request"`, `media = "Media requests"`)
			},
			want: [][3]string{{"canned.media", `media = "Media requests"`, `names "Media requests", which is not a ### heading in canned-responses.md`}},
		},
		{
			name: "canned name by slug is accepted, unknown canned file is not",
			edit: func(t *testing.T, s string) string {
				s = replaceOnce(t, s, `media = "Media / research-disclosure request"`, `media = "media-research-disclosure-request"`)
				return replaceOnce(t, s, `file = "canned-responses.md"`, `file = "nope.md"`)
			},
			want: [][3]string{{"canned.file", `file = "nope.md"`, "which does not exist"}},
		},
		{
			name: "security model file missing",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `file = "security-model.md"`, `file = "missing-model.md"`)
			},
			want: [][3]string{{"security_model.file", `file = "missing-model.md"`, "which does not exist"}},
		},
		{
			name: "repos and lists",
			edit: func(t *testing.T, s string) string {
				s = replaceOnce(t, s, `tracker = "your-org/your-project-security"`, `tracker = "your-project-security"`)
				s = replaceOnce(t, s, `private = "private@your-project.example.org"`, `private = "Private <private@your-project.example.org>"`)
				return replaceOnce(t, s, `archived_public = ["users@your-project.example.org"`, `archived_public = ["security@your-project.example.org"`)
			},
			want: [][3]string{
				{"repos.tracker", `tracker = "your-project-security"`, "owner/name"},
				{"lists.private", `private = "Private`, "bare e-mail address"},
				{"lists.archived_public[0]", `archived_public = [`, "names the private list"},
			},
		},
		{
			name: "board enabled without owner and number",
			edit: func(t *testing.T, s string) string {
				s = replaceOnce(t, s, "enabled = false", "enabled = true")
				s = replaceOnce(t, s, "owner = \"your-org\"\n", "")
				return replaceOnce(t, s, "number = 1\n", "")
			},
			want: [][3]string{
				{"board.owner", "[board]", "is required when board.enabled is true"},
				{"board.number", "[board]", "is required when board.enabled is true"},
			},
		},
		{
			name: "unknown board column role",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `pr_open = "PR created"`, `pr_opened = "PR created"`)
			},
			want: [][3]string{{"board.columns.pr_opened", `pr_opened = "PR created"`, `did you mean "board.columns.pr_open"?`}},
		},
		{
			name: "scope labels",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "# The GitHub Projects V2 board.", "[[scopes]]\nlabel = \"Core\"\n\n[[scopes]]\nlabel = \"invalid\"\n\n# The GitHub Projects V2 board.")
			},
			want: [][3]string{
				{"scopes[1].label", `label = "Core"`, "must be unique"},
				{"scopes[2].label", `label = "invalid"`, "already the lifecycle label"},
			},
		},
		{
			name: "two roles share a label",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, `wontfix = "wontfix"`, `wontfix = "Invalid"`)
			},
			want: [][3]string{{"labels.wontfix", `wontfix = "Invalid"`, `already used by "labels.invalid"`}},
		},
		{
			name: "key set twice",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "stall_days = 30\n", "stall_days = 30\nstall_days = 31\n")
			},
			want: [][3]string{{"disclosure.stall_days", "stall_days = 31", "is set twice"}},
		},
		{
			name: "pmc gate without a governance member",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "governance = true", "governance = false")
			},
			want: [][3]string{{"governance.cve_allocation_gate", `cve_allocation_gate = "pmc-member"`, "no roster member has governance = true"}},
		},
		{
			name: "vulnogram needs its URLs",
			edit: func(t *testing.T, s string) string {
				s = replaceOnce(t, s, `tool = "none"`, `tool = "vulnogram"`)
				return replaceOnce(t, s, `record_url_template = ""`, `record_url_template = "https://cve.example.org/cve5/"`)
			},
			want: [][3]string{
				{"cna.url", `url = ""`, `is required when cna.tool is "vulnogram"`},
				{"cna.record_url_template", `record_url_template = "https`, "must contain the placeholder <CVE-ID>"},
				{"cna.org_id", `org_id = ""`, "is required when"},
			},
		},
		{
			name: "non-positive window",
			edit: func(t *testing.T, s string) string {
				return replaceOnce(t, s, "window_days = 14", "window_days = 0")
			},
			want: [][3]string{{"intake.window_days", "window_days = 0", "must be a positive number of days"}},
		},
		{
			name: "all problems are collected",
			edit: func(t *testing.T, s string) string {
				s = replaceOnce(t, s, `needs_triage = "needs triage"`, `needs_triag = "needs triage"`)
				s = replaceOnce(t, s, "window_days = 90", "window_days = 9.5")
				return replaceOnce(t, s, "governance = true", "governance = \"yes\"")
			},
			want: [][3]string{
				{"labels.needs_triag", "needs_triag =", "is not a known setting"},
				{"disclosure.window_days", "window_days = 9.5", "must be an integer, got a float"},
				{"roster[0].governance", `governance = "yes"`, "must be a boolean"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, doc := copyProject(t, "_template", func(s string) string { return tc.edit(t, s) })
			_, err := Load(dir)
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load: got %v, want a *ValidationError", err)
			}
			file := filepath.Join(dir, FileName)
			for _, w := range tc.want {
				want := fmt.Sprintf("%s:%d: key %q ", file, lineOf(t, doc, w[1]), w[0])
				if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), w[2]) {
					t.Errorf("error does not contain %q ... %q:\n%v", want, w[2], err)
				}
			}
			if len(verr.Problems) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(verr.Problems), len(tc.want), err)
			}
		})
	}
}

func TestLoadSyntaxError(t *testing.T) {
	dir, doc := copyProject(t, "_template", func(s string) string {
		return strings.Replace(s, "window_days = 90", "window_days = = 90", 1)
	})
	_, err := Load(dir)
	want := fmt.Sprintf("%s:%d: TOML syntax error", filepath.Join(dir, FileName), lineOf(t, doc, "window_days = = 90"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a wrapped not-exist error", err)
	}
}

// TestTemplateDocumentsEveryKey walks the toml tags of Config: every key must be
// set in _template/project.toml with a comment block directly above it.
func TestTemplateDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("_template", FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, lines, err := parse(filepath.Join("_template", FileName), data)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]int{}
	index := regexp.MustCompile(`\[\d+\]`)
	for k, n := range lines {
		k = index.ReplaceAllString(k, "")
		if _, ok := set[k]; !ok || n < set[k] {
			set[k] = n
		}
	}
	src := strings.Split(string(data), "\n")
	paths := settingPaths(reflect.TypeFor[Config]())
	for _, role := range columnRoles() {
		paths = append(paths, "board.columns."+role)
	}
	for _, p := range paths {
		if settingKind(p) == reflect.Map {
			continue // its keys are the column roles, checked one by one
		}
		n, ok := set[p]
		if !ok {
			t.Errorf("key %q is not in _template/project.toml", p)
			continue
		}
		if commentAbove(src, n) == "" {
			t.Errorf("key %q (line %d) has no comment block directly above it", p, n)
		}
	}
}
