package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// tracker implements lifecycle.Tracker on a GitHub repository's issues.
type tracker struct {
	c           *Client
	owner, name string
}

var _ lifecycle.Tracker = (*tracker)(nil)

func (t *tracker) Repo() string {
	if t.owner == "" {
		return ""
	}
	return t.owner + "/" + t.name
}

func (t *tracker) op(format string, args ...any) string {
	return fmt.Sprintf(format, args...) + " in " + t.Repo()
}

func (t *tracker) configured(op string) error {
	if t.owner == "" {
		return &Error{Op: op, msg: "no tracker repository is configured", kind: lifecycle.ErrUnsupported}
	}
	return nil
}

// perPage is the largest page GitHub serves; every list reads every page.
const perPage = 100

func (t *tracker) GetIssue(ctx context.Context, number int) (lifecycle.Issue, error) {
	op := t.op("get issue #%d", number)
	if err := t.configured(op); err != nil {
		return lifecycle.Issue{}, err
	}
	is, err := t.getIssue(ctx, op, number)
	if err != nil {
		return lifecycle.Issue{}, err
	}
	return t.convert(is), nil
}

// getIssue reads an issue, refusing pull requests (which share the numbering).
func (t *tracker) getIssue(ctx context.Context, op string, number int) (*gh.Issue, error) {
	is, _, err := t.c.rest.Issues.Get(ctx, t.owner, t.name, number)
	if err != nil {
		return nil, wrapErr(op, permIssuesRead, err)
	}
	if is.IsPullRequest() {
		return nil, &Error{Op: op, kind: lifecycle.ErrNotFound, msg: fmt.Sprintf("#%d is a pull request, not an issue", number)}
	}
	t.c.rememberNodeID(number, is.GetNodeID())
	return is, nil
}

func (t *tracker) ListIssues(ctx context.Context, f lifecycle.IssueFilter) ([]lifecycle.Issue, error) {
	op := t.op("list issues")
	if err := t.configured(op); err != nil {
		return nil, err
	}
	state := f.State
	switch state {
	case "":
		state = "open"
	case "open", "closed", "all":
	default:
		return nil, &Error{Op: op, msg: fmt.Sprintf("state %q is not open, closed or all", f.State)}
	}
	opt := &gh.IssueListByRepoOptions{
		State: state, Labels: f.Labels, Since: f.Since,
		Sort: "created", Direction: "asc",
		ListOptions: gh.ListOptions{PerPage: perPage},
	}
	var out []lifecycle.Issue
	for {
		page, resp, err := t.c.rest.Issues.ListByRepo(ctx, t.owner, t.name, opt)
		if err != nil {
			return nil, wrapErr(op, permIssuesRead, err)
		}
		for _, is := range page {
			if is.IsPullRequest() {
				continue
			}
			t.c.rememberNodeID(is.GetNumber(), is.GetNodeID())
			out = append(out, t.convert(is))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// FindByIntakeKey combines the search API (which lags behind writes by seconds
// to minutes) with a read of the most recently created issues (which does not),
// then keeps only bodies that carry the exact key. An issue found only by search
// is read again (one conditional GET per such match), because the index may hold
// an older body.
func (t *tracker) FindByIntakeKey(ctx context.Context, key string) ([]lifecycle.Issue, error) {
	op := t.op("find issues by intake key")
	if err := t.configured(op); err != nil {
		return nil, err
	}
	if strings.TrimSpace(key) == "" {
		return nil, &Error{Op: op, msg: "empty intake key"}
	}
	found := map[int]*gh.Issue{}
	query, phrases := issueQuery(t.Repo(), "issue", "body", "", []string{intakeKeySearchTerm(key)})
	if phrases > 0 {
		opt := &gh.SearchOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
		for {
			res, resp, err := t.c.rest.Search.Issues(ctx, query, opt)
			if err != nil {
				return nil, wrapErr(op, permIssuesRead, err)
			}
			for _, is := range res.Issues {
				found[is.GetNumber()] = is
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	fresh := map[int]bool{}
	if t.c.opts.recentScan > 0 {
		recent, _, err := t.c.rest.Issues.ListByRepo(ctx, t.owner, t.name, &gh.IssueListByRepoOptions{
			State: "all", Sort: "created", Direction: "desc",
			ListOptions: gh.ListOptions{PerPage: t.c.opts.recentScan},
		})
		if err != nil {
			return nil, wrapErr(op, permIssuesRead, err)
		}
		for _, is := range recent {
			// The listing is read now; it wins over a possibly older search hit.
			found[is.GetNumber()] = is
			fresh[is.GetNumber()] = true
		}
	}
	var out []lifecycle.Issue
	for n, is := range found {
		if is.IsPullRequest() || !lifecycle.BodyHasIntakeKey(is.GetBody(), key) {
			continue
		}
		if !fresh[n] {
			// A search hit carries what the index saw; read the issue itself
			// (conditionally) so body and Version are current.
			cur, err := t.getIssue(ctx, op, n)
			switch {
			case errors.Is(err, lifecycle.ErrNotFound):
				continue // deleted or transferred since it was indexed
			case err != nil:
				return nil, err
			case !lifecycle.BodyHasIntakeKey(cur.GetBody(), key):
				continue
			}
			is = cur
		}
		t.c.rememberNodeID(n, is.GetNodeID())
		out = append(out, t.convert(is))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func (t *tracker) CreateIssue(ctx context.Context, n lifecycle.NewIssue) (lifecycle.Issue, error) {
	op := t.op("create issue")
	if err := t.configured(op); err != nil {
		return lifecycle.Issue{}, err
	}
	if strings.TrimSpace(n.Title) == "" {
		return lifecycle.Issue{}, &Error{Op: op, msg: "the title is empty"}
	}
	req := &gh.IssueRequest{Title: gh.String(n.Title), Body: gh.String(n.Body)}
	if len(n.Labels) > 0 {
		// GitHub would create unknown labels silently on issue creation.
		labels, err := t.resolveLabels(ctx, op, n.Labels)
		if err != nil {
			return lifecycle.Issue{}, err
		}
		req.Labels = &labels
	}
	is, _, err := t.c.rest.Issues.Create(ctx, t.owner, t.name, req)
	if err != nil {
		return lifecycle.Issue{}, wrapErr(op, permIssuesWrite, err)
	}
	t.c.rememberNodeID(is.GetNumber(), is.GetNodeID())
	return t.convert(is), nil
}

func (t *tracker) SetBody(ctx context.Context, number int, body string) (lifecycle.Issue, error) {
	return t.edit(ctx, t.op("set body of issue #%d", number), number, &gh.IssueRequest{Body: gh.String(body)})
}

func (t *tracker) edit(ctx context.Context, op string, number int, req *gh.IssueRequest) (lifecycle.Issue, error) {
	if err := t.configured(op); err != nil {
		return lifecycle.Issue{}, err
	}
	is, _, err := t.c.rest.Issues.Edit(ctx, t.owner, t.name, number, req)
	if err != nil {
		return lifecycle.Issue{}, wrapErr(op, permIssuesWrite, err)
	}
	return t.convert(is), nil
}

// EditLabels reads the issue and the repository's labels, then replaces the
// issue's label set in one PATCH (one timeline event). Nothing is written when
// an added label is not defined in the repository, or when the set would not
// change.
func (t *tracker) EditLabels(ctx context.Context, number int, add, remove []string) (lifecycle.Issue, error) {
	op := t.op("edit labels of issue #%d", number)
	if err := t.configured(op); err != nil {
		return lifecycle.Issue{}, err
	}
	is, err := t.getIssue(ctx, op, number)
	if err != nil {
		return lifecycle.Issue{}, err
	}
	var current []string
	for _, l := range is.Labels {
		current = append(current, l.GetName())
	}
	var canonical []string
	if len(add) > 0 {
		if canonical, err = t.resolveLabels(ctx, op, add); err != nil {
			return lifecycle.Issue{}, err
		}
	}
	next := nextLabels(current, canonical, remove)
	if sameLabelSet(current, next) {
		return t.convert(is), nil
	}
	return t.edit(ctx, op, number, &gh.IssueRequest{Labels: &next})
}

// nextLabels is current + add − remove, case-insensitively, keeping the
// current order and appending additions.
func nextLabels(current, add, remove []string) []string {
	drop := map[string]bool{}
	for _, r := range remove {
		drop[strings.ToLower(r)] = true
	}
	seen := map[string]bool{}
	next := []string{}
	for _, l := range append(slices.Clone(current), add...) {
		k := strings.ToLower(l)
		if seen[k] {
			continue
		}
		seen[k] = true
		// A label both added and removed in one call is added: the caller asked
		// for it explicitly.
		if drop[k] && !slices.ContainsFunc(add, func(a string) bool { return strings.EqualFold(a, l) }) {
			continue
		}
		next = append(next, l)
	}
	return next
}

func sameLabelSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, l := range a {
		set[strings.ToLower(l)] = true
	}
	for _, l := range b {
		if !set[strings.ToLower(l)] {
			return false
		}
	}
	return true
}

// resolveLabels checks that every name is a label of the repository and
// returns the repository's spelling of each; an error names all missing ones.
func (t *tracker) resolveLabels(ctx context.Context, op string, names []string) ([]string, error) {
	defined, err := t.listLabels(ctx, op)
	if err != nil {
		return nil, err
	}
	byKey := map[string]string{}
	for _, l := range defined {
		byKey[strings.ToLower(l)] = l
	}
	var out, missing []string
	for _, n := range names {
		if l, ok := byKey[strings.ToLower(strings.TrimSpace(n))]; ok {
			out = append(out, l)
		} else {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	if len(missing) > 0 {
		return nil, &Error{Op: op, kind: lifecycle.ErrNotFound,
			msg: fmt.Sprintf("label %s not defined in %s; labels are never created implicitly: create it in the repository or fix the configuration", strings.Join(missing, ", "), t.Repo())}
	}
	return out, nil
}

func (t *tracker) ListLabels(ctx context.Context) ([]string, error) {
	op := t.op("list labels")
	if err := t.configured(op); err != nil {
		return nil, err
	}
	return t.listLabels(ctx, op)
}

func (t *tracker) listLabels(ctx context.Context, op string) ([]string, error) {
	opt := &gh.ListOptions{PerPage: perPage}
	var out []string
	for {
		page, resp, err := t.c.rest.Issues.ListLabels(ctx, t.owner, t.name, opt)
		if err != nil {
			return nil, wrapErr(op, permIssuesRead, err)
		}
		for _, l := range page {
			out = append(out, l.GetName())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// CloseIssue closes with a state reason: "completed" (the default), "not_planned"
// or "duplicate".
func (t *tracker) CloseIssue(ctx context.Context, number int, reason string) (lifecycle.Issue, error) {
	op := t.op("close issue #%d", number)
	switch reason {
	case "":
		reason = "completed"
	case "completed", "not_planned", "duplicate":
	default:
		return lifecycle.Issue{}, &Error{Op: op, msg: fmt.Sprintf("close reason %q is not completed, not_planned or duplicate", reason)}
	}
	return t.edit(ctx, op, number, &gh.IssueRequest{State: gh.String("closed"), StateReason: gh.String(reason)})
}

func (t *tracker) ReopenIssue(ctx context.Context, number int) (lifecycle.Issue, error) {
	return t.edit(ctx, t.op("reopen issue #%d", number), number, &gh.IssueRequest{State: gh.String("open")})
}

// SetAssignees replaces the assignees. GitHub silently drops logins that cannot
// be assigned; the returned issue shows who was.
func (t *tracker) SetAssignees(ctx context.Context, number int, logins []string) (lifecycle.Issue, error) {
	l := append([]string{}, logins...)
	return t.edit(ctx, t.op("set assignees of issue #%d", number), number, &gh.IssueRequest{Assignees: &l})
}

// SetMilestone sets the milestone by title (open or closed milestones); an empty
// title clears it.
func (t *tracker) SetMilestone(ctx context.Context, number int, title string) (lifecycle.Issue, error) {
	op := t.op("set milestone of issue #%d", number)
	if err := t.configured(op); err != nil {
		return lifecycle.Issue{}, err
	}
	if title == "" {
		is, _, err := t.c.rest.Issues.RemoveMilestone(ctx, t.owner, t.name, number)
		if err != nil {
			return lifecycle.Issue{}, wrapErr(op, permIssuesWrite, err)
		}
		return t.convert(is), nil
	}
	ms, err := t.milestones(ctx, op)
	if err != nil {
		return lifecycle.Issue{}, err
	}
	num := 0
	for _, m := range ms { // exact title first, then case-insensitive
		if m.GetTitle() == title {
			num = m.GetNumber()
			break
		}
	}
	if num == 0 {
		for _, m := range ms {
			if strings.EqualFold(m.GetTitle(), title) {
				num = m.GetNumber()
				break
			}
		}
	}
	if num == 0 {
		return lifecycle.Issue{}, &Error{Op: op, kind: lifecycle.ErrNotFound,
			msg: fmt.Sprintf("milestone %q does not exist in %s; create it first", title, t.Repo())}
	}
	return t.edit(ctx, op, number, &gh.IssueRequest{Milestone: gh.Int(num)})
}

func (t *tracker) ListMilestones(ctx context.Context) ([]string, error) {
	op := t.op("list milestones")
	if err := t.configured(op); err != nil {
		return nil, err
	}
	ms, err := t.milestones(ctx, op)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.GetTitle())
	}
	return out, nil
}

func (t *tracker) milestones(ctx context.Context, op string) ([]*gh.Milestone, error) {
	opt := &gh.MilestoneListOptions{State: "all", ListOptions: gh.ListOptions{PerPage: perPage}}
	var out []*gh.Milestone
	for {
		page, resp, err := t.c.rest.Issues.ListMilestones(ctx, t.owner, t.name, opt)
		if err != nil {
			return nil, wrapErr(op, permIssuesRead, err)
		}
		out = append(out, page...)
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func (t *tracker) ListComments(ctx context.Context, number int) ([]lifecycle.Comment, error) {
	op := t.op("list comments of issue #%d", number)
	if err := t.configured(op); err != nil {
		return nil, err
	}
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
	out := []lifecycle.Comment{}
	for {
		page, resp, err := t.c.rest.Issues.ListComments(ctx, t.owner, t.name, number, opt)
		if err != nil {
			return nil, wrapErr(op, permIssuesRead, err)
		}
		for _, c := range page {
			out = append(out, convertComment(c))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func (t *tracker) CreateComment(ctx context.Context, number int, body string) (lifecycle.Comment, error) {
	op := t.op("comment on issue #%d", number)
	if err := t.configured(op); err != nil {
		return lifecycle.Comment{}, err
	}
	c, _, err := t.c.rest.Issues.CreateComment(ctx, t.owner, t.name, number, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return lifecycle.Comment{}, wrapErr(op, permIssuesWrite, err)
	}
	return convertComment(c), nil
}

// UpdateComment edits a comment by id; number only names the issue in errors
// (GitHub addresses comments by id alone).
func (t *tracker) UpdateComment(ctx context.Context, number int, commentID int64, body string) (lifecycle.Comment, error) {
	op := t.op("update comment %d on issue #%d", commentID, number)
	if err := t.configured(op); err != nil {
		return lifecycle.Comment{}, err
	}
	c, _, err := t.c.rest.Issues.EditComment(ctx, t.owner, t.name, commentID, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return lifecycle.Comment{}, wrapErr(op, permIssuesWrite, err)
	}
	return convertComment(c), nil
}

func (t *tracker) DeleteComment(ctx context.Context, number int, commentID int64) error {
	op := t.op("delete comment %d on issue #%d", commentID, number)
	if err := t.configured(op); err != nil {
		return err
	}
	_, err := t.c.rest.Issues.DeleteComment(ctx, t.owner, t.name, commentID)
	return wrapErr(op, permIssuesWrite, err)
}

func (t *tracker) BoardItem(ctx context.Context, number int) (lifecycle.BoardItem, error) {
	if err := t.configured(t.op("read board item of issue #%d", number)); err != nil {
		return lifecycle.BoardItem{}, err
	}
	return t.c.board.item(ctx, t, number)
}

func (t *tracker) MoveToColumn(ctx context.Context, number int, column string) error {
	if err := t.configured(t.op("move issue #%d on the board", number)); err != nil {
		return err
	}
	return t.c.board.move(ctx, t, number, column)
}

func (t *tracker) ArchiveBoardItem(ctx context.Context, number int) error {
	if err := t.configured(t.op("archive board item of issue #%d", number)); err != nil {
		return err
	}
	return t.c.board.archive(ctx, t, number)
}

func (t *tracker) Collaborators(ctx context.Context) ([]string, error) {
	op := t.op("list collaborators")
	if err := t.configured(op); err != nil {
		return nil, err
	}
	opt := &gh.ListCollaboratorsOptions{Affiliation: "all", ListOptions: gh.ListOptions{PerPage: perPage}}
	var out []string
	for {
		page, resp, err := t.c.rest.Repositories.ListCollaborators(ctx, t.owner, t.name, opt)
		if err != nil {
			return nil, wrapErr(op, permCollab, err)
		}
		for _, u := range page {
			out = append(out, u.GetLogin())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// Version is a conditional GET of the issue: when nothing changed GitHub answers
// 304 and the remembered body is used.
func (t *tracker) Version(ctx context.Context, number int) (string, error) {
	op := t.op("read version of issue #%d", number)
	if err := t.configured(op); err != nil {
		return "", err
	}
	is, err := t.getIssue(ctx, op, number)
	if err != nil {
		return "", err
	}
	return issueVersion(is), nil
}

// issueVersion changes on every write to the issue or its comments: updated_at
// (GitHub bumps it on issue edits and new comments), the comment count (which
// changes on create and delete), and a digest of the fields this program reads,
// because updated_at has one-second resolution and two writes can share it.
// An edit of an existing comment by someone else is seen only through
// updated_at, which GitHub may not bump for it.
func issueVersion(is *gh.Issue) string {
	h := sha256.New()
	labels := make([]string, 0, len(is.Labels))
	for _, l := range is.Labels {
		labels = append(labels, strings.ToLower(l.GetName()))
	}
	sort.Strings(labels)
	assignees := make([]string, 0, len(is.Assignees))
	for _, a := range is.Assignees {
		assignees = append(assignees, strings.ToLower(a.GetLogin()))
	}
	sort.Strings(assignees)
	for _, s := range []string{is.GetTitle(), is.GetBody(), is.GetState(), is.GetStateReason(),
		strings.Join(labels, "\n"), strings.Join(assignees, "\n"), is.GetMilestone().GetTitle()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s/c%d/%s", is.GetUpdatedAt().UTC().Format(time.RFC3339Nano), is.GetComments(),
		hex.EncodeToString(h.Sum(nil))[:12])
}

func (t *tracker) convert(is *gh.Issue) lifecycle.Issue {
	out := lifecycle.Issue{
		Repo:        t.Repo(),
		Number:      is.GetNumber(),
		NodeID:      is.GetNodeID(),
		URL:         is.GetHTMLURL(),
		Title:       is.GetTitle(),
		Body:        is.GetBody(),
		State:       is.GetState(),
		StateReason: is.GetStateReason(),
		Labels:      []string{},
		Milestone:   is.GetMilestone().GetTitle(),
		Author:      is.GetUser().GetLogin(),
		CreatedAt:   is.GetCreatedAt().Time,
		UpdatedAt:   is.GetUpdatedAt().Time,
		ClosedAt:    is.GetClosedAt().Time,
		Version:     issueVersion(is),
	}
	for _, l := range is.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, a := range is.Assignees {
		out.Assignees = append(out.Assignees, a.GetLogin())
	}
	return out
}

func convertComment(c *gh.IssueComment) lifecycle.Comment {
	return lifecycle.Comment{
		ID:        c.GetID(),
		Author:    c.GetUser().GetLogin(),
		Body:      c.GetBody(),
		URL:       c.GetHTMLURL(),
		CreatedAt: c.GetCreatedAt().Time,
		UpdatedAt: c.GetUpdatedAt().Time,
	}
}

// errUnconfiguredBoard is wrapped when the board is disabled.
var errUnconfiguredBoard = errors.New("no project board is configured (board disabled)")
