package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Verifier checks a confirmation token for a tool and returns the plan it names.
// policy/confirm implements it (wired in tools/).
type Verifier interface {
	VerifyToken(token, tool string) (proposalID, planHash string, err error)
}

// Guard checks text bound for an audience and returns one line per problem.
// policy/scrub implements the public and reporter rules (wired in tools/).
type Guard interface {
	Check(audience Audience, text string) []string
}

// AuditSink records what an apply did. policy/audit implements it.
type AuditSink interface {
	Record(ctx context.Context, ev AuditEvent) error
}

// AuditEvent is one audit record.
type AuditEvent struct {
	Time     time.Time
	Tool     string
	PlanID   string
	ActionID string
	Kind     string
	Target   string
	Audience string
	Status   string
	Summary  string
	Operator string
}

// Executor is the one generic apply engine every skill shares (DESIGN.md §2).
type Executor struct {
	Backend  Backend
	Store    *PlanStore
	Verifier Verifier
	Guard    Guard
	Audit    AuditSink
	// RollupMarker is the marker line written on a new rollup comment.
	RollupMarker string
	// RollupPrefixes are extra rollup marker prefixes recognised on read.
	RollupPrefixes []string
	Logger         *slog.Logger
	Now            func() time.Time
}

// ActionResult is what happened to one action.
type ActionResult struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Summary   string `json:"summary"`
	Status    Status `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Number    int    `json:"number,omitempty"`
	URL       string `json:"url,omitempty"`
	CommentID int64  `json:"comment_id,omitempty"`
	DraftID   string `json:"draft_id,omitempty"`
}

// ApplyResult is what an apply returns.
type ApplyResult struct {
	PlanID   string         `json:"plan_id"`
	Results  []ActionResult `json:"results"`
	Complete bool           `json:"complete"`
	// PulledIn lists actions added to `only` because selected actions depend on them.
	PulledIn []string       `json:"pulled_in,omitempty"`
	Counts   map[Status]int `json:"counts"`
}

// Refusal is an apply refused before any write; its message says what to do.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// ErrAlreadyApplied is returned (inside a Refusal) when every action of the plan already succeeded.
var ErrAlreadyApplied = errors.New("plan already applied")

// PlanFor verifies the token and returns exactly the plan it names, writing nothing.
func (e *Executor) PlanFor(tool, token string) (*Plan, error) {
	if strings.TrimSpace(token) == "" {
		return nil, &Refusal{Reason: "missing confirmation token: call the matching _propose tool, show the plan to the human, and pass the token it returned"}
	}
	planID, planHash, err := e.Verifier.VerifyToken(token, tool)
	if err != nil {
		return nil, &Refusal{Reason: "confirmation token refused: " + err.Error()}
	}
	plan, err := e.Store.Load(planID)
	if err != nil {
		return nil, &Refusal{Reason: fmt.Sprintf("confirmation token refused: %v; propose again", err)}
	}
	if plan.Tool != tool {
		return nil, &Refusal{Reason: fmt.Sprintf("confirmation token refused: plan %s is for %s, not %s", plan.ID, plan.Tool, tool)}
	}
	h, err := plan.Hash()
	if err != nil {
		return nil, err
	}
	if h != planHash {
		return nil, &Refusal{Reason: fmt.Sprintf("confirmation token refused: plan %s changed since it was proposed (stale token); propose again", plan.ID)}
	}
	return plan, nil
}

// Apply verifies the token, loads exactly the proposed plan and executes it.
func (e *Executor) Apply(ctx context.Context, tool, token string, only []string) (*ApplyResult, error) {
	plan, err := e.PlanFor(tool, token)
	if err != nil {
		return nil, err
	}
	unlock, err := e.Store.Lock(plan.ID)
	if err != nil {
		return nil, &Refusal{Reason: err.Error()}
	}
	defer unlock()
	j, err := e.Store.LoadJournal(plan.ID)
	if err != nil {
		return nil, err
	}
	if j.Complete(plan) {
		return nil, &Refusal{Reason: fmt.Sprintf("%v: every action of plan %s is done; nothing was written. Propose again for new work", ErrAlreadyApplied, plan.ID)}
	}
	selected, pulled, err := selectActions(plan, only)
	if err != nil {
		return nil, &Refusal{Reason: err.Error()}
	}
	run := &applyRun{e: e, plan: plan, j: j, stopped: map[string]string{}, checked: map[string]bool{}, uncertain: map[string]bool{}}
	// A target with an action of ours that crashed mid-write or failed may have
	// been written (a lost API response): its version cannot be trusted, and the
	// actions' own idempotent checks decide instead.
	for _, a := range plan.Actions {
		if en, ok := j.Actions[a.ID]; ok && (en.InFlight || en.MaybeWritten) {
			if t, err := run.resolveTarget(a); err == nil {
				run.uncertain[t] = true
			}
		}
	}
	res := &ApplyResult{PlanID: plan.ID, PulledIn: pulled, Counts: map[Status]int{}}
	for _, a := range plan.Actions {
		var r ActionResult
		if !selected[a.ID] {
			r = ActionResult{ID: a.ID, Kind: string(a.Kind), Summary: a.Summary, Status: StatusNotSelected}
			if j.Succeeded(a.ID) {
				r.Status = StatusAlreadyDone
				r.Detail = "done by an earlier apply"
				fillOutput(&r, j.Actions[a.ID].Output)
			}
		} else {
			r = run.one(ctx, a)
		}
		res.Results = append(res.Results, r)
		res.Counts[r.Status]++
	}
	res.Complete = j.Complete(plan)
	return res, nil
}

// selectActions resolves `only` with its transitive dependencies.
func selectActions(p *Plan, only []string) (map[string]bool, []string, error) {
	sel := map[string]bool{}
	if len(only) == 0 {
		for _, a := range p.Actions {
			sel[a.ID] = true
		}
		return sel, nil, nil
	}
	byID := map[string]Action{}
	for _, a := range p.Actions {
		byID[a.ID] = a
	}
	var pulled []string
	var visit func(id string, explicit bool) error
	visit = func(id string, explicit bool) error {
		a, ok := byID[id]
		if !ok {
			return fmt.Errorf("`only` names action %q, which is not in plan %s; valid ids are a1..a%d", id, p.ID, len(p.Actions))
		}
		if sel[id] {
			return nil
		}
		sel[id] = true
		if !explicit {
			pulled = append(pulled, id)
		}
		for _, d := range a.DependsOn {
			if err := visit(d, false); err != nil {
				return err
			}
		}
		return nil
	}
	for _, id := range only {
		if err := visit(strings.TrimSpace(id), true); err != nil {
			return nil, nil, err
		}
	}
	// An id pulled in as a dependency and also named explicitly is not "pulled in".
	pulled = slices.DeleteFunc(pulled, func(id string) bool { return slices.Contains(only, id) })
	slices.Sort(pulled)
	return sel, pulled, nil
}

type applyRun struct {
	e       *Executor
	plan    *Plan
	j       *Journal
	stopped map[string]string // target key → why its remaining actions stop
	checked map[string]bool   // target keys whose version was checked this apply
	// uncertain targets may carry a write of ours that the journal does not know about.
	uncertain map[string]bool
}

func fillOutput(r *ActionResult, o Output) {
	r.Number, r.URL, r.CommentID, r.DraftID = o.Number, o.URL, o.CommentID, o.DraftID
}

func (run *applyRun) one(ctx context.Context, a Action) ActionResult {
	r := ActionResult{ID: a.ID, Kind: string(a.Kind), Summary: a.Summary}
	if run.j.Succeeded(a.ID) {
		r.Status, r.Detail = StatusAlreadyDone, "done by an earlier apply"
		fillOutput(&r, run.j.Actions[a.ID].Output)
		return r
	}
	for _, d := range a.DependsOn {
		if !run.j.Succeeded(d) {
			r.Status, r.Detail = StatusSkipped, fmt.Sprintf("depends on %s, which is not done", d)
			return r
		}
	}
	target, err := run.resolveTarget(a)
	if err != nil {
		return run.finish(ctx, a, r, "", StatusFailed, err.Error(), Output{}, "", false)
	}
	if why, ok := run.stopped[target]; ok {
		r.Status, r.Detail = StatusSkipped, why
		return r
	}
	// Policy for the audience, on the text exactly as it will be written.
	if hits := run.policy(a); len(hits) > 0 {
		run.stopped[target] = fmt.Sprintf("an earlier action on %s was refused by policy", target)
		return run.finish(ctx, a, r, target, StatusRefused, "policy refused text for "+string(a.Audience)+": "+strings.Join(hits, "; "), Output{}, "", false)
	}
	if err := run.checkStale(ctx, a, target); err != nil {
		run.stopped[target] = fmt.Sprintf("target %s is stale", target)
		return run.finish(ctx, a, r, target, StatusStale, err.Error(), Output{}, "", false)
	}
	// Mark in flight before writing: a crash after the write but before the
	// outcome is journaled must not make our own write look like someone else's.
	if err := run.e.Store.Record(run.j, a.ID, JournalEntry{Status: StatusFailed, InFlight: true, At: run.now()}, "", "", false); err != nil {
		return run.finish(ctx, a, r, target, StatusFailed, err.Error(), Output{}, "", false)
	}
	run.uncertain[target] = true
	status, detail, out, err := run.execute(ctx, a)
	if err != nil {
		run.stopped[target] = fmt.Sprintf("an earlier action on %s failed", target)
		var we *writeError
		return run.finish(ctx, a, r, target, StatusFailed, err.Error()+"; run the same apply again to resume", Output{}, "", errors.As(err, &we))
	}
	delete(run.uncertain, target)
	// Journal the target's version after our write, so our own writes (and a
	// retry) never look stale.
	versionKey, version := "", ""
	if issueTarget(a) {
		n, key := targetNumber(target), target
		if a.Kind == ActCreateIssue {
			n, key = out.Number, fmt.Sprintf("%s#%d", run.e.Backend.Tracker.Repo(), out.Number)
		}
		if n > 0 {
			if v, verr := run.e.Backend.Tracker.Version(ctx, n); verr == nil {
				versionKey, version = key, v
			}
		}
	}
	return run.finish(ctx, a, r, versionKey, status, detail, out, version, false)
}

func (run *applyRun) finish(ctx context.Context, a Action, r ActionResult, target string, st Status, detail string, out Output, version string, maybe bool) ActionResult {
	r.Status, r.Detail = st, detail
	fillOutput(&r, out)
	// Stale and refused outcomes are not journaled over an earlier in-flight or
	// failed mark: that mark keeps the target uncertain for the next retry.
	prev, had := run.j.Actions[a.ID]
	if st == StatusDone || st == StatusAlreadyDone || st == StatusFailed || !had || !(prev.InFlight || prev.MaybeWritten) {
		if err := run.e.Store.Record(run.j, a.ID, JournalEntry{Status: st, Detail: detail, Output: out, At: run.now(), MaybeWritten: maybe}, target, version, true); err != nil && run.e.Logger != nil {
			run.e.Logger.Error("saving journal", "plan", run.plan.ID, "err", err)
		}
	}
	if run.e.Audit != nil && a.Kind != ActAuditRecord {
		_ = run.e.Audit.Record(ctx, AuditEvent{Time: run.now(), Tool: run.plan.Tool, PlanID: run.plan.ID, ActionID: a.ID,
			Kind: string(a.Kind), Target: target, Audience: string(a.Audience), Status: string(st), Summary: a.Summary, Operator: run.plan.Operator})
	}
	if run.e.Logger != nil {
		run.e.Logger.Info("apply action", "plan", run.plan.ID, "action", a.ID, "kind", a.Kind, "target", target, "status", st)
	}
	return r
}

func (run *applyRun) now() time.Time {
	if run.e.Now != nil {
		return run.e.Now()
	}
	return time.Now()
}

func issueTarget(a Action) bool {
	switch a.Kind {
	case ActCreateDraft, ActAuditRecord:
		return false
	}
	return true
}

// resolveTarget names the concrete target of an action.
func (run *applyRun) resolveTarget(a Action) (string, error) {
	switch a.Kind {
	case ActCreateDraft:
		if a.Draft == nil {
			return "", fmt.Errorf("action %s: draft missing", a.ID)
		}
		if a.Draft.Request.ThreadID != "" {
			return "thread:" + a.Draft.Request.ThreadID, nil
		}
		return "draft:" + a.Draft.Request.Key, nil
	case ActAuditRecord:
		return "audit", nil
	case ActCreateIssue:
		return "new:" + a.ID, nil
	}
	n, err := run.number(a.Target)
	if err != nil {
		return "", err
	}
	repo := run.e.Backend.Tracker.Repo()
	if a.Target.Repo != "" && a.Target.Repo != repo {
		return "", fmt.Errorf("action %s targets %s, but the executor writes issues only in the tracker %s", a.ID, a.Target.Repo, repo)
	}
	if a.Audience != AudienceTracker && a.Audience != AudienceTeam {
		return "", fmt.Errorf("action %s writes to the private tracker but declares audience %s", a.ID, a.Audience)
	}
	return fmt.Sprintf("%s#%d", repo, n), nil
}

var refRE = regexp.MustCompile(`^\$(a\d+)\.number$`)

func (run *applyRun) number(ref Ref) (int, error) {
	if ref.From == "" {
		if ref.Number <= 0 {
			return 0, errors.New("action has no target issue")
		}
		return ref.Number, nil
	}
	m := refRE.FindStringSubmatch(ref.From)
	if m == nil {
		return 0, fmt.Errorf("bad target reference %q", ref.From)
	}
	e, ok := run.j.Actions[m[1]]
	if !ok || e.Output.Number == 0 {
		return 0, fmt.Errorf("target %s is not created yet", ref.From)
	}
	return e.Output.Number, nil
}

func targetNumber(target string) int {
	i := strings.LastIndexByte(target, '#')
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(target[i+1:])
	return n
}

// checkStale compares an existing target's version, before this apply's first
// write to it, with the version the plan (or this plan's own last write) saw.
func (run *applyRun) checkStale(ctx context.Context, a Action, target string) error {
	if !issueTarget(a) || a.Kind == ActCreateIssue || run.checked[target] {
		return nil
	}
	run.checked[target] = true
	expected, ok := run.j.Versions[target]
	if !ok {
		expected, ok = run.plan.Versions[a.Target.Key()]
	}
	if !ok {
		return nil // created by this plan, version unknown: nothing to compare
	}
	if run.uncertain[target] {
		return nil
	}
	cur, err := run.e.Backend.Tracker.Version(ctx, targetNumber(target))
	if err != nil {
		return fmt.Errorf("reading version of %s: %w", target, err)
	}
	if cur != expected {
		return fmt.Errorf("%s changed since the plan was made (someone else wrote to it); its remaining actions were not applied: propose again", target)
	}
	return nil
}

// policy runs the audience's policy on every text the action writes.
func (run *applyRun) policy(a Action) []string {
	if a.Draft != nil && a.Audience == AudienceReporter {
		d := *a.Draft
		d.Request.Body = expandOutputs(d.Request.Body, run.j)
		return DraftPolicyHits(run.e.Guard, d)
	}
	if run.e.Guard == nil {
		return nil
	}
	var hits []string
	for _, t := range actionTexts(a, run.j) {
		hits = append(hits, run.e.Guard.Check(a.Audience, t)...)
	}
	return hits
}

// DraftPolicyHits checks a reply draft with the reporter rules and its Avoid
// list. Propose calls it too, so a plan never holds a draft apply must refuse.
func DraftPolicyHits(g Guard, d DraftSpec) []string {
	var hits []string
	if g != nil {
		hits = append(hits, g.Check(AudienceReporter, d.Request.Subject)...)
		hits = append(hits, g.Check(AudienceReporter, d.Request.Body)...)
	}
	for _, av := range d.Avoid {
		if av = strings.TrimSpace(av); av != "" && ContainsTerm(d.Request.Body, av) {
			hits = append(hits, fmt.Sprintf("carries %q, which a reply to this reporter must not", av))
		}
	}
	return hits
}

// ContainsTerm reports whether text holds term, case-insensitively, as whole
// words: "Mina" is in "thanks Mina," but not in "terminal".
func ContainsTerm(text, term string) bool {
	term = strings.TrimSpace(term)
	if term == "" {
		return false
	}
	pat := regexp.QuoteMeta(term)
	if r, _ := utf8.DecodeRuneInString(term); unicode.IsLetter(r) || unicode.IsDigit(r) {
		pat = `\b` + pat
	}
	if r, _ := utf8.DecodeLastRuneInString(term); unicode.IsLetter(r) || unicode.IsDigit(r) {
		pat += `\b`
	}
	re, err := regexp.Compile(`(?i)` + pat)
	return err == nil && re.MatchString(text)
}

func actionTexts(a Action, j *Journal) []string {
	var t []string
	switch {
	case a.Issue != nil:
		t = append(t, a.Issue.Title, a.Issue.Body)
	case a.Comment != nil:
		t = append(t, expandOutputs(a.Comment.Body, j))
		if a.Comment.Entry != nil {
			t = append(t, expandOutputs(a.Comment.Entry.Body, j))
		}
	case a.Field != nil:
		t = append(t, a.Field.Value)
	case a.Draft != nil:
		t = append(t, a.Draft.Request.Subject, expandOutputs(a.Draft.Request.Body, j))
	}
	return t
}

var outputRE = regexp.MustCompile(`\{\{(a\d+)\.(number|url|draft_id|comment_id)\}\}`)

// expandOutputs replaces {{a3.draft_id}}-style references with earlier outputs.
func expandOutputs(s string, j *Journal) string {
	return outputRE.ReplaceAllStringFunc(s, func(m string) string {
		p := outputRE.FindStringSubmatch(m)
		e, ok := j.Actions[p[1]]
		if !ok {
			return "(not created)"
		}
		switch p[2] {
		case "number":
			return strconv.Itoa(e.Output.Number)
		case "url":
			return e.Output.URL
		case "draft_id":
			if e.Output.DraftID == "" {
				return "(no draft)"
			}
			return e.Output.DraftID
		default:
			return strconv.FormatInt(e.Output.CommentID, 10)
		}
	})
}

// execute performs one action idempotently: check state, then write.
func (run *applyRun) execute(ctx context.Context, a Action) (Status, string, Output, error) {
	t := run.e.Backend.Tracker
	switch a.Kind {
	case ActCreateIssue:
		if a.Issue == nil || a.Issue.IntakeKey == "" || !BodyHasIntakeKey(a.Issue.Body, a.Issue.IntakeKey) {
			return "", "", Output{}, fmt.Errorf("action %s: an issue must carry its intake key in the body", a.ID)
		}
		found, err := t.FindByIntakeKey(ctx, a.Issue.IntakeKey)
		if err != nil {
			return "", "", Output{}, fmt.Errorf("looking for an existing tracker: %w", err)
		}
		if len(found) > 0 {
			slices.SortFunc(found, func(x, y Issue) int { return x.Number - y.Number })
			return StatusAlreadyDone, "tracker already exists", Output{Number: found[0].Number, URL: found[0].URL}, nil
		}
		is, err := t.CreateIssue(ctx, NewIssue{Title: a.Issue.Title, Body: a.Issue.Body, Labels: a.Issue.Labels})
		if err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("creating the tracker: %w", err))
		}
		return StatusDone, "created", Output{Number: is.Number, URL: is.URL}, nil

	case ActEditLabels, ActAddLabels, ActRemoveLabels:
		n, _ := run.number(a.Target)
		is, err := t.GetIssue(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		var add, rm []string
		for _, l := range a.Labels.Add {
			if !is.HasLabel(l) {
				add = append(add, l)
			}
		}
		for _, l := range a.Labels.Remove {
			if is.HasLabel(l) {
				rm = append(rm, l)
			}
		}
		if len(add) == 0 && len(rm) == 0 {
			return StatusAlreadyDone, "labels already as planned", Output{Number: n, URL: is.URL}, nil
		}
		if _, err := t.EditLabels(ctx, n, add, rm); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("editing labels: %w", err))
		}
		return StatusDone, "labels edited", Output{Number: n, URL: is.URL}, nil

	case ActSetBodyField:
		n, _ := run.number(a.Target)
		is, err := t.GetIssue(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		b := ParseBody(is.Body)
		changed, err := b.Set(a.Field.Name, a.Field.Value)
		if err != nil {
			return "", "", Output{}, err
		}
		if !changed {
			return StatusAlreadyDone, "field already has the value", Output{Number: n, URL: is.URL}, nil
		}
		if _, err := t.SetBody(ctx, n, b.String()); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("writing the body: %w", err))
		}
		return StatusDone, "field set", Output{Number: n, URL: is.URL}, nil

	case ActRollupEntry:
		n, _ := run.number(a.Target)
		entry := *a.Comment.Entry
		entry.Body = expandOutputs(entry.Body, run.j)
		comments, err := t.ListComments(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		rollups := FindRollups(comments, run.e.RollupPrefixes...)
		switch len(rollups) {
		case 0:
			marker := run.e.RollupMarker
			if marker == "" {
				marker = DefaultRollupMarker
			}
			c, err := t.CreateComment(ctx, n, NewRollupBody(marker, entry))
			if err != nil {
				return "", "", Output{}, wrote(fmt.Errorf("creating the rollup comment: %w", err))
			}
			return StatusDone, "rollup comment created", Output{Number: n, CommentID: c.ID, URL: c.URL}, nil
		case 1:
			c := rollups[0]
			if entry.ID != "" && RollupHasEntry(c.Body, entry.ID) {
				return StatusAlreadyDone, "entry already in the rollup", Output{Number: n, CommentID: c.ID, URL: c.URL}, nil
			}
			u, err := t.UpdateComment(ctx, n, c.ID, AppendRollupEntry(c.Body, entry))
			if err != nil {
				return "", "", Output{}, wrote(fmt.Errorf("appending to the rollup comment: %w", err))
			}
			return StatusDone, "entry appended", Output{Number: n, CommentID: u.ID, URL: u.URL}, nil
		default:
			return "", "", Output{}, fmt.Errorf("%d rollup comments on #%d; keep one (delete the others by hand) and apply again", len(rollups), n)
		}

	case ActUpsertComment:
		n, _ := run.number(a.Target)
		body := expandOutputs(a.Comment.Body, run.j)
		if a.Comment.EntryID != "" {
			body = strings.TrimRight(body, "\n") + "\n" + entryMarker(a.Comment.EntryID)
		}
		comments, err := t.ListComments(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		for _, c := range comments {
			if a.Comment.EntryID != "" {
				if strings.Contains(c.Body, entryMarker(a.Comment.EntryID)) {
					return StatusAlreadyDone, "comment already posted", Output{Number: n, CommentID: c.ID, URL: c.URL}, nil
				}
				continue
			}
			if (a.Comment.Marker != "" && CommentHasMarker(c.Body, a.Comment.Marker)) || (a.Comment.Tag != "" && CommentHasTag(c.Body, a.Comment.Tag)) {
				if c.Body == body {
					return StatusAlreadyDone, "comment already up to date", Output{Number: n, CommentID: c.ID, URL: c.URL}, nil
				}
				u, err := t.UpdateComment(ctx, n, c.ID, body)
				if err != nil {
					return "", "", Output{}, wrote(fmt.Errorf("updating the comment: %w", err))
				}
				return StatusDone, "comment updated", Output{Number: n, CommentID: u.ID, URL: u.URL}, nil
			}
		}
		c, err := t.CreateComment(ctx, n, body)
		if err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("creating the comment: %w", err))
		}
		return StatusDone, "comment created", Output{Number: n, CommentID: c.ID, URL: c.URL}, nil

	case ActCloseIssue:
		n, _ := run.number(a.Target)
		is, err := t.GetIssue(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		if is.State == "closed" {
			return StatusAlreadyDone, "already closed", Output{Number: n, URL: is.URL}, nil
		}
		if _, err := t.CloseIssue(ctx, n, a.Close.Reason); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("closing: %w", err))
		}
		return StatusDone, "closed as " + a.Close.Reason, Output{Number: n, URL: is.URL}, nil

	case ActMoveBoard:
		n, _ := run.number(a.Target)
		item, err := t.BoardItem(ctx, n)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", "", Output{}, fmt.Errorf("reading the board: %w", err)
		}
		if err == nil && item.OnBoard && item.Column == a.Column && !item.Archived {
			return StatusAlreadyDone, "already in " + a.Column, Output{Number: n}, nil
		}
		if err := t.MoveToColumn(ctx, n, a.Column); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("moving to %s: %w", a.Column, err))
		}
		return StatusDone, "moved to " + a.Column, Output{Number: n}, nil

	case ActAddIntakeKey:
		n, _ := run.number(a.Target)
		if a.Intake == nil {
			return "", "", Output{}, fmt.Errorf("action %s: intake block missing", a.ID)
		}
		is, err := t.GetIssue(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		b := ParseBody(is.Body)
		changed, err := b.AddIntakeMeta(*a.Intake)
		if err != nil {
			return "", "", Output{}, err
		}
		if !changed {
			return StatusAlreadyDone, "the body already carries the intake key", Output{Number: n, URL: is.URL}, nil
		}
		if _, err := t.SetBody(ctx, n, b.String()); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("writing the body: %w", err))
		}
		return StatusDone, "intake key added", Output{Number: n, URL: is.URL}, nil

	case ActSetMilestone:
		n, _ := run.number(a.Target)
		is, err := t.GetIssue(ctx, n)
		if err != nil {
			return "", "", Output{}, err
		}
		if is.Milestone == a.Milestone {
			return StatusAlreadyDone, "milestone already " + a.Milestone, Output{Number: n, URL: is.URL}, nil
		}
		if _, err := t.SetMilestone(ctx, n, a.Milestone); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("setting milestone %s: %w", a.Milestone, err))
		}
		return StatusDone, "milestone set to " + a.Milestone, Output{Number: n, URL: is.URL}, nil

	case ActArchiveBoard:
		n, _ := run.number(a.Target)
		item, err := t.BoardItem(ctx, n)
		if err == nil && (!item.OnBoard || item.Archived) {
			return StatusAlreadyDone, "not on the board or already archived", Output{Number: n}, nil
		}
		if err := t.ArchiveBoardItem(ctx, n); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("archiving the board item: %w", err))
		}
		return StatusDone, "archived", Output{Number: n}, nil

	case ActCreateDraft:
		m := run.e.Backend.Mail
		if m == nil {
			return "", "", Output{}, fmt.Errorf("no mail backend can create drafts: %w", ErrUnsupported)
		}
		req := a.Draft.Request
		req.Body = expandOutputs(req.Body, run.j)
		existing, err := m.ListDrafts(ctx, req.ThreadID)
		if err != nil {
			return "", "", Output{}, fmt.Errorf("listing drafts: %w", err)
		}
		for _, d := range existing {
			if d.Key == req.Key {
				return StatusAlreadyDone, "draft already exists", Output{DraftID: d.ID}, nil
			}
		}
		d, err := m.CreateDraft(ctx, req)
		if err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("creating the draft: %w", err))
		}
		return StatusDone, "draft created (not sent)", Output{DraftID: d.ID}, nil

	case ActAuditRecord:
		if run.e.Audit == nil {
			return StatusDone, "no audit log configured", Output{}, nil
		}
		ev := AuditEvent{Time: run.now(), Tool: run.plan.Tool, PlanID: run.plan.ID, ActionID: a.ID, Kind: a.Audit.Event,
			Target: "audit", Audience: string(a.Audience), Status: "recorded", Summary: a.Summary, Operator: run.plan.Operator}
		if err := run.e.Audit.Record(ctx, ev); err != nil {
			return "", "", Output{}, wrote(fmt.Errorf("writing the audit record: %w", err))
		}
		return StatusDone, "recorded", Output{}, nil
	}
	return "", "", Output{}, fmt.Errorf("action %s: unknown kind %q", a.ID, a.Kind)
}

func entryMarker(id string) string { return "<!-- vulnsteward entry " + id + " -->" }

// writeError marks an error returned by a write call: the write may have
// happened (a lost answer), so the target's version cannot be trusted on retry.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func wrote(err error) error {
	if err == nil {
		return nil
	}
	return &writeError{err: err}
}
