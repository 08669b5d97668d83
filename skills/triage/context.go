package triage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
)

// Context is what the gather found for one tracker. The escalation reads the
// same context to brief the agent and to choose reviewers.
type Context struct {
	Issue    lifecycle.Issue
	Comments []lifecycle.Comment
	State    lifecycle.State
	// Pointers are the source files the report names; Scopes its scope labels;
	// Inferred the scopes its code paths map to.
	Pointers []string
	Scopes   []string
	Inferred []string
	Keywords []string
	// Linked are upstream PRs the tracker links (PR with the fix, the report);
	// Related are PRs found by the public-fix search (≤ 2 searches).
	Linked  []lifecycle.PullRequest
	Related []lifecycle.PullRequest
	// Precedents are related trackers; Variants the CVE-allocated ones among
	// them that share a scope.
	Precedents []Precedent
	Variants   []lifecycle.Issue
	Origin     reply.Origin
	Thread     *lifecycle.Thread
	ThreadNote string
	Notes      []string
}

// Gatherer reads trackers for triage and escalation.
type Gatherer struct {
	Config  *projects.Config
	Backend lifecycle.Backend
	// Team is the collaborators (who may be mentioned); the stall count reads
	// Team plus Operator (lifecycle.TeamWithOperator).
	Team     map[string]bool
	Operator string
	// All is every tracker (open and closed), read once per proposal.
	All []lifecycle.Issue
	Now time.Time
}

// Gather reads one tracker's context.
func (g *Gatherer) Gather(ctx context.Context, is lifecycle.Issue) (*Context, error) {
	cfg := g.Config
	t := g.Backend.Tracker
	comments, err := t.ListComments(ctx, is.Number)
	if err != nil {
		return nil, fmt.Errorf("reading the comments of %s#%d: %w", t.Repo(), is.Number, err)
	}
	vocab := lifecycle.VocabularyFor(cfg)
	c := &Context{Issue: is, Comments: comments, Scopes: vocab.ScopeLabels(is), Keywords: Keywords(is.Title, cfg)}
	c.State = vocab.Derive(is, &lifecycle.StallInput{Comments: comments, Team: lifecycle.TeamWithOperator(g.Team, g.Operator), Now: g.Now, StallDays: cfg.Disclosure.StallDays})
	body := lifecycle.ParseBody(is.Body)
	desc, _ := body.Get(lifecycle.FieldDescription)
	c.Pointers = CodePointers(desc, cfg)
	c.Inferred = InferScopes(cfg, c.Pointers)
	if len(c.Inferred) > 1 {
		c.Notes = append(c.Notes, fmt.Sprintf("the code paths map to %d scopes (%s): a multi-scope report is split per scope before allocation", len(c.Inferred), strings.Join(c.Inferred, ", ")))
	}

	if up := g.Backend.Upstream; up != nil {
		fix, _ := body.Get(lifecycle.FieldFixPR)
		nums := UpstreamPRNumbers(fix+"\n"+desc, up.Repo())
		for _, n := range nums {
			pr, err := up.GetPullRequest(ctx, n)
			if err != nil {
				c.Notes = append(c.Notes, fmt.Sprintf("linked PR %s#%d could not be read: %v", up.Repo(), n, err))
				continue
			}
			c.Linked = append(c.Linked, pr)
		}
		for _, term := range searchTerms(c.Pointers, c.Keywords) {
			prs, err := up.SearchPullRequests(ctx, []string{term}, "all")
			if err != nil {
				c.Notes = append(c.Notes, fmt.Sprintf("searching %s for PRs mentioning %q failed: %v", up.Repo(), term, err))
				continue
			}
			for _, pr := range prs {
				if !slices.ContainsFunc(c.Related, func(p lifecycle.PullRequest) bool { return p.Number == pr.Number }) &&
					!slices.Contains(nums, pr.Number) {
					c.Related = append(c.Related, pr)
				}
			}
		}
	}

	c.Precedents = Precedents(is, g.All, cfg)
	for _, p := range c.Precedents {
		if p.Kind != "positive" || !slices.ContainsFunc(p.Shared, func(s string) bool { return strings.HasPrefix(s, "scope ") }) {
			continue
		}
		if i := slices.IndexFunc(g.All, func(x lifecycle.Issue) bool { return x.Number == p.Number }); i >= 0 {
			c.Variants = append(c.Variants, g.All[i])
		}
	}
	c.Origin, c.Thread, c.ThreadNote = ReadThread(ctx, g.Backend.Mail, is.Body)
	return c, nil
}

// RouteScopes are the scopes routing uses: the labels, else the inferred ones.
func (c *Context) RouteScopes() []string {
	if len(c.Scopes) > 0 {
		return c.Scopes
	}
	return c.Inferred
}

// Suggest runs the mention routing on the context.
func (g *Gatherer) Suggest(c *Context) []Suggestion {
	return Route(RouteInput{Config: g.Config, Team: g.Team, Operator: g.Operator, Scopes: c.RouteScopes(),
		PRs: append(slices.Clone(c.Linked), c.Related...), Variants: c.Variants})
}

// LoadAll reads every tracker once (precedents, duplicate targets, links).
func LoadAll(ctx context.Context, t lifecycle.Tracker) ([]lifecycle.Issue, error) {
	all, err := t.ListIssues(ctx, lifecycle.IssueFilter{State: "all"})
	if err != nil {
		return nil, fmt.Errorf("reading the trackers of %s (check the token and repository): %w", t.Repo(), err)
	}
	return all, nil
}

// Lookup finds a tracker by number in the loaded list, else reads it.
func Lookup(ctx context.Context, t lifecycle.Tracker, all []lifecycle.Issue, n int) (lifecycle.Issue, error) {
	if i := slices.IndexFunc(all, func(x lifecycle.Issue) bool { return x.Number == n }); i >= 0 {
		return all[i], nil
	}
	is, err := t.GetIssue(ctx, n)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return is, fmt.Errorf("%s#%d does not exist; tracker_list shows the open trackers", t.Repo(), n)
	}
	if err != nil {
		return is, fmt.Errorf("reading %s#%d: %w", t.Repo(), n, err)
	}
	return is, nil
}

// Link renders a one-click markdown link to a tracker (spec/intake.md §2.9).
func Link(is lifecycle.Issue) string {
	return fmt.Sprintf("[%s#%d](%s)", is.Repo, is.Number, is.URL)
}

// StateOf says in a few words how a tracker stands.
func StateOf(is lifecycle.Issue, cfg *projects.Config) string {
	L := cfg.Labels
	for _, l := range []string{L.Invalid, L.NotCVEWorthy, L.Duplicate, L.Wontfix} {
		if l != "" && is.HasLabel(l) {
			return "closed as " + l + closedOn(is)
		}
	}
	if is.HasLabel(L.CVEAllocated) {
		return "CVE allocated, " + is.State
	}
	return is.State
}
