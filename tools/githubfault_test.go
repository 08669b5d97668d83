package tools

import (
	"strings"
	"testing"
)

// assertGitHubResumesAfterEveryFault runs assertResumesAfterFaults on the
// GitHub and Gmail fakes, counting GitHub write requests (REST writes and
// GraphQL mutations).
func assertGitHubResumesAfterEveryFault(t *testing.T, applyTool string, propose func(e *ghEnv) string) {
	t.Helper()
	assertResumesAfterFaults(t, applyTool, func(t *testing.T) faultHarness {
		e := newGitHubEnv(t, Options{})
		return faultHarness{e: e.env, token: propose(e), arm: e.gh.FailWrite, writes: e.gh.Writes}
	})
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
