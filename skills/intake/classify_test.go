package intake

import (
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func TestParseClass(t *testing.T) {
	for _, c := range AllClasses() {
		got, err := ParseClass(strings.ToUpper(" " + string(c) + " "))
		if err != nil || got != c {
			t.Errorf("ParseClass(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseClass("report-ish"); err == nil || !strings.Contains(err.Error(), `"Report (disposition converged)"`) {
		t.Errorf("unknown class error should list the names: %v", err)
	}
	for c, want := range map[Class]bool{ClassReport: true, ClassConverged: true, ClassSpam: false, ClassPublicFix: false, ClassBookkeeping: false} {
		if c.Imports() != want {
			t.Errorf("%s.Imports() = %v", c, !want)
		}
	}
}

func oneMail(from lifecycle.Address, subject, body string) lifecycle.Thread {
	return lifecycle.Thread{Messages: []lifecycle.Message{{From: from, Subject: subject, Body: body, Date: day(1)}}}
}

func TestSuggestContextRules(t *testing.T) {
	outsider := lifecycle.Address{Name: "Out Sider", Email: "out@sider.example"}
	beg := "Hi, I found a security issue in your website (missing header on the login page). Do you offer a bounty? I will share details after."
	tests := []struct {
		name    string
		mutate  func(*Context)
		thread  lifecycle.Thread
		want    Class
		final   bool
		signals []string
		doubt   string
	}{
		{name: "beg bounty without a bounty program is spam", thread: oneMail(outsider, "security issue", beg),
			want: ClassSpam, signals: []string{SigPaymentDemand, SigNoSpecifics}},
		{name: "the same mail on a project with a bounty is a report", mutate: func(c *Context) { c.HasBugBounty = true },
			thread: oneMail(outsider, "security issue", beg), want: ClassReport},
		{name: "bookkeeping subject from an outsider is not final", thread: oneMail(outsider, "CVE-2031-1234 is now PUBLIC", "see subject"),
			want: ClassReport, signals: []string{SigBookkeepingSubject}, doubt: "not bookkeeping"},
		{name: "bookkeeping from the list is final", thread: oneMail(lifecycle.Address{Email: "SECURITY@larkspur.example.org"}, "Re: Comment added on CVE-2031-1234", "…"),
			want: ClassBookkeeping, final: true},
		{name: "state line needs the configured CNA tool", mutate: func(c *Context) { c.CVEToolURL = "https://other-tool.example" },
			thread: oneMail(lifecycle.Address{Email: "security@foundation.example.org"}, "record update", "State changed to PUBLIC: https://cveprocess.foundation.example.org/cve5/CVE-2031-1"),
			want:   ClassReport},
		{name: "GHSA subject from a person is not a relay", thread: oneMail(outsider, "[larkspur/larkspur] XSS (GHSA-aaaa-bbbb-cccc)", "body"),
			want: ClassReport},
		{name: "GHSA relay for another repository is noted", thread: oneMail(lifecycle.Address{Email: "notifications@github.com"}, "[other/repo] XSS (GHSA-aaaa-bbbb-cccc)", "body"),
			want: ClassReport, signals: []string{SigGHSARelay}, doubt: "not the upstream"},
		{name: "unknown CVE is not a cross-thread reference", thread: oneMail(outsider, "Question about CVE-2019-0001", "Any update on CVE-2019-0001? I reported it."),
			want: ClassReport},
		{name: "empty thread defaults to Report", thread: lifecycle.Thread{}, want: ClassReport, doubt: "no sent message"},
		{name: "two Issue headings are not consolidated", thread: oneMail(outsider, "two bugs", "## Issue 1\nXSS in notes.\n## Issue 2\nSSRF in hooks."),
			want: ClassReport, signals: []string{SigIssueHeadings}},
		{name: "numbered reproduction steps are not issue headings",
			thread: oneMail(outsider, "SQL injection", "Steps:\n1. Send a SQL injection payload to /api/v1/x\n2. Open the page\n3. Observe the injection result\n4. Read the XSS alert"),
			want:   ClassReport},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testContext()
			if tc.mutate != nil {
				tc.mutate(&c)
			}
			got := Suggest(tc.thread, c)
			if got.Class != tc.want || got.Final != tc.final {
				t.Fatalf("got %s final=%v, want %s final=%v\nsignals: %s\ndoubts: %q", got.Class, got.Final, tc.want, tc.final, signalSummary(got), got.Doubts)
			}
			for _, s := range tc.signals {
				if !got.Has(s) {
					t.Errorf("signal %s missing: %s", s, signalSummary(got))
				}
			}
			if tc.doubt != "" && !strings.Contains(strings.Join(got.Doubts, "|"), tc.doubt) {
				t.Errorf("doubts %q lack %q", got.Doubts, tc.doubt)
			}
		})
	}
}

func TestSuggestTruncatesHugeBodies(t *testing.T) {
	body := strings.Repeat("lorem ipsum dolor sit amet ", 10000) + "\nbc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq pay me"
	got := Suggest(oneMail(lifecycle.Address{Email: "x@y.example"}, "hi", body), testContext())
	if got.Has(SigCryptoAddress) {
		t.Error("text past the analysis bound was read")
	}
	if !strings.Contains(strings.Join(got.Doubts, "|"), "only its beginning was analysed") {
		t.Errorf("truncation not noted: %q", got.Doubts)
	}
}
