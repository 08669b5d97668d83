package intake

import (
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

var (
	reporter = lifecycle.Address{Name: "Rita Reporter", Email: "rita@reporter.example"}
	teamA    = lifecycle.Address{Name: "Alice Maintainer", Email: "alice@larkspur.example.org"}
	listAddr = lifecycle.Address{Name: "Larkspur Security", Email: "security@larkspur.example.org"}
)

func msg(from lifecycle.Address, d time.Time, body string) lifecycle.Message {
	return lifecycle.Message{From: from, Date: d, Body: body, Subject: "Re: report", MessageID: from.Email + d.Format("0102") + "@test"}
}

// cannedOpenings are opening lines as a canned-responses file has them,
// placeholders included.
var cannedOpenings = []string{
	"Hello REPORTER_NAME,\n\nThank you for your report. The behaviour you describe is documented in our Security Model as something DAG authors are trusted to do.",
	"Thank you for reaching out. We do not accept automated scanner output without a human analysis of exploitability.",
	"Hi,", // too short to be structural: ignored
}

const reportBody = "Hi, the log endpoint allows reading /etc/passwd. Steps to reproduce: 1. open /logs?f=../../etc/passwd"

func TestAlreadyAnswered(t *testing.T) {
	ctx := testContext()
	canned := "Hi Rita,\n\nThank you for your report. The behaviour you describe is documented in our Security Model as something DAG authors are trusted to do.\n\nRegards, Alice"
	tests := []struct {
		name    string
		msgs    []lifecycle.Message
		now     time.Time
		dropped bool
		reason  string // substring
	}{
		{
			name:    "only reporter messages are never dropped",
			msgs:    []lifecycle.Message{msg(reporter, day(1), reportBody), msg(reporter, day(2), "Any news?")},
			now:     day(30),
			dropped: false, reason: "only reporter-side",
		},
		{
			name:    "canned opening with placeholder, silence 10 days: dropped",
			msgs:    []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned)},
			now:     day(11),
			dropped: true, reason: "canned opening 1",
		},
		{
			name:    "silence measured from the reporter's last message: 6 days keeps",
			msgs:    []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned)},
			now:     day(7),
			dropped: false, reason: "6 day(s) ago",
		},
		{
			name:    "exactly seven days drops",
			msgs:    []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned)},
			now:     day(8),
			dropped: true,
		},
		{
			name: "short acknowledgement then silence: dropped, silence from the ack",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned),
				msg(reporter, day(3), "Understood, thanks for the quick answer!\n\nOn Sun, Mar 2, 2025 at 9:00 AM Alice wrote:\n> Thank you for your report.")},
			now:     day(11),
			dropped: true, reason: "silent 8 days since 2025-03-03",
		},
		{
			name: "unanswered pushback keeps",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned),
				msg(reporter, day(3), "I disagree: the Viewer role is not a DAG author, so the security model does not cover this.")},
			now:     day(30),
			dropped: false, reason: "pushback",
		},
		{
			name: "pushback answered again with a canned reply, then silence: dropped",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned),
				msg(reporter, day(3), "But a Viewer can trigger it, are you sure?"),
				msg(teamA, day(4), "Hello Rita,\nAs explained, this is by design: Viewers see what DAG authors render.")},
			now:     day(20),
			dropped: true, reason: "silent 17 days",
		},
		{
			name: "clarifying technical question is not canned",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody),
				msg(teamA, day(2), "Hi Rita, which version did you test, and is the log folder on a shared volume?")},
			now:     day(30),
			dropped: false, reason: "not with a canned disposition",
		},
		{
			name: "cue phrase only in quoted text is not canned",
			msgs: []lifecycle.Message{msg(reporter, day(1), "I read \"this is by design\" in your docs but I think it is wrong. Steps: ..."),
				msg(teamA, day(2), "Could you send the full request?\n\n> I read \"this is by design\" in your docs")},
			now:     day(30),
			dropped: false, reason: "not with a canned disposition",
		},
		{
			name: "draft key makes a list-address reply the team's",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody),
				func() lifecycle.Message {
					m := msg(listAddr, day(2), "Thank you for reaching out. We do not accept automated scanner output without a human analysis of exploitability.")
					m.DraftKey = "intake/p1/c1/reject"
					return m
				}()},
			now:     day(12),
			dropped: true, reason: "canned opening 2",
		},
		{
			name: "reply from an unknown address is not the team's",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody),
				msg(lifecycle.Address{Email: "someone@else.example"}, day(2), canned)},
			now:     day(30),
			dropped: false, reason: "only reporter-side",
		},
		{
			name: "cue phrase from the spec list",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody),
				msg(teamA, day(2), "Dear Rita,\nWe do not consider this a security issue: the endpoint is explicitly out-of-scope.")},
			now:     day(30),
			dropped: true, reason: "canned phrase",
		},
		{
			name: "team follow-up question after a canned reply keeps",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody), msg(teamA, day(2), canned),
				msg(teamA, day(3), "Actually, could you tell us whether the webserver runs as root?")},
			now:     day(30),
			dropped: false, reason: "open correspondence",
		},
		{
			name: "unsent draft is not a reply",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody),
				func() lifecycle.Message { m := msg(teamA, day(2), canned); m.IsDraft = true; return m }()},
			now:     day(30),
			dropped: false, reason: "only reporter-side",
		},
		{
			name: "edited canned opening still matches by shingles",
			msgs: []lifecycle.Message{msg(reporter, day(1), reportBody),
				msg(teamA, day(2), "Thank you for your report. The behavior you describe is documented in our Security Model as something DAG authors are trusted to do!")},
			now:     day(30),
			dropped: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			th := lifecycle.Thread{ID: "t", Messages: tc.msgs}
			dropped, reason := AlreadyAnswered(th, ctx, cannedOpenings, tc.now)
			if dropped != tc.dropped {
				t.Fatalf("dropped = %v, want %v (reason %q)", dropped, tc.dropped, reason)
			}
			if tc.reason != "" && !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q does not contain %q", reason, tc.reason)
			}
		})
	}
}

func TestAlreadyAnsweredEmptyThread(t *testing.T) {
	if dropped, _ := AlreadyAnswered(lifecycle.Thread{}, testContext(), nil, day(1)); dropped {
		t.Fatal("an empty thread was dropped")
	}
}

func TestReplyText(t *testing.T) {
	body := "Thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Alice Maintainer\n<alice@larkspur.example.org> wrote:\n> quoted\n> more"
	if got := replyText(body); got != "Thanks!" {
		t.Errorf("replyText = %q", got)
	}
	if got := replyText("> only quoted\n> text"); got != "" {
		t.Errorf("quote-only replyText = %q", got)
	}
	if got := replyText("Sure.\n-- \nAlice\nMaintainer"); got != "Sure." {
		t.Errorf("signature not cut: %q", got)
	}
}

func TestConvergedNeedsAckAfterDisposition(t *testing.T) {
	ctx := testContext()
	// reporter thanks before the disposition: not converged
	th := lifecycle.Thread{Messages: []lifecycle.Message{
		msg(reporter, day(1), reportBody),
		msg(reporter, day(2), "Thanks for looking"),
		msg(teamA, day(3), "We'll open a fix PR next week."),
	}}
	if got := Suggest(th, ctx); got.Class != ClassReport {
		t.Errorf("class = %s, want Report (no acknowledgement after the disposition)", got.Class)
	}
	th.Messages = append(th.Messages, msg(reporter, day(4), "Great, thank you!"))
	got := Suggest(th, ctx)
	if got.Class != ClassConverged {
		t.Fatalf("class = %s, want converged", got.Class)
	}
	if !got.Has(SigConverged) || !strings.Contains(signalSummary(got), "Message-ID alice@larkspur.example.org0303@test") {
		t.Errorf("converged signal should name the disposition message: %s", signalSummary(got))
	}
	// a later question from the reporter re-opens it
	th.Messages = append(th.Messages, msg(reporter, day(5), "One more thing: will 2.9 get a backport?"))
	if got := Suggest(th, ctx); got.Class != ClassReport {
		t.Errorf("class = %s, want Report (reporter question outstanding)", got.Class)
	}
}

func TestStripInvisibleAndNormText(t *testing.T) {
	in := "this\u200b is\u202e by\u00ad design"
	if got := normText(in); got != "this is by design" {
		t.Errorf("normText = %q", got)
	}
	if got := normText("Out-of-scope, per the project’s Security Model"); got != "out of scope per the project s security model" {
		t.Errorf("normText = %q", got)
	}
}
