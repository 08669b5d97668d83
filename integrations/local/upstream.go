package local

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// upstream implements lifecycle.Upstream, read-only as the port is. Pull requests
// and releases come from the seed or from AddPullRequest and AddRelease.
type upstream struct {
	w    *Workspace
	repo string
}

var _ lifecycle.Upstream = (*upstream)(nil)

func (u *upstream) Repo() string { return u.repo }

func (u *upstream) errf(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("local upstream: %s %s: %w", op, u.repo, err)
}

func pullURL(repo string, number int) string {
	return "https://github.com/" + repo + "/pull/" + strconv.Itoa(number)
}

func releaseURL(repo, tag string) string {
	return "https://github.com/" + repo + "/releases/tag/" + tag
}

// queryPulls loads the pull requests matching cond (on alias p), with their files.
func (u *upstream) queryPulls(ctx context.Context, cond string, args ...any) ([]lifecycle.PullRequest, error) {
	rows, err := u.w.db.QueryContext(ctx, `SELECT p.id, p.number, p.title, p.body, p.author, p.state, p.merged,
		p.created_at, p.merged_at, p.milestone, p.merge_sha FROM pull_requests p
		WHERE p.repo = ? AND (`+cond+`) ORDER BY p.number DESC`, append([]any{u.repo}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("query pull requests: %w", err)
	}
	defer rows.Close()
	var out []lifecycle.PullRequest
	index := map[int64]int{}
	for rows.Next() {
		var (
			id      int64
			pr      lifecycle.PullRequest
			created string
			merged  sql.NullString
		)
		if err := rows.Scan(&id, &pr.Number, &pr.Title, &pr.Body, &pr.Author, &pr.State, &pr.Merged,
			&created, &merged, &pr.Milestone, &pr.MergeSHA); err != nil {
			return nil, fmt.Errorf("scan pull request: %w", err)
		}
		if pr.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if pr.MergedAt, err = parseNullTime(merged); err != nil {
			return nil, err
		}
		pr.Repo = u.repo
		pr.URL = pullURL(u.repo, pr.Number)
		index[id] = len(out)
		out = append(out, pr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read pull requests: %w", err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	frows, err := u.w.db.QueryContext(ctx, `SELECT f.pr_id, f.path FROM pull_request_files f
		JOIN pull_requests p ON p.id = f.pr_id WHERE p.repo = ? AND (`+cond+`) ORDER BY f.pr_id, f.position`,
		append([]any{u.repo}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("query pull request files: %w", err)
	}
	defer frows.Close()
	for frows.Next() {
		var id int64
		var path string
		if err := frows.Scan(&id, &path); err != nil {
			return nil, fmt.Errorf("scan pull request file: %w", err)
		}
		if k, ok := index[id]; ok {
			out[k].Files = append(out[k].Files, path)
		}
	}
	if err := frows.Err(); err != nil {
		return nil, fmt.Errorf("read pull request files: %w", err)
	}
	return out, nil
}

func (u *upstream) GetPullRequest(ctx context.Context, number int) (lifecycle.PullRequest, error) {
	if err := u.w.read("GetPullRequest"); err != nil {
		return lifecycle.PullRequest{}, u.errf("get pull request", err)
	}
	prs, err := u.queryPulls(ctx, "p.number = ?", number)
	if err != nil {
		return lifecycle.PullRequest{}, u.errf("get pull request", err)
	}
	if len(prs) == 0 {
		return lifecycle.PullRequest{}, u.errf("get pull request", notFound("no pull request #%d", number))
	}
	return prs[0], nil
}

// SearchPullRequests returns the PRs whose title or body contains every term,
// case-insensitively, newest first. state is open, closed, merged, or all/"".
func (u *upstream) SearchPullRequests(ctx context.Context, terms []string, state string) ([]lifecycle.PullRequest, error) {
	if err := u.w.read("SearchPullRequests"); err != nil {
		return nil, u.errf("search pull requests", err)
	}
	var cond string
	switch strings.ToLower(state) {
	case "", "all":
		cond = "1"
	case "open":
		cond = "p.state = 'open'"
	case "closed":
		cond = "p.state = 'closed'"
	case "merged":
		cond = "p.merged = 1"
	default:
		return nil, u.errf("search pull requests", fmt.Errorf("unknown state %q (want open, closed, merged or all)", state))
	}
	prs, err := u.queryPulls(ctx, cond)
	if err != nil {
		return nil, u.errf("search pull requests", err)
	}
	out := []lifecycle.PullRequest{}
	for _, pr := range prs {
		text := strings.ToLower(pr.Title + "\n" + pr.Body)
		all := true
		for _, term := range terms {
			if !strings.Contains(text, strings.ToLower(term)) {
				all = false
				break
			}
		}
		if all {
			out = append(out, pr)
		}
	}
	return out, nil
}

// ListReleases lists releases newest first.
func (u *upstream) ListReleases(ctx context.Context) ([]lifecycle.Release, error) {
	if err := u.w.read("ListReleases"); err != nil {
		return nil, u.errf("list releases", err)
	}
	rows, err := u.w.db.QueryContext(ctx, "SELECT tag, name, url, published_at FROM releases WHERE repo = ? ORDER BY published_at DESC, tag DESC", u.repo)
	if err != nil {
		return nil, u.errf("list releases", err)
	}
	defer rows.Close()
	out := []lifecycle.Release{}
	for rows.Next() {
		var r lifecycle.Release
		var published string
		if err := rows.Scan(&r.Tag, &r.Name, &r.URL, &published); err != nil {
			return nil, u.errf("list releases", err)
		}
		if r.PublishedAt, err = parseTime(published); err != nil {
			return nil, u.errf("list releases", err)
		}
		out = append(out, r)
	}
	return out, u.errf("list releases", rows.Err())
}

// AddPullRequest records an upstream pull request (seeding and tests). Repo and
// URL are derived from the workspace; State defaults to closed when merged, else open.
func (w *Workspace) AddPullRequest(ctx context.Context, pr lifecycle.PullRequest) error {
	err := w.inTx(ctx, func(tx *sql.Tx) error { return insertPull(ctx, tx, w.opts.UpstreamRepo, pr) })
	return wrapErr(fmt.Sprintf("add pull request #%d", pr.Number), err)
}

func insertPull(ctx context.Context, tx *sql.Tx, repo string, pr lifecycle.PullRequest) error {
	if repo == "" {
		return fmt.Errorf("no upstream repository configured")
	}
	if pr.Number <= 0 {
		return fmt.Errorf("number must be positive")
	}
	if pr.State == "" {
		pr.State = "open"
		if pr.Merged {
			pr.State = "closed"
		}
	}
	if pr.State != "open" && pr.State != "closed" {
		return fmt.Errorf("state %q (want open or closed)", pr.State)
	}
	if pr.Merged && pr.State != "closed" {
		return fmt.Errorf("a merged pull request is closed")
	}
	if !pr.Merged && !pr.MergedAt.IsZero() {
		return fmt.Errorf("merged_at is set but merged is false")
	}
	if pr.CreatedAt.IsZero() {
		return fmt.Errorf("created time is missing")
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO pull_requests(repo, number, title, body, author, state, merged,
		created_at, merged_at, milestone, merge_sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		repo, pr.Number, pr.Title, pr.Body, pr.Author, pr.State, pr.Merged, formatTime(pr.CreatedAt),
		nullTime(pr.MergedAt), pr.Milestone, pr.MergeSHA).Scan(&id)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	for i, f := range pr.Files {
		if _, err := tx.ExecContext(ctx, "INSERT INTO pull_request_files(pr_id, position, path) VALUES (?, ?, ?)", id, i, f); err != nil {
			return fmt.Errorf("file %q: %w", f, err)
		}
	}
	return nil
}

// AddRelease records an upstream release (seeding and tests). URL defaults to the
// GitHub release page of the tag.
func (w *Workspace) AddRelease(ctx context.Context, r lifecycle.Release) error {
	err := w.inTx(ctx, func(tx *sql.Tx) error { return insertRelease(ctx, tx, w.opts.UpstreamRepo, r) })
	return wrapErr(fmt.Sprintf("add release %q", r.Tag), err)
}

func insertRelease(ctx context.Context, tx *sql.Tx, repo string, r lifecycle.Release) error {
	if repo == "" {
		return fmt.Errorf("no upstream repository configured")
	}
	if r.Tag == "" {
		return fmt.Errorf("tag is empty")
	}
	if r.PublishedAt.IsZero() {
		return fmt.Errorf("published time is missing")
	}
	if r.URL == "" {
		r.URL = releaseURL(repo, r.Tag)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO releases(repo, tag, name, url, published_at) VALUES (?, ?, ?, ?, ?)",
		repo, r.Tag, r.Name, r.URL, formatTime(r.PublishedAt)); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}
