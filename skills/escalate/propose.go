package escalate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
	"github.com/vulnsteward/vulnsteward/skills/triage"
)

// ApplyTool is the tool that executes an escalation plan.
const ApplyTool = "escalate_apply"

// Deps is what the escalation reads. It never writes.
type Deps struct {
	Config   *projects.Config
	Backend  lifecycle.Backend
	Operator string
}

// Input selects the trackers and carries the agent's texts.
type Input struct {
	// Numbers selects trackers; empty means every tracker with a phase due.
	Numbers  []int
	Messages []Message
	Now      time.Time
}

// Message is the agent's text for one tracker's escalation.
type Message struct {
	Number int `json:"number" jsonschema:"tracker number"`
	// Text is optional for phase 1 and required for phase 2.
	Text string `json:"text,omitempty" jsonschema:"phase 1: optional bare call for ideas replacing the server's (no analysis, no options, at most 4 short paragraphs); phase 2: required design-space analysis (TL;DR, why the obvious fix is not enough, Option A/B/C with trade-offs, open questions)"`
	// Reviewers replace the routing's choice for phase 2.
	Reviewers []string `json:"reviewers,omitempty" jsonschema:"phase 2: 1-3 team handles to ask for review, never yourself (the operator); default: the routing's choice"`
}

// DraftPreview is a draft as the human reviews it.
type DraftPreview struct {
	Audience string   `json:"audience"`
	To       string   `json:"to"`
	Cc       []string `json:"cc,omitempty"`
	Subject  string   `json:"subject"`
	Body     string   `json:"body"`
	Attached bool     `json:"attached_to_thread"`
}

// Brief is what the agent reads to draft the phase-2 analysis.
type Brief struct {
	Description   untrusted.Text            `json:"description"`
	Fields        map[string]untrusted.Text `json:"fields,omitempty" jsonschema:"filled body fields except the description, fenced: they may hold reporter-supplied text"`
	Comments      []triage.CommentView      `json:"comments"`
	Rollup        []untrusted.Text          `json:"rollup,omitempty" jsonschema:"status rollup entry summaries, fenced: they may quote the report"`
	FollowUps     []triage.MessageView      `json:"reporter_follow_ups,omitempty"`
	PullRequests  []string                  `json:"pull_requests,omitempty"`
	Precedents    []triage.Precedent        `json:"precedents,omitempty"`
	SecurityModel []string                  `json:"security_model,omitempty" jsonschema:"section: URL (triage_propose returns the text)"`
	Outline       string                    `json:"outline" jsonschema:"the structure the text must follow"`
}

// Escalation is one tracker's escalation as the proposal shows it.
type Escalation struct {
	Item        string              `json:"item"`
	Number      int                 `json:"number"`
	URL         string              `json:"url"`
	Title       untrusted.Text      `json:"title"`
	Phase       int                 `json:"phase"`
	DaysStalled int                 `json:"days_stalled"`
	StallBasis  string              `json:"stall_basis"`
	Phase1      *Record             `json:"phase1,omitempty"`
	Reviewers   []triage.Suggestion `json:"reviewers,omitempty"`
	Brief       *Brief              `json:"brief,omitempty"`
	Needs       string              `json:"needs,omitempty"`
	Drafts      []DraftPreview      `json:"drafts,omitempty"`
	Actions     []string            `json:"actions,omitempty"`
	Next        string              `json:"next,omitempty"`
	Notes       []string            `json:"notes,omitempty"`
	skipped     []string            // audiences with no draft, and why
}

// Waiting is a tracker in the validity discussion with no phase due now.
type Waiting struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	Reason string `json:"reason"`
}

// Proposal is what escalate_propose returns (the plan is saved by the caller).
type Proposal struct {
	Plan     *lifecycle.Plan `json:"-"`
	Trackers []Escalation    `json:"trackers"`
	Waiting  []Waiting       `json:"waiting,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
}

// Outline is the structure a phase-2 text must follow (spec/intake.md §16).
const Outline = "TL;DR; why the obvious fix is insufficient; Option A, Option B (and C) with their trade-offs; open questions. Plain text for mail; the server adds the reviewers and the tracker link."

// Propose decides which phase is due per tracker and plans its drafts and
// rollup entry.
func Propose(ctx context.Context, d Deps, in Input) (*Proposal, error) {
	cfg := d.Config
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	msgs := map[int]Message{}
	for _, m := range in.Messages {
		if m.Number <= 0 {
			return nil, errors.New("a message has no tracker number")
		}
		if _, dup := msgs[m.Number]; dup {
			return nil, fmt.Errorf("two messages for #%d: give one", m.Number)
		}
		if len(in.Numbers) > 0 && !slices.Contains(in.Numbers, m.Number) {
			return nil, fmt.Errorf("message for #%d: that tracker is not in `numbers`", m.Number)
		}
		msgs[m.Number] = m
	}
	t := d.Backend.Tracker
	team, err := lifecycle.Team(ctx, t)
	if err != nil {
		return nil, err
	}
	all, err := triage.LoadAll(ctx, t)
	if err != nil {
		return nil, err
	}
	pb := lifecycle.NewPlan("escalate", ApplyTool, d.Operator, now)
	g := &triage.Gatherer{Config: cfg, Backend: d.Backend, Team: team, Operator: d.Operator, All: all, Now: now}
	r := &run{d: d, cfg: cfg, now: now, team: team, trusted: lifecycle.TeamWithOperator(team, d.Operator), pb: pb, g: g}
	p := &Proposal{Plan: pb.Plan}

	explicit := len(in.Numbers) > 0 || len(msgs) > 0
	var selected []lifecycle.Issue
	if explicit {
		numbers := slices.Clone(in.Numbers)
		for n := range msgs {
			if !slices.Contains(numbers, n) {
				numbers = append(numbers, n)
			}
		}
		slices.Sort(numbers)
		numbers = slices.Compact(numbers)
		for _, n := range numbers {
			is, err := triage.Lookup(ctx, t, all, n)
			if err != nil {
				return nil, err
			}
			selected = append(selected, is)
		}
	} else {
		for _, is := range all {
			if is.State == "open" && is.HasLabel(cfg.Labels.NeedsTriage) && !is.HasLabel(cfg.Labels.RejectionsLedger) {
				selected = append(selected, is)
			}
		}
		slices.SortFunc(selected, func(a, b lifecycle.Issue) int { return a.Number - b.Number })
	}
	notStalled := 0
	for _, is := range selected {
		due, err := r.due(ctx, is)
		if err != nil {
			return nil, err
		}
		if due.refusal != "" {
			if explicit {
				return nil, fmt.Errorf("%s#%d is not escalated: %s", t.Repo(), is.Number, due.refusal)
			}
			if due.waiting {
				p.Waiting = append(p.Waiting, Waiting{Number: is.Number, URL: is.URL, Reason: due.refusal})
			} else {
				notStalled++
			}
			continue
		}
		e, err := r.escalation(ctx, fmt.Sprintf("e%d", len(p.Trackers)+1), is, due, msgs[is.Number])
		if err != nil {
			return nil, fmt.Errorf("%s#%d: %w", t.Repo(), is.Number, err)
		}
		if n := e.AudienceNote(); n != "" {
			p.Notes = append(p.Notes, n)
		}
		p.Trackers = append(p.Trackers, e)
	}
	if p.Trackers == nil {
		p.Trackers = []Escalation{}
	}
	if !explicit && len(p.Trackers) == 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("no tracker is due for escalation (%d needs-triage trackers are not stalled or not in the discussion, %d wait for their next phase)", notStalled, len(p.Waiting)))
	}
	pb.Audit("escalate", map[string]string{"trackers": fmt.Sprint(len(p.Trackers))})
	p.Notes = append(p.Notes, "drafts are never sent: a human reviews and sends each one")
	pb.Plan.Notes = p.Notes
	return p, nil
}

type run struct {
	d    Deps
	cfg  *projects.Config
	now  time.Time
	team map[string]bool // collaborators: who may be asked to review
	// trusted is whose text counts as the team's: the collaborators plus the
	// operator (lifecycle.TeamWithOperator), the rule sync and triage use.
	trusted map[string]bool
	pb      *lifecycle.PlanBuilder
	g       *triage.Gatherer
}

// due is the phase a tracker is due for, or why none is.
type due struct {
	phase    int
	refusal  string
	waiting  bool // an escalation is under way; the next phase is not due yet
	comments []lifecycle.Comment
	state    lifecycle.State
	basis    string
	phase1   *Record
	thread   *lifecycle.Thread
	origin   reply.Origin
	note     string
	// escalationNote says why the phase-1 threads were not (all) read.
	escalationNote string
}

func (r *run) due(ctx context.Context, is lifecycle.Issue) (due, error) {
	cfg := r.cfg
	var d due
	if is.HasLabel(cfg.Labels.RejectionsLedger) {
		d.refusal = "it is the rejections ledger, not a tracker"
		return d, nil
	}
	comments, err := r.d.Backend.Tracker.ListComments(ctx, is.Number)
	if err != nil {
		return d, fmt.Errorf("reading the comments of %s#%d: %w", is.Repo, is.Number, err)
	}
	d.comments = comments
	stallDays := cfg.Disclosure.StallDays
	if stallDays <= 0 {
		stallDays = 30
	}
	phase2Days := cfg.Disclosure.StallPhase2Days
	if phase2Days <= 0 {
		phase2Days = 7
	}
	d.state = lifecycle.VocabularyFor(cfg).Derive(is, &lifecycle.StallInput{Comments: comments, Team: r.trusted, Now: r.now, StallDays: stallDays})
	if is.State != "open" {
		d.refusal = fmt.Sprintf("it is closed (%s): there is no discussion to escalate", triage.StateOf(is, cfg))
		return d, nil
	}
	if d.state.Step != 3 && d.state.Step != 4 {
		d.refusal = fmt.Sprintf("it is not in the validity discussion (step %d, %s): only open trackers labelled %q without a scope label are escalated", d.state.Step, d.state.StepName, cfg.Labels.NeedsTriage)
		return d, nil
	}
	d.basis = stallBasis(is, comments, r.trusted, d.state.DaysStalled)
	last, escalated := Latest(Records(comments, cfg.Markers.RollupPrefix))
	switch {
	case escalated && last.Phase >= 2:
		d.refusal = fmt.Sprintf("both phases are recorded (phase 2 on %s): escalate further by hand (escalation contact: %s)", day(last.At), orNone(cfg.Governance.EscalationContact))
		d.waiting = true
	case escalated:
		d.phase1 = &last
		d.origin, d.thread, d.note = triage.ReadThread(ctx, r.d.Backend.Mail, is.Body)
		var escThreads []lifecycle.Thread
		escThreads, d.escalationNote = EscalationThreads(ctx, r.d.Backend.Mail, cfg, is, oneLineTitle(is.Title), last.At)
		dueAt := last.At.AddDate(0, 0, phase2Days)
		if resp, ok := FirstResponse(last.At, comments, d.thread, escThreads, cfg); ok {
			d.refusal = fmt.Sprintf("phase 1 (%s) got a response: %s by %s on %s; the discussion is moving, no phase 2", day(last.At), resp.What, resp.Who, day(resp.At))
			d.waiting = true
		} else if r.now.Before(dueAt) {
			d.refusal = fmt.Sprintf("phase 1 went out on %s; phase 2 is due on %s if nobody responds", day(last.At), day(dueAt))
			d.waiting = true
		} else {
			d.phase = 2
		}
	case d.state.DaysStalled < stallDays:
		d.refusal = fmt.Sprintf("not stalled: %s; escalation starts at %d days", d.basis, stallDays)
	default:
		d.phase = 1
		d.origin, d.thread, d.note = triage.ReadThread(ctx, r.d.Backend.Mail, is.Body)
	}
	return d, nil
}

// stallBasis says how the stall was measured (the same rule as lifecycle.Derive).
func stallBasis(is lifecycle.Issue, comments []lifecycle.Comment, team map[string]bool, days int) string {
	var last *lifecycle.Comment
	for i, c := range comments {
		if team[strings.ToLower(c.Author)] && (last == nil || c.CreatedAt.After(last.CreatedAt)) {
			last = &comments[i]
		}
	}
	if last == nil || last.CreatedAt.Before(is.CreatedAt) {
		return fmt.Sprintf("%d days since the tracker was opened on %s with no security-team comment", days, day(is.CreatedAt))
	}
	return fmt.Sprintf("%d days since the last security-team comment (@%s, %s)", days, last.Author, day(last.CreatedAt))
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func orNone(s string) string {
	if s == "" {
		return "none configured"
	}
	return s
}
