package invalidate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func exampleConfig(t *testing.T) *projects.Config {
	t.Helper()
	cfg, err := projects.Load("../../projects/example")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func issue(labels []string, fields map[string]string) lifecycle.Issue {
	return lifecycle.Issue{Repo: "example-org/example-server-security", Number: 9, State: "open", Labels: labels,
		Body: lifecycle.RenderBody(fields, "")}
}

func TestParseDisposition(t *testing.T) {
	tests := []struct {
		in   string
		want Disposition
		err  bool
	}{
		{"invalid", Invalid, false},
		{"INVALID", Invalid, false},
		{"not CVE worthy", NotCVEWorthy, false},
		{"not cve worthy", NotCVEWorthy, false},
		{"not-cve-worthy", NotCVEWorthy, false},
		{"wontfix", Wontfix, false},
		{"DEFENSE-IN-DEPTH", Wontfix, false},
		{"info-only", InfoOnly, false},
		{"INFO-ONLY", InfoOnly, false},
		{"duplicate", "", true}, // merges go through deduplicate
		{"valid", "", true},
		{"", "", true},
	}
	for _, tc := range tests {
		got, err := ParseDisposition(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseDisposition(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestDispositionLabelsAndEdit(t *testing.T) {
	cfg := exampleConfig(t)
	tests := []struct {
		name       string
		d          Disposition
		labels     []string
		add        []string
		remove     []string
		wantAction string
	}{
		{"invalid from needs triage", Invalid, []string{"security issue", "needs triage"}, []string{"invalid"}, []string{"needs triage"}, "Closed as invalid"},
		{"not CVE worthy drops the scope and fix labels", NotCVEWorthy, []string{"security issue", "server", "pr created", "pr merged"},
			[]string{"not CVE worthy"}, []string{"pr created", "pr merged", "server"}, "Closed as not CVE worthy"},
		{"wontfix", Wontfix, []string{"security issue", "web-ui"}, []string{"wontfix"}, []string{"web-ui"}, "Closed as wontfix"},
		{"info-only closes as invalid", InfoOnly, []string{"security issue", "needs triage"}, []string{"invalid"}, []string{"needs triage"}, "Closed as invalid (info-only)"},
		{"another disposition is replaced", Invalid, []string{"security issue", "Not CVE Worthy"}, []string{"invalid"}, []string{"Not CVE Worthy"}, "Closed as invalid"},
		{"label already there", Invalid, []string{"security issue", "invalid", "needs triage"}, nil, []string{"needs triage"}, "Closed as invalid"},
		{"two scope labels both go", Invalid, []string{"security issue", "server", "helm-chart"}, []string{"invalid"}, []string{"server", "helm-chart"}, "Closed as invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := LabelEdit(cfg, issue(tc.labels, nil), tc.d)
			if !slices.Equal(got.Add, tc.add) || !slices.Equal(got.Remove, tc.remove) {
				t.Errorf("add %q remove %q; want add %q remove %q", got.Add, got.Remove, tc.add, tc.remove)
			}
			if slices.Contains(got.Remove, "security issue") {
				t.Error("the marker label is removed")
			}
			if a := tc.d.Action(cfg.Labels); a != tc.wantAction {
				t.Errorf("action %q, want %q", a, tc.wantAction)
			}
		})
	}
}

func TestCheckHardStops(t *testing.T) {
	cfg := exampleConfig(t)
	closed := issue([]string{"security issue", "invalid"}, nil)
	closed.State, closed.StateReason = "closed", "not_planned"
	attached := issue([]string{"security issue"}, nil)
	b := lifecycle.ParseBody(attached.Body)
	b.SetAttachment("CVE-2026-41234", "{}")
	attached.Body = b.String()
	tests := []struct {
		name  string
		is    lifecycle.Issue
		state string
		want  string // "" = no stop
	}{
		{"needs triage passes", issue([]string{"security issue", "needs triage"}, nil), "", ""},
		{"scope and pr created pass", issue([]string{"security issue", "server", "pr created"}, nil), "", ""},
		{"closed", closed, "", "already closed (not_planned"},
		{"ledger", issue([]string{"rejections-ledger"}, nil), "", "rejections ledger"},
		{"half merged", issue([]string{"security issue", "duplicate"}, nil), "", "half-done merge"},
		{"cve allocated label", issue([]string{"security issue", "cve allocated"}, nil), "", "still to be retracted"},
		{"CVE id in the link", issue([]string{"security issue"}, map[string]string{lifecycle.FieldCVETool: "https://cna.example.org/cve5/CVE-2026-40001"}), "", "CVE-2026-40001"},
		{"CVE id in the attachment", attached, "", "CVE-2026-41234"},
		{"a link without a CVE id passes", issue([]string{"security issue"}, map[string]string{lifecycle.FieldCVETool: "pending"}), "", ""},
		{"record ready escalates", issue([]string{"security issue", "cve allocated"}, map[string]string{lifecycle.FieldCVETool: "CVE-2026-40001"}), "READY", "post-publication retraction"},
		{"record public escalates", issue([]string{"security issue", "cve allocated"}, map[string]string{lifecycle.FieldCVETool: "CVE-2026-40001"}), "PUBLIC", "escalate to security@example-foundation.example"},
		{"record draft asks for a retraction", issue([]string{"security issue", "cve allocated"}, map[string]string{lifecycle.FieldCVETool: "CVE-2026-40001"}), "DRAFT", "retract the CVE record"},
		{"record already rejected asks only to clear the tracker", issue([]string{"security issue", "cve allocated"}, map[string]string{lifecycle.FieldCVETool: "CVE-2026-40001"}), "REJECTED", "already REJECTED (retracted) in the CNA tool"},
		{"fix released", issue([]string{"security issue", "fix released"}, nil), "", "shipped advisory"},
		{"announced - emails sent", issue([]string{"security issue", "announced - emails sent"}, nil), "", "shipped advisory"},
		{"announced", issue([]string{"security issue", "Announced"}, nil), "", "shipped advisory"},
		{"advisory URL", issue([]string{"security issue"}, map[string]string{lifecycle.FieldAdvisoryURL: "https://lists.example.org/thread/abc"}), "", "Public advisory URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHardStops(cfg, tc.is, tc.state)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected stop: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want a stop containing %q", err, tc.want)
			case err != nil && !IsHardStop(err):
				t.Errorf("%v is not a HardStop", err)
			}
		})
	}
}

func comment(id int64, author, body string) lifecycle.Comment {
	return lifecycle.Comment{ID: id, Author: author, Body: body, URL: "https://example.test/issues/9#issuecomment-" + string(rune('0'+id)),
		CreatedAt: time.Date(2026, 11, int(id), 0, 0, 0, 0, time.UTC)}
}

var team = map[string]bool{"lena-vogt": true, "tkowalski": true, "mara-lindqvist": true}

func TestMatchQuotes(t *testing.T) {
	comments := []lifecycle.Comment{
		comment(1, "lena-vogt", "**Triage proposal**\n\nThe import is admin only.\n\n**Proposed disposition: INVALID.**"),
		comment(2, "TKowalski", "Agreed, invalid.   The   administrator\nis trusted."),
		comment(3, "outsider", "This is definitely valid, ignore the team."),
		comment(4, "mara-lindqvist", "<!-- airflow-s status rollup v1 — x -->\n<details><summary>2026-11-01 · @mara-lindqvist · Import</summary>\n\nThe administrator is trusted.\n\n</details>"),
	}
	tests := []struct {
		name  string
		in    []Quote
		want  []string // authors found
		error string
	}{
		{"verbatim, whitespace folded, handle case-insensitive", []Quote{{"@tkowalski", "The administrator is trusted."}}, []string{"TKowalski"}, ""},
		{"two quotes", []Quote{{"lena-vogt", "The import is admin only."}, {"tkowalski", "Agreed, invalid."}}, []string{"lena-vogt", "TKowalski"}, ""},
		{"paraphrase", []Quote{{"tkowalski", "Admins are trusted."}}, nil, "not in any comment by @tkowalski"},
		{"wrong author", []Quote{{"lena-vogt", "Agreed, invalid."}}, nil, "not in any comment by @lena-vogt"},
		{"non-collaborator", []Quote{{"outsider", "definitely valid"}}, nil, "not a collaborator"},
		{"the rollup is not reasoning", []Quote{{"mara-lindqvist", "The administrator is trusted."}}, nil, "not in any comment"},
		{"no author", []Quote{{"", "x"}}, nil, "no author"},
		{"empty", []Quote{{"lena-vogt", "  "}}, nil, "is empty"},
		{"too many", make([]Quote, MaxQuotes+1), nil, "at most"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MatchQuotes(tc.in, comments, team)
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("got %v, want error %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var authors []string
			for _, q := range got {
				authors = append(authors, q.Author)
				if q.URL == "" {
					t.Error("quote without its comment link")
				}
			}
			if !slices.Equal(authors, tc.want) {
				t.Errorf("authors %v, want %v", authors, tc.want)
			}
		})
	}
}

func TestFindConsensus(t *testing.T) {
	proposal := comment(1, "lena-vogt", "**Triage proposal**\n\ntext\n\n**Proposed disposition: INVALID.**")
	retriaged := comment(1, "lena-vogt", "**Triage proposal**\n\n**Proposed disposition: INVALID.**\n\nEarlier: **Proposed disposition: VALID.**\n\n"+
		lifecycle.TriageProposalMeta{Class: "INVALID", At: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), By: "lena-vogt"}.Marker())
	tests := []struct {
		name     string
		comments []lifecycle.Comment
		class    string
		agreed   []string
		deciding int64 // comment id whose URL decides; 0 = none
	}{
		{"no proposal", []lifecycle.Comment{comment(2, "tkowalski", "I agree")}, "", nil, 0},
		{"proposal, no agreement", []lifecycle.Comment{proposal, comment(2, "tkowalski", "Not sure yet.")}, "INVALID", nil, 1},
		{"agreement by another member", []lifecycle.Comment{proposal, comment(2, "tkowalski", "Agreed, invalid.")}, "INVALID", []string{"tkowalski"}, 2},
		{"+1 and LGTM", []lifecycle.Comment{proposal, comment(2, "tkowalski", "+1"), comment(3, "mara-lindqvist", "lgtm")}, "INVALID", []string{"tkowalski", "mara-lindqvist"}, 3},
		{"the proposer's own agreement does not count", []lifecycle.Comment{proposal, comment(2, "lena-vogt", "I agree with myself")}, "INVALID", nil, 1},
		{"a non-collaborator does not count", []lifecycle.Comment{proposal, comment(2, "outsider", "agree")}, "INVALID", nil, 1},
		{"agreement before the proposal does not count", []lifecycle.Comment{comment(2, "tkowalski", "agree"), proposal}, "INVALID", nil, 1},
		// #9: VALID proposed, agreed on the 2nd, re-triaged in place as INVALID on the 5th.
		{"agreement with the proposal before a re-triage does not count", []lifecycle.Comment{retriaged, comment(2, "tkowalski", "+1, I agree it is valid")}, "INVALID", nil, 1},
		{"agreement after the re-triage counts", []lifecycle.Comment{retriaged, comment(2, "tkowalski", "+1, I agree it is valid"), comment(6, "mara-lindqvist", "Agreed, invalid.")}, "INVALID", []string{"mara-lindqvist"}, 6},
		{"a proposal by a non-collaborator is not a proposal", []lifecycle.Comment{comment(1, "outsider", "**Triage proposal**\n\n**Proposed disposition: INVALID.**"), comment(2, "tkowalski", "agreed")}, "", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := FindConsensus(tc.comments, team)
			if c.Class != tc.class || !slices.Equal(c.AgreedBy, tc.agreed) || c.Note == "" {
				t.Errorf("got %+v; want class %q agreed %v", c, tc.class, tc.agreed)
			}
			want := ""
			for _, cm := range tc.comments {
				if cm.ID == tc.deciding {
					want = cm.URL
				}
			}
			if c.DecidingURL != want {
				t.Errorf("deciding %q, want %q", c.DecidingURL, want)
			}
		})
	}
}

func TestClassFits(t *testing.T) {
	tests := []struct {
		class string
		d     Disposition
		want  bool
	}{
		{"INVALID", Invalid, true},
		{"INVALID", Wontfix, false},
		{"DEFENSE-IN-DEPTH", Wontfix, true},
		{"DEFENSE-IN-DEPTH", Invalid, false},
		{"INFO-ONLY", InfoOnly, true},
		{"FIX-ALREADY-PUBLIC", Invalid, true},
		{"VALID", Invalid, false},
		{"PROBABLE-DUP", Invalid, false},
	}
	for _, tc := range tests {
		if got := classFits(tc.class, tc.d); got != tc.want {
			t.Errorf("classFits(%s, %s) = %v", tc.class, tc.d, got)
		}
	}
}

func TestPlaceholderValues(t *testing.T) {
	cn := projects.Canned{Name: "Issue already fixed in public", Placeholders: []string{"REPORTER_NAME", "PR_AUTHOR", "PR_DATE", "PR_URL"}}
	tests := []struct {
		name string
		in   map[string]string
		err  string
	}{
		{"extra placeholders", map[string]string{"PR_URL": "https://x/pull/1", "PR_AUTHOR": "sam", "PR_DATE": "2026-10-01"}, ""},
		{"server placeholder", map[string]string{"REPORTER_NAME": "Bob"}, "filled by the server"},
		{"unknown placeholder", map[string]string{"CVE_ID": "CVE-2026-1"}, "has no placeholder CVE_ID"},
		{"empty value", map[string]string{"PR_URL": " "}, "empty value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := placeholderValues(cn, tc.in)
			if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("got %v, want %q", err, tc.err)
			}
		})
	}
}

func TestTrackerMentions(t *testing.T) {
	repo := "example-org/example-server-security"
	tests := []struct {
		text string
		hit  bool
	}{
		{"See https://github.com/example-org/example-server-security/issues/4.", true},
		{"tracked as example-org/example-server-security#4", true},
		{"example-server-security#12 has the details", true},
		{"Our security model: https://example-server.example/docs/security-model", false},
		{"The fix is public in example-org/example-server#97.", false},
	}
	for _, tc := range tests {
		if got := len(trackerMentions(tc.text, repo)) > 0; got != tc.hit {
			t.Errorf("%q: hit %v, want %v", tc.text, got, tc.hit)
		}
	}
}
