package intake

import (
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/projects"
)

const upstream = "example-org/example-server"

func TestParsePRRef(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  string
	}{
		{"65703", 65703, ""},
		{" #101 ", 101, ""},
		{"example-org/example-server#101", 101, ""},
		{"Example-Org/Example-Server#7", 7, ""},
		{"https://github.com/example-org/example-server/pull/101", 101, ""},
		{"https://github.com/example-org/example-server/pull/101/files", 101, ""},
		{"https://github.com/example-org/example-server/pull/101#issuecomment-1", 101, ""},
		{"other-org/fork#101", 0, "not the upstream"},
		{"https://github.com/other-org/fork/pull/101", 0, "not the upstream"},
		{"https://github.com/example-org/example-server/issues/101", 0, "not a pull request URL"},
		{"0", 0, "must be positive"},
		{"pull 101", 0, "give a number"},
		{"/etc/passwd", 0, "give a number"},
		{"", 0, "give a number"},
	}
	for _, tc := range tests {
		got, err := ParsePRRef(tc.in, upstream)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParsePRRef(%q) err = %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParsePRRef(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestDetectScopes(t *testing.T) {
	scopes := []projects.Scope{
		{Label: "server", PathPrefixes: []string{"server/", "api/"}},
		{Label: "web-ui", PathPrefixes: []string{"web/"}},
		{Label: "helm-chart", PathPrefixes: []string{"chart/"}},
	}
	tests := []struct {
		name    string
		files   []string
		scopes  string
		ignored int
	}{
		{"one scope, tests and docs ignored", []string{"server/importer/client.go", "server/importer/client_test.go", "docs/configuration.md"}, "server", 1},
		{"two prefixes of one scope", []string{"server/http/ratelimit.go", "api/v1/login.go"}, "server", 0},
		{"several scopes", []string{"web/src/a.ts", "chart/values.yaml"}, "web-ui,helm-chart", 0},
		{"no scope", []string{"go.mod", "go.sum"}, "", 0},
		{"only tests", []string{"server/tests/x.go", "web/src/__tests__/a.ts", "web/src/a.test.ts", "server/testdata/f"}, "", 4},
		{"prefix is a prefix, not a substring", []string{"docs/server/notes.md"}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := DetectScopes(scopes, tc.files)
			if strings.Join(m.Scopes, ",") != tc.scopes || len(m.Ignored) != tc.ignored {
				t.Errorf("scopes %v ignored %v; want %q and %d ignored", m.Scopes, m.Ignored, tc.scopes, tc.ignored)
			}
		})
	}
}

func TestPRTitle(t *testing.T) {
	tests := []struct {
		in, want string
		short    bool
	}{
		{"fix: escape link titles in the markdown renderer (#1234)", "Escape link titles in the markdown renderer", false},
		{"fix(secrets)!: redact tokens in debug logs [skip ci]", "Redact tokens in debug logs", false},
		{"security: chart: serve metrics on a separate service [#99]", "Chart: serve metrics on a separate service", false},
		{"chart: serve metrics on a separate ClusterIP service", "Chart: serve metrics on a separate ClusterIP service", false},
		{"[ci-skip] chore: bump deps", "Bump deps", true},
		{"fix: x", "X", true},
		{"# heading\nsecond line", "Heading second line", true},
		{"fix:", "Fix:", true},
	}
	for _, tc := range tests {
		got, short := PRTitle(tc.in)
		if got != tc.want || short != tc.short {
			t.Errorf("PRTitle(%q) = %q, %v; want %q, %v", tc.in, got, short, tc.want, tc.short)
		}
	}
}

func TestNormalPRURL(t *testing.T) {
	a, ok1 := normalPRURL("https://github.com/Example-Org/example-server/pull/101/files")
	b, ok2 := normalPRURL("http://www.github.com/example-org/example-server/pull/101?x=1#y")
	if !ok1 || !ok2 || a != b {
		t.Errorf("normalPRURL: %q %v, %q %v", a, ok1, b, ok2)
	}
	if _, ok := normalPRURL("https://github.com/example-org/example-server/pull/1010"); !ok {
		t.Error("a PR URL does not normalise")
	}
	if x, _ := normalPRURL("https://github.com/example-org/example-server/pull/1010"); x == a {
		t.Error("#1010 and #101 compare equal")
	}
	if _, ok := normalPRURL("example-org/example-server#101"); ok {
		t.Error("a non-URL normalised")
	}
}

func TestMilestoneVersion(t *testing.T) {
	tests := []struct{ format, milestone, want string }{
		{"{version}", "2.4.2", "2.4.2"},
		{"v{version}", "v2.5.0", "2.5.0"},
		{"Release {version}", "Release 3.0.0-rc.1", "3.0.0-rc.1"},
		{"{version}", "Next", ""},
		{"{version}", "", ""},
	}
	for _, tc := range tests {
		if got := milestoneVersion(tc.format, tc.milestone); got != tc.want {
			t.Errorf("milestoneVersion(%q, %q) = %q, want %q", tc.format, tc.milestone, got, tc.want)
		}
	}
}

func TestRemediationDeveloperAndAuthorCredit(t *testing.T) {
	cfg := &projects.Config{Roster: []projects.Member{{Handle: "tkowalski", Name: "Tomasz Kowalski"}}}
	tests := []struct{ login, value, note string }{
		{"tkowalski", "Tomasz Kowalski", ""},
		{"sam-contrib", "sam-contrib", ""},
		{"dependabot[bot]", "", "skipped credit: `dependabot[bot]`"},
	}
	for _, tc := range tests {
		v, n := remediationDeveloper(cfg, tc.login)
		if v != tc.value || !strings.HasPrefix(n, tc.note) || (tc.note == "" && n != "") {
			t.Errorf("remediationDeveloper(%q) = %q, %q", tc.login, v, n)
		}
	}
	for _, c := range []string{"tkowalski", "@TKowalski", "Tomasz Kowalski"} {
		if !sameAuthor(cfg, "tkowalski", c) {
			t.Errorf("credit %q is not recognised as the PR author", c)
		}
	}
	if sameAuthor(cfg, "tkowalski", "Mara Lindqvist") {
		t.Error("another person is taken for the PR author")
	}
}
