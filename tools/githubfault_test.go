package tools

import (
	"fmt"
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
