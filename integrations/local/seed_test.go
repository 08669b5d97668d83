package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const testSeed = `
reference_time = 2026-11-24T09:00:00Z
collaborators = ["alice-sec", "bob-sec"]
labels = ["needs triage", "security issue", "airflow", "cve allocated", "invalid"]
milestones = ["2.4.2"]

[[issues]]
title = "Path traversal in static handler"
body = """
<!-- intake v1 key=mail:a1@reporter.example source=mail -->
### Summary
Traversal.
"""
labels = ["needs triage", "security issue"]
author = "alice-sec"
created = 2026-10-20T10:00:00Z
board_column = "Needs triage"

[[issues.comments]]
author = "bob-sec"
created = 2026-10-20T11:00:00Z
body = "Looking."

[[issues.comments]]
author = "alice-sec"
created = 2026-10-20T12:00:00Z
body = "Confirmed."

[[issues]]
title = "Scanner noise"
body = "nothing"
labels = ["invalid", "security issue"]
state = "closed"
state_reason = "not_planned"
author = "bob-sec"
created = 2026-09-01T08:00:00Z
board_column = "Assessed"
board_archived = true

[[issues]]
title = "Allocated"
body = "b"
labels = ["airflow", "cve allocated", "security issue"]
author = "alice-sec"
created = 2026-10-01T08:00:00Z
assignees = ["bob-sec"]
milestone = "2.4.2"

[[issues.comments]]
author = "alice-sec"
created = 2026-10-20T09:00:00Z
body = "35 days before the reference time."

[[pull_requests]]
number = 4100
title = "Normalise static paths"
body = "Refactor."
author = "alice-sec"
state = "closed"
merged = true
created = 2026-11-01T10:00:00Z
merged_at = 2026-11-03T10:00:00Z
files = ["server/static.go"]

[[pull_requests]]
number = 4101
title = "Docs"
body = "Docs."
author = "carol"
state = "open"
merged = false
created = 2026-11-02T10:00:00Z

[[releases]]
tag = "v2.4.1"
name = "2.4.1"
published = 2026-11-10T10:00:00Z

[[ledger]]
title = "Rejections ledger"
body = "Counts rejections without a tracker."
`

func TestApplySeed(t *testing.T) {
	ctx := t.Context()
	seed, err := ParseSeed([]byte(testSeed))
	if err != nil {
		t.Fatal(err)
	}
	w := openTest(t, Options{BoardEnabled: true})
	if err := w.ApplySeed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	tr := w.Tracker()
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }

	ref, ok, err := w.ReferenceTime(ctx)
	if err != nil || !ok || !ref.Equal(at("2026-11-24T09:00:00Z")) {
		t.Errorf("ReferenceTime = %v, %v, %v", ref, ok, err)
	}
	one, err := tr.GetIssue(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if one.Title != "Path traversal in static handler" || one.Author != "alice-sec" || !one.CreatedAt.Equal(at("2026-10-20T10:00:00Z")) ||
		!one.UpdatedAt.Equal(at("2026-10-20T12:00:00Z")) || !one.HasLabel("needs triage") || one.State != "open" {
		t.Errorf("issue 1 = %+v", one)
	}
	cs, err := tr.ListComments(ctx, 1)
	if err != nil || len(cs) != 2 || cs[0].Author != "bob-sec" || !cs[0].CreatedAt.Equal(at("2026-10-20T11:00:00Z")) || cs[1].Body != "Confirmed." {
		t.Errorf("comments = %+v, %v", cs, err)
	}
	if found, err := tr.FindByIntakeKey(ctx, "mail:a1@reporter.example"); err != nil || len(found) != 1 || found[0].Number != 1 {
		t.Errorf("FindByIntakeKey = %+v, %v", found, err)
	}
	if item, err := tr.BoardItem(ctx, 1); err != nil || item != (lifecycle.BoardItem{Column: "Needs triage", OnBoard: true}) {
		t.Errorf("board item 1 = %+v, %v", item, err)
	}
	two, _ := tr.GetIssue(ctx, 2)
	if two.State != "closed" || two.StateReason != "not_planned" || !two.ClosedAt.Equal(two.CreatedAt) {
		t.Errorf("issue 2 = %+v", two)
	}
	if item, _ := tr.BoardItem(ctx, 2); !item.Archived || item.Column != "Assessed" {
		t.Errorf("board item 2 = %+v", item)
	}
	three, _ := tr.GetIssue(ctx, 3)
	if three.Milestone != "2.4.2" || len(three.Assignees) != 1 || three.Assignees[0] != "bob-sec" {
		t.Errorf("issue 3 = %+v", three)
	}
	if age := ref.Sub(three.UpdatedAt); age != 35*24*time.Hour {
		t.Errorf("issue 3's last comment is %v old, want 35 days", age)
	}
	if item, _ := tr.BoardItem(ctx, 3); item.OnBoard {
		t.Errorf("issue 3 is on the board: %+v", item)
	}
	ledger, err := tr.ListIssues(ctx, lifecycle.IssueFilter{Labels: []string{LedgerLabel}})
	if err != nil || len(ledger) != 1 || ledger[0].Number != 4 || ledger[0].Title != "Rejections ledger" || !ledger[0].CreatedAt.Equal(ref) {
		t.Errorf("ledger = %+v, %v", ledger, err)
	}
	pr, err := w.Upstream().GetPullRequest(ctx, 4100)
	if err != nil || !pr.Merged || !pr.MergedAt.Equal(at("2026-11-03T10:00:00Z")) || len(pr.Files) != 1 ||
		pr.URL != "https://github.com/example-org/example/pull/4100" {
		t.Errorf("PR 4100 = %+v, %v", pr, err)
	}
	rels, err := w.Upstream().ListReleases(ctx)
	if err != nil || len(rels) != 1 || rels[0].URL != "https://github.com/example-org/example/releases/tag/v2.4.1" {
		t.Errorf("releases = %+v, %v", rels, err)
	}
	team, _ := tr.Collaborators(ctx)
	if strings.Join(team, ",") != "alice-sec,bob-sec" {
		t.Errorf("collaborators = %q", team)
	}

	// The same seed again is a no-op; a different one is refused.
	if err := w.ApplySeed(ctx, seed); err != nil {
		t.Errorf("applying the same seed twice: %v", err)
	}
	if all, _ := tr.ListIssues(ctx, lifecycle.IssueFilter{State: "all"}); len(all) != 4 {
		t.Errorf("after re-applying: %d issues, want 4", len(all))
	}
	other := *seed
	other.Milestones = []string{"2.4.2", "2.5.0"}
	if err := w.ApplySeed(ctx, &other); err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Errorf("applying another seed to a seeded workspace: err = %v", err)
	}
}

func TestLoadSeedErrors(t *testing.T) {
	base := "reference_time = 2026-11-24T09:00:00Z\nlabels = [\"a\"]\ncollaborators = [\"alice\"]\n"
	issue := "[[issues]]\ntitle = \"t\"\nauthor = \"alice\"\ncreated = 2026-10-01T00:00:00Z\n"
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"unknown top-level key", base + "colaborators = [\"x\"]\n", []string{"seed.toml:4:1", `unknown key "colaborators"`}},
		{"unknown issue key", base + issue + "labes = [\"a\"]\n", []string{"seed.toml:8:1", `"issues.labes"`}},
		{"unknown comment key", base + issue + "[[issues.comments]]\nauthor = \"a\"\nwhen = 2026-10-02T00:00:00Z\nbody = \"x\"\n",
			[]string{"seed.toml:10:1", "issues.comments.when"}},
		{"type error", base + "milestones = \"2.4.2\"\n", []string{"seed.toml:4:"}},
		{"syntax error", base + "labels = [\n", []string{"seed.toml:"}},
		{"no reference time", "labels = []\n", []string{"reference_time is required"}},
		{"label not in the set", base + issue + "labels = [\"b\"]\n", []string{`issues[0] (#1 "t"): label "b" is not in labels`}},
		{"bad state", base + issue + "state = \"done\"\n", []string{`state "done"`}},
		{"reason on an open issue", base + issue + "state_reason = \"not_planned\"\n", []string{"state_reason is for closed issues"}},
		{"assignee not on the team", base + issue + "assignees = [\"mallory\"]\n", []string{`assignee "mallory" is not a collaborator`}},
		{"unknown milestone", base + issue + "milestone = \"9.9\"\n", []string{`milestone "9.9"`}},
		{"comment before its issue", base + issue + "[[issues.comments]]\nauthor = \"a\"\ncreated = 2026-09-01T00:00:00Z\nbody = \"x\"\n",
			[]string{"is before the issue"}},
		{"archived off the board", base + issue + "board_archived = true\n", []string{"board_archived needs board_column"}},
		{"merged but open", base + "[[pull_requests]]\nnumber = 1\ntitle = \"t\"\nauthor = \"a\"\nstate = \"open\"\nmerged = true\ncreated = 2026-10-01T00:00:00Z\n",
			[]string{"a merged pull request has state closed"}},
		{"two ledgers", base + "[[ledger]]\ntitle = \"L\"\n[[ledger]]\ntitle = \"M\"\n", []string{"at most one ledger"}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		path := filepath.Join(dir, "seed.toml")
		if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSeed(path)
		if err == nil {
			t.Errorf("%s: LoadSeed succeeded", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), strings.ReplaceAll(w, "seed.toml", path)) {
				t.Errorf("%s: err = %v\nwant it to contain %q", tc.name, err, w)
			}
		}
	}
}

func TestApplySeedChecksWorkspace(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		doc  string
		want string
	}{
		{"unknown board column", Options{},
			"reference_time = 2026-11-24T09:00:00Z\n[[issues]]\ntitle = \"t\"\nauthor = \"a\"\ncreated = 2026-10-01T00:00:00Z\nboard_column = \"Limbo\"\n",
			`no column "Limbo"`},
		{"pull requests without an upstream", Options{TrackerRepo: "o/t", UpstreamRepo: ""},
			"reference_time = 2026-11-24T09:00:00Z\n[[releases]]\ntag = \"v1\"\npublished = 2026-10-01T00:00:00Z\n",
			"no upstream repository"},
	}
	for _, tc := range tests {
		seed, err := ParseSeed([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		opts := tc.opts
		if opts.TrackerRepo == "" {
			opts.TrackerRepo, opts.UpstreamRepo = testTracker, testUpstream
		}
		w, err := Open(t.Context(), t.TempDir(), opts)
		if err != nil {
			t.Fatal(err)
		}
		err = w.ApplySeed(t.Context(), seed)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		// Nothing was written.
		if all, _ := w.Tracker().ListIssues(t.Context(), lifecycle.IssueFilter{State: "all"}); len(all) != 0 {
			t.Errorf("%s: a failed seed left %d issues", tc.name, len(all))
		}
		w.Close()
	}
}

// The example project's seed, when present, loads and applies cleanly, and its
// mail seeds a Maildir this package can read.
func TestExampleProjectSeed(t *testing.T) {
	root := filepath.Join("..", "..", "projects", "example", "seed")
	path := filepath.Join(root, "workspace.toml")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no example seed: %v", err)
	}
	seed, err := LoadSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	w := openTest(t, Options{BoardEnabled: true})
	if err := w.ApplySeed(t.Context(), seed); err != nil {
		t.Fatal(err)
	}
	all, err := w.Tracker().ListIssues(t.Context(), lifecycle.IssueFilter{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	want := len(seed.Issues) + len(seed.Ledger)
	if len(all) != want {
		t.Errorf("%d issues, want %d", len(all), want)
	}

	mail := filepath.Join(root, "mail")
	if _, err := os.Stat(mail); err != nil {
		return
	}
	box := filepath.Join(t.TempDir(), "mailbox")
	if err := SeedMaildir(mail, box); err != nil {
		t.Fatal(err)
	}
	m, err := OpenMaildir(box, MaildirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	threads, err := m.ListThreads(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	emls, _ := filepath.Glob(filepath.Join(mail, "*.eml"))
	if len(emls) > 0 && len(threads) == 0 {
		t.Errorf("%d seed messages, no threads", len(emls))
	}
	for _, th := range threads {
		if _, err := m.ReadThread(t.Context(), th.ID); err != nil {
			t.Errorf("ReadThread(%q): %v", th.ID, err)
		}
	}
}
