package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Tracker is one tracker as the gather step read it. Rules read it; nothing
// changes it.
type Tracker struct {
	Issue    lifecycle.Issue
	Comments []lifecycle.Comment
	// Board is the tracker's board item; nil when the project has no board.
	Board *lifecycle.BoardItem
	// Rollup is the one status rollup written by the team or the operator (nil
	// if none); Entries are its parsed entries.
	Rollup  *lifecycle.Comment
	Entries []lifecycle.ParsedEntry
	// RollupProblem says why no rollup entry may be written ("" when fine).
	RollupProblem string
	// Explicit is true when the tracker was named by number.
	Explicit bool
}

// gather reads the selected trackers, in ascending number order.
func gather(ctx context.Context, d Deps, p *Pass, in ProposeInput, preflight bool) ([]*Tracker, []Skipped, error) {
	tr := d.Backend.Tracker
	ledger := d.Config.Labels.RejectionsLedger
	var issues []lifecycle.Issue
	if in.AllOpen {
		all, err := tr.ListIssues(ctx, lifecycle.IssueFilter{State: "open"})
		if err != nil {
			return nil, nil, fmt.Errorf("listing the open trackers of %s (check the token and repository): %w", tr.Repo(), err)
		}
		for _, is := range all {
			if ledger == "" || !is.HasLabel(ledger) {
				issues = append(issues, is)
			}
		}
	} else {
		nums := slices.Clone(in.Numbers)
		slices.Sort(nums)
		for _, n := range slices.Compact(nums) {
			is, err := tr.GetIssue(ctx, n)
			if errors.Is(err, lifecycle.ErrNotFound) {
				return nil, nil, fmt.Errorf("%s#%d does not exist; tracker_list shows the open trackers", tr.Repo(), n)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s#%d: %w", tr.Repo(), n, err)
			}
			if ledger != "" && is.HasLabel(ledger) {
				return nil, nil, fmt.Errorf("%s#%d is the rejections ledger, not a tracker: leave it out", tr.Repo(), n)
			}
			issues = append(issues, is)
		}
	}
	slices.SortFunc(issues, func(a, b lifecycle.Issue) int { return a.Number - b.Number })

	var out []*Tracker
	var skipped []Skipped
	for i, is := range issues {
		if d.Progress != nil {
			d.Progress(i, len(issues), fmt.Sprintf("reading #%d", is.Number))
		}
		comments, err := tr.ListComments(ctx, is.Number)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the comments of %s#%d: %w", tr.Repo(), is.Number, err)
		}
		if preflight {
			if skip, why := Preflight(is, comments, p.Config.Labels, p.Now); skip {
				skipped = append(skipped, Skipped{Number: is.Number, URL: is.URL, Reason: why})
				continue
			}
		}
		t := &Tracker{Issue: is, Comments: comments, Explicit: !in.AllOpen}
		if d.Config.Board.Enabled {
			item, err := tr.BoardItem(ctx, is.Number)
			switch {
			case errors.Is(err, lifecycle.ErrUnsupported):
			case err != nil:
				return nil, nil, fmt.Errorf("reading the board item of %s#%d: %w", tr.Repo(), is.Number, err)
			default:
				t.Board = &item
			}
		}
		p.readRollup(t)
		out = append(out, t)
	}
	if d.Progress != nil && len(issues) > 0 {
		d.Progress(len(issues), len(issues), fmt.Sprintf("gathered %d trackers", len(out)))
	}
	return out, skipped, nil
}

// readRollup finds the one status rollup the rules may trust. Rollups are found
// the way the executor finds them (any author), so that a rollup the executor
// would refuse to write to stops the tracker here already; only a rollup by a
// collaborator or the operator is read as a record of what was done.
func (p *Pass) readRollup(t *Tracker) {
	rollups := lifecycle.FindRollups(t.Comments, p.Config.Markers.RollupPrefix)
	switch {
	case len(rollups) > 1:
		t.RollupProblem = fmt.Sprintf("%d status-rollup comments: keep one (delete the others by hand), then sync again", len(rollups))
	case len(rollups) == 1 && !p.trusted(rollups[0].Author):
		t.RollupProblem = fmt.Sprintf("the status-rollup comment is by @%s, who is not on the security team: check it and delete it if it is not the team's, then sync again", rollups[0].Author)
	case len(rollups) == 1:
		c := rollups[0]
		t.Rollup = &c
		t.Entries = lifecycle.ParseRollup(c.Body)
	}
}

// trusted reports whether a login is on the security team or is the operator
// this server writes as.
func (p *Pass) trusted(login string) bool {
	l := strings.ToLower(login)
	return p.Team[l] || (p.Operator != "" && l == strings.ToLower(p.Operator))
}

// derive is the tracker's lifecycle state. Stall days come from
// lifecycle.Derive over every comment, the one definition that tracker_list,
// triage and escalate share.
func (p *Pass) derive(t *Tracker, is lifecycle.Issue) lifecycle.State {
	return p.Vocab.Derive(is, &lifecycle.StallInput{Comments: t.Comments, Team: lifecycle.TeamWithOperator(p.Team, p.Operator), Now: p.Now, StallDays: p.Config.Disclosure.StallDays})
}

// Preflight is the bulk pre-flight classifier (spec/release.md §6.19) for an open
// tracker: it skips trackers whose state only the release or the advisory can
// move and whose last comment was written by the workflow or a bot. Recent human
// activity always dispatches. The reason names the rule and its signals; skips
// are listed in the proposal, never silent. Trackers named by number are never
// pre-flight skipped.
func Preflight(is lifecycle.Issue, comments []lifecycle.Comment, l projects.LabelsSection, now time.Time) (skip bool, reason string) {
	var last *lifecycle.Comment
	for i := range comments {
		if last == nil || !comments[i].CreatedAt.Before(last.CreatedAt) {
			last = &comments[i]
		}
	}
	botLast := last != nil && (lifecycle.IsSkillAuthored(last.Body) || isBotLogin(last.Author))
	humanLast := last != nil && !botLast
	has := func(names ...string) bool {
		for _, n := range names {
			if n == "" || !is.HasLabel(n) {
				return false
			}
		}
		return true
	}
	switch {
	case is.State != "open":
		return false, "dispatch: not an open tracker"
	case humanLast && now.Sub(is.UpdatedAt) <= 7*24*time.Hour:
		return false, "dispatch: recent human activity"
	case humanLast && now.Sub(last.CreatedAt) <= 24*time.Hour:
		return false, "dispatch (urgent): a human just commented"
	case botLast && has(l.CVEAllocated, l.PRMerged, l.Announced):
		return true, fmt.Sprintf("skip-noop: all phases done, awaiting closure (labels %q, %q, %q; last comment by the workflow or a bot)", l.CVEAllocated, l.PRMerged, l.Announced)
	case botLast && has(l.CVEAllocated, l.PRMerged):
		return true, fmt.Sprintf("skip-noop: awaiting the release (labels %q, %q; last comment by the workflow or a bot)", l.CVEAllocated, l.PRMerged)
	case botLast && has(l.CVEAllocated, l.FixReleased):
		return true, fmt.Sprintf("skip-noop: fix released, awaiting advisory propagation (labels %q, %q; last comment by the workflow or a bot)", l.CVEAllocated, l.FixReleased)
	}
	return false, "dispatch"
}

// isBotLogin: a GitHub App or a known automation account.
func isBotLogin(login string) bool {
	l := strings.ToLower(login)
	return strings.HasSuffix(l, "[bot]") || l == "github-actions" || l == "dependabot"
}
