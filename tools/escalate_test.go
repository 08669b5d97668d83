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
