package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/confirm"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func candidateBy(p ImportProposeOut, class string) (found []string) {
	for _, c := range p.Candidates {
		if c.Class == class {
			found = append(found, c.ThreadID)
		}
	}
	return found
}

func TestImportProposeThenApply(t *testing.T) {
	e := newEnv(t, Options{})
	before := e.state()
	p := e.proposeAll()
	if after := e.state(); after != before {
		t.Fatalf("import_propose wrote something: %+v → %+v", before, after)
	}
	if len(p.Plan.Actions) == 0 || p.Plan.Token == "" {
		t.Fatalf("no plan: %+v", p.Plan)
	}
	if !strings.HasPrefix(p.Plan.Token, "vst1.") {
		t.Errorf("token %q does not have the vst1 form", p.Plan.Token)
	}
	var imports, replies, drops int
	for _, c := range p.Candidates {
		switch c.Disposition {
		case "import":
			imports++
			if c.Tracker == nil || c.Draft == nil {
				t.Errorf("%s: import without tracker preview or receipt draft", c.Item)
			}
			if c.Tracker != nil && !c.Tracker.Body.Untrusted {
				t.Errorf("%s: tracker body not marked untrusted", c.Item)
			}
		case "reply":
			replies++
		case "drop":
			drops++
		}
	}
	if imports < 2 || replies < 2 || drops < 2 {
		t.Errorf("imports=%d replies=%d drops=%d; want the example mailbox's ≥2 reports, ≥2 canned replies (scanner, consolidated), ≥2 drops (spam, bookkeeping)", imports, replies, drops)
	}
	var alreadyImported bool
	for _, s := range p.Skipped {
		if strings.Contains(s.Reason, "already imported") {
			alreadyImported = true
		}
	}
	if !alreadyImported {
		t.Errorf("the reply on the already-imported thread was not skipped as already imported: %+v", p.Skipped)
	}

	var res ApplyOut
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("apply incomplete: %+v", res)
	}
	after := e.state()
	if after.Issues != before.Issues+imports {
		t.Errorf("issues %d → %d, want +%d", before.Issues, after.Issues, imports)
	}
	if after.Drafts != before.Drafts+imports+replies {
		t.Errorf("drafts %d → %d, want +%d", before.Drafts, after.Drafts, imports+replies)
	}
	// Each new tracker: labels, body fields, intake key, one rollup comment.
	for _, r := range res.Results {
		if r.Kind != string(lifecycle.ActCreateIssue) {
			continue
		}
		is, err := e.deps.Backend.Tracker.GetIssue(e.ctx, r.Number)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{e.cfg.Labels.NeedsTriage, e.cfg.Labels.SecurityMarker} {
			if !is.HasLabel(l) {
				t.Errorf("#%d lacks label %q", is.Number, l)
			}
		}
		b := lifecycle.ParseBody(is.Body)
		if sev, _ := b.Get(lifecycle.FieldSeverity); sev != "Unknown" {
			t.Errorf("#%d Severity = %q, want Unknown (never the reporter's CVSS)", is.Number, sev)
		}
		if cwe, _ := b.Get(lifecycle.FieldCWE); cwe != "" {
			t.Errorf("#%d CWE = %q, want empty (never the reporter's CWE)", is.Number, cwe)
		}
		if len(lifecycle.ParseIntakeMetas(is.Body)) != 1 {
			t.Errorf("#%d has no intake key", is.Number)
		}
		cs, _ := e.deps.Backend.Tracker.ListComments(e.ctx, is.Number)
		if n := len(lifecycle.FindRollups(cs)); n != 1 {
			t.Errorf("#%d has %d rollup comments, want 1", is.Number, n)
		}
		if strings.Contains(cs[0].Body, "{{") {
			t.Errorf("#%d rollup has an unexpanded reference: %s", is.Number, cs[0].Body)
		}
		item, err := e.deps.Backend.Tracker.BoardItem(e.ctx, is.Number)
		if err != nil || item.Column != "Needs triage" {
			t.Errorf("#%d board item = %+v, %v; want Needs triage", is.Number, item, err)
		}
	}

	// Replaying the token is refused and writes nothing.
	if msg := e.call("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, nil); !strings.Contains(msg, "already applied") {
		t.Errorf("replay: got %q, want an already-applied refusal", msg)
	}
	if again := e.state(); again != after {
		t.Errorf("replay wrote something")
	}
	// A new proposal sees the imported threads as already imported.
	var p2 ImportProposeOut
	e.mustCall("import_propose", map[string]any{"now": e.now}, &p2)
	for _, c := range p2.Candidates {
		if c.Disposition == "import" {
			t.Errorf("%s %q proposed for import again", c.ThreadID, c.Subject.Text)
		}
	}
}

func TestTokenAttacksAreRefusedWithNoWrite(t *testing.T) {
	other := confirm.NewSigner([]byte(strings.Repeat("k", 32)), time.Now)
	tests := []struct {
		name   string
		mangle func(e *env, token string) string
		before func(e *env)
		want   string
	}{
		{name: "missing", mangle: func(e *env, tok string) string { return "" }, want: "missing confirmation token"},
		{name: "garbage", mangle: func(e *env, tok string) string { return "yes" }, want: "refused"},
		{name: "numeric", mangle: func(e *env, tok string) string { return "123456" }, want: "refused"},
		{name: "forged with another key", mangle: func(e *env, tok string) string {
			c, err := e.deps.Signer.Verify(tok, "import_apply")
			if err != nil {
				t.Fatal(err)
			}
			forged, _, err := other.Issue("import_apply", c.ProposalID, c.PlanHash, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return forged
		}, want: "refused"},
		{name: "tampered payload", mangle: func(e *env, tok string) string {
			parts := strings.Split(tok, ".")
			b := []byte(parts[1])
			b[len(b)/2] ^= 1
			parts[1] = string(b)
			return strings.Join(parts, ".")
		}, want: "refused"},
		{name: "tampered mac", mangle: func(e *env, tok string) string {
			return tok[:len(tok)-3] + flip(tok[len(tok)-3:])
		}, want: "refused"},
		{name: "expired", before: func(e *env) { e.clock.Advance(16 * time.Minute) }, mangle: func(e *env, tok string) string { return tok }, want: "expired"},
		{name: "cross-tool", mangle: func(e *env, tok string) string {
			c, err := e.deps.Signer.Verify(tok, "import_apply")
			if err != nil {
				t.Fatal(err)
			}
			x, _, err := e.deps.Signer.Issue("triage_apply", c.ProposalID, c.PlanHash, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}, want: "refused"},
		{name: "stale plan (edited after the proposal)", mangle: func(e *env, tok string) string {
			c, err := e.deps.Signer.Verify(tok, "import_apply")
			if err != nil {
				t.Fatal(err)
			}
			plan, err := e.deps.Store.Load(c.ProposalID)
			if err != nil {
				t.Fatal(err)
			}
			plan.Actions[0].Summary += " (edited)"
			if err := e.deps.Store.Save(plan); err != nil {
				t.Fatal(err)
			}
			return tok
		}, want: "changed since it was proposed"},
		{name: "unknown plan", mangle: func(e *env, tok string) string {
			x, _, err := e.deps.Signer.Issue("import_apply", "import-0123456789abcdef", strings.Repeat("0", 64), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}, want: "unknown plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			p := e.proposeAll()
			tok := tc.mangle(e, p.Plan.Token)
			if tc.before != nil {
				tc.before(e)
			}
			before := e.state()
			msg := e.call("import_apply", map[string]any{"confirmation_token": tok}, nil)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want a refusal containing %q", msg, tc.want)
			}
			if after := e.state(); after != before {
				t.Errorf("a refused apply wrote something: %+v → %+v", before, after)
			}
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func TestStaleTargetIsRefusedOthersGoOn(t *testing.T) {
	e := newEnv(t, Options{})
	p := e.proposeAll()
	// Someone comments on the rejections ledger after the proposal.
	ledger, err := e.deps.Backend.Tracker.ListIssues(e.ctx, lifecycle.IssueFilter{State: "open", Labels: []string{e.cfg.Labels.RejectionsLedger}})
	if err != nil || len(ledger) != 1 {
		t.Fatalf("ledger: %v %v", ledger, err)
	}
	if _, err := e.deps.Backend.Tracker.CreateComment(e.ctx, ledger[0].Number, "a human note"); err != nil {
		t.Fatal(err)
	}
	var res ApplyOut
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	var stale, created int
	for _, r := range res.Results {
		if r.Status == lifecycle.StatusStale || (r.Status == lifecycle.StatusSkipped && strings.Contains(r.Detail, "stale")) {
			stale++
		}
		if r.Kind == string(lifecycle.ActCreateIssue) && r.Status == lifecycle.StatusDone {
			created++
		}
	}
	if stale == 0 {
		t.Errorf("no ledger action refused as stale: %+v", res.Results)
	}
	if created == 0 {
		t.Errorf("other targets did not go on")
	}
	if res.Complete {
		t.Errorf("apply claims complete with stale actions")
	}
}

func TestApplyOnlyPullsInDependencies(t *testing.T) {
	e := newEnv(t, Options{})
	p := e.proposeAll()
	var rollup string
	for _, a := range p.Plan.Actions {
		if a.Kind == string(lifecycle.ActRollupEntry) {
			rollup = a.ID
			break
		}
	}
	var res ApplyOut
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token, "only": []string{rollup}}, &res)
	if len(res.PulledIn) == 0 {
		t.Fatalf("only=%s pulled in nothing; its tracker and draft must come with it", rollup)
	}
	if res.Complete {
		t.Errorf("a partial apply claims complete")
	}
	// The rest applies with the same token later.
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if !res.Complete {
		t.Errorf("second apply incomplete: %+v", res.Results)
	}
	if msg := e.call("import_apply", map[string]any{"confirmation_token": p.Plan.Token, "only": []string{"a999"}}, nil); msg == "" {
		t.Errorf("an unknown action id was accepted")
	}
}

// TestApplyResumesAfterFailureAtEveryStep fails each write of the apply in turn
// (before and after the write takes effect) and checks that the same apply run
// again completes with nothing lost and nothing duplicated.
func TestApplyResumesAfterFailureAtEveryStep(t *testing.T) {
	assertResumesAfterEveryFault(t, "import_apply", func(e *env) string { return e.proposeAll().Plan.Token })
}

func TestProposeRejectsBadDecisions(t *testing.T) {
	e := newEnv(t, Options{})
	var first ImportProposeOut
	e.mustCall("import_propose", map[string]any{"now": e.now}, &first)
	thread := first.Candidates[0].ThreadID
	tests := []struct {
		name      string
		decisions []map[string]any
		want      string
	}{
		{"unknown class", []map[string]any{{"thread": thread, "class": "bogus"}}, "class"},
		{"unknown thread", []map[string]any{{"thread": "nope@example", "class": "spam"}}, "not among the candidates"},
		{"duplicate", []map[string]any{{"thread": thread, "skip": true}, {"thread": thread, "skip": true}}, "two decisions"},
		{"skip with class", []map[string]any{{"thread": thread, "skip": true, "class": "spam"}}, "cannot be combined"},
		{"unknown canned", []map[string]any{{"thread": thread, "canned": "No such response"}}, "No such response"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state()
			msg := e.call("import_propose", map[string]any{"now": e.now, "decisions": tc.decisions}, nil)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want an error containing %q", msg, tc.want)
			}
			if e.state() != before {
				t.Errorf("a rejected proposal wrote something")
			}
		})
	}
	if msg := e.call("import_propose", map[string]any{"now": "yesterday"}, nil); !strings.Contains(msg, "RFC 3339") {
		t.Errorf("bad now: %q", msg)
	}
	if msg := e.call("import_propose", map[string]any{"surprise": 1}, nil); msg == "" {
		t.Errorf("an unknown argument was accepted (strict input schema)")
	}
}

func TestInjectedInstructionsStayData(t *testing.T) {
	e := newEnv(t, Options{})
	p := e.proposeAll()
	var flagged bool
	for _, c := range p.Candidates {
		if len(c.Injection) > 0 {
			flagged = true
			if c.Disposition != "import" {
				t.Errorf("%s: an injected instruction changed the disposition to %s", c.Item, c.Disposition)
			}
			if c.Tracker == nil || !strings.Contains(c.Tracker.Body.Text, "[!IMPORTANT]") {
				t.Errorf("%s: no injection callout in the tracker body", c.Item)
			}
			if c.Tracker != nil && strings.Contains(c.Tracker.Body.Text, "CVE-2026-0001") && strings.Contains(c.Tracker.Body.Text, "### CVE tool link\n\nCVE") {
				t.Errorf("%s: the injected CVE was pre-filled", c.Item)
			}
		}
	}
	if !flagged {
		t.Fatal("the example mailbox's injected report was not flagged")
	}
}

func TestDraftsAreFilesNeverSent(t *testing.T) {
	e := newEnv(t, Options{})
	p := e.proposeAll()
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, nil)
	files, err := filepath.Glob(filepath.Join(e.dir, "drafts", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no draft files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.Contains(s, "Cc: ") || !strings.Contains(strings.ToLower(s), strings.ToLower(e.cfg.Lists.Security)) {
			t.Errorf("%s: the security list is not Cc'd", f)
		}
		if !strings.Contains(s, "text/plain") || strings.Contains(s, "text/html") {
			t.Errorf("%s: not plain text", f)
		}
		if strings.Contains(s, "Subject: Re: Re:") {
			t.Errorf("%s: double Re:", f)
		}
	}
}

func TestCrossThreadFollowupLinksTheExistingTracker(t *testing.T) {
	e := newEnv(t, Options{})
	raw := readFixture(t, "cross-thread-followup.eml")
	if err := os.WriteFile(filepath.Join(e.dir, "mailbox", "new", "followup.eml"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var p ImportProposeOut
	e.mustCall("import_propose", map[string]any{"now": e.now, "threads": []string{"followup-1@mail.example"},
		"decisions": []map[string]any{{"thread": "followup-1@mail.example", "class": "cross-thread-followup", "tracker": 3}}}, &p)
	if len(p.Candidates) != 1 || p.Candidates[0].Disposition != "comment" {
		t.Fatalf("candidates: %+v", p.Candidates)
	}
	before := e.state()
	var res ApplyOut
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	after := e.state()
	if after.Issues != before.Issues || after.Drafts != before.Drafts || after.Comments != before.Comments+1 {
		t.Errorf("cross-thread follow-up: %+v → %+v; want one comment and nothing else", before, after)
	}
	cs, _ := e.deps.Backend.Tracker.ListComments(e.ctx, 3)
	if last := cs[len(cs)-1].Body; !strings.Contains(last, "followup-1@mail.example") {
		t.Errorf("the comment on #3 does not name the thread: %s", last)
	}
	// Proposing and applying again links nothing twice.
	e.mustCall("import_propose", map[string]any{"now": e.now, "threads": []string{"followup-1@mail.example"},
		"decisions": []map[string]any{{"thread": "followup-1@mail.example", "class": "cross-thread-followup", "tracker": 3}}}, &p)
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if e.state().Comments != after.Comments {
		t.Error("the follow-up was linked twice")
	}
}

func TestFixAlreadyPublicIsSuggestedFromALinkedOlderPR(t *testing.T) {
	e := newEnv(t, Options{})
	raw := readFixture(t, "fix-already-public.eml")
	if err := os.WriteFile(filepath.Join(e.dir, "mailbox", "new", "bruteforce.eml"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var p ImportProposeOut
	e.mustCall("import_propose", map[string]any{"now": e.now, "threads": []string{"bruteforce-1@research.example"}}, &p)
	c := p.Candidates[0]
	if c.Suggested != "fix-already-public" || c.Disposition != "needs-decision" {
		t.Fatalf("suggested %s (%s), want fix-already-public awaiting a decision; signals %v", c.Suggested, c.Disposition, c.Signals)
	}
	e.mustCall("import_propose", map[string]any{"now": e.now, "threads": []string{"bruteforce-1@research.example"},
		"decisions": []map[string]any{{"thread": "bruteforce-1@research.example", "class": "fix-already-public"}}}, &p)
	c = p.Candidates[0]
	if c.Disposition != "reply" || c.Draft == nil || !strings.Contains(c.Draft.Body, "https://github.com/example-org/example-server/pull/99") {
		t.Fatalf("fix-already-public reply does not cite the PR: %+v %+v", c, c.Draft)
	}
	if c.Tracker != nil {
		t.Error("fix-already-public planned a tracker")
	}
}

// readFixture reads a shared mail fixture from testdata/mail.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "mail", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
