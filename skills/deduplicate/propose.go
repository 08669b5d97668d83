package deduplicate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/intake"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// ApplyTool is the tool that executes a merge plan.
const ApplyTool = "deduplicate_apply"

// Deps is what the skill reads. It never writes: lifecycle.Executor applies the plan.
type Deps struct {
	Config   *projects.Config
	Backend  lifecycle.Backend
	Operator string // GitHub handle written in the rollup entries
}

// Input names the two trackers and carries the agent's judgements.
type Input struct {
	Keep, Drop       int
	Analysis         string
	Headline         string
	PublicSummary    string
	AffectedVersions string
	Now              time.Time
}

// TrackerView is a tracker as the proposal shows it.
type TrackerView struct {
	Number int            `json:"number"`
	URL    string         `json:"url"`
	Title  untrusted.Text `json:"title"`
	Labels []string       `json:"labels"`
	CVE    string         `json:"cve,omitempty"`
}

// FieldView is one field of the kept tracker after the merge. Values hold
// reporter text, so they are fenced as untrusted.
type FieldView struct {
	Field     string          `json:"field"`
	Changed   bool            `json:"changed"`
	Rule      string          `json:"rule"`
	DecidedBy string          `json:"decided_by"`
	Value     *untrusted.Text `json:"value,omitempty" jsonschema:"the merged value in full, when it changes"`
}

// Proposal is what deduplicate_propose returns (the plan is saved by the caller).
type Proposal struct {
	Plan          *lifecycle.Plan `json:"-"`
	Kept          TrackerView     `json:"kept"`
	Dropped       TrackerView     `json:"dropped"`
	Fields        []FieldView     `json:"fields"`
	CarriedKeys   []string        `json:"carried_intake_keys,omitempty"`
	RollupKept    string          `json:"rollup_entry_kept"`
	RollupDropped string          `json:"rollup_entry_dropped"`
	NextActions   []string        `json:"next_actions"`
	Injection     []string        `json:"injection_flags,omitempty"`
	Notes         []string        `json:"notes,omitempty"`
}

// Propose checks the preconditions, merges the fields and plans the merge.
func Propose(ctx context.Context, d Deps, in Input) (*Proposal, error) {
	cfg := d.Config
	t := d.Backend.Tracker
	if in.Keep <= 0 || in.Drop <= 0 {
		return nil, errors.New("keep and drop must both be tracker issue numbers (1 or more): keep is the tracker that stays, drop the one closed as duplicate")
	}
	if in.Keep == in.Drop {
		return nil, fmt.Errorf("keep and drop are the same tracker (#%d): name two trackers", in.Keep)
	}
	if strings.TrimSpace(in.Analysis) == "" {
		return nil, errors.New("give `analysis`: one paragraph on why both reports share the root cause (same function, file, fix) and how their attack vectors differ")
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	get := func(role string, n int) (lifecycle.Issue, error) {
		is, err := t.GetIssue(ctx, n)
		if errors.Is(err, lifecycle.ErrNotFound) {
			return is, fmt.Errorf("the %s tracker %s#%d does not exist; tracker_list shows the open trackers", role, t.Repo(), n)
		}
		if err != nil {
			return is, fmt.Errorf("reading %s#%d (check the token and repository): %w", t.Repo(), n, err)
		}
		return is, nil
	}
	ki, err := get("kept", in.Keep)
	if err != nil {
		return nil, err
	}
	di, err := get("dropped", in.Drop)
	if err != nil {
		return nil, err
	}
	kept, err := NewSide(ki)
	if err != nil {
		return nil, err
	}
	dropped, err := NewSide(di)
	if err != nil {
		return nil, err
	}
	states := map[string]string{}
	for _, s := range []Side{kept, dropped} {
		if cve := s.CVE(); cve != "" {
			states[cve] = lifecycle.CVEState(ctx, d.Backend.CNA, cve)
		}
	}
	if err := CheckPreconditions(cfg, kept, dropped, states); err != nil {
		return nil, err
	}
	merged, err := Merge(kept, dropped, MergeInput{Analysis: in.Analysis, Headline: in.Headline, PublicSummary: in.PublicSummary,
		AffectedVersions: in.AffectedVersions, Now: now, IsBot: func(s string) bool { ok, _ := intake.IsBot(s); return ok }})
	if err != nil {
		return nil, err
	}
	carried := carriedKeys(ki.Body, di.Body)
	if err := simulate(ki, merged, carried); err != nil {
		return nil, err
	}
	if err := lifecycle.RequireLabel(ctx, t, cfg.Labels.Duplicate); err != nil {
		return nil, err
	}
	team, err := lifecycle.Team(ctx, t)
	if err != nil {
		return nil, err
	}

	pb := lifecycle.NewPlan("deduplicate", ApplyTool, d.Operator, now)
	kref, dref := pb.Saw(ki), pb.Saw(di)
	p := &Proposal{Plan: pb.Plan, Kept: view(kept), Dropped: view(dropped), Notes: merged.Notes}
	var legacy []string
	for _, is := range []lifecycle.Issue{ki, di} {
		flags, n, err := injectionFlags(ctx, t, is, team)
		if err != nil {
			return nil, err
		}
		p.Injection = append(p.Injection, flags...)
		if n > 0 {
			legacy = append(legacy, fmt.Sprintf("#%d has %d", is.Number, n))
		}
	}
	item := fmt.Sprintf("#%d←#%d", ki.Number, di.Number)
	pb.Decide(item, "kept tracker", fmt.Sprint(ki.Number), "agent", "")
	pb.Decide(item, "dropped tracker", fmt.Sprint(di.Number), "agent", "")
	pb.Decide(item, "merge analysis", "see the description's second-report block", "agent", "")

	// 1. The kept body, field by field (the load-bearing step).
	var bodyActions []string
	for _, c := range merged.Changes {
		fv := FieldView{Field: c.Field, Changed: c.Changed, Rule: c.Rule, DecidedBy: c.DecidedBy}
		if c.Changed {
			v := untrusted.Wrap("merged field value (contains reporter text)", c.After)
			fv.Value = &v
			if c.DecidedBy == "agent" && c.Field != lifecycle.FieldDescription {
				pb.Decide(item, c.Field, c.After, "agent", "")
			}
			bodyActions = append(bodyActions, pb.Add(lifecycle.Action{Kind: lifecycle.ActSetBodyField, Audience: lifecycle.AudienceTracker, Item: item, Target: kref,
				Summary: fmt.Sprintf("on #%d, set %q: %s", ki.Number, c.Field, c.Rule), Field: &lifecycle.FieldSpec{Name: c.Field, Value: c.After}}))
		}
		p.Fields = append(p.Fields, fv)
	}
	// 2. The dropped thread stays "already imported": its intake key goes to the kept preamble.
	for _, m := range carried {
		mm := m
		p.CarriedKeys = append(p.CarriedKeys, m.Key)
		bodyActions = append(bodyActions, pb.Add(lifecycle.Action{Kind: lifecycle.ActAddIntakeKey, Audience: lifecycle.AudienceTracker, Item: item, Target: kref,
			Summary: fmt.Sprintf("on #%d, add the intake key %s of #%d (its thread stays already imported)", ki.Number, m.Key, di.Number), Intake: &mm}))
	}

	// 3–4. The rollup entries, kept side first (the dropped one links it).
	day := now.UTC().Format("2006-01-02")
	keptCVE := kept.CVE()
	p.NextActions = nextActions(cfg, kept, dropped, merged, keptCVE)
	keptEntry := lifecycle.RollupEntry{Date: day, Handle: d.Operator, Action: fmt.Sprintf("Merge (kept) (from #%d)", di.Number), ID: fmt.Sprintf("merge-%d-from-%d", ki.Number, di.Number),
		Body: keptBody(cfg, kept, dropped, merged, in, carried, day, keptCVE, p.NextActions)}
	p.RollupKept = keptEntry.Render()
	keptRollup := pb.Add(lifecycle.Action{Kind: lifecycle.ActRollupEntry, Audience: lifecycle.AudienceTracker, Item: item, Target: kref, DependsOn: bodyActions,
		Summary: fmt.Sprintf("append %q to the status rollup of #%d", keptEntry.Action, ki.Number), Comment: &lifecycle.CommentSpec{Entry: &keptEntry}})
	droppedEntry := lifecycle.RollupEntry{Date: day, Handle: d.Operator, Action: fmt.Sprintf("Merge (dropped) (into #%d)", ki.Number), ID: fmt.Sprintf("merge-%d-into-%d", di.Number, ki.Number),
		Body: droppedBody(cfg, kept, dropped, merged, in, carried, day, "{{"+keptRollup+".url}}")}
	p.RollupDropped = droppedEntry.Render()
	droppedRollup := pb.Add(lifecycle.Action{Kind: lifecycle.ActRollupEntry, Audience: lifecycle.AudienceTracker, Item: item, Target: dref, DependsOn: []string{keptRollup},
		Summary: fmt.Sprintf("append %q to the status rollup of #%d, linking the kept-side entry", droppedEntry.Action, di.Number), Comment: &lifecycle.CommentSpec{Entry: &droppedEntry}})

	// 5–7. The dropped tracker: `duplicate`, closed as not planned, archived.
	labels := pb.Add(lifecycle.Action{Kind: lifecycle.ActEditLabels, Audience: lifecycle.AudienceTracker, Item: item, Target: dref, DependsOn: []string{droppedRollup},
		Summary: fmt.Sprintf("add %q to #%d", cfg.Labels.Duplicate, di.Number), Labels: &lifecycle.LabelSpec{Add: []string{cfg.Labels.Duplicate}}})
	closeID := pb.Add(lifecycle.Action{Kind: lifecycle.ActCloseIssue, Audience: lifecycle.AudienceTracker, Item: item, Target: dref, DependsOn: []string{labels},
		Summary: fmt.Sprintf("close #%d as not planned (duplicate of #%d)", di.Number, ki.Number), Close: &lifecycle.CloseSpec{Reason: "not_planned"}})
	if onBoard(ctx, t, cfg, di.Number) {
		pb.Add(lifecycle.Action{Kind: lifecycle.ActArchiveBoard, Audience: lifecycle.AudienceTracker, Item: item, Target: dref, DependsOn: []string{closeID},
			Summary: fmt.Sprintf("archive the board item of #%d (a terminal item; it stays searchable)", di.Number)})
	}
	pb.Audit("deduplicate", map[string]string{"kept": fmt.Sprint(ki.Number), "dropped": fmt.Sprint(di.Number)})
	if len(legacy) > 0 {
		// No skill folds legacy status comments into the rollup (sync has no
		// such rule): say so rather than promise it.
		p.Notes = append(p.Notes, fmt.Sprintf("legacy status comments from before the rollup (%s) stay as they are: neither this merge nor sync folds them into the rollup; fold them by hand if the team wants one record", strings.Join(legacy, ", ")))
	}
	pb.Plan.Notes = p.Notes
	return p, nil
}

func view(s Side) TrackerView {
	title, _ := untrusted.Clean(s.Issue.Title)
	return TrackerView{Number: s.Issue.Number, URL: s.Issue.URL, Title: untrusted.Wrap("tracker title", title), Labels: s.Issue.Labels, CVE: s.CVE()}
}

// carriedKeys are the dropped tracker's intake blocks the kept one lacks.
func carriedKeys(keptBody, droppedBody string) []lifecycle.IntakeMeta {
	var out []lifecycle.IntakeMeta
	for _, m := range lifecycle.ParseIntakeMetas(droppedBody) {
		if !lifecycle.BodyHasIntakeKey(keptBody, m.Key) {
			out = append(out, m)
		}
	}
	return out
}

// simulate applies the merge to a copy of the kept body, so a value that would
// break the body's field structure is refused now, not at apply.
func simulate(kept lifecycle.Issue, m Merged, carried []lifecycle.IntakeMeta) error {
	b := lifecycle.ParseBody(kept.Body)
	for _, c := range m.Changes {
		if !c.Changed {
			continue
		}
		if _, err := b.Set(c.Field, c.After); err != nil {
			switch {
			case errors.Is(err, lifecycle.ErrFieldMissing):
				return &Blocker{fmt.Sprintf("the kept tracker %s has no %q heading (a legacy body): add the heading by hand, then propose again", ref(kept), c.Field)}
			case errors.Is(err, lifecycle.ErrUnsafeValue):
				return &Blocker{fmt.Sprintf("the merged %q would change the kept body's field structure (an unclosed code fence or a heading line in a report): fix the text on the tracker by hand, then propose again", c.Field)}
			}
			return fmt.Errorf("merging %q into %s: %w", c.Field, ref(kept), err)
		}
	}
	for _, meta := range carried {
		if _, err := b.AddIntakeMeta(meta); err != nil {
			return fmt.Errorf("carrying the intake key %s: %w", meta.Key, err)
		}
	}
	return nil
}

func nextActions(cfg *projects.Config, kept, dropped Side, m Merged, keptCVE string) []string {
	var out []string
	if keptCVE != "" {
		out = append(out, fmt.Sprintf("regenerate the CVE JSON of %s so both finders are credited (release half: cve_record), then push the fields to the CNA tool without a state change", keptCVE))
	}
	if dc := dropped.CVE(); dc != "" && dc != keptCVE {
		out = append(out, fmt.Sprintf("retract %s in the CNA tool (governance-gated): merged into %s per %s", dc, keptCVE, ref(kept.Issue)))
	}
	out = append(out, "confirm the credit preference of both reporters on their own threads (sync drafts the next status update)")
	for _, n := range m.Notes {
		if strings.HasPrefix(n, "credited as tool") {
			out = append(out, "a credit line names a tool: ask the dropped reporter on their thread whether a person should be credited too")
			break
		}
	}
	st := lifecycle.VocabularyFor(cfg).Derive(kept.Issue, nil)
	if st.NextAction != "" && keptCVE == "" {
		out = append(out, fmt.Sprintf("then on %s: %s", ref(kept.Issue), st.NextAction))
	}
	return out
}

func keptBody(cfg *projects.Config, kept, dropped Side, m Merged, in Input, carried []lifecycle.IntakeMeta, day, keptCVE string, next []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Merged %s into this tracker on %s** as a second independent report of the same root cause.\n\n", link(dropped.Issue), day)
	b.WriteString("- Body: the dropped report is appended verbatim under \"Second independent report\", after the merge analysis.\n")
	fmt.Fprintf(&b, "- Credits: **%s** and **%s** (verbatim; the preferred forms are still to be confirmed).\n", oneLine(kept.Reporter()), oneLine(dropped.Reporter()))
	b.WriteString("- Threads: one line per reporter in the Security mailing list thread field.\n")
	for _, k := range carried {
		fmt.Fprintf(&b, "- Intake key `%s` carried over: that thread stays already imported.\n", k.Key)
	}
	if keptCVE != "" {
		fmt.Fprintf(&b, "- CVE: %s stays on this tracker; %s is closed as `%s`.\n", cveLink(cfg, keptCVE), link(dropped.Issue), cfg.Labels.Duplicate)
	} else {
		fmt.Fprintf(&b, "- No CVE yet; %s is closed as `%s`.\n", link(dropped.Issue), cfg.Labels.Duplicate)
	}
	for _, n := range m.Notes {
		b.WriteString("- " + n + "\n")
	}
	b.WriteString("\nField changes:\n")
	for _, c := range m.Changes {
		switch {
		case !c.Changed:
		case c.Field == lifecycle.FieldDescription:
			b.WriteString("- The issue description: second independent report appended.\n")
		case c.Field == lifecycle.FieldThread:
			fmt.Fprintf(&b, "- %s: %d line(s), one per reporter.\n", c.Field, len(nonEmptyLines(c.After)))
		default:
			fmt.Fprintf(&b, "- %s: %s → %s (%s).\n", c.Field, shown(c.Before), shown(c.After), c.Rule)
		}
	}
	fmt.Fprintf(&b, "\nMerge analysis: %s\n\n", oneLine(in.Analysis))
	fmt.Fprintf(&b, "**Next:** %s.\n\n", strings.Join(next, "; "))
	b.WriteString("Reporter notification: none drafted by the merge; each reporter's next status update goes on their own thread (both threads are recorded here).")
	return b.String()
}

func droppedBody(cfg *projects.Config, kept, dropped Side, m Merged, in Input, carried []lifecycle.IntakeMeta, day, keptEntryURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Closing as `%s` of %s on %s.**\n\n", cfg.Labels.Duplicate, link(kept.Issue), day)
	fmt.Fprintf(&b, "This report is merged into %s as the second independent report, with both credits there. All further work continues on %s.\n\n", link(kept.Issue), link(kept.Issue))
	fmt.Fprintf(&b, "Merge analysis: %s\n\n", oneLine(in.Analysis))
	var arts []string
	for _, c := range m.Changes {
		if c.Changed {
			arts = append(arts, c.Field)
		}
	}
	if len(carried) > 0 {
		arts = append(arts, "intake key")
	}
	fmt.Fprintf(&b, "Merged: %s. The report text (PoC, attack chain, any reporter CVSS) stays verbatim in the kept description; the reporter's CVSS is never carried into Severity.\n\n", strings.Join(arts, ", "))
	fmt.Fprintf(&b, "Kept-side entry: %s\n\n", keptEntryURL)
	b.WriteString("Reporter notification: none drafted by the merge; this reporter's next status update goes on their own thread, from the kept tracker.")
	return b.String()
}

// shown is a field value on one line for the rollup: lines joined with "; ",
// in a code span.
func shown(v string) string {
	lines := nonEmptyLines(v)
	if len(lines) == 0 {
		return "_No response_"
	}
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(strings.Trim(l, "`"), "`", "'")
	}
	return "`" + strings.Join(lines, "; ") + "`"
}

func cveLink(cfg *projects.Config, cve string) string {
	if t := cfg.CNA.RecordURLTemplate; t != "" {
		return fmt.Sprintf("[%s](%s)", cve, strings.ReplaceAll(t, "<CVE-ID>", cve))
	}
	return cve
}

func onBoard(ctx context.Context, t lifecycle.Tracker, cfg *projects.Config, n int) bool {
	if !cfg.Board.Enabled {
		return false
	}
	item, err := t.BoardItem(ctx, n)
	if err != nil {
		return !errors.Is(err, lifecycle.ErrUnsupported) && !errors.Is(err, lifecycle.ErrNotFound)
	}
	return item.OnBoard && !item.Archived
}

// injectionFlags flags instructions in a tracker's text, and counts its
// legacy status comments (lifecycle.IsFoldableLegacy).
func injectionFlags(ctx context.Context, t lifecycle.Tracker, is lifecycle.Issue, team map[string]bool) ([]string, int, error) {
	comments, err := t.ListComments(ctx, is.Number)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the comments of #%d: %w", is.Number, err)
	}
	legacy := 0
	for _, c := range comments {
		if _, ok := lifecycle.IsFoldableLegacy(c.Body); ok {
			legacy++
		}
	}
	var out []string
	seen := map[string]bool{}
	add := func(where string, fs []untrusted.Finding) {
		for _, f := range fs {
			if line := where + ": " + f.Reason; !seen[line] {
				seen[line] = true
				out = append(out, line)
			}
		}
	}
	add(fmt.Sprintf("#%d title", is.Number), untrusted.DetectInjection(is.Title))
	add(fmt.Sprintf("#%d body (reporter text)", is.Number), untrusted.DetectInjection(is.Body))
	for _, c := range comments {
		if !team[strings.ToLower(c.Author)] {
			add(fmt.Sprintf("#%d comment %d by @%s (not on the team)", is.Number, c.ID, c.Author), untrusted.DetectInjection(c.Body))
		}
	}
	return out, legacy, nil
}
