package triage

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
)

// ApplyTool is the tool that executes a triage plan.
const ApplyTool = "triage_apply"

// Deps is what the triage skill reads. It never writes.
type Deps struct {
	Config   *projects.Config
	Backend  lifecycle.Backend
	Operator string // GitHub handle of the person proposing
	Progress func(done, total int, message string)
}

// Input selects the trackers and carries the agent's judgements.
type Input struct {
	// Numbers selects trackers; empty means the judged trackers, or else every
	// open tracker labelled needs triage (spec/intake.md §9.2).
	Numbers []int
	// Retriage allows trackers past needs triage; it needs explicit numbers.
	Retriage   bool
	Judgements []Judgement
	Now        time.Time
}

// maxSelected caps one proposal (spec/intake.md §9.2: more is a process problem).
const maxSelected = 50

// Judgement is the agent's triage of one tracker. The server validates it and
// renders it; it never invents one.
type Judgement struct {
	Number        int      `json:"number" jsonschema:"tracker number"`
	Class         string   `json:"class" jsonschema:"VALID, DEFENSE-IN-DEPTH, INFO-ONLY, INVALID, PROBABLE-DUP or FIX-ALREADY-PUBLIC"`
	Summary       string   `json:"summary" jsonschema:"one paragraph in your own words: the claim, the code location, why this class"`
	ModelSection  string   `json:"model_section" jsonschema:"security-model section heading or anchor the quote is from"`
	ModelQuote    string   `json:"model_quote" jsonschema:"2-3 sentences copied verbatim from that section"`
	FixShape      string   `json:"fix_shape" jsonschema:"one sentence: the fix, or why no fix for a negative class"`
	Question      string   `json:"question" jsonschema:"the specific question the mentioned members should answer"`
	Severity      string   `json:"severity,omitempty" jsonschema:"a read, not a score (e.g. Medium-ish); never a CVSS vector"`
	OpenPoint     string   `json:"open_point,omitempty" jsonschema:"what the final scoring depends on"`
	Mention       []string `json:"mention,omitempty" jsonschema:"1-3 team handles to ask, never yourself (the operator); default: the routing's suggestion"`
	ActionItems   []string `json:"action_items,omitempty" jsonschema:"up to 5 short numbered steps"`
	Precedents    []int    `json:"precedents,omitempty" jsonschema:"comparable tracker numbers to link"`
	Canned        string   `json:"canned,omitempty" jsonschema:"canned response heading: required for INFO-ONLY, optional for INVALID"`
	DuplicateOf   int      `json:"duplicate_of,omitempty" jsonschema:"PROBABLE-DUP: the tracker this one duplicates"`
	PublicFixURLs []string `json:"public_fix_urls,omitempty" jsonschema:"FIX-ALREADY-PUBLIC: the upstream PR URLs that fix it"`
	LowConfidence bool     `json:"low_confidence,omitempty" jsonschema:"say so in the comment and invite challenge"`
}

// Mode says how a tracker's proposal relates to earlier ones.
type Mode string

const (
	ModeFirst    Mode = "first"    // no triage proposal yet
	ModeRetriage Mode = "retriage" // comments or mail landed after the last proposal: only those are shown
	ModeRerun    Mode = "rerun"    // a proposal exists and nothing is new since
)

// PreviousProposal is the last triage proposal on a tracker.
type PreviousProposal struct {
	Class string `json:"class"`
	At    string `json:"at"`
	By    string `json:"by"`
	URL   string `json:"url,omitempty"`
	// Ours: written by vulnsteward (it carries the marker), so a new proposal updates it.
	Ours bool `json:"by_vulnsteward"`
}

// Bundle is one tracker as the proposal shows it: what the agent needs to
// judge, and what the plan would post.
type Bundle struct {
	Item              string                    `json:"item"`
	Number            int                       `json:"number"`
	URL               string                    `json:"url"`
	Title             untrusted.Text            `json:"title"`
	Labels            []string                  `json:"labels"`
	Created           string                    `json:"created"`
	Step              int                       `json:"step"`
	DaysStalled       int                       `json:"days_stalled"`
	Mode              Mode                      `json:"mode" jsonschema:"first: no proposal yet; retriage: only what landed after the last proposal is shown; rerun: a proposal exists and nothing is new"`
	Scope             string                    `json:"scope"`
	InferredScopes    []string                  `json:"inferred_scopes,omitempty"`
	CodePointers      []string                  `json:"code_pointers,omitempty"`
	Description       *untrusted.Text           `json:"description,omitempty"`
	Fields            map[string]untrusted.Text `json:"fields,omitempty" jsonschema:"filled body fields except the description, fenced: they may hold reporter-supplied text"`
	Comments          []CommentView             `json:"comments"`
	CommentsOmitted   int                       `json:"comments_omitted,omitempty"`
	Rollup            []untrusted.Text          `json:"rollup,omitempty" jsonschema:"status rollup entry summaries, fenced: they may quote the report"`
	Thread            ThreadView                `json:"thread"`
	PullRequests      []PRView                  `json:"pull_requests,omitempty"`
	Precedents        []Precedent               `json:"precedents"`
	PreviousProposal  *PreviousProposal         `json:"previous_proposal,omitempty"`
	SuggestedMentions []Suggestion              `json:"suggested_mentions"`
	Needs             string                    `json:"needs,omitempty"`
	Class             string                    `json:"class,omitempty"`
	Comment           string                    `json:"proposed_comment,omitempty"`
	Action            string                    `json:"action,omitempty"`
	Next              string                    `json:"next,omitempty"`
	Notes             []string                  `json:"notes,omitempty"`
}

// ModelSection is a security-model section the agent may quote.
type ModelSection struct {
	Heading string `json:"heading"`
	Anchor  string `json:"anchor"`
	URL     string `json:"url,omitempty"`
	Text    string `json:"text"`
}

// RosterMember is a team member the agent may mention.
type RosterMember struct {
	Handle       string   `json:"handle"`
	Name         string   `json:"name"`
	Roles        []string `json:"roles,omitempty"`
	Expertise    []string `json:"expertise,omitempty"`
	Collaborator bool     `json:"collaborator"`
	Operator     bool     `json:"operator,omitempty"`
}

// CannedView names a canned response and when it applies.
type CannedView struct {
	Name    string `json:"name"`
	Applies string `json:"applies,omitempty"`
}

// Proposal is what triage_propose returns (the plan is saved by the caller).
// The security model, roster, canned responses and classes are included while
// some selected tracker still needs a judgement.
type Proposal struct {
	Plan          *lifecycle.Plan `json:"-"`
	Trackers      []Bundle        `json:"trackers"`
	SecurityModel []ModelSection  `json:"security_model,omitempty"`
	Roster        []RosterMember  `json:"roster,omitempty"`
	Canned        []CannedView    `json:"canned_responses,omitempty"`
	Classes       []ClassInfo     `json:"classes,omitempty"`
	Notes         []string        `json:"notes,omitempty"`
}

// maxComments is how many discussion comments a bundle shows.
const maxComments = 10

// maxFollowUps is how many reporter follow-ups a bundle shows (§9.3: the last 3).
const maxFollowUps = 3

// Propose gathers the selected trackers and, for those the agent judged,
// plans one triage-proposal comment each.
func Propose(ctx context.Context, d Deps, in Input) (*Proposal, error) {
	cfg := d.Config
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	judged, err := indexJudgements(in)
	if err != nil {
		return nil, err
	}
	if len(cfg.Roster) == 0 {
		return nil, errors.New("the project roster is empty: add the security team as [[roster]] members in project.toml (triage mentions them)")
	}
	model, err := cfg.LoadSecurityModel()
	if err != nil {
		return nil, fmt.Errorf("triage quotes the security model, which did not load (fix [security_model] in project.toml): %w", err)
	}
	canned, err := cfg.CannedResponses()
	if err != nil {
		return nil, fmt.Errorf("loading canned responses: %w", err)
	}
	t := d.Backend.Tracker
	team, err := lifecycle.Team(ctx, t)
	if err != nil {
		return nil, err
	}
	all, err := LoadAll(ctx, t)
	if err != nil {
		return nil, err
	}
	selected, err := selectTrackers(ctx, cfg, t, all, in, judged)
	if err != nil {
		return nil, err
	}

	pb := lifecycle.NewPlan("triage", ApplyTool, d.Operator, now)
	g := &Gatherer{Config: cfg, Backend: d.Backend, Team: team, Operator: d.Operator, All: all, Now: now}
	r := &run{d: d, cfg: cfg, now: now, team: team, trusted: lifecycle.TeamWithOperator(team, d.Operator), all: all, model: model, canned: canned, pb: pb, g: g}
	p := &Proposal{Plan: pb.Plan}
	needJudgement := false
	for i, is := range selected {
		if d.Progress != nil {
			d.Progress(i, len(selected), fmt.Sprintf("gathering %s#%d", t.Repo(), is.Number))
		}
		b, err := r.tracker(ctx, fmt.Sprintf("t%d", i+1), is, judged[is.Number])
		if err != nil {
			return nil, fmt.Errorf("%s#%d: %w", t.Repo(), is.Number, err)
		}
		needJudgement = needJudgement || b.Needs != ""
		p.Trackers = append(p.Trackers, b)
	}
	if d.Progress != nil {
		d.Progress(len(selected), len(selected), "gathered")
	}
	if needJudgement {
		p.SecurityModel = modelSections(model)
		p.Roster = roster(cfg, team, d.Operator)
		for _, c := range canned {
			p.Canned = append(p.Canned, CannedView{Name: c.Name, Applies: c.Applies})
		}
		p.Classes = Classes
	}
	pb.Audit("triage", map[string]string{"trackers": fmt.Sprint(len(pb.Plan.Actions))})
	p.Notes = append(p.Notes, "the plan only comments: labels, the board and the tracker state move later (sync, invalidate, deduplicate, allocate)")
	pb.Plan.Notes = p.Notes
	return p, nil
}

func indexJudgements(in Input) (map[int]Judgement, error) {
	out := map[int]Judgement{}
	for _, j := range in.Judgements {
		if j.Number <= 0 {
			return nil, errors.New("a judgement has no tracker number")
		}
		if _, dup := out[j.Number]; dup {
			return nil, fmt.Errorf("two judgements for #%d: give one", j.Number)
		}
		if len(in.Numbers) > 0 && !slices.Contains(in.Numbers, j.Number) {
			return nil, fmt.Errorf("judgement for #%d: that tracker is not in `numbers`; add it or drop the judgement", j.Number)
		}
		out[j.Number] = j
	}
	if in.Retriage && len(in.Numbers) == 0 && len(in.Judgements) == 0 {
		return nil, errors.New("retriage needs explicit `numbers`: name the trackers to triage again")
	}
	if len(in.Numbers) > maxSelected {
		return nil, fmt.Errorf("%d trackers selected; at most %d at a time", len(in.Numbers), maxSelected)
	}
	return out, nil
}

// selectTrackers resolves the selection (spec/intake.md §9.2). It never widens
// silently: an empty result is an error.
func selectTrackers(ctx context.Context, cfg *projects.Config, t lifecycle.Tracker, all []lifecycle.Issue, in Input, judged map[int]Judgement) ([]lifecycle.Issue, error) {
	numbers := slices.Clone(in.Numbers)
	if len(numbers) == 0 {
		for n := range judged {
			numbers = append(numbers, n)
		}
		slices.Sort(numbers)
	}
	L := cfg.Labels
	if len(numbers) == 0 {
		var out []lifecycle.Issue
		for _, is := range all {
			if is.State == "open" && is.HasLabel(L.NeedsTriage) && !is.HasLabel(L.RejectionsLedger) {
				out = append(out, is)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no open tracker in %s is labelled %q: pass `numbers` (with retriage: true for trackers past triage)", t.Repo(), L.NeedsTriage)
		}
		if len(out) > maxSelected {
			return nil, fmt.Errorf("%d trackers need triage, more than %d at a time: pass `numbers`", len(out), maxSelected)
		}
		slices.SortFunc(out, func(a, b lifecycle.Issue) int { return a.Number - b.Number })
		return out, nil
	}
	var out []lifecycle.Issue
	for _, n := range numbers {
		if n <= 0 {
			return nil, fmt.Errorf("%d is not a tracker number", n)
		}
		if slices.ContainsFunc(out, func(x lifecycle.Issue) bool { return x.Number == n }) {
			continue
		}
		is, err := Lookup(ctx, t, all, n)
		if err != nil {
			return nil, err
		}
		switch {
		case is.HasLabel(L.RejectionsLedger):
			return nil, fmt.Errorf("%s#%d is the rejections ledger, not a tracker", t.Repo(), n)
		case is.State != "open":
			return nil, fmt.Errorf("%s#%d is closed (%s): there is nothing to triage; reopen it first if the report came back", t.Repo(), n, StateOf(is, cfg))
		case !is.HasLabel(L.NeedsTriage) && !in.Retriage:
			return nil, fmt.Errorf("%s#%d is past triage (no %q label); pass retriage: true to propose again", t.Repo(), n, L.NeedsTriage)
		}
		out = append(out, is)
	}
	return out, nil
}

// run carries what one proposal reads once.
type run struct {
	d    Deps
	cfg  *projects.Config
	now  time.Time
	team map[string]bool // collaborators: who may be mentioned
	// trusted is whose text counts as the team's (lifecycle.TeamWithOperator).
	trusted map[string]bool
	all     []lifecycle.Issue
	model   *projects.SecurityModelDoc
	canned  []projects.Canned
	pb      *lifecycle.PlanBuilder
	g       *Gatherer
}

// prior is what the tracker's comments say about earlier proposals.
type prior struct {
	ours     *lifecycle.Comment // our proposal comment (carries the marker)
	oursMeta lifecycle.TriageProposalMeta
	last     *PreviousProposal
	since    time.Time // when the last proposal was made; zero: never
	problem  string    // why no proposal may be planned (a foreign or second marker)
}

func (r *run) prior(comments []lifecycle.Comment) prior {
	var p prior
	var tagged []lifecycle.Comment
	for _, c := range comments {
		if lifecycle.CommentHasTag(c.Body, lifecycle.MarkerTriageProposalPrefix) {
			tagged = append(tagged, c)
		}
	}
	for _, c := range tagged {
		if !r.trusted[strings.ToLower(c.Author)] {
			p.problem = fmt.Sprintf("comment %s by %s (not on the security team) carries the triage-proposal marker: delete that comment, then propose again", c.URL, c.Author)
			return p
		}
	}
	if len(tagged) > 1 {
		p.problem = fmt.Sprintf("%d comments carry the triage-proposal marker: keep one (delete the others by hand), then propose again", len(tagged))
		return p
	}
	if len(tagged) == 1 {
		c := tagged[0]
		p.ours = &c
		p.oursMeta, _ = lifecycle.ParseTriageProposalMarker(c.Body)
		if p.oursMeta.At.IsZero() {
			p.oursMeta.At = c.CreatedAt
		}
		p.since = p.oursMeta.At
		p.last = &PreviousProposal{Class: p.oursMeta.Class, At: p.oursMeta.At.UTC().Format(time.RFC3339), By: p.oursMeta.By, URL: c.URL, Ours: true}
	}
	// Proposals the reference workflow (or a person) posted without a marker.
	for _, c := range comments {
		if lifecycle.CommentHasTag(c.Body, lifecycle.MarkerTriageProposalPrefix) || !r.trusted[strings.ToLower(c.Author)] {
			continue
		}
		if class, ok := lifecycle.TriageProposalDisposition(c.Body); ok && c.CreatedAt.After(p.since) {
			p.since = c.CreatedAt
			p.last = &PreviousProposal{Class: class, At: c.CreatedAt.UTC().Format(time.RFC3339), By: c.Author, URL: c.URL}
		}
	}
	return p
}

// tracker gathers one tracker and, with a judgement, plans its comment.
func (r *run) tracker(ctx context.Context, item string, is lifecycle.Issue, j Judgement) (Bundle, error) {
	cfg := r.cfg
	c, err := r.g.Gather(ctx, is)
	if err != nil {
		return Bundle{}, err
	}
	title, _ := untrusted.Clean(is.Title)
	b := Bundle{Item: item, Number: is.Number, URL: is.URL, Title: untrusted.Wrap("tracker title", title), Labels: is.Labels,
		Created: is.CreatedAt.UTC().Format(time.RFC3339), Step: c.State.Step, DaysStalled: c.State.DaysStalled,
		Scope: strings.Join(c.Scopes, ", "), InferredScopes: c.Inferred, CodePointers: c.Pointers, Precedents: c.Precedents,
		Rollup: RollupSummaries(c.Comments, cfg.Markers.RollupPrefix), Notes: c.Notes}
	if b.Scope == "" {
		b.Scope = "<missing>"
	}
	if b.Precedents == nil {
		b.Precedents = []Precedent{}
		b.Notes = append(b.Notes, fmt.Sprintf("no precedent: no closed or CVE-allocated tracker among %d shares a code file, the scope or two title words", len(r.all)-1))
	}

	pr := r.prior(c.Comments)
	b.PreviousProposal = pr.last
	if pr.problem != "" {
		b.Notes = append(b.Notes, pr.problem)
	}
	newComments, omitted := DiscussionComments(c.Comments, cfg.Markers.RollupPrefix, pr.since, maxComments)
	if pr.ours != nil {
		newComments = slices.DeleteFunc(newComments, func(x lifecycle.Comment) bool { return x.ID == pr.ours.ID })
	}
	followUps := FollowUps(c.Thread, pr.since, maxFollowUps)
	switch {
	case pr.since.IsZero():
		b.Mode = ModeFirst
	case len(newComments) > 0 || len(followUps) > 0:
		b.Mode = ModeRetriage
	default:
		b.Mode = ModeRerun
	}
	b.Comments = []CommentView{}
	for _, cm := range newComments {
		b.Comments = append(b.Comments, ViewComment(cm, r.trusted))
	}
	b.CommentsOmitted = omitted
	body := lifecycle.ParseBody(is.Body)
	if b.Mode == ModeFirst {
		desc, _ := body.Get(lifecycle.FieldDescription)
		w := untrusted.Wrap("report text (tracker description)", desc)
		b.Description = &w
		b.Fields = FieldViews(body)
	} else {
		b.Notes = append(b.Notes, fmt.Sprintf("%s mode: only comments and mail after the last proposal (%s) are shown; tracker_get shows the rest", b.Mode, pr.last.At))
	}
	b.Thread = ThreadView{Path: string(c.Origin.Path), ThreadID: c.Origin.ThreadID, Note: c.ThreadNote}
	for _, m := range followUps {
		b.Thread.Messages = append(b.Thread.Messages, ViewMessage(m, cfg))
	}
	for _, p := range c.Linked {
		b.PullRequests = append(b.PullRequests, viewPR(p, is, cfg, "linked from the tracker"))
	}
	for _, p := range c.Related {
		b.PullRequests = append(b.PullRequests, viewPR(p, is, cfg, "found by the public-fix search (same words in its title or body)"))
	}
	b.SuggestedMentions = r.g.Suggest(c)
	if b.SuggestedMentions == nil {
		b.SuggestedMentions = []Suggestion{}
	}
	if len(b.SuggestedMentions) < PreferredMentions {
		b.Notes = append(b.Notes, "the routing found fewer than two team members to ask: confirm the handles with the human and pass `mention`")
	}

	if j.Number == 0 {
		b.Needs = "a judgement: class, summary, model_section + model_quote (verbatim), fix_shape, question (mention optional)"
		return b, nil
	}
	if pr.problem != "" {
		return b, errors.New(pr.problem)
	}
	return r.plan(ctx, b, c, pr, j)
}

func modelSections(doc *projects.SecurityModelDoc) []ModelSection {
	var out []ModelSection
	for _, s := range doc.Sections() {
		// The section's own text, without its subsections (listed on their own).
		text := s.Body
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "#") {
				text = strings.TrimSpace(text[:strings.Index(text, l)])
				break
			}
		}
		if text == "" || s.Level < 2 {
			continue
		}
		out = append(out, ModelSection{Heading: s.Heading, Anchor: s.Anchor, URL: s.URL, Text: text})
	}
	return out
}

func roster(cfg *projects.Config, team map[string]bool, operator string) []RosterMember {
	var out []RosterMember
	for _, m := range cfg.Roster {
		out = append(out, RosterMember{Handle: m.Handle, Name: m.Name, Roles: m.Roles, Expertise: m.Expertise,
			Collaborator: team[strings.ToLower(m.Handle)], Operator: strings.EqualFold(m.Handle, strings.TrimPrefix(operator, "@"))})
	}
	return out
}
