package intake

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const goodFinding = `# Webhook redirects reach loopback

## Details
The client follows redirects.

## Location
[deliver.go#L88](https://github.com/example-org/example-server/blob/main/server/webhooks/deliver.go#L88)

## Impact
Internal services are reachable.

## Reproduction steps
1. Redirect to 127.0.0.1.

## Recommended fix
Refuse private ranges.

---
**Severity:** high
**Status:** Open
**Category:** SSRF
**Repository:** example-org/example-server
**Branch:** main
**Date created:** 2026-11-20
`

func TestParseFindingsReviewFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "findings", "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	fs, bad, err := ParseFindings(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || len(bad) != 2 {
		t.Fatalf("got %d findings and %d bad blocks, want 2 and 2: %+v %+v", len(fs), len(bad), fs, bad)
	}
	f := fs[0]
	if f.Title != "Webhook delivery follows redirects to loopback addresses" || f.Severity != "HIGH" || f.Category != "Server-Side Request Forgery" ||
		f.Repository != "example-org/example-server" || f.Branch != "main" || f.DateCreated != "2026-11-20" || f.Index != 1 || f.ID != "1" {
		t.Errorf("finding 1 = %+v", f)
	}
	if f.LocationLabel != "server/webhooks/deliver.go#L88" || !strings.HasSuffix(f.LocationURL, "deliver.go#L88") {
		t.Errorf("location = %q %q", f.LocationLabel, f.LocationURL)
	}
	if !strings.Contains(f.Details, "# not a heading: a comment in a shell block") {
		t.Errorf("a '# ' line inside fenced code was taken for a title: details = %q", f.Details)
	}
	if len(f.Warnings) != 0 {
		t.Errorf("finding 1 warnings = %v, want none", f.Warnings)
	}
	g := fs[1]
	if g.Severity != "UNKNOWN" || !hasWarning(g.Warnings, `severity "severe"`) || !hasWarning(g.Warnings, `"Reproduction steps" section is missing`) {
		t.Errorf("finding 2 severity %q warnings %v", g.Severity, g.Warnings)
	}
	if bad[0].Index != 3 || !strings.Contains(bad[0].Reason, "no \"# <Title>\"") || bad[1].Index != 4 || !strings.Contains(bad[1].Reason, "title is empty") {
		t.Errorf("bad blocks = %+v", bad)
	}
}

func hasWarning(ws []string, frag string) bool {
	for _, w := range ws {
		if strings.Contains(w, frag) {
			return true
		}
	}
	return false
}

func TestParseFindingsShapes(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantErr  string
		findings []string // titles
		bad      int
		check    func(t *testing.T, fs []Finding)
	}{
		{name: "empty", in: " \n\n", wantErr: "empty"},
		{name: "no title", in: "## Details\nx\n---\n**Severity:** HIGH\n", wantErr: "not a findings file"},
		{name: "no severity", in: "# T\n\n## Details\nx\n", wantErr: "not a findings file"},
		{name: "### titles are another shape", in: "### T\n\n## Details\nx\n---\n**Severity:** HIGH\n", wantErr: "not a findings file"},
		{name: "one finding", in: goodFinding, findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
			if fs[0].Severity != "HIGH" || fs[0].Impact != "Internal services are reachable." || fs[0].Repro != "1. Redirect to 127.0.0.1." || fs[0].RecommendedFix != "Refuse private ranges." {
				t.Errorf("%+v", fs[0])
			}
		}},
		{name: "CRLF line endings", in: strings.ReplaceAll(goodFinding, "\n", "\r\n"), findings: []string{"Webhook redirects reach loopback"}},
		{name: "front matter is ignored", in: "---\ntool: reviewer\ndate: 2026-11-20\n---\n" + goodFinding, findings: []string{"Webhook redirects reach loopback"}},
		{name: "two findings", in: goodFinding + "\n---\n\n" + strings.Replace(goodFinding, "Webhook redirects", "Second", 1),
			findings: []string{"Webhook redirects reach loopback", "Second reach loopback"}},
		{name: "a rule inside the prose continues the finding", in: strings.Replace(goodFinding, "The client follows redirects.", "Part one.\n\n---\n\nPart two.", 1),
			findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if !strings.Contains(fs[0].Details, "Part one.") || !strings.Contains(fs[0].Details, "Part two.") {
					t.Errorf("details = %q", fs[0].Details)
				}
			}},
		{name: "a separator inside fenced code is code", in: strings.Replace(goodFinding, "The client follows redirects.", "```yaml\na: 1\n---\nb: 2\n```", 1),
			findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if !strings.Contains(fs[0].Details, "---\nb: 2") {
					t.Errorf("details = %q", fs[0].Details)
				}
			}},
		{name: "a rule then code with a # comment continues the finding", in: strings.Replace(goodFinding, "The client follows redirects.", "Part one.\n\n---\n\n```sh\n# run the server\n## twice\nserver run\n```", 1),
			findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if !strings.Contains(fs[0].Details, "# run the server\n## twice") || fs[0].Impact != "Internal services are reachable." {
					t.Errorf("details = %q impact = %q", fs[0].Details, fs[0].Impact)
				}
			}},
		{name: "metadata without a separator", in: strings.Replace(goodFinding, "\n---\n**Severity:**", "\n**Severity:**", 1),
			findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if fs[0].Severity != "HIGH" || fs[0].RecommendedFix != "Refuse private ranges." {
					t.Errorf("%+v", fs[0])
				}
			}},
		{name: "a finding without metadata is kept with a warning", in: "# Lonely\n\n## Details\nx\n\n---\n\n" + goodFinding,
			findings: []string{"Lonely", "Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if fs[0].Severity != "UNKNOWN" || !hasWarning(fs[0].Warnings, "no metadata block") {
					t.Errorf("%+v", fs[0])
				}
			}},
		{name: "orphan metadata is a bad block, the rest goes on", in: "---\n**Severity:** LOW\n\n---\n\n" + goodFinding,
			findings: []string{"Webhook redirects reach loopback"}, bad: 1},
		{name: "empty title is a bad block", in: "#  \n\n## Details\nx\n---\n**Severity:** LOW\n---\n" + goodFinding,
			findings: []string{"Webhook redirects reach loopback"}, bad: 1},
		{name: "unknown sections are kept", in: strings.Replace(goodFinding, "## Impact", "## Affected endpoints\n/api/v1/hooks\n\n## Impact", 1),
			findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if len(fs[0].Extra) != 1 || fs[0].Extra[0].Heading != "Affected endpoints" || fs[0].Extra[0].Text != "/api/v1/hooks" {
					t.Errorf("extra = %+v", fs[0].Extra)
				}
			}},
		{name: "reporter line", in: strings.Replace(goodFinding, "**Status:** Open", "**Status:** Open\n**Discovered by:** Acme Review Bot", 1),
			findings: []string{"Webhook redirects reach loopback"}, check: func(t *testing.T, fs []Finding) {
				if fs[0].Reporter != "Acme Review Bot" {
					t.Errorf("reporter = %q", fs[0].Reporter)
				}
			}},
		{name: "missing sections warn, not skip", in: "# Bare\n\n---\n**Severity:** MEDIUM\n", findings: []string{"Bare"}, check: func(t *testing.T, fs []Finding) {
			for _, s := range []string{"Details", "Impact", "Reproduction steps"} {
				if !hasWarning(fs[0].Warnings, `"`+s+`"`) {
					t.Errorf("no warning for %s: %v", s, fs[0].Warnings)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, bad, err := ParseFindings(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), "**Severity:**") && tc.wantErr != "empty" {
					t.Errorf("the error does not describe the expected shape: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, f := range fs {
				titles = append(titles, f.Title)
			}
			if strings.Join(titles, "|") != strings.Join(tc.findings, "|") || len(bad) != tc.bad {
				t.Fatalf("titles %q bad %+v; want %q and %d bad", titles, bad, tc.findings, tc.bad)
			}
			if tc.check != nil {
				tc.check(t, fs)
			}
		})
	}
}

func TestFindingHashIsTheFindingText(t *testing.T) {
	a, _, _ := ParseFindings(goodFinding)
	other := strings.Replace(goodFinding, "Webhook redirects", "Other", 1)
	b, _, _ := ParseFindings(other + "\n---\n" + goodFinding)
	if len(a) != 1 || len(b) != 2 {
		t.Fatalf("parsed %d and %d", len(a), len(b))
	}
	if a[0].Hash != b[1].Hash {
		t.Errorf("the same finding hashes differently at another position")
	}
	if b[0].Hash == b[1].Hash {
		t.Errorf("different findings hash the same")
	}
	if MarkdownIntakeKey(b[1]) != "md:"+a[0].Hash+"#2" {
		t.Errorf("key = %s", MarkdownIntakeKey(b[1]))
	}
}

func TestCheckBaseName(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{{"findings.md", true}, {" report 2026.md ", true}, {"", false}, {"../etc/passwd", false}, {"dir/x.md", false}, {`C:\x.md`, false}, {"..", false}, {"a`b.md", false}} {
		_, err := checkBaseName(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("checkBaseName(%q) err = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func FuzzParseFindings(f *testing.F) {
	raw, _ := os.ReadFile(filepath.Join("testdata", "findings", "review.md"))
	f.Add(string(raw))
	f.Add(goodFinding)
	f.Add("# a\n---\n**Severity:**\n---\n---\n# \n**Severity:** x")
	f.Add("```\n# t\n---\n**Severity:** HIGH\n")
	f.Add("---\n---\n# t\n## Details\n```\n---\n**Severity:** LOW")
	f.Fuzz(func(t *testing.T, in string) {
		fs, bad, err := ParseFindings(in)
		if err != nil {
			if len(fs) > 0 || len(bad) > 0 {
				t.Fatal("findings returned with an error")
			}
			return
		}
		for i, x := range fs {
			if x.Index != i+1 || x.ID == "" {
				t.Fatalf("finding %d has index %d id %q", i, x.Index, x.ID)
			}
			if strings.TrimSpace(x.Title) == "" {
				t.Fatalf("finding %d has an empty title", i)
			}
			if !severityTags[x.Severity] {
				t.Fatalf("finding %d severity %q", i, x.Severity)
			}
			if !hex64.MatchString(x.Hash) {
				t.Fatalf("finding %d hash %q", i, x.Hash)
			}
		}
		for _, b := range bad {
			if b.Reason == "" || b.Index <= 0 {
				t.Fatalf("bad block without reason or position: %+v", b)
			}
		}
	})
}
