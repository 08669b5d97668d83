package reply

import (
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func bodyWithThread(thread, preamble string) string {
	return lifecycle.RenderBody(map[string]string{lifecycle.FieldThread: thread}, preamble)
}

func TestOriginOf(t *testing.T) {
	meta := lifecycle.IntakeMeta{Key: "mail:abc@x.example", Source: "mail", ThreadIDs: []string{"maildir:abc@x.example", "gmail:18c0ffee"}}.Comment() + "\n\n"
	tests := []struct {
		name   string
		body   string
		kind   string
		path   Path
		thread string
		relay  bool
	}{
		{"intake block, maildir", bodyWithThread("", meta), "maildir", PathMail, "abc@x.example", false},
		{"intake block, gmail", bodyWithThread("", meta), "gmail", PathMail, "18c0ffee", false},
		{"gmail sentinel", bodyWithThread("No public archive URL — tracked privately on Gmail thread `18d2a`.\nRoot Message-ID: `<r@x.example>`", ""), "gmail", PathMail, "18d2a", false},
		{"gmail sentinel read on maildir uses the root id", bodyWithThread("No public archive URL — tracked privately on Gmail thread `18d2a`.\nRoot Message-ID: `<r@X.example>`", ""), "maildir", PathMail, "r@x.example", false},
		{"local sentinel", bodyWithThread("No public archive URL — tracked privately on local mailbox thread `r@x.example`.\nRoot Message-ID: `<r@x.example>`", ""), "maildir", PathMail, "r@x.example", false},
		{"from PR", bodyWithThread("N/A — opened from public PR example-org/example-server#12; no security@ thread", ""), "maildir", PathPR, "", false},
		{"from markdown", bodyWithThread("N/A — imported from markdown file `audit.md`; no security@ thread.", ""), "maildir", PathMarkdown, "", false},
		{"empty", bodyWithThread("", ""), "maildir", PathUnknown, "", false},
		{"primary over relay", bodyWithThread("Jane (via huntr.com): tracked privately on Gmail thread `relay1`.\nJane (direct): tracked privately on Gmail thread `direct1`.", ""), "gmail", PathMail, "direct1", false},
		{"only a relay", bodyWithThread("Jane (via huntr.com): tracked privately on Gmail thread `relay1`.", ""), "gmail", PathMail, "relay1", true},
		{"two relays: ask", bodyWithThread("A (via huntr.com): tracked privately on Gmail thread `r1`.\nB (relayed by @apache/security): tracked privately on Gmail thread `r2`.", ""), "gmail", PathMail, "", false},
		{"intake block with the routing-mode marker: relayed", bodyWithThread("", strings.TrimSpace(meta)+"\n"+lifecycle.MarkerRoutingViaForwarder+"\n\n"), "maildir", PathMail, "abc@x.example", true},
		{"routing-mode marker in reporter text is not trusted", bodyWithThread("", meta) + "\n" + lifecycle.MarkerRoutingViaForwarder, "maildir", PathMail, "abc@x.example", false},
		{"from scanner output", bodyWithThread("N/A — imported from scanner output `results.sarif`; no security@ thread.", ""), "maildir", PathScan, "", false},
		{"archive URL only", bodyWithThread("https://lists.example.org/thread/abc?security@example", ""), "gmail", PathMail, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := OriginOf(tc.body, tc.kind)
			if o.Path != tc.path || o.ThreadID != tc.thread || o.Relay != tc.relay {
				t.Errorf("got %+v; want path %s thread %q relay %v", o, tc.path, tc.thread, tc.relay)
			}
			if o.Note == "" {
				t.Error("no note")
			}
		})
	}
}

func TestOriginsOfAMergedTracker(t *testing.T) {
	metaA := lifecycle.IntakeMeta{Key: "mail:a@x.example", Source: "mail", ThreadIDs: []string{"maildir:a@x.example", "gmail:ga"}}.Comment()
	metaB := lifecycle.IntakeMeta{Key: "mail:b@y.example", Source: "mail", ThreadIDs: []string{"maildir:b@y.example", "gmail:gb"}}.Comment()
	field := "Kenji (reported 2026-11-01): No public archive URL — tracked privately on local mailbox thread `a@x.example`. Root Message-ID: `<a@x.example>`\n" +
		"Tomas (reported 2026-11-05, merged from #13 on 2026-11-20): No public archive URL — tracked privately on local mailbox thread `b@y.example`. Root Message-ID: `<b@y.example>`\n" +
		"Tomas (via huntr.com): tracked privately on local mailbox thread `relay@z.example`."
	merged := bodyWithThread(field, metaA+"\n"+metaB+"\n\n")
	for kind, want := range map[string][]string{"maildir": {"a@x.example", "b@y.example"}, "gmail": {"ga", "gb"}} {
		var got []string
		for _, o := range OriginsOf(merged, kind) {
			got = append(got, o.ThreadID)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: threads %q, want %q", kind, got, want)
		}
		if first := OriginsOf(merged, kind)[0]; first != OriginOf(merged, kind) {
			t.Errorf("%s: the first origin %+v is not OriginOf's", kind, first)
		}
	}
	// Without intake blocks, one origin per reporter line of the field.
	if got := OriginsOf(bodyWithThread(field, ""), "maildir"); len(got) != 2 || got[1].ThreadID != "b@y.example" {
		t.Errorf("field only: %+v", got)
	}
	single := bodyWithThread("No public archive URL — tracked privately on local mailbox thread `a@x.example`.\nRoot Message-ID: `<a@x.example>`", metaA+"\n\n")
	for _, kind := range []string{"maildir", "gmail"} {
		if got := OriginsOf(single, kind); len(got) != 1 {
			t.Errorf("%s: a single report has %d origins: %+v", kind, len(got), got)
		}
	}
	if got := OriginsOf(bodyWithThread("N/A — opened from public PR example-org/example-server#12; no security@ thread", ""), "maildir"); len(got) != 1 || got[0].Path != PathPR {
		t.Errorf("PR: %+v", got)
	}
}

// Routing is per reporter thread after a merge: a merged thread is relayed
// only when its own line names a forwarder, never because the kept tracker is.
func TestOriginsOfRoutesEachMergedThreadByItsOwnLine(t *testing.T) {
	metaA := lifecycle.IntakeMeta{Key: "mail:a@x.example", Source: "mail", ThreadIDs: []string{"maildir:a@x.example", "gmail:ga"}}.Comment()
	metaB := lifecycle.IntakeMeta{Key: "mail:b@y.example", Source: "mail", ThreadIDs: []string{"maildir:b@y.example", "gmail:gb"}}.Comment()
	metaC := lifecycle.IntakeMeta{Key: "mail:c@f.example", Source: "mail", ThreadIDs: []string{"maildir:c@f.example"}}.Comment()
	field := "Kenji (reported 2026-11-01): No public archive URL — tracked privately on local mailbox thread `a@x.example` — relayed by forwarder foundation-security. Root Message-ID: `<a@x.example>`\n" +
		"Tomas (reported 2026-11-05, merged from [o/r#13](https://x.example/13) on 2026-11-20): No public archive URL — tracked privately on local mailbox thread `b@y.example`. Root Message-ID: `<b@y.example>`\n" +
		"Maya Okonkwo (reported 2026-11-06, merged from [o/r#14](https://x.example/14) on 2026-11-20): No public archive URL — tracked privately on local mailbox thread `c@f.example` — relayed by forwarder foundation-security. Root Message-ID: `<c@f.example>`"
	body := bodyWithThread(field, metaA+"\n"+metaB+"\n"+metaC+"\n"+lifecycle.MarkerRoutingViaForwarder+"\n\n")
	got := OriginsOf(body, "maildir")
	if len(got) != 3 {
		t.Fatalf("origins %+v", got)
	}
	if !got[0].Relay {
		t.Errorf("the kept relayed thread is not relayed: %+v", got[0])
	}
	if got[1].Relay || got[1].Forwarder != "" || got[1].Reporter != "Tomas" {
		t.Errorf("the merged direct thread inherits the kept routing: %+v", got[1])
	}
	if !got[2].Relay || got[2].Forwarder != "foundation-security" || got[2].Reporter != "Maya Okonkwo" {
		t.Errorf("the merged relayed thread lost its forwarder: %+v", got[2])
	}
}
