package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

var now = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

const rootID = "root-1@reporter.example"

// fakeMail is an in-memory mailbox: one thread per root Message-ID.
type fakeMail struct {
	threads map[string]lifecycle.Thread
	drafts  []lifecycle.Draft
	reads   int
}

func (m *fakeMail) Kind() string { return "maildir" }
func (m *fakeMail) ListThreads(ctx context.Context, since time.Time) ([]lifecycle.ThreadSummary, error) {
	var out []lifecycle.ThreadSummary
	for id, th := range m.threads {
		root, _ := th.Root()
		out = append(out, lifecycle.ThreadSummary{ID: id, RootMessageID: root.MessageID, Subject: root.Subject})
	}
	return out, nil
}
func (m *fakeMail) ReadThread(ctx context.Context, id string) (lifecycle.Thread, error) {
	m.reads++
	th, ok := m.threads[id]
	if !ok {
		return lifecycle.Thread{}, fmt.Errorf("thread %s: %w", id, lifecycle.ErrNotFound)
	}
	return th, nil
}
func (m *fakeMail) ListDrafts(ctx context.Context, threadID string) ([]lifecycle.Draft, error) {
	var out []lifecycle.Draft
	for _, d := range m.drafts {
		if threadID == "" || d.ThreadID == threadID {
			out = append(out, d)
		}
	}
	return out, nil
}
func (m *fakeMail) CreateDraft(ctx context.Context, d lifecycle.DraftRequest) (lifecycle.Draft, error) {
	panic("sync must never create a draft")
}
func (m *fakeMail) ThreadURL(string) string { return "" }

func reporterThread(id string, extra ...lifecycle.Message) lifecycle.Thread {
	msgs := []lifecycle.Message{{ID: "m1", MessageID: rootID, From: lifecycle.Address{Name: "Ada Reporter", Email: "ada@reporter.example"},
		Subject: "Stored XSS in the web UI", Date: now.AddDate(0, 0, -20)}}
	return lifecycle.Thread{ID: id, Messages: append(msgs, extra...)}
}

func testPass(t *testing.T, mutate func(c *projects.Config)) (*Pass, *fakeMail) {
	t.Helper()
	cfg, err := projects.Load("../../projects/example")
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(cfg)
	}
	canned, err := cfg.CannedResponses()
	if err != nil {
		t.Fatal(err)
	}
	mail := &fakeMail{threads: map[string]lifecycle.Thread{rootID: reporterThread(rootID)}}
	return &Pass{Config: cfg, Vocab: lifecycle.VocabularyFor(cfg), Team: map[string]bool{"mara": true, "lena": true}, Operator: "bot",
		Now: now, Mail: mail, Canned: canned, Decisions: map[int]Decision{}}, mail
}

// mailBody is a tracker body imported from mail on the maildir backend.
func mailBody() string {
	meta := lifecycle.IntakeMeta{Key: lifecycle.MailIntakeKey(rootID), Source: "mail", ThreadIDs: []string{"maildir:" + rootID}}
	return lifecycle.RenderBody(map[string]string{lifecycle.FieldThread: "No public archive URL — tracked privately on local mailbox thread `" + rootID + "`."}, meta.Comment()+"\n\n")
}

func prBody() string {
	meta := lifecycle.IntakeMeta{Key: "pr:example-org/example-server#12", Source: "pr"}
	return lifecycle.RenderBody(map[string]string{lifecycle.FieldThread: "N/A — opened from public PR example-org/example-server#12"}, meta.Comment()+"\n\n")
}

type trackerOpt func(*Tracker)

func tracker(labels []string, opts ...trackerOpt) *Tracker {
	t := &Tracker{Issue: lifecycle.Issue{Repo: "example-org/example-server-security", Number: 4, State: "open", Labels: labels,
		Body: mailBody(), CreatedAt: now.AddDate(0, 0, -14), UpdatedAt: now.AddDate(0, 0, -1), Version: "v1"},
		Board: &lifecycle.BoardItem{OnBoard: true, Column: "Needs triage"}}
	for _, o := range opts {
		o(t)
	}
	return t
}

func column(c string) trackerOpt { return func(t *Tracker) { t.Board.Column = c } }
func archived() trackerOpt       { return func(t *Tracker) { t.Board.Archived = true } }
func offBoard() trackerOpt       { return func(t *Tracker) { t.Board = &lifecycle.BoardItem{} } }
func noBoard() trackerOpt        { return func(t *Tracker) { t.Board = nil } }
func closed() trackerOpt         { return func(t *Tracker) { t.Issue.State = "closed" } }
func body(b string) trackerOpt   { return func(t *Tracker) { t.Issue.Body = b } }
func age(days int) trackerOpt {
	return func(t *Tracker) { t.Issue.CreatedAt = now.AddDate(0, 0, -days) }
}
func rollup(entries ...lifecycle.RollupEntry) trackerOpt {
	return func(t *Tracker) {
		b := lifecycle.NewRollupBody("", entries[0])
		for _, e := range entries[1:] {
			b = lifecycle.AppendRollupEntry(b, e)
		}
		c := lifecycle.Comment{ID: 1, Author: "mara", Body: b, CreatedAt: t.Issue.CreatedAt}
		t.Comments = append(t.Comments, c)
		t.Rollup = &c
		t.Entries = lifecycle.ParseRollup(b)
	}
}
func comment(author string, daysAgo int, text string) trackerOpt {
	return func(t *Tracker) {
		t.Comments = append(t.Comments, lifecycle.Comment{ID: int64(len(t.Comments) + 10), Author: author, Body: text, CreatedAt: now.AddDate(0, 0, -daysAgo)})
	}
}

func run(t *testing.T, p *Pass, tr *Tracker) *Outcome {
	t.Helper()
	o, err := p.evaluate(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func changeRules(o *Outcome) []string {
	var out []string
	for _, c := range o.Changes {
		out = append(out, c.Rule)
	}
	return out
}

func flagKinds(o *Outcome) []string {
	var out []string
	for _, f := range o.Flags {
		if f.Kind != "disclosure" { // every open tracker has one; tested on its own
			out = append(out, f.Kind)
		}
	}
	return out
}

func TestConsensusAndBoardRules(t *testing.T) {
	tests := []struct {
		name      string
		tracker   *Tracker
		decision  *Decision
		add, rm   []string
		column    string
		archive   bool
		blocked   bool
		flags     []string
		changes   []string
		wantError string
	}{
		{name: "scope set, needs triage still there: land it", tracker: tracker([]string{"security issue", "needs triage", "web-ui"}),
			rm: []string{"needs triage"}, column: "Assessed", changes: []string{"S1", "S10", "§6.9", "S41"}},
		{name: "two scope labels: blocker and nothing else", tracker: tracker([]string{"needs triage", "web-ui", "server"}, column("PR created")),
			blocked: true},
		{name: "no label at all: flag, no write", tracker: tracker([]string{"security issue"}), flags: []string{"labels"}},
		{name: "needs triage, no scope: nothing", tracker: tracker([]string{"security issue", "needs triage"})},
		{name: "agent's scope decision lands the consensus", tracker: tracker([]string{"needs triage"}), decision: &Decision{Tracker: 4, Scope: "server"},
			add: []string{"server"}, rm: []string{"needs triage"}, column: "Assessed", changes: []string{"S1", "S1", "S10", "§6.9", "S41"}},
		{name: "decision contradicts the scope label: error", tracker: tracker([]string{"needs triage", "web-ui"}), decision: &Decision{Tracker: 4, Scope: "server"},
			wantError: "already has scope label"},
		{name: "decision agrees with the scope label", tracker: tracker([]string{"needs triage", "web-ui"}), decision: &Decision{Tracker: 4, Scope: "web-ui"},
			rm: []string{"needs triage"}, column: "Assessed", changes: []string{"S1", "S10", "§6.9", "S41"}},
		{name: "board already right", tracker: tracker([]string{"server", "cve allocated"}, column("CVE allocated"))},
		{name: "board behind the labels", tracker: tracker([]string{"server", "cve allocated"}, column("Assessed")),
			column: "CVE allocated", changes: []string{"S10", "S41"}},
		{name: "board column compared case-insensitively", tracker: tracker([]string{"server", "cve allocated"}, column("cve allocated"))},
		{name: "orphan goes on the board", tracker: tracker([]string{"needs triage"}, offBoard()), column: "Needs triage", changes: []string{"S10", "S41"}},
		{name: "archived while open: flag, no move", tracker: tracker([]string{"server", "cve allocated"}, column("Assessed"), archived()), flags: []string{"board"}},
		{name: "closed and still on the board: archive", tracker: tracker([]string{"invalid"}, closed()), archive: true, changes: []string{"S10", "S41"}},
		{name: "closed and archived: nothing", tracker: tracker([]string{"invalid"}, closed(), archived())},
		{name: "no board configured: no board rule", tracker: tracker([]string{"needs triage", "web-ui"}, noBoard()),
			rm: []string{"needs triage"}, changes: []string{"S1", "§6.9", "S41"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := testPass(t, nil)
			if tc.decision != nil {
				if err := p.checkDecisions([]Decision{*tc.decision}, []*Tracker{tc.tracker}); err != nil {
					t.Fatal(err)
				}
			}
			o, err := p.evaluate(context.Background(), tc.tracker)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error %v, want %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Add, tc.add) || !slices.Equal(o.Remove, tc.rm) {
				t.Errorf("labels +%v -%v, want +%v -%v", o.Add, o.Remove, tc.add, tc.rm)
			}
			if o.Column != tc.column || o.Archive != tc.archive {
				t.Errorf("board column %q archive %v, want %q %v", o.Column, o.Archive, tc.column, tc.archive)
			}
			if o.Stop != tc.blocked || (len(o.Blockers) > 0) != tc.blocked {
				t.Errorf("stop %v blockers %v, want blocked %v", o.Stop, o.Blockers, tc.blocked)
			}
			if got := flagKinds(o); !slices.Equal(got, tc.flags) {
				t.Errorf("flags %v, want %v (%+v)", got, tc.flags, o.Flags)
			}
			if got := changeRules(o); !slices.Equal(got, tc.changes) {
				t.Errorf("changes by %v, want %v (%+v)", got, tc.changes, o.Changes)
			}
			if tc.blocked {
				b := &planner{PlanBuilder: lifecycle.NewPlan("sync", ApplyTool, "bot", now), pass: p}
				if ids := b.tracker(tc.tracker, o); len(ids) != 0 {
					t.Errorf("a blocked tracker got actions %v", ids)
				}
			}
		})
	}
}

func TestReporterAcceptedRule(t *testing.T) {
	landing := []string{"security issue", "needs triage", "web-ui"}
	accepted := []string{"security issue", "web-ui"}
	pending := lifecycle.Draft{ID: "d-7", ThreadID: rootID, Key: "accepted:" + rootID}
	tests := []struct {
		name     string
		labels   []string
		opts     []trackerOpt
		config   func(*projects.Config)
		mail     func(*fakeMail)
		decision *Decision
		draft    bool   // a draft is planned
		line     string // the recorded reporter-notification line contains this ("" = no record)
		flag     bool   // a reporter flag is raised
	}{
		{name: "landing on a mail import drafts the update", labels: landing, draft: true, line: "awaits review in Drafts"},
		{name: "accepted by hand earlier, not yet told: draft", labels: accepted, draft: true, line: "awaits review in Drafts"},
		{name: "already recorded by an earlier pass", labels: accepted,
			opts: []trackerOpt{rollup(lifecycle.RollupEntry{Date: "2026-11-20", Handle: "bot", Action: "Sync (valid: scope web-ui)", Body: "**Sync.**"})}},
		{name: "reference workflow's landed consensus counts as done", labels: accepted,
			opts: []trackerOpt{rollup(lifecycle.RollupEntry{Date: "2026-10-28", Handle: "tk", Action: "Sync (valid: scope server)", Body: "No reporter notification needed."})}},
		{name: "past step 6: the CVE update supersedes it", labels: []string{"web-ui", "cve allocated"}},
		{name: "still in triage: nothing", labels: []string{"needs triage"}},
		{name: "opened from a public PR: never contacted, landing records it", labels: landing, opts: []trackerOpt{body(prBody())}, line: "never contacted"},
		{name: "opened from a public PR, accepted earlier: nothing", labels: accepted, opts: []trackerOpt{body(prBody())}},
		{name: "acknowledgement model none suppresses it", labels: landing, config: func(c *projects.Config) { c.Disclosure.AcknowledgementModel = "none" }, line: "suppressed"},
		{name: "no canned response, landing: recorded as not drafted", labels: landing, config: func(c *projects.Config) { c.Canned.AcceptedValid = "" }, line: "not drafted"},
		{name: "no canned response, accepted earlier: flag for a human", labels: accepted, config: func(c *projects.Config) { c.Canned.AcceptedValid = "" }, flag: true},
		{name: "pending draft with the update's key: recorded, not drafted again", labels: accepted,
			mail: func(m *fakeMail) { m.drafts = append(m.drafts, pending) }, line: "d-7"},
		{name: "a different pending draft on the thread: not shadowed, drafted on a later pass", labels: landing,
			mail: func(m *fakeMail) {
				m.drafts = append(m.drafts, lifecycle.Draft{ID: "d-9", ThreadID: rootID, Key: "receipt:" + rootID})
			}, flag: true},
		{name: "our own landing entry without the update line is not a record", labels: accepted,
			opts:  []trackerOpt{rollup(lifecycle.RollupEntry{Date: "2026-11-20", Handle: "bot", Action: "Sync (valid: scope web-ui)", Body: "**Sync.**", ID: "sync-4-20261120-abcd"})},
			draft: true, line: "awaits review"},
		{name: "sent message with the update's key: recorded as sent", labels: accepted,
			mail: func(m *fakeMail) {
				m.threads[rootID] = reporterThread(rootID, lifecycle.Message{ID: "m2", MessageID: "sent@x", DraftKey: "accepted:" + rootID, Date: now.AddDate(0, 0, -2)})
			}, line: "sent on 2026-11-22"},
		{name: "skip decision records the skip", labels: accepted, decision: &Decision{Tracker: 4, SkipReporterUpdate: true}, line: "skipped by decision"},
		{name: "recorded thread id unknown to this mailbox: found by root Message-ID", labels: landing,
			mail: func(m *fakeMail) { m.threads = map[string]lifecycle.Thread{"gmail-77": reporterThread("gmail-77")} }, draft: true, line: "awaits review"},
		{name: "thread gone from the mailbox, landing: recorded as not drafted", labels: landing,
			mail: func(m *fakeMail) { m.threads = map[string]lifecycle.Thread{} }, line: "not in the maildir mailbox"},
		{name: "no thread recorded, accepted earlier: flag", labels: accepted,
			opts: []trackerOpt{body(lifecycle.RenderBody(map[string]string{}, ""))}, flag: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, mail := testPass(t, tc.config)
			if tc.mail != nil {
				tc.mail(mail)
			}
			tr := tracker(tc.labels, tc.opts...)
			if tc.decision != nil {
				if err := p.checkDecisions([]Decision{*tc.decision}, []*Tracker{tr}); err != nil {
					t.Fatal(err)
				}
			}
			o := run(t, p, tr)
			gotDraft := o.Update != nil && len(o.Update.Drafts) > 0
			if gotDraft != tc.draft {
				t.Fatalf("draft planned %v, want %v (update %+v, notes %v, flags %+v)", gotDraft, tc.draft, o.Update, o.Notes, o.Flags)
			}
			switch {
			case tc.line == "" && o.Update != nil:
				t.Errorf("unexpected record %q", o.Update.Line)
			case tc.line != "" && (o.Update == nil || !strings.Contains(o.Update.Line, tc.line)):
				t.Errorf("record %+v, want a line containing %q", o.Update, tc.line)
			}
			if got := slices.Contains(flagKinds(o), "reporter"); got != tc.flag {
				t.Errorf("reporter flag %v, want %v: %+v", got, tc.flag, o.Flags)
			}
			if gotDraft {
				req := o.Update.Drafts[0].Spec.Request
				if req.Key != "accepted:"+rootID || req.Subject != "Re: Stored XSS in the web UI" || req.To[0].Email != "ada@reporter.example" {
					t.Errorf("draft request %+v", req)
				}
				if !strings.Contains(req.Body, "accepted it as a\nvalid vulnerability") {
					t.Errorf("draft is not the canned response verbatim:\n%s", req.Body)
				}
				if o.Entry == nil || !strings.Contains(o.Entry.Body, draftPlaceholder) {
					t.Errorf("the pass entry does not cite the draft: %+v", o.Entry)
				}
			}
			if o.Update != nil && (o.Entry == nil || !strings.Contains(o.Entry.Body, updateLine)) {
				t.Errorf("a recorded update needs the pass entry: update %+v entry %+v", o.Update, o.Entry)
			}
		})
	}
}

func TestStallFlag(t *testing.T) {
	// esc is an escalation as the escalate skill records it.
	esc := func(phase, daysAgo int) lifecycle.RollupEntry {
		at := now.AddDate(0, 0, -daysAgo)
		return lifecycle.RollupEntry{Date: at.Format("2006-01-02"), Handle: "bot", Action: "Sync (Step 4 escalation)", ID: fmt.Sprintf("step4-escalation-phase%d", phase),
			Body: fmt.Sprintf("**Step 4 escalation, phase %d.**\n\n<!-- escalation phase=%d at=%s -->", phase, phase, at.Format(time.RFC3339))}
	}
	legacy := lifecycle.RollupEntry{Date: now.AddDate(0, 0, -12).Format("2006-01-02"), Handle: "tk", Action: "Sync (Step 4 escalation)", Body: "**Sync — Phase 2 analysis sent.**"}
	imp := lifecycle.RollupEntry{Date: "2026-10-01", Handle: "bot", Action: "Import (Report, Ada)", Body: "**Imported.**"}
	tests := []struct {
		name     string
		opts     []trackerOpt
		text     string // "" = no stall flag
		escalate bool
	}{
		{name: "fresh", opts: []trackerOpt{age(10)}},
		{name: "never discussed for 40 days", opts: []trackerOpt{age(40)}, text: "stalled 40 days", escalate: true},
		{name: "team comment 40 days ago", opts: []trackerOpt{age(60), comment("lena", 40, "Can reproduce.")}, text: "stalled 40 days without a security-team comment: escalate, phase 1", escalate: true},
		{name: "recent team comment", opts: []trackerOpt{age(60), comment("lena", 3, "Still looking.")}},
		{name: "outsider comments do not reset the stall", opts: []trackerOpt{age(45), comment("someone", 1, "any news?")}, text: "stalled 45 days", escalate: true},
		{name: "phase 1 went out 3 days ago: wait", opts: []trackerOpt{age(45), rollup(imp, esc(1, 3))}, text: "phase 2 is due on 2026-11-28"},
		{name: "phase 1 went out 10 days ago, no response: phase 2", opts: []trackerOpt{age(45), rollup(imp, esc(1, 10))}, text: "escalate, phase 2", escalate: true},
		{name: "phase 1 got a response from outside the team", opts: []trackerOpt{age(45), rollup(imp, esc(1, 10)), comment("reporter-friend", 4, "I can help")}, text: "got a response"},
		{name: "phase 2 went out: escalate by hand", opts: []trackerOpt{age(45), rollup(imp, esc(1, 20), esc(2, 5))}, text: "both escalation phases"},
		{name: "legacy escalation entry that says phase 2", opts: []trackerOpt{age(45), rollup(imp, legacy)}, text: "both escalation phases"},
		{name: "legacy escalation comment", opts: []trackerOpt{age(45), comment("bot", 12, "**Process-step escalation** posted to private@")}, text: "escalate, phase 2", escalate: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := testPass(t, nil)
			o := run(t, p, tracker([]string{"needs triage"}, tc.opts...))
			var got *Flag
			for i := range o.Flags {
				if o.Flags[i].Kind == "stalled" {
					got = &o.Flags[i]
				}
			}
			switch {
			case tc.text == "" && got != nil:
				t.Errorf("unexpected flag %+v", got)
			case tc.text != "" && (got == nil || !strings.Contains(got.Text, tc.text) || got.Escalate != tc.escalate):
				t.Errorf("flag %+v, want text %q escalate %v", got, tc.text, tc.escalate)
			}
			if len(o.Changes) > 0 {
				t.Errorf("a stall flag must not write: %+v", o.Changes)
			}
		})
	}
}

func TestDisclosureWindow(t *testing.T) {
	overdueRecorded := lifecycle.RollupEntry{Date: "2026-11-01", Handle: "bot", Action: "Sync (disclosure window overdue)", Body: "**x.**", ID: overdueEntryID(4)}
	tests := []struct {
		name    string
		labels  []string
		opts    []trackerOpt
		text    string // in the disclosure flag ("" = no flag)
		entry   bool   // S37 entry planned
		comment bool   // S38 comment planned
	}{
		{name: "day 14", labels: []string{"needs triage"}, opts: []trackerOpt{age(14)}, text: "76 days left (day 14 of 90)"},
		{name: "now before the creation day: day 0, never negative", labels: []string{"needs triage"}, opts: []trackerOpt{age(-1)}, text: "90 days left (day 0 of 90)"},
		{name: "day 80: closing", labels: []string{"server"}, opts: []trackerOpt{age(80), column("Assessed")}, text: "closes in 10 days"},
		{name: "day 95: overdue, recorded once", labels: []string{"server"}, opts: []trackerOpt{age(95), column("Assessed")}, text: "overdue by 5 days", entry: true},
		{name: "overdue already recorded", labels: []string{"server"}, opts: []trackerOpt{age(95), column("Assessed"), rollup(overdueRecorded)}, text: "overdue by 5 days"},
		{name: "grace expired with the fix merged", labels: []string{"server", "cve allocated", "pr merged"}, opts: []trackerOpt{age(110), column("PR merged")},
			text: "grace period expired 6 days ago", entry: true, comment: true},
		{name: "grace not expired yet", labels: []string{"server", "cve allocated", "pr merged"}, opts: []trackerOpt{age(100), column("PR merged")}, text: "overdue by 10", entry: true},
		{name: "announced: no window", labels: []string{"server", "announced"}, opts: []trackerOpt{age(200), column("Announced")}},
		{name: "closed: no window", labels: []string{"invalid"}, opts: []trackerOpt{age(200), closed(), archived()}},
		{name: "advisory URL without the label: missing label", labels: []string{"server", "fix released"}, opts: []trackerOpt{age(120), column("Fix released"),
			body(lifecycle.RenderBody(map[string]string{lifecycle.FieldAdvisoryURL: "https://lists.example.org/thread/abc"}, ""))}, text: "missing label"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := testPass(t, nil)
			tr := tracker(tc.labels, tc.opts...)
			o := run(t, p, tr)
			var got []string
			for _, f := range o.Flags {
				if f.Kind == "disclosure" {
					got = append(got, f.Text)
				}
			}
			if tc.text == "" && len(got) > 0 || tc.text != "" && (len(got) != 1 || !strings.Contains(got[0], tc.text)) {
				t.Errorf("disclosure flags %q, want one containing %q", got, tc.text)
			}
			if (len(o.Entries) > 0) != tc.entry {
				t.Errorf("S37 entries %+v, want %v", o.Entries, tc.entry)
			}
			if (o.Comment != nil) != tc.comment {
				t.Errorf("S38 comment %+v, want %v", o.Comment, tc.comment)
			}
			if o.Comment != nil {
				if !strings.HasPrefix(o.Comment.Body, lifecycle.MarkerDisclosureOverdue+"\n") {
					t.Errorf("the comment does not start with its marker: %q", o.Comment.Body)
				}
				// The comment names only fixed dates: a later pass with the
				// comment in place plans no update.
				tr.Comments = append(tr.Comments, lifecycle.Comment{ID: 99, Author: "bot", Body: o.Comment.Body + "\n"})
				p.Now = p.Now.AddDate(0, 0, 3)
				if again := run(t, p, tr); again.Comment != nil {
					t.Errorf("an identical disclosure-overdue comment is planned again")
				}
			}
		})
	}
}

func TestPassEntryIsStableAndOnlyForChanges(t *testing.T) {
	p, _ := testPass(t, nil)
	if o := run(t, p, tracker([]string{"needs triage"})); o.Entry != nil || len(o.Changes) != 0 {
		t.Fatalf("a tracker in line got an entry or changes: %+v %+v", o.Entry, o.Changes)
	}
	a := run(t, p, tracker([]string{"needs triage", "web-ui"}))
	b := run(t, p, tracker([]string{"needs triage", "web-ui"}))
	if a.Entry == nil || a.Entry.ID != b.Entry.ID {
		t.Fatalf("entry ids differ for the same changes: %+v %+v", a.Entry, b.Entry)
	}
	if a.Entry.Action != "Sync (valid: scope web-ui)" {
		t.Errorf("action %q", a.Entry.Action)
	}
	for _, want := range []string{"removed `needs triage`", "Board: Needs triage → Assessed.", updateLine, "**Next:** Step 6"} {
		if !strings.Contains(a.Entry.Body, want) {
			t.Errorf("entry body lacks %q:\n%s", want, a.Entry.Body)
		}
	}
	p.Now = p.Now.AddDate(0, 0, 1)
	if c := run(t, p, tracker([]string{"needs triage", "web-ui"})); c.Entry.ID == a.Entry.ID {
		t.Errorf("the same change on another day reuses the entry id %s", a.Entry.ID)
	}
}

func TestPlannerOrdersActionsAndDependencies(t *testing.T) {
	p, _ := testPass(t, nil)
	tr := tracker([]string{"needs triage", "web-ui"})
	o := run(t, p, tr)
	b := &planner{PlanBuilder: lifecycle.NewPlan("sync", ApplyTool, "bot", now), pass: p}
	ids := b.tracker(tr, o)
	var kinds []lifecycle.ActionKind
	for _, a := range b.Plan.Actions {
		kinds = append(kinds, a.Kind)
	}
	want := []lifecycle.ActionKind{lifecycle.ActEditLabels, lifecycle.ActMoveBoard, lifecycle.ActCreateDraft, lifecycle.ActRollupEntry}
	if !slices.Equal(kinds, want) || len(ids) != 4 {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if v, ok := b.Plan.Versions[tr.Issue.Repo+"#4"]; !ok || v != "v1" {
		t.Errorf("the plan did not record the tracker's version: %v", b.Plan.Versions)
	}
	acts := b.Plan.Actions
	if !slices.Equal(acts[1].DependsOn, []string{"a1"}) || !slices.Equal(acts[2].DependsOn, []string{"a1"}) || !slices.Equal(acts[3].DependsOn, []string{"a1", "a2", "a3"}) {
		t.Errorf("dependencies %v %v %v", acts[1].DependsOn, acts[2].DependsOn, acts[3].DependsOn)
	}
	if acts[2].Audience != lifecycle.AudienceReporter {
		t.Errorf("the draft's audience is %s", acts[2].Audience)
	}
	if body := acts[3].Comment.Entry.Body; !strings.Contains(body, "{{a3.draft_id}}") || strings.Contains(body, draftPlaceholder) {
		t.Errorf("the entry does not cite the draft action: %s", body)
	}
	if acts[0].Labels.Add != nil || !slices.Equal(acts[0].Labels.Remove, []string{"needs triage"}) {
		t.Errorf("label edit %+v", acts[0].Labels)
	}
}

func TestPreflight(t *testing.T) {
	cfg, err := projects.Load("../../projects/example")
	if err != nil {
		t.Fatal(err)
	}
	bot := lifecycle.Comment{Author: "mara", Body: lifecycle.RollupMarker("") + "\n…", CreatedAt: now.AddDate(0, 0, -20)}
	human := lifecycle.Comment{Author: "lena", Body: "looks fine", CreatedAt: now.AddDate(0, 0, -20)}
	tests := []struct {
		name    string
		labels  []string
		updated int // days ago
		last    lifecycle.Comment
		skip    bool
		reason  string
	}{
		{"recent human activity", []string{"cve allocated", "pr merged"}, 2, lifecycle.Comment{Author: "lena", CreatedAt: now.AddDate(0, 0, -2)}, false, "recent human activity"},
		{"awaiting the release", []string{"cve allocated", "pr merged"}, 20, bot, true, "awaiting the release"},
		{"awaiting closure", []string{"cve allocated", "pr merged", "announced"}, 20, bot, true, "awaiting closure"},
		{"fix released, awaiting propagation", []string{"cve allocated", "fix released"}, 20, bot, true, "advisory propagation"},
		{"bot app comment counts as bot", []string{"cve allocated", "pr merged"}, 20, lifecycle.Comment{Author: "dependabot[bot]", CreatedAt: now.AddDate(0, 0, -20)}, true, "awaiting the release"},
		{"human last comment: dispatch", []string{"cve allocated", "pr merged"}, 20, human, false, "dispatch"},
		{"triage step: dispatch", []string{"needs triage"}, 20, bot, false, "dispatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := lifecycle.Issue{Number: 9, State: "open", Labels: tc.labels, UpdatedAt: now.AddDate(0, 0, -tc.updated)}
			skip, why := Preflight(is, []lifecycle.Comment{human, tc.last}, cfg.Labels, now)
			if skip != tc.skip || !strings.Contains(why, tc.reason) {
				t.Errorf("skip %v %q, want %v %q", skip, why, tc.skip, tc.reason)
			}
		})
	}
}

func TestDecisionsAreValidated(t *testing.T) {
	trs := []*Tracker{tracker([]string{"needs triage"})}
	tests := []struct {
		name string
		ds   []Decision
		want string
	}{
		{"unknown scope", []Decision{{Tracker: 4, Scope: "kernel"}}, "not a scope label"},
		{"tracker outside the pass", []Decision{{Tracker: 7, Scope: "server"}}, "not in this pass"},
		{"two decisions", []Decision{{Tracker: 4, Scope: "server"}, {Tracker: 4, SkipReporterUpdate: true}}, "two decisions"},
		{"empty decision", []Decision{{Tracker: 4}}, "decides nothing"},
		{"no tracker", []Decision{{Scope: "server"}}, "no tracker number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := testPass(t, nil)
			if err := p.checkDecisions(tc.ds, trs); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	p, _ := testPass(t, nil)
	if err := p.checkDecisions([]Decision{{Tracker: 4, Scope: "Web-UI"}}, trs); err != nil || p.Decisions[4].Scope != "web-ui" {
		t.Errorf("a scope in another case is not normalised: %v %+v", err, p.Decisions)
	}
}

func TestRollupIntegrityStopsTheTracker(t *testing.T) {
	p, _ := testPass(t, nil)
	tr := tracker([]string{"needs triage", "web-ui"})
	tr.RollupProblem = "2 status-rollup comments: keep one"
	o := run(t, p, tr)
	if !o.Stop || len(o.Changes) != 0 || len(o.Blockers) != 1 {
		t.Errorf("outcome %+v", o)
	}
	// readRollup: a rollup by someone outside the team is not a record.
	p.Team = map[string]bool{"mara": true}
	tr = tracker(nil, comment("outsider", 1, lifecycle.RollupMarker("")+"\n<details><summary>2026-11-20 · @x · Sync (valid: scope web-ui)</summary>\n\nx\n\n</details>"))
	p.readRollup(tr)
	if tr.RollupProblem == "" || tr.Rollup != nil {
		t.Errorf("an outsider's rollup was trusted: %+v", tr)
	}
}
