package tools

import (
	"fmt"
	"strings"
	"testing"
)

// assertGitHubResumesAfterEveryFault is assertResumesAfterEveryFault on the
// GitHub and Gmail fakes: it applies the plan once cleanly, counting GitHub
// write requests (REST writes and GraphQL mutations), then for every write n
// fails the nth write (before it happens, and after it happened with the answer
// lost) and checks that the same apply, run again, ends in the same issues,
// comments and drafts.
func assertGitHubResumesAfterEveryFault(t *testing.T, applyTool string, propose func(e *ghEnv) string) {
	t.Helper()
	ref := newGitHubEnv(t, Options{})
	tok := propose(ref)
	ref.gh.FailWrite(0, false)
	var res ApplyOut
	ref.mustCall(applyTool, map[string]any{"confirmation_token": tok}, &res)
	if !res.Complete {
		t.Fatalf("the clean apply did not complete: %+v", res.Results)
	}
	want := ref.state()
	writes := ref.gh.Writes()
	if writes == 0 {
		t.Fatal("the clean apply made no GitHub write")
	}
	for n := 1; n <= writes; n++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("write%d/after=%v", n, after), func(t *testing.T) {
				e := newGitHubEnv(t, Options{})
				tok := propose(e)
				e.gh.FailWrite(n, after)
				var res ApplyOut
				e.mustCall(applyTool, map[string]any{"confirmation_token": tok}, &res)
				if res.Complete {
					t.Fatalf("apply with an injected fault claims complete")
				}
				e.mustCall(applyTool, map[string]any{"confirmation_token": tok}, &res)
				if !res.Complete {
					t.Fatalf("rerun did not complete: %+v", res.Results)
				}
				got := e.state()
				if got.Issues != want.Issues || got.Comments != want.Comments || got.Drafts != want.Drafts {
					t.Errorf("after failure+rerun: %d issues %d comments %d drafts; want %d %d %d",
						got.Issues, got.Comments, got.Drafts, want.Issues, want.Comments, want.Drafts)
				}
			})
		}
	}
}

func TestGitHubImportResumesAfterEveryWriteFault(t *testing.T) {
	assertGitHubResumesAfterEveryFault(t, "import_apply", func(e *ghEnv) string { return e.proposeAll().Plan.Token })
}

// Every skill's apply resumes after a fault at every GitHub write, as on the
// local backend (assertResumesAfterEveryFault).
func TestGitHubSkillsResumeAfterEveryWriteFault(t *testing.T) {
	tests := []struct {
		apply   string
		propose func(e *ghEnv) string
	}{
		{"triage_apply", func(e *ghEnv) string {
			var p TriageProposeOut
			e.mustCall("triage_propose", map[string]any{"now": e.now, "judgements": []map[string]any{triageJudgement()}}, &p)
			return p.Plan.Token
		}},
		{"sync_apply", func(e *ghEnv) string {
			e.humanLabels(seedTriage, []string{"web-ui"}, nil)
			return e.syncPropose(map[string]any{"numbers": []int{seedTriage}}).Plan.Token
		}},
		{"invalidate_apply", func(e *ghEnv) string {
			var p InvalidateProposeOut
			e.mustCall("invalidate_propose", invalidateArgs(e.env, 4, "invalid", map[string]any{"canned": "Negative Assessment response", "reason": "Rendered as text."}), &p)
			return p.Plan.Token
		}},
		{"deduplicate_apply", func(e *ghEnv) string {
			drop := e.secondReport(nil)
			var p DeduplicateProposeOut
			e.mustCall("deduplicate_propose", dedupeArgs(e.env, 4, drop, nil), &p)
			return p.Plan.Token
		}},
		{"escalate_apply", func(e *ghEnv) string {
			e.gm.AddMessage(readFixture(e.t.(*testing.T), "session-fixation-report.eml"), "20261001190512.5512@fixation.research.example", "INBOX")
			var p EscalateProposeOut
			e.mustCall("escalate_propose", map[string]any{"now": e.now, "numbers": []int{2}}, &p)
			return p.Plan.Token
		}},
		{"import_apply (pr)", func(e *ghEnv) string {
			seedUpstreamPRs(e.t.(*testing.T), e)
			var p ImportProposeOut
			e.mustCall("import_propose", map[string]any{"now": e.now, "source": "pr", "pull_requests": []string{"97", "96"},
				"items": []map[string]any{{"item": "96", "scope": "server", "milestone": "2.4.2"}, {"item": "97", "milestone": "2.5.0"}}}, &p)
			return p.Plan.Token
		}},
	}
	for _, tc := range tests {
		t.Run(tc.apply, func(t *testing.T) {
			apply, _, _ := strings.Cut(tc.apply, " ")
			assertGitHubResumesAfterEveryFault(t, apply, tc.propose)
		})
	}
}
