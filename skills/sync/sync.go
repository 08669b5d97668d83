package sync

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
)

// ApplyTool is the tool that executes a sync plan.
const ApplyTool = "sync_apply"

// MaxNumbers caps an explicit selection; bulk mode covers every open tracker.
const MaxNumbers = 100

// Deps is what a sync pass reads. It never writes: plans are executed by
// lifecycle.Executor.
type Deps struct {
	Config   *projects.Config
	Backend  lifecycle.Backend
	Operator string // GitHub handle written in rollup entries
	// Progress, when set, is told how far the gather is (one call per tracker).
	Progress func(done, total int, message string)
}

// ProposeInput selects the trackers of a pass and carries the agent's decisions.
// Exactly one of Numbers and AllOpen is set.
type ProposeInput struct {
	// Numbers are trackers by number, open or closed; never pre-flight skipped.
	Numbers []int
	// AllOpen selects every open tracker except the rejections ledger (bulk mode).
	AllOpen   bool
	Decisions []Decision
	Now       time.Time
}

// Decision is the agent's judgement on one tracker. The server validates it and
// records it in the plan; it never invents one.
type Decision struct {
	Tracker int `json:"tracker" jsonschema:"tracker number"`
	// Scope lands the team's valid consensus with this scope label.
	Scope string `json:"scope,omitempty" jsonschema:"the scope label the team agreed on (valid consensus): sync adds it and removes needs triage"`
	// SkipReporterUpdate records that the reporter is not sent the accepted-as-valid update.
	SkipReporterUpdate bool `json:"skip_reporter_update,omitempty" jsonschema:"true: draft no accepted-as-valid update (told by hand or not wanted); the rollup records the skip"`
}

// Flag is an observation that needs a human, not a write: a stalled discussion,
// the disclosure window, a label or board state sync cannot fix by itself.
type Flag struct {
	Kind string `json:"kind" jsonschema:"stalled, disclosure, labels, board, reporter"`
	Text string `json:"text"`
	// Escalate marks flags that feed escalation (a stalled discussion, an overdue window).
	Escalate bool `json:"escalate,omitempty"`
}

// Item is one tracker of a pass, as the proposal shows it.
type Item struct {
	Item      string          `json:"item"`
	Number    int             `json:"number"`
	URL       string          `json:"url"`
	Title     untrusted.Text  `json:"title"`
	State     string          `json:"state"`
	Labels    []string        `json:"labels"`
	Lifecycle lifecycle.State `json:"lifecycle" jsonschema:"step, owner and next action as the tracker is now"`
	// Changes are the proposed writes, each with the rule that proposes it and why.
	Changes  []string       `json:"changes,omitempty"`
	Blockers []string       `json:"blockers,omitempty"`
	Flags    []Flag         `json:"flags,omitempty"`
	Draft    *reply.Preview `json:"draft,omitempty"`
	// OtherDrafts are the same update to the other reporters of a merged
	// tracker, each on their own thread.
	OtherDrafts []*reply.Preview `json:"other_reporter_drafts,omitempty" jsonschema:"after a merge: the same update to every other reporter, each on their own thread"`
	Notes       []string         `json:"notes,omitempty"`
	Actions     []string         `json:"actions,omitempty"`
}

// Skipped is a tracker the bulk pre-flight left out, with the rule and signals.
type Skipped struct {
	Number int    `json:"number"`
	URL    string `json:"url"`
	Reason string `json:"reason"`
}

// Proposal is what sync_propose returns (the plan is saved by the caller).
type Proposal struct {
	Plan      *lifecycle.Plan `json:"-"`
	Selection string          `json:"selection"`
	Items     []Item          `json:"trackers"`
	Skipped   []Skipped       `json:"skipped"`
	Notes     []string        `json:"notes,omitempty"`
}

// Propose gathers the selected trackers, runs every rule and builds one plan.
func Propose(ctx context.Context, d Deps, in ProposeInput) (*Proposal, error) {
	if err := checkSelection(in); err != nil {
		return nil, err
	}
	p, trackers, skipped, err := prepare(ctx, d, in, in.AllOpen)
	if err != nil {
		return nil, err
	}
	if err := p.checkDecisions(in.Decisions, trackers); err != nil {
		return nil, err
	}
	out := &Proposal{Selection: describeSelection(in, len(trackers), len(skipped)), Items: []Item{}, Skipped: skipped}
	pb := lifecycle.NewPlan("sync", ApplyTool, d.Operator, p.Now)
	pl := &planner{PlanBuilder: pb, pass: p}
	for _, t := range trackers {
		o, err := p.evaluate(ctx, t)
		if err != nil {
			return nil, err
		}
		if why := p.unusedDecision(t, o); why != "" {
			return nil, errors.New(why)
		}
		it := p.item(t, o)
		it.Actions = pl.tracker(t, o)
		out.Items = append(out.Items, it)
	}
	pb.Audit("sync", map[string]string{"selection": out.Selection, "trackers": fmt.Sprint(len(trackers))})
	if len(trackers) == 0 {
		out.Notes = append(out.Notes, "no tracker matched the selection: nothing to sync")
	} else if len(pb.Plan.Actions) == 0 {
		out.Notes = append(out.Notes, "every selected tracker is in line with the rules: nothing to write (flags and blockers, if any, need a human)")
	}
	pb.Plan.Notes = out.Notes
	out.Plan = pb.Plan
	return out, nil
}

// Assess runs the same gather and rules as Propose on the selected trackers,
// without the pre-flight skip and without planning: tracker_list shows its
// flags and blockers, so the board view and a sync pass always agree.
func Assess(ctx context.Context, d Deps, in ProposeInput) ([]Item, error) {
	if err := checkSelection(in); err != nil {
		return nil, err
	}
	p, trackers, _, err := prepare(ctx, d, in, false)
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(trackers))
	for _, t := range trackers {
		o, err := p.evaluate(ctx, t)
		if err != nil {
			return nil, err
		}
		items = append(items, p.item(t, o))
	}
	return items, nil
}

func checkSelection(in ProposeInput) error {
	switch {
	case in.AllOpen && len(in.Numbers) > 0:
		return errors.New("give either numbers or all_open, not both")
	case !in.AllOpen && len(in.Numbers) == 0:
		return errors.New("nothing selected: give the tracker numbers to sync, or all_open: true for every open tracker")
	case len(in.Numbers) > MaxNumbers:
		return fmt.Errorf("%d numbers: at most %d per pass; use all_open for every open tracker", len(in.Numbers), MaxNumbers)
	}
	for _, n := range in.Numbers {
		if n <= 0 {
			return fmt.Errorf("tracker number %d: give issue numbers of 1 or more", n)
		}
	}
	return nil
}

func describeSelection(in ProposeInput, n, skipped int) string {
	if in.AllOpen {
		s := fmt.Sprintf("all open trackers (%d", n)
		if skipped > 0 {
			s += fmt.Sprintf(" dispatched, %d skipped by the pre-flight", skipped)
		}
		return s + ")"
	}
	nums := make([]string, len(in.Numbers))
	for i, x := range in.Numbers {
		nums[i] = fmt.Sprintf("#%d", x)
	}
	return strings.Join(nums, ", ")
}

// prepare loads what every rule shares and gathers the trackers.
func prepare(ctx context.Context, d Deps, in ProposeInput, preflight bool) (*Pass, []*Tracker, []Skipped, error) {
	if d.Config == nil || d.Backend.Tracker == nil {
		return nil, nil, nil, errors.New("sync needs a project configuration and a tracker backend")
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	canned, err := d.Config.CannedResponses()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("loading canned responses: %w", err)
	}
	team, err := lifecycle.Team(ctx, d.Backend.Tracker)
	if err != nil {
		return nil, nil, nil, err
	}
	p := &Pass{Config: d.Config, Vocab: lifecycle.VocabularyFor(d.Config), Team: team, Operator: d.Operator,
		Now: now.UTC(), Mail: d.Backend.Mail, Canned: canned, Decisions: map[int]Decision{}}
	trackers, skipped, err := gather(ctx, d, p, in, preflight)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, trackers, skipped, nil
}

// checkDecisions validates the agent's decisions against the configuration and
// the gathered trackers, and indexes them. Bad input is an error: nothing is planned.
func (p *Pass) checkDecisions(ds []Decision, trackers []*Tracker) error {
	for _, d := range ds {
		if d.Tracker <= 0 {
			return errors.New("a decision has no tracker number")
		}
		if _, dup := p.Decisions[d.Tracker]; dup {
			return fmt.Errorf("two decisions for #%d: give one", d.Tracker)
		}
		i := slices.IndexFunc(trackers, func(t *Tracker) bool { return t.Issue.Number == d.Tracker })
		if i < 0 {
			return fmt.Errorf("decision for #%d: that tracker is not in this pass (name it in numbers)", d.Tracker)
		}
		if is := trackers[i].Issue; is.State != "open" {
			return fmt.Errorf("decision for #%d: the tracker is %s; decisions land a consensus or skip a reporter update on open trackers only: leave it out (reopen the tracker by hand first if it was closed by mistake)", d.Tracker, is.State)
		}
		if d.Scope != "" {
			label, ok := p.scopeLabel(d.Scope)
			if !ok {
				return fmt.Errorf("decision for #%d: %q is not a scope label of this project; scopes: %s", d.Tracker, d.Scope, strings.Join(p.Vocab.Scopes, ", "))
			}
			d.Scope = label
		}
		if d.Scope == "" && !d.SkipReporterUpdate {
			return fmt.Errorf("decision for #%d decides nothing: give scope or skip_reporter_update", d.Tracker)
		}
		p.Decisions[d.Tracker] = d
	}
	return nil
}

func (p *Pass) scopeLabel(s string) (string, bool) {
	for _, l := range p.Vocab.Scopes {
		if strings.EqualFold(strings.TrimSpace(s), l) {
			return l, true
		}
	}
	return "", false
}

// item is the proposal view of one evaluated tracker.
func (p *Pass) item(t *Tracker, o *Outcome) Item {
	is := t.Issue
	title, _ := untrusted.Clean(is.Title)
	it := Item{Item: itemID(is.Number), Number: is.Number, URL: is.URL, Title: untrusted.Wrap("tracker title", title),
		State: is.State, Labels: is.Labels, Lifecycle: p.derive(t, is),
		Blockers: o.Blockers, Flags: o.Flags, Notes: o.Notes}
	if it.Labels == nil {
		it.Labels = []string{}
	}
	if !o.Stop {
		for _, c := range o.Changes {
			it.Changes = append(it.Changes, c.Rule+": "+c.Text)
		}
		if o.Update != nil {
			for i, d := range o.Update.Drafts {
				if i == 0 {
					it.Draft = d.Preview
				} else {
					it.OtherDrafts = append(it.OtherDrafts, d.Preview)
				}
			}
		}
	}
	return it
}

func itemID(n int) string { return fmt.Sprintf("t%d", n) }
