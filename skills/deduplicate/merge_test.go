package deduplicate

import (
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const repo = "example-org/example-server-security"

func side(t *testing.T, n int, created string, labels []string, fields map[string]string) Side {
	t.Helper()
	at, err := time.Parse("2006-01-02", created)
	if err != nil {
		t.Fatal(err)
	}
	is := lifecycle.Issue{Repo: repo, Number: n, URL: "https://github.com/" + repo + "/issues/" + string(rune('0'+n)), State: "open",
		Title: "Report " + string(rune('0'+n)), Labels: labels, CreatedAt: at, Body: lifecycle.RenderBody(fields, "")}
	s, err := NewSide(is)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func exampleConfig(t *testing.T) *projects.Config {
	t.Helper()
	cfg, err := projects.Load("../../projects/example")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var gmail = func(id string) string {
	return "No public archive URL — tracked privately on Gmail thread `" + id + "`.\nRoot Message-ID: `<" + id + "@x.example>`"
}

func TestCheckPreconditions(t *testing.T) {
	cfg := exampleConfig(t)
	open := func(n int, labels ...string) Side {
		return side(t, n, "2026-11-01", append([]string{"security issue"}, labels...), map[string]string{lifecycle.FieldDescription: "x"})
	}
	withCVE := func(n int, labels ...string) Side {
		return side(t, n, "2026-11-01", append([]string{"security issue"}, labels...), map[string]string{lifecycle.FieldCVETool: "https://cna.example.org/cve5/CVE-2026-4000" + string(rune('0'+n))})
	}
	closed := open(2)
	closed.Issue.State, closed.Issue.StateReason = "closed", "not_planned"
	tests := []struct {
		name          string
		kept, dropped Side
		states        map[string]string
		want          string
	}{
		{"two needs-triage trackers", open(1, "needs triage"), open(2, "needs triage"), nil, ""},
		{"same scope", open(1, "server"), open(2, "server"), nil, ""},
		{"scope on one side only", open(1, "server"), open(2, "needs triage"), nil, ""},
		{"both with CVEs (the dropped one is retracted by hand)", withCVE(1, "server", "cve allocated"), withCVE(2, "server", "cve allocated"), nil, ""},
		{"cross-scope", open(1, "server"), open(2, "web-ui"), nil, "cross-scope merge refused"},
		{"two scopes on a side", open(1, "server", "web-ui"), open(2), nil, "split it per scope"},
		{"same tracker", open(1), open(1), nil, "same tracker"},
		{"closed", open(1), closed, nil, "is closed"},
		{"ledger", open(1), open(2, "rejections-ledger"), nil, "rejections ledger"},
		{"half-done merge", open(1, "duplicate"), open(2), nil, "half-done merge"},
		{"kept past the advisory", open(1, "announced"), open(2), nil, "errata flow"},
		{"dropped with fix released", open(1), open(2, "fix released"), nil, "errata flow"},
		{"advisory URL", side(t, 1, "2026-11-01", nil, map[string]string{lifecycle.FieldAdvisoryURL: "https://lists.example.org/thread/a"}), open(2), nil, "Public advisory URL"},
		{"CVE only on the dropped side", open(1), withCVE(2, "cve allocated"), nil, "swap keep and drop"},
		{"cve allocated label only on the dropped side", open(1), open(2, "cve allocated"), nil, "swap keep and drop"},
		{"public CVE record", withCVE(1, "cve allocated"), open(2), map[string]string{"CVE-2026-40001": "PUBLIC"}, "is PUBLIC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPreconditions(cfg, tc.kept, tc.dropped, tc.states)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected refusal: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want %q", err, tc.want)
			case err != nil && !IsBlocker(err):
				t.Errorf("%v is not a Blocker", err)
			}
		})
	}
}

func TestMergeFields(t *testing.T) {
	bot := func(s string) bool {
		return strings.Contains(strings.ToLower(s), "[bot]") || strings.EqualFold(s, "Semgrep")
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		kept, dropped map[string]string
		keptAt        string
		droppedAt     string
		in            MergeInput
		want          map[string]string // field → merged value
		notes         []string          // substrings expected in the notes
		err           string
	}{
		{name: "credits verbatim, kept first, no duplicate line",
			kept:    map[string]string{lifecycle.FieldCredit: "Ana Souza (Lisbon Security Group)"},
			dropped: map[string]string{lifecycle.FieldCredit: "Mina Park\nAna Souza (Lisbon Security Group)"},
			want:    map[string]string{lifecycle.FieldCredit: "Ana Souza (Lisbon Security Group)\nMina Park"}},
		{name: "a tool credit is kept and noted",
			kept:    map[string]string{lifecycle.FieldCredit: "Ana Souza"},
			dropped: map[string]string{lifecycle.FieldCredit: "Semgrep"},
			want:    map[string]string{lifecycle.FieldCredit: "Ana Souza\nSemgrep"}, notes: []string{"credited as tool (during merge)"}},
		{name: "threads: one line per reporter, kept reported first",
			kept:    map[string]string{lifecycle.FieldCredit: "Ana", lifecycle.FieldThread: gmail("k1")},
			dropped: map[string]string{lifecycle.FieldCredit: "Mina", lifecycle.FieldThread: gmail("d1")},
			keptAt:  "2026-10-01", droppedAt: "2026-11-01",
			want: map[string]string{lifecycle.FieldThread: "Ana (reported 2026-10-01): No public archive URL — tracked privately on Gmail thread `k1`. Root Message-ID: `<k1@x.example>`\n" +
				"Mina (reported 2026-11-01, merged from [example-org/example-server-security#2](https://github.com/example-org/example-server-security/issues/2) on 2026-11-24): No public archive URL — tracked privately on Gmail thread `d1`. Root Message-ID: `<d1@x.example>`"}},
		{name: "threads: the dropped report is older, so it comes first",
			kept:    map[string]string{lifecycle.FieldCredit: "Ana", lifecycle.FieldThread: gmail("k1")},
			dropped: map[string]string{lifecycle.FieldCredit: "Mina", lifecycle.FieldThread: "https://lists.example.org/thread/abc?security@example-server.example"},
			keptAt:  "2026-11-01", droppedAt: "2026-10-01",
			want: map[string]string{lifecycle.FieldThread: "Mina (reported 2026-10-01, merged from [example-org/example-server-security#2](https://github.com/example-org/example-server-security/issues/2) on 2026-11-24): https://lists.example.org/thread/abc?security@example-server.example\n" +
				"Ana (reported 2026-11-01): No public archive URL — tracked privately on Gmail thread `k1`. Root Message-ID: `<k1@x.example>`"}},
		{name: "threads: lines of an earlier merge and a relay line are kept as they are",
			kept:    map[string]string{lifecycle.FieldThread: "Ana (reported 2026-09-01): Gmail thread `k1`\nBo (reported 2026-09-05, merged from #9): Gmail thread `b1`"},
			dropped: map[string]string{lifecycle.FieldCredit: "Mina", lifecycle.FieldThread: gmail("d1") + "\nMina (via huntr.com): tracked privately on Gmail thread `r1`."},
			keptAt:  "2026-09-01", droppedAt: "2026-11-01",
			want: map[string]string{lifecycle.FieldThread: "Ana (reported 2026-09-01): Gmail thread `k1`\nBo (reported 2026-09-05, merged from #9): Gmail thread `b1`\n" +
				"Mina (reported 2026-11-01, merged from [example-org/example-server-security#2](https://github.com/example-org/example-server-security/issues/2) on 2026-11-24): No public archive URL — tracked privately on Gmail thread `d1`. Root Message-ID: `<d1@x.example>`\n" +
				"Mina (via huntr.com): tracked privately on Gmail thread `r1`."}},
		{name: "versions widened and backtick-wrapped",
			kept:    map[string]string{lifecycle.FieldAffectedVersions: "2.4.0, 2.4.1"},
			dropped: map[string]string{lifecycle.FieldAffectedVersions: "`>= 2.3.0, < 2.4.2`"},
			want:    map[string]string{lifecycle.FieldAffectedVersions: "`>= 2.3.0, < 2.4.2`"}},
		{name: "versions only on the dropped side",
			kept: map[string]string{}, dropped: map[string]string{lifecycle.FieldAffectedVersions: ">= 2.3.0"},
			want: map[string]string{lifecycle.FieldAffectedVersions: "`>= 2.3.0`"}},
		{name: "versions that do not parse need the agent",
			kept: map[string]string{lifecycle.FieldAffectedVersions: "2.4.0"}, dropped: map[string]string{lifecycle.FieldAffectedVersions: "every 2.x"},
			err: "give `affected_versions`"},
		{name: "the agent's versions win",
			kept: map[string]string{lifecycle.FieldAffectedVersions: "2.4.0"}, dropped: map[string]string{lifecycle.FieldAffectedVersions: "every 2.x"},
			in: MergeInput{AffectedVersions: ">= 2.0.0, < 2.4.2"}, want: map[string]string{lifecycle.FieldAffectedVersions: "`>= 2.0.0, < 2.4.2`"}},
		{name: "CWE conflict is a blocker",
			kept: map[string]string{lifecycle.FieldCWE: "CWE-79 XSS"}, dropped: map[string]string{lifecycle.FieldCWE: "CWE-80 Basic XSS"}, err: "BLOCKER"},
		{name: "CWE texts without ids that differ are a blocker",
			kept: map[string]string{lifecycle.FieldCWE: "Cross-site scripting"}, dropped: map[string]string{lifecycle.FieldCWE: "Injection"}, err: "BLOCKER"},
		{name: "the CWE with an id is more specific",
			kept: map[string]string{lifecycle.FieldCWE: "Cross-site scripting"}, dropped: map[string]string{lifecycle.FieldCWE: "CWE-79"},
			want: map[string]string{lifecycle.FieldCWE: "CWE-79"}},
		{name: "the same CWE id keeps the kept text",
			kept: map[string]string{lifecycle.FieldCWE: "CWE-79"}, dropped: map[string]string{lifecycle.FieldCWE: "CWE-79 Improper Neutralization"},
			want: map[string]string{lifecycle.FieldCWE: "CWE-79"}},
		{name: "severity stays the kept one",
			kept: map[string]string{lifecycle.FieldSeverity: "Medium"}, dropped: map[string]string{lifecycle.FieldSeverity: "Critical"},
			want: map[string]string{lifecycle.FieldSeverity: "Medium"}, notes: []string{`"Critical" is not carried`}},
		{name: "two different public summaries need the agent",
			kept: map[string]string{lifecycle.FieldPublicSummary: "A."}, dropped: map[string]string{lifecycle.FieldPublicSummary: "B."}, err: "give `public_summary`"},
		{name: "the combined public summary",
			kept: map[string]string{lifecycle.FieldPublicSummary: "A."}, dropped: map[string]string{lifecycle.FieldPublicSummary: "B."},
			in: MergeInput{PublicSummary: "A and B."}, want: map[string]string{lifecycle.FieldPublicSummary: "A and B."}},
		{name: "PR links and remediation developers are unioned, bots skipped",
			kept:    map[string]string{lifecycle.FieldFixPR: "https://github.com/example-org/example-server/pull/101", lifecycle.FieldRemediationDev: "Tomasz Kowalski"},
			dropped: map[string]string{lifecycle.FieldFixPR: "https://github.com/example-org/example-server/pull/103", lifecycle.FieldRemediationDev: "dependabot[bot]\nPriya Raman"},
			want: map[string]string{lifecycle.FieldFixPR: "https://github.com/example-org/example-server/pull/101\nhttps://github.com/example-org/example-server/pull/103",
				lifecycle.FieldRemediationDev: "Tomasz Kowalski\nPriya Raman"}, notes: []string{"skipped credit (during merge)"}},
		{name: "both CVEs: the dropped one is to be retracted",
			kept:    map[string]string{lifecycle.FieldCVETool: "https://cna.example.org/cve5/CVE-2026-40001"},
			dropped: map[string]string{lifecycle.FieldCVETool: "https://cna.example.org/cve5/CVE-2026-40002"},
			want:    map[string]string{lifecycle.FieldCVETool: "https://cna.example.org/cve5/CVE-2026-40001"}, notes: []string{"retract CVE-2026-40002"}},
		{name: "no analysis", kept: map[string]string{}, dropped: map[string]string{}, in: MergeInput{Analysis: " "}, err: "give `analysis`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, da := tc.keptAt, tc.droppedAt
			if ka == "" {
				ka, da = "2026-10-01", "2026-11-01"
			}
			kept, dropped := side(t, 1, ka, nil, tc.kept), side(t, 2, da, nil, tc.dropped)
			in := tc.in
			if in.Analysis == "" {
				in.Analysis = "Same function, same fix."
			} else if strings.TrimSpace(in.Analysis) == "" {
				in.Analysis = ""
			}
			in.Now, in.IsBot = now, bot
			m, err := Merge(kept, dropped, in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want error %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]FieldChange{}
			for _, c := range m.Changes {
				got[c.Field] = c
			}
			if len(m.Changes) != len(lifecycle.FieldOrder) {
				t.Errorf("%d field results, want one per field", len(m.Changes))
			}
			for f, v := range tc.want {
				if got[f].After != v {
					t.Errorf("%s =\n%q\nwant\n%q", f, got[f].After, v)
				}
			}
			notes := strings.Join(m.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes lack %q:\n%s", n, notes)
				}
			}
		})
	}
}

func TestMergedDescription(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	earlier := "Original report.\n\n---\n\n**Second independent report: [x#3](u) — merged on 2026-10-01.** Old.\n\n<details><summary>Full report from Bo (click to expand)</summary>\n\nBo's report.\n\n</details>"
	kept := side(t, 1, "2026-09-01", nil, map[string]string{lifecycle.FieldDescription: "Kept report.\n\n```\n# a PoC comment\n```"})
	dropped := side(t, 2, "2026-10-01", nil, map[string]string{lifecycle.FieldDescription: earlier, lifecycle.FieldCredit: "Mina <mina@x.example>"})
	m, err := Merge(kept, dropped, MergeInput{Analysis: "Same sink in render.ts; one fix.", Headline: "Reached through comments", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	d := m.Changes[0].After
	for _, want := range []string{
		"Kept report.\n\n```\n# a PoC comment\n```\n\n---\n\n",
		"**Second independent report: [example-org/example-server-security#2](https://github.com/example-org/example-server-security/issues/2) — merged on 2026-11-24.** Reached through comments.",
		"<details><summary>Full report from Mina &lt;mina@x.example&gt; (click to expand)</summary>\n\nSame sink in render.ts; one fix.\n\n",
		earlier + "\n\n</details>", // the earlier merge is nested verbatim, never flattened
	} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	if !strings.HasPrefix(d, "Kept report.") {
		t.Error("the kept description is not first and verbatim")
	}
	b := lifecycle.ParseBody(kept.Issue.Body)
	if _, err := b.Set(lifecycle.FieldDescription, d); err != nil {
		t.Errorf("the merged description does not fit the body: %v", err)
	}
}

func TestCarriedKeys(t *testing.T) {
	k := lifecycle.IntakeMeta{Key: "mail:k@x", Source: "mail"}.Comment()
	d := lifecycle.IntakeMeta{Key: "mail:d@x", Source: "mail"}.Comment()
	old := lifecycle.IntakeMeta{Key: "mail:old@x", Source: "mail"}.Comment()
	kept := lifecycle.RenderBody(nil, k)
	dropped := lifecycle.RenderBody(map[string]string{lifecycle.FieldDescription: "<!-- intake v1 key=mail:injected@x -->"}, d+"\n"+old+"\n"+k)
	var keys []string
	for _, m := range carriedKeys(kept, dropped) {
		keys = append(keys, m.Key)
	}
	if strings.Join(keys, " ") != "mail:d@x mail:old@x" {
		t.Errorf("carried %v: want the dropped preamble keys the kept body lacks, never a key from a field", keys)
	}
}
