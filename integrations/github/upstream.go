package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v62/github"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// upstream implements lifecycle.Upstream on the public code repository.
type upstream struct {
	c           *Client
	owner, name string
}

var _ lifecycle.Upstream = (*upstream)(nil)

func (u *upstream) Repo() string {
	if u.owner == "" {
		return ""
	}
	return u.owner + "/" + u.name
}

func (u *upstream) configured(op string) error {
	if u.owner == "" {
		return &Error{Op: op, msg: "no upstream repository is configured", kind: lifecycle.ErrUnsupported}
	}
	return nil
}

// GetPullRequest reads the PR and its changed files (two endpoints, every page
// of files; GitHub lists at most 3000).
func (u *upstream) GetPullRequest(ctx context.Context, number int) (lifecycle.PullRequest, error) {
	op := fmt.Sprintf("get pull request #%d in %s", number, u.Repo())
	if err := u.configured(op); err != nil {
		return lifecycle.PullRequest{}, err
	}
	pr, _, err := u.c.rest.PullRequests.Get(ctx, u.owner, u.name, number)
	if err != nil {
		return lifecycle.PullRequest{}, wrapErr(op, permPullsRead, err)
	}
	out := lifecycle.PullRequest{
		Repo:      u.Repo(),
		Number:    pr.GetNumber(),
		URL:       pr.GetHTMLURL(),
		Title:     pr.GetTitle(),
		Body:      pr.GetBody(),
		State:     pr.GetState(),
		Merged:    pr.GetMerged(),
		MergedAt:  pr.GetMergedAt().Time,
		Author:    pr.GetUser().GetLogin(),
		CreatedAt: pr.GetCreatedAt().Time,
		Milestone: pr.GetMilestone().GetTitle(),
	}
	if out.Merged {
		// For an unmerged PR merge_commit_sha is a test merge, not a commit on a branch.
		out.MergeSHA = pr.GetMergeCommitSHA()
	}
	opt := &gh.ListOptions{PerPage: perPage}
	for {
		files, resp, err := u.c.rest.PullRequests.ListFiles(ctx, u.owner, u.name, number, opt)
		if err != nil {
			return lifecycle.PullRequest{}, wrapErr(op, permPullsRead, err)
		}
		for _, f := range files {
			out.Files = append(out.Files, f.GetFilename())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// SearchPullRequests finds PRs whose title or body contains every term. Terms
// are sanitised and quoted (see searchPhrase); state is "", "all", "open",
// "closed" or "merged". Results come from the search index, which lags writes
// and carries no file list or merge commit; GetPullRequest has both.
func (u *upstream) SearchPullRequests(ctx context.Context, terms []string, state string) ([]lifecycle.PullRequest, error) {
	op := fmt.Sprintf("search pull requests in %s", u.Repo())
	if err := u.configured(op); err != nil {
		return nil, err
	}
	switch state {
	case "all":
		state = ""
	case "", "open", "closed", "merged":
	default:
		return nil, &Error{Op: op, msg: fmt.Sprintf("state %q is not open, closed, merged or all", state)}
	}
	query, phrases := issueQuery(u.Repo(), "pr", "title,body", state, terms)
	if phrases == 0 {
		return nil, &Error{Op: op, msg: "no searchable term left after removing search syntax"}
	}
	opt := &gh.SearchOptions{ListOptions: gh.ListOptions{PerPage: perPage}}
	var out []lifecycle.PullRequest
	for {
		res, resp, err := u.c.rest.Search.Issues(ctx, query, opt)
		if err != nil {
			return nil, wrapErr(op, permPullsRead, err)
		}
		for _, is := range res.Issues {
			if !is.IsPullRequest() {
				continue
			}
			pr := lifecycle.PullRequest{
				Repo:      u.Repo(),
				Number:    is.GetNumber(),
				URL:       is.GetHTMLURL(),
				Title:     is.GetTitle(),
				Body:      is.GetBody(),
				State:     is.GetState(),
				Author:    is.GetUser().GetLogin(),
				CreatedAt: is.GetCreatedAt().Time,
				Milestone: is.GetMilestone().GetTitle(),
			}
			if m := is.GetPullRequestLinks().GetMergedAt(); !m.IsZero() {
				pr.Merged, pr.MergedAt = true, m.Time
			}
			out = append(out, pr)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// ListReleases lists published releases, newest first; drafts are skipped.
func (u *upstream) ListReleases(ctx context.Context) ([]lifecycle.Release, error) {
	op := fmt.Sprintf("list releases of %s", u.Repo())
	if err := u.configured(op); err != nil {
		return nil, err
	}
	opt := &gh.ListOptions{PerPage: perPage}
	var out []lifecycle.Release
	for {
		page, resp, err := u.c.rest.Repositories.ListReleases(ctx, u.owner, u.name, opt)
		if err != nil {
			return nil, wrapErr(op, permContentsRead, err)
		}
		for _, r := range page {
			if r.GetDraft() {
				continue
			}
			out = append(out, lifecycle.Release{
				Tag: r.GetTagName(), Name: r.GetName(), URL: r.GetHTMLURL(), PublishedAt: r.GetPublishedAt().Time,
			})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}
