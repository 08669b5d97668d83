package lifecycle

import (
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
)

func testVocabulary() Vocabulary {
	cfg := &projects.Config{
		Labels: projects.LabelsSection{SecurityMarker: "security issue", NeedsTriage: "needs triage", CVEAllocated: "cve allocated",
			PROpen: "pr created", PRMerged: "pr merged", FixReleased: "fix released", AnnouncedSent: "announced - emails sent",
			Announced: "announced", Invalid: "invalid", NotCVEWorthy: "not CVE worthy", Duplicate: "duplicate", Wontfix: "wontfix"},
		Scopes: []projects.Scope{{Label: "server"}, {Label: "web-ui"}},
	}
	return VocabularyFor(cfg)
}

func TestDerive(t *testing.T) {
	v := testVocabulary()
	tests := []struct {
		name    string
		state   string
		labels  []string
		step    int
		owner   Role
		tool    string
		column  string
		blocker string
	}{
		{"fresh import", "open", []string{"needs triage", "security issue"}, 3, RoleTriager, "triage_propose", "Needs triage", ""},
		{"consensus pending", "open", []string{"needs triage", "server"}, 5, RoleTriager, "sync_propose", "Needs triage", ""},
		{"assessed", "open", []string{"server"}, 6, RoleTriager, "allocate_propose", "Assessed", ""},
		{"cve allocated", "open", []string{"server", "cve allocated"}, 7, RoleRemediation, "fix_propose", "CVE allocated", ""},
		{"pr open", "open", []string{"server", "cve allocated", "pr created"}, 11, RoleRemediation, "sync_propose", "PR created", ""},
		{"pr merged", "open", []string{"server", "cve allocated", "pr merged"}, 12, RoleRelease, "sync_propose", "PR merged", ""},
		{"released", "open", []string{"server", "cve allocated", "fix released"}, 13, RoleRelease, "sync_propose", "Fix released", ""},
		{"emails sent", "open", []string{"server", "announced - emails sent"}, 14, RoleRelease, "sync_propose", "Announced", ""},
		{"closed invalid", "closed", []string{"invalid"}, 5, RoleNone, "", "", ""},
		{"closed announced", "closed", []string{"server", "announced"}, 15, RoleRelease, "sync_propose", "Announced", ""},
		{"imported from a PR, no CVE yet", "open", []string{"server", "pr created"}, 6, RoleTriager, "allocate_propose", "Assessed", ""},
		{"imported from a merged PR, no CVE yet", "open", []string{"server", "pr merged"}, 6, RoleTriager, "allocate_propose", "Assessed", ""},
		{"two scopes", "open", []string{"server", "web-ui"}, 6, RoleTriager, "", "Assessed", "2 scope labels"},
		{"two scopes while in needs triage", "open", []string{"needs triage", "server", "web-ui"}, 5, RoleTriager, "", "Needs triage", "2 scope labels"},
		{"no labels", "open", nil, 5, RoleTriager, "sync_propose", "", "neither"},
		{"label case differs", "open", []string{"Needs Triage"}, 3, RoleTriager, "triage_propose", "Needs triage", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := v.Derive(Issue{State: tc.state, Labels: tc.labels}, nil)
			if st.Step != tc.step || st.Owner != tc.owner || st.NextTool != tc.tool || st.Column != tc.column {
				t.Errorf("got step %d owner %q tool %q column %q; want %d %q %q %q", st.Step, st.Owner, st.NextTool, st.Column, tc.step, tc.owner, tc.tool, tc.column)
			}
			if tc.blocker != "" && !strings.Contains(strings.Join(st.Blockers, ";"), tc.blocker) {
				t.Errorf("blockers %v lack %q", st.Blockers, tc.blocker)
			}
			if tc.blocker == "" && len(st.Blockers) > 0 {
				t.Errorf("unexpected blockers %v", st.Blockers)
			}
		})
	}
}

func TestDeriveStall(t *testing.T) {
	v := testVocabulary()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	created := now.AddDate(0, 0, -60)
	team := map[string]bool{"alice": true}
	tests := []struct {
		name     string
		comments []Comment
		days     int
		step     int
	}{
		{"never discussed", nil, 60, 4},
		{"team commented 10 days ago", []Comment{{Author: "alice", CreatedAt: now.AddDate(0, 0, -10)}}, 10, 3},
		{"team commented 35 days ago", []Comment{{Author: "Alice", CreatedAt: now.AddDate(0, 0, -35)}}, 35, 4},
		{"only an outsider commented recently", []Comment{{Author: "alice", CreatedAt: now.AddDate(0, 0, -40)}, {Author: "mallory", CreatedAt: now.AddDate(0, 0, -1)}}, 40, 4},
		{"a status rollup is not discussion", []Comment{{Author: "alice", CreatedAt: now.AddDate(0, 0, -40)}, {Author: "alice", CreatedAt: now.AddDate(0, 0, -2), Body: DefaultRollupMarker + "\n<details><summary>2026-11-22 · @alice · Sync</summary>\n\n**Sync.**\n\n</details>"}}, 40, 4},
		{"a legacy bot status comment is not discussion", []Comment{{Author: "alice", CreatedAt: now.AddDate(0, 0, -2), Body: "**Process-step escalation** posted to private@"}}, 60, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := v.Derive(Issue{State: "open", Labels: []string{"needs triage"}, CreatedAt: created},
				&StallInput{Comments: tc.comments, Team: team, Now: now, StallDays: 30})
			if st.DaysStalled != tc.days || st.Step != tc.step {
				t.Errorf("days %d step %d; want %d %d", st.DaysStalled, st.Step, tc.days, tc.step)
			}
		})
	}
}
