package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/escalate"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const designAnalysis = `TL;DR: rotate the session on login; shared parent domains need more.

Why the obvious fix is insufficient: rotation stops fixation after login, not cookie injection from a sibling subdomain.

Option A: rotate the session identifier on login.
Option B: rotate and use a __Host- cookie prefix.

Open questions: are shared parent domains a supported deployment?`

func TestEscalateProposeThenApply(t *testing.T) {
	e := newEnv(t, Options{})
	e.deliverFixture("session-fixation-report.eml")
	before := e.state()
	var p EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.now}, &p)
	if e.state() != before {
		t.Fatal("escalate_propose wrote something")
	}
	if len(p.Trackers) != 1 || p.Trackers[0].Number != 2 || p.Trackers[0].Phase != 1 || len(p.Trackers[0].Drafts) != 3 {
		t.Fatalf("proposal %+v", p.Trackers)
	}
	var res ApplyOut
	e.mustCall("escalate_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("apply %+v", res.Results)
	}
	after := e.state()
	if after.Drafts != before.Drafts+3 || after.Comments != before.Comments || after.Issues != before.Issues {
		t.Errorf("drafts %d→%d comments %d→%d: want three drafts and the rollup appended in place", before.Drafts, after.Drafts, before.Comments, after.Comments)
	}
	files, _ := filepath.Glob(filepath.Join(e.dir, "drafts", "*"))
	var toPrivate bool
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		toPrivate = toPrivate || strings.Contains(string(raw), "To: <private@example-server.example>")
	}
	if !toPrivate {
		t.Error("no draft file to the private list")
	}
	comments, _ := e.deps.Backend.Tracker.ListComments(e.ctx, 2)
	if recs := escalate.Records(comments, e.cfg.Markers.RollupPrefix); len(recs) != 1 || recs[0].Phase != 1 {
		t.Errorf("rollup records %+v", recs)
	}
	if msg := e.call("escalate_apply", map[string]any{"confirmation_token": p.Plan.Token}, nil); !strings.Contains(msg, "already applied") {
		t.Errorf("replay: %q", msg)
	}
	if msg := e.call("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, nil); !strings.Contains(msg, "phase 2 is due on 2026-12-01") {
		t.Errorf("phase 1 twice: %q", msg)
	}

	// Eight silent days later: phase 2, with the agent's analysis.
	e.clock.Advance(8 * 24 * time.Hour)
	later := e.clock.Now().UTC().Format(time.RFC3339)
	var brief EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": later, "numbers": []int{2}}, &brief)
	if brief.Plan.Token != "" || brief.Trackers[0].Brief == nil || len(brief.Trackers[0].Reviewers) == 0 {
		t.Fatalf("phase 2 without text: %+v", brief.Trackers[0])
	}
	var p2 EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": later, "messages": []map[string]any{{"number": 2, "text": designAnalysis}}}, &p2)
	e.mustCall("escalate_apply", map[string]any{"confirmation_token": p2.Plan.Token}, &res)
	if !res.Complete || p2.Trackers[0].Phase != 2 {
		t.Fatalf("phase 2 apply %+v", res.Results)
	}
	if msg := e.call("escalate_propose", map[string]any{"now": later, "numbers": []int{2}}, nil); !strings.Contains(msg, "both phases") {
		t.Errorf("after phase 2: %q", msg)
	}
}

func TestEscalateRefusesWithNoWrite(t *testing.T) {
	e := newEnv(t, Options{})
	before := e.state()
	for _, tt := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"numbers": []int{4}}, "not stalled"},
		{map[string]any{"numbers": []int{5}}, "not in the validity discussion"},
		{map[string]any{"messages": []map[string]any{{"number": 2, "text": "Option A: rotate the session."}}}, "deliberately bare"},
	} {
		tt.args["now"] = e.now
		if msg := e.call("escalate_propose", tt.args, nil); !strings.Contains(msg, tt.want) {
			t.Errorf("%v: %q, want %q", tt.args, msg, tt.want)
		}
	}
	if e.state() != before {
		t.Error("a refused escalation wrote something")
	}
}

func TestEscalateApplyResumesAfterEveryFault(t *testing.T) {
	assertResumesAfterEveryFault(t, "escalate_apply", func(e *env) string {
		e.deliverFixture("session-fixation-report.eml")
		var p EscalateProposeOut
		e.mustCall("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, &p)
		return p.Plan.Token
	})
}

func TestTriageAndEscalateOnGitHubAndGmailFakes(t *testing.T) {
	e := newGitHubEnv(t, Options{})
	// The reporter's thread of #2, under the thread id its tracker records.
	e.gm.AddMessage(readFixture(t, "session-fixation-report.eml"), "20261001190512.5512@fixation.research.example", "INBOX")
	before := e.state()

	var tp TriageProposeOut
	e.mustCall("triage_propose", map[string]any{"now": e.now, "judgements": []map[string]any{triageJudgement()}}, &tp)
	var res ApplyOut
	e.mustCall("triage_apply", map[string]any{"confirmation_token": tp.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("triage apply %+v", res.Results)
	}
	var posted int
	for _, c := range e.gh.Comments(e.cfg.Repos.Tracker, 4) {
		if lifecycle.CommentHasTag(c.Body, lifecycle.MarkerTriageProposalPrefix) {
			posted++
		}
	}
	if posted != 1 {
		t.Errorf("%d triage proposals on the fake GitHub, want 1", posted)
	}

	var ep EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.now}, &ep)
	if len(ep.Trackers) != 1 || len(ep.Trackers[0].Drafts) != 3 {
		t.Fatalf("escalation %+v", ep.Trackers)
	}
	e.mustCall("escalate_apply", map[string]any{"confirmation_token": ep.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("escalate apply %+v", res.Results)
	}
	var attached, unattached int
	for _, d := range e.gm.Drafts() {
		if d.ThreadID == "20261001190512.5512@fixation.research.example" {
			attached++
		} else {
			unattached++
		}
	}
	if attached != 1 || unattached != 2 {
		t.Errorf("drafts: %d on the reporter's thread, %d new threads; want 1 and 2", attached, unattached)
	}
	after := e.state()
	if after.Issues != before.Issues || after.Comments != before.Comments+1 {
		t.Errorf("issues %d→%d comments %d→%d: want one new comment (the proposal) and the rollup appended", before.Issues, after.Issues, before.Comments, after.Comments)
	}
	if msg := e.call("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, nil); !strings.Contains(msg, "phase 2 is due") {
		t.Errorf("phase 1 twice on GitHub: %q", msg)
	}
}

func TestEscalateBriefFencesInjectedCredit(t *testing.T) {
	e := newEnv(t, Options{})
	e.deliverFixture("session-fixation-report.eml")
	var p EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, &p)
	var res ApplyOut
	e.mustCall("escalate_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	e.injectCredit(2, "Pauline Moreau")
	e.clock.Advance(8 * 24 * time.Hour)
	var brief EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.clock.Now().UTC().Format(time.RFC3339), "numbers": []int{2}}, &brief)
	b := brief.Trackers[0].Brief
	if b == nil {
		t.Fatalf("no phase-2 brief: %+v", brief.Trackers[0])
	}
	assertFenced(t, "escalate brief", b.Fields, b.Rollup)
}

// phase1Sent is the phase-1 draft to the private list of #2 as a human sent
// it, and phase1Reply a list member's answer on that thread.
func phase1Sent(e *env) string {
	return "From: <security@example-server.example>\r\nTo: <private@example-server.example>\r\nCc: <security@example-server.example>\r\n" +
		"Subject: Call for input: Session identifier is not rotated after login\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n" +
		"Message-ID: <phase1-sent@example-server.example>\r\nX-Vulnsteward-Draft-Key: escalation-phase1-private-list:" + e.cfg.Repos.Tracker + "#2\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nThe security team would welcome fresh ideas.\r\n"
}

const phase1Reply = "From: Ana Souza <ana@members.example>\r\nTo: <private@example-server.example>\r\n" +
	"Subject: Re: Call for input: Session identifier is not rotated after login\r\nDate: Thu, 26 Nov 2026 08:00:00 +0000\r\n" +
	"Message-ID: <phase1-reply@members.example>\r\nIn-Reply-To: <phase1-sent@example-server.example>\r\nReferences: <phase1-sent@example-server.example>\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\nShared parent domains are common in our deployments; I would rotate and use a __Host- cookie.\r\n"

// A reply on the thread a phase-1 draft started stops phase 2; the sent
// phase-1 message alone does not.
func TestEscalatePhase2StopsOnReplyToPhase1Thread(t *testing.T) {
	e := newEnv(t, Options{})
	e.deliverFixture("session-fixation-report.eml")
	var p EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, &p)
	var res ApplyOut
	e.mustCall("escalate_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("phase 1 apply %+v", res.Results)
	}
	deliver := func(name, raw string) {
		if err := os.WriteFile(filepath.Join(e.dir, "mailbox", "new", name), []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	deliver("phase1-sent.eml", phase1Sent(e))
	e.clock.Advance(8 * 24 * time.Hour)
	later := e.clock.Now().UTC().Format(time.RFC3339)
	var due EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": later, "numbers": []int{2}}, &due)
	if len(due.Trackers) != 1 || due.Trackers[0].Phase != 2 {
		t.Fatalf("the sent phase-1 message alone must leave phase 2 due: %+v", due.Trackers)
	}
	deliver("phase1-reply.eml", phase1Reply)
	msg := e.call("escalate_propose", map[string]any{"now": later, "numbers": []int{2}}, nil)
	if !strings.Contains(msg, "got a response") || !strings.Contains(msg, "ana@members.example") || !strings.Contains(msg, "phase-1 escalation thread") {
		t.Errorf("a reply on the phase-1 thread must stop phase 2: %q", msg)
	}
}

// On the GitHub and Gmail fakes: a tracker that is not stalled and a phase-1
// text with analysis are refused with no write, and once phase 1 is out a
// reply on the thread it started (delivered through the list) stops phase 2.
func TestEscalateRefusalsOnGitHubAndGmailFakes(t *testing.T) {
	e := newGitHubEnv(t, Options{})
	e.gm.AddMessage(readFixture(t, "session-fixation-report.eml"), "20261001190512.5512@fixation.research.example", "INBOX")
	before := e.ghState()
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"numbers": []int{4}}, "not stalled"},
		{map[string]any{"messages": []map[string]any{{"number": 2, "text": "Option A: rotate the session."}}}, "deliberately bare"},
		{map[string]any{"messages": []map[string]any{{"number": 2, "reviewers": []string{"@tkowalski"}}}}, "reviewers are for phase 2"},
	} {
		tc.args["now"] = e.now
		if msg := e.call("escalate_propose", tc.args, nil); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %q, want %q", tc.args, msg, tc.want)
		}
	}
	if e.ghState() != before {
		t.Fatal("a refused escalation wrote to the fakes")
	}

	var p EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, &p)
	var res ApplyOut
	e.mustCall("escalate_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("phase 1 apply %+v", res.Results)
	}
	list := "List-Id: <" + e.cfg.Lists.SecurityDomain + ">\r\n"
	e.gm.AddMessage([]byte(list+phase1Sent(e.env)), "phase1-thread", "SENT")
	e.clock.Advance(8 * 24 * time.Hour)
	later := e.clock.Now().UTC().Format(time.RFC3339)
	var due EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": later, "numbers": []int{2}}, &due)
	if len(due.Trackers) != 1 || due.Trackers[0].Phase != 2 {
		t.Fatalf("the sent phase-1 message alone must leave phase 2 due: %+v", due.Trackers)
	}
	e.gm.AddMessage([]byte(list+phase1Reply), "phase1-thread", "INBOX")
	if msg := e.call("escalate_propose", map[string]any{"now": later, "numbers": []int{2}}, nil); !strings.Contains(msg, "got a response") || !strings.Contains(msg, "phase-1 escalation thread") {
		t.Errorf("a reply on the phase-1 thread (Gmail) must stop phase 2: %q", msg)
	}
}

// The demo's case: #2's reporter thread is not in the mailbox, so two of the
// three audiences get a draft, and the proposal's note says exactly that.
func TestEscalateNoteNamesTheAudiencesDrafted(t *testing.T) {
	e := newEnv(t, Options{})
	var p EscalateProposeOut
	e.mustCall("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, &p)
	if len(p.Trackers) != 1 || len(p.Trackers[0].Drafts) != 2 {
		t.Fatalf("proposal %+v", p.Trackers)
	}
	want := "#2 phase 1: 2 of 3 audiences get a draft (the private list, the foundation security team); none to the reporter: the reporter's thread"
	var note string
	for _, n := range p.Notes {
		if strings.HasPrefix(n, "#2 phase 1:") {
			note = n
		}
	}
	if !strings.HasPrefix(note, want) || !strings.Contains(note, "is not in this mailbox") {
		t.Errorf("audience note %q\nwant it to start %q and say the thread is not in this mailbox (notes: %q)", note, want, p.Notes)
	}
}
