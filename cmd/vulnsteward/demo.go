package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/skills/intake"
	"github.com/vulnsteward/vulnsteward/tools"
)

// runDemo builds a fresh local workspace from the example project's seed and
// walks the lifecycle as far as the skills exist, calling the real tools through
// an in-process MCP client. It needs no account, token or network.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	s.register(fs, ".vulnsteward/demo")
	seedOnly := fs.Bool("seed-only", false, "build and seed the workspace, then stop (for scripts and tests)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	// The demo rebuilds its workspace from scratch, so it never takes the
	// workspace from the environment (that is where a real one is named).
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "workspace" })
	if !explicit {
		s.workspace = ".vulnsteward/demo"
	}
	s.backend, s.mail, s.mailbox, s.stateDir, s.noInit = "local", "maildir", "", "", true
	seed, err := local.LoadSeed(filepath.Join(s.project, "seed", "workspace.toml"))
	if err != nil {
		return fmt.Errorf("loading the demo seed (run from the repository root, or pass --project with the example project): %w", err)
	}
	if err := resetWorkspace(s.workspace); err != nil {
		return err
	}
	if err := local.SeedMaildir(filepath.Join(s.project, "seed", "mail"), filepath.Join(s.workspace, "mailbox")); err != nil {
		return fmt.Errorf("seeding the demo mailbox: %w", err)
	}
	if s.logFile == "" {
		s.logFile = filepath.Join(s.workspace, "vulnsteward.log")
	}
	sec, err := secretsFromEnv()
	if err != nil {
		return err
	}
	logger, closeLog, err := newLogger(s, stderr, sec)
	if err != nil {
		return err
	}
	defer closeLog()
	// The demo's clock starts at the seed's reference time, so its plans are reproducible.
	start := time.Now()
	ref := seed.ReferenceTime
	clock := func() time.Time { return ref.Add(time.Since(start)) }
	a, err := build(ctx, s, logger, sec, clock)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.ws.ApplySeed(ctx, seed); err != nil {
		return fmt.Errorf("seeding the demo tracker: %w", err)
	}
	if *seedOnly {
		fmt.Fprintf(stdout, "seeded demo workspace %s (reference time %s)\n", s.workspace, ref.UTC().Format(time.RFC3339))
		return nil
	}
	cl, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	d := &demo{w: stdout, cl: cl, now: ref.UTC().Format(time.RFC3339), logger: logger}
	return d.walk(ctx, s, a)
}

// demoSentinel marks a directory the demo built; only such a directory (or an
// empty one) is ever deleted.
const demoSentinel = ".vulnsteward-demo"

// resetWorkspace removes a previous demo workspace, refusing to delete any
// directory the demo did not build (a real workspace has its audit log,
// journals and confirmation key).
func resetWorkspace(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading %s: %w", dir, err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoSentinel)); err != nil {
			return fmt.Errorf("%s is not empty and was not built by `vulnsteward demo`: refusing to delete it; pass --workspace with a new directory", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("removing the old demo workspace: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the demo workspace: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, demoSentinel), []byte("built by vulnsteward demo; deleted and rebuilt by the next demo run\n"), 0o600)
}

type demo struct {
	w      io.Writer
	cl     *inProcess
	now    string
	logger *slog.Logger
	step   int
}

func (d *demo) section(title string) {
	d.step++
	fmt.Fprintf(d.w, "\n== %d. %s\n", d.step, title)
}

func (d *demo) printf(format string, a ...any) { fmt.Fprintf(d.w, format, a...) }

func (d *demo) walk(ctx context.Context, s settings, a *app) error {
	d.printf("vulnsteward demo: project %q on the local backend (workspace %s)\n", a.deps.Config.Project.Name, s.workspace)
	d.printf("Every step below is a real MCP tool call through an in-process client; nothing leaves this machine.\n")

	d.section("The tools an agent sees (tools/list)")
	lt, err := d.cl.c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(lt)
	for _, t := range lt.Tools {
		ro := t.Annotations.ReadOnlyHint != nil && *t.Annotations.ReadOnlyHint
		mode := "write (needs a confirmation token)"
		if ro {
			mode = "read-only"
		}
		d.printf("  %-16s %s\n", t.Name, mode)
	}
	d.printf("  (%d tools, %d bytes of tools/list)\n", len(lt.Tools), len(raw))

	d.section("The tracker before import (tracker_list)")
	if err := d.trackerList(ctx); err != nil {
		return err
	}

	d.section("Import: the server lists the security list and suggests a class per thread (import_propose)")
	var first tools.ImportProposeOut
	if _, err := d.cl.call(ctx, "import_propose", map[string]any{"now": d.now}, &first); err != nil {
		return err
	}
	d.printProposal(first, false)

	d.section("The agent's judgement: confirm the suggested class of every non-report candidate")
	var decisions []map[string]any
	for _, c := range first.Candidates {
		if c.Disposition == intake.DispNeedsDecision {
			decisions = append(decisions, map[string]any{"thread": c.ThreadID, "class": c.Suggested})
			d.printf("  %s %-28s class %s (confirmed by the agent)\n", c.Item, trunc(c.Subject.Text, 28), c.Suggested)
		}
	}
	var plan tools.ImportProposeOut
	if _, err := d.cl.call(ctx, "import_propose", map[string]any{"now": d.now, "decisions": decisions}, &plan); err != nil {
		return err
	}
	d.printProposal(plan, true)

	d.section("A human approves; the agent applies the plan with its token (import_apply)")
	var applied tools.ApplyOut
	if _, err := d.cl.call(ctx, "import_apply", map[string]any{"confirmation_token": plan.Plan.Token}, &applied); err != nil {
		return err
	}
	d.printApply(applied)

	d.section("Run the same apply again: refused, nothing written twice")
	_, err = d.cl.call(ctx, "import_apply", map[string]any{"confirmation_token": plan.Plan.Token}, nil)
	d.printRefusal(err)

	d.section("A forged token is refused with no write")
	forged := plan.Plan.Token[:len(plan.Plan.Token)-4] + "AAAA"
	_, err = d.cl.call(ctx, "import_apply", map[string]any{"confirmation_token": forged}, nil)
	d.printRefusal(err)

	d.section("The tracker after import (tracker_list)")
	if err := d.trackerList(ctx); err != nil {
		return err
	}

	d.section("Drafts written beside the mailbox (never sent)")
	drafts, _ := filepath.Glob(filepath.Join(s.workspace, "drafts", "*"))
	sort.Strings(drafts)
	for _, f := range drafts {
		d.printf("  %s\n", f)
	}

	d.section("Import again: nothing is planned twice")
	var again tools.ImportProposeOut
	if _, err := d.cl.call(ctx, "import_propose", map[string]any{"now": d.now}, &again); err != nil {
		return err
	}
	d.printf("  %d actions planned; %d threads skipped\n", len(again.Plan.Actions), len(again.Skipped))
	for _, sk := range again.Skipped {
		d.printf("  skipped %-40s %s\n", trunc(sk.Subject.Text, 40), sk.Reason)
	}
	for _, c := range again.Candidates {
		d.printf("  %-4s %-40s %s\n", c.Disposition, trunc(c.Subject.Text, 40), trunc(c.Reason, 90))
	}
	if err := d.triageHalf(ctx, s, a); err != nil {
		return err
	}
	d.printf("\nDone. Connect an MCP client to this workspace with:\n  go run ./cmd/vulnsteward stdio --workspace %s --project %s\n", s.workspace, s.project)
	return nil
}

func (d *demo) trackerList(ctx context.Context) error {
	var tl tools.TrackerListOut
	if _, err := d.cl.call(ctx, "tracker_list", map[string]any{"now": d.now}, &tl); err != nil {
		return err
	}
	for _, t := range tl.Trackers {
		d.printf("  #%-3d step %-2d %-22s %-40s next: %s\n", t.Number, t.Step, t.Owner, trunc(t.Title.Text, 40), t.NextAction)
	}
	return nil
}

// printProposal prints a proposal; with onlyAgent, only the candidates whose
// class the agent decided (the rest was printed before).
func (d *demo) printProposal(p tools.ImportProposeOut, onlyAgent bool) {
	d.printf("  window %s: %d candidates, %d skipped\n", p.Window, len(p.Candidates), len(p.Skipped))
	for _, c := range p.Candidates {
		if onlyAgent && c.ClassBy != "agent" {
			continue
		}
		d.printf("\n  %s  %q\n      from %s, %d message(s)\n      suggested %s", c.Item, trunc(c.Subject.Text, 70), c.From.Text, c.Messages, c.Suggested)
		if c.ClassBy == "agent" {
			d.printf("; class %s (agent)", c.Class)
		}
		d.printf("\n")
		for _, sig := range c.Signals {
			d.printf("      signal: %s\n", trunc(sig, 100))
		}
		for _, f := range c.Injection {
			d.printf("      INJECTION FLAG: %s\n", f)
		}
		d.printf("      => %s: %s\n", c.Disposition, c.Reason)
		if c.Tracker != nil {
			d.printf("      tracker: %q labels %s column %q\n", trunc(c.Tracker.Title.Text, 70), strings.Join(c.Tracker.Labels, ", "), c.Tracker.Column)
			d.printf("      affected versions %q, credit %q (%s)\n", c.Tracker.AffectedVersions, c.Tracker.Credit, c.Tracker.CreditRule)
		}
		for _, k := range slices.Sorted(maps.Keys(c.Observed)) {
			d.printf("      observed %s: %s\n", k, c.Observed[k])
		}
		if c.Draft != nil {
			d.printf("      draft to %s, cc %s, subject %q (%s)\n", c.Draft.To, strings.Join(c.Draft.Cc, ", "), c.Draft.Subject, c.Draft.Canned)
		}
	}
	for _, sk := range p.Skipped {
		if !onlyAgent {
			d.printf("\n  skipped %q: %s\n", trunc(sk.Subject.Text, 60), sk.Reason)
		}
	}
	for _, n := range p.Notes {
		d.printf("  note: %s\n", n)
	}
	d.printf("\n  plan %s: %d actions\n", p.Plan.ProposalID, len(p.Plan.Actions))
	for _, a := range p.Plan.Actions {
		d.printf("    %-4s %-4s [%s] %s\n", a.ID, a.Item, a.Audience, a.Summary)
	}
}

func (d *demo) printApply(r tools.ApplyOut) {
	for _, res := range r.Results {
		extra := ""
		switch {
		case res.URL != "":
			extra = " " + res.URL
		case res.DraftID != "":
			extra = " draft " + res.DraftID
		}
		d.printf("    %-4s %-12s %s%s\n", res.ID, res.Status, trunc(res.Summary, 80), extra)
	}
	d.printf("  complete: %v; %s\n", r.Complete, r.Next)
}

func (d *demo) printRefusal(err error) {
	var te *toolError
	if errors.As(err, &te) {
		d.printf("  refused: %s\n", te.text)
		return
	}
	if err != nil {
		d.printf("  error: %v\n", err)
		return
	}
	d.printf("  UNEXPECTED: the call was accepted\n")
}

func trunc(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// triageHalf walks the rest of the intake half on fresh trackers: more mail
// arrives, triage starts a discussion, sync lands a consensus, a report is
// invalidated, a second report is merged into the first, and a stalled
// discussion is escalated.
func (d *demo) triageHalf(ctx context.Context, s settings, a *app) error {
	d.section("More mail arrives: two new reports, imported by default")
	if err := local.SeedMaildir(filepath.Join(s.project, "demo"), filepath.Join(s.workspace, "mailbox")); err != nil {
		return fmt.Errorf("delivering the later demo mail: %w", err)
	}
	if _, err := d.proposeApply(ctx, "import", map[string]any{"now": d.now}); err != nil {
		return err
	}
	d.section("The team reviews the drafts and sends them (here: moved into the mailbox as sent mail)")
	sent, err := sendDrafts(s.workspace)
	if err != nil {
		return err
	}
	d.printf("  %d drafts sent by a human; vulnsteward itself never sends\n", sent)

	traversal, err := d.trackerNumber(ctx, "Path traversal in artifact download")
	if err != nil {
		return err
	}
	selfXSS, err := d.trackerNumber(ctx, "XSS in my own profile")
	if err != nil {
		return err
	}
	dup, err := d.trackerNumber(ctx, "file read via")
	if err != nil {
		return err
	}

	d.section(fmt.Sprintf("Triage #%d: the server gathers; the agent judges; one proposal comment (triage_propose)", traversal))
	var bundle tools.TriageProposeOut
	if _, err := d.cl.call(ctx, "triage_propose", map[string]any{"now": d.now, "numbers": []int{traversal}}, &bundle); err != nil {
		return err
	}
	d.printf("  gathered %d tracker(s), %d security-model sections, %d roster members; no plan until the agent judges\n",
		len(bundle.Trackers), len(bundle.SecurityModel), len(bundle.Roster))
	judgement := map[string]any{
		"number":        traversal,
		"class":         "VALID",
		"summary":       "The artifact download handler joins the requested name to the artifact directory without confining it, so any authenticated user reads files outside their project, including the server configuration and its signing key.",
		"model_section": "Authenticated users",
		"model_quote":   "Authenticated users are trusted to act within the permissions of their projects, and nothing more. A user who can read or change another project's data, act with another user's permissions, or reach the host through the server is a vulnerability.",
		"fix_shape":     "Reject names whose cleaned path leaves the artifact directory (filepath.Rel check) in the download handler.",
		"question":      "Do you agree this is valid for the server scope, and should it share a fix with the remote-import path checks?",
		"severity":      "High-ish",
	}
	if _, err := d.proposeApply(ctx, "triage", map[string]any{"now": d.now, "numbers": []int{traversal}, "judgements": []any{judgement}}); err != nil {
		return err
	}

	d.section(fmt.Sprintf("Consensus on #%d: a team member sets the scope label; sync lands it (sync_propose)", traversal))
	d.printf("  (the team agrees in the tracker; a member adds the label \"server\" by hand)\n")
	if _, err := a.deps.Backend.Tracker.EditLabels(ctx, traversal, []string{"server"}, nil); err != nil {
		return err
	}
	if _, err := d.proposeApply(ctx, "sync", map[string]any{"now": d.now, "numbers": []int{traversal}}); err != nil {
		return err
	}

	d.section(fmt.Sprintf("Invalidate #%d: self-XSS is out of scope per the security model (invalidate_propose)", selfXSS))
	if _, err := d.proposeApply(ctx, "invalidate", map[string]any{"now": d.now, "number": selfXSS, "disposition": "invalid",
		"canned": "Self-XSS triggered by authenticated users",
		"reason": "The script only runs in the reporter's own session; the display name is shown to nobody else."}); err != nil {
		return err
	}

	d.section(fmt.Sprintf("Deduplicate #%d into #%d: an independent report of the same path traversal (deduplicate_propose)", dup, traversal))
	if _, err := d.proposeApply(ctx, "deduplicate", map[string]any{"now": d.now, "keep": traversal, "drop": dup,
		"analysis": "Both reports describe the same missing confinement of the artifact name in the download handler, reached with an encoded slash by any authenticated user; the second reporter found it independently."}); err != nil {
		return err
	}

	d.section("Escalate #2: no team comment for 40 days (escalate_propose, phase 1)")
	if _, err := d.proposeApply(ctx, "escalate", map[string]any{"now": d.now, "numbers": []int{2}}); err != nil {
		return err
	}

	d.section("The board at the end (tracker_list)")
	return d.trackerList(ctx)
}

// proposeApply calls <skill>_propose, prints the plan, applies it with its
// token (as an agent does once the human approved), and prints the results.
func (d *demo) proposeApply(ctx context.Context, skill string, args map[string]any) (tools.ApplyOut, error) {
	var p struct {
		Plan  tools.PlanView `json:"plan"`
		Notes []string       `json:"notes"`
	}
	if _, err := d.cl.call(ctx, skill+"_propose", args, &p); err != nil {
		return tools.ApplyOut{}, fmt.Errorf("%s_propose: %w", skill, err)
	}
	for _, n := range p.Notes {
		d.printf("  note: %s\n", trunc(n, 150))
	}
	d.printf("  plan %s: %d actions\n", p.Plan.ProposalID, len(p.Plan.Actions))
	for _, act := range p.Plan.Actions {
		d.printf("    %-4s [%s] %s\n", act.ID, act.Audience, trunc(act.Summary, 110))
	}
	if p.Plan.Token == "" {
		return tools.ApplyOut{}, nil
	}
	var res tools.ApplyOut
	if _, err := d.cl.call(ctx, skill+"_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res); err != nil {
		return res, fmt.Errorf("%s_apply: %w", skill, err)
	}
	d.printf("  applied:\n")
	d.printApply(res)
	return res, nil
}

// trackerNumber finds an open tracker by a piece of its title.
func (d *demo) trackerNumber(ctx context.Context, titlePart string) (int, error) {
	var tl tools.TrackerListOut
	if _, err := d.cl.call(ctx, "tracker_list", map[string]any{"now": d.now}, &tl); err != nil {
		return 0, err
	}
	for _, t := range tl.Trackers {
		if strings.Contains(strings.ToLower(t.Title.Text), strings.ToLower(titlePart)) {
			return t.Number, nil
		}
	}
	return 0, fmt.Errorf("demo: no open tracker titled like %q", titlePart)
}

// sendDrafts plays the human who reviews the drafts and sends them: each draft
// file becomes a sent message of its thread in the Maildir.
func sendDrafts(workspace string) (int, error) {
	drafts, err := filepath.Glob(filepath.Join(workspace, "drafts", "*.eml"))
	if err != nil {
		return 0, err
	}
	cur := filepath.Join(workspace, "mailbox", "cur")
	if err := os.MkdirAll(cur, 0o700); err != nil {
		return 0, err
	}
	for _, f := range drafts {
		if err := os.Rename(f, filepath.Join(cur, strings.TrimSuffix(filepath.Base(f), ".eml")+":2,S")); err != nil {
			return 0, fmt.Errorf("sending draft %s: %w", f, err)
		}
	}
	return len(drafts), nil
}
