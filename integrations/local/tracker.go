package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// tracker implements lifecycle.Tracker on the workspace database with GitHub's
// semantics. Every write is one transaction; every write that changes the issue
// or its comments bumps the issue's UpdatedAt and Version (writes that change
// nothing, such as removing an absent label, leave both alone). Board moves are
// not writes to the issue (as on GitHub, where the project item is separate).
type tracker struct {
	w    *Workspace
	repo string
}

var _ lifecycle.Tracker = (*tracker)(nil)

func (t *tracker) Repo() string { return t.repo }

func (t *tracker) issueURL(number int) string {
	return "https://github.com/" + t.repo + "/issues/" + strconv.Itoa(number)
}

func (t *tracker) commentURL(number int, id int64) string {
	return t.issueURL(number) + "#issuecomment-" + strconv.FormatInt(id, 10)
}

// errf wraps err with the operation and the issue it was about.
func (t *tracker) errf(op string, number int, err error) error {
	if err == nil {
		return nil
	}
	if number > 0 {
		return fmt.Errorf("local tracker: %s %s#%d: %w", op, t.repo, number, err)
	}
	return fmt.Errorf("local tracker: %s %s: %w", op, t.repo, err)
}

const issueColumns = `i.id, i.number, i.title, i.body, i.state, i.state_reason, i.author,
	COALESCE(m.title, ''), i.created_at, i.updated_at, i.closed_at, i.version`

// queryIssues loads the issues matching where (an SQL condition on alias i that
// names the repository itself, so each caller can steer the index: see
// FindByIntakeKey), with labels and assignees, in the given order.
func (t *tracker) queryIssues(ctx context.Context, q querier, where, order string, args ...any) ([]lifecycle.Issue, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+issueColumns+`
		FROM issues i LEFT JOIN milestones m ON m.id = i.milestone_id
		WHERE `+where+` ORDER BY `+order, args...)
	if err != nil {
		return nil, fmt.Errorf("query issues: %w", err)
	}
	defer rows.Close()
	out := []lifecycle.Issue{}
	index := map[int64]int{}
	var ids []int64
	for rows.Next() {
		var (
			id               int64
			is               lifecycle.Issue
			created, updated string
			closed           sql.NullString
			version          int64
		)
		if err := rows.Scan(&id, &is.Number, &is.Title, &is.Body, &is.State, &is.StateReason, &is.Author,
			&is.Milestone, &created, &updated, &closed, &version); err != nil {
			return nil, fmt.Errorf("scan issue: %w", err)
		}
		if is.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if is.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		if is.ClosedAt, err = parseNullTime(closed); err != nil {
			return nil, err
		}
		is.Repo = t.repo
		is.URL = t.issueURL(is.Number)
		is.NodeID = "LOCAL_I_" + strconv.FormatInt(id, 10)
		is.Version = versionString(version)
		is.Labels = []string{}
		index[id] = len(out)
		ids = append(ids, id)
		out = append(out, is)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read issues: %w", err)
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// Labels and assignees of exactly these issues, the ids passed as one JSON array.
	idList, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("issue ids: %w", err)
	}
	err = eachRow(ctx, q, `SELECT il.issue_id, l.name FROM issue_labels il JOIN labels l ON l.id = il.label_id
		WHERE il.issue_id IN (SELECT value FROM json_each(?)) ORDER BY l.name COLLATE NOCASE`, []any{string(idList)},
		func(id int64, name string) { out[index[id]].Labels = append(out[index[id]].Labels, name) })
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	err = eachRow(ctx, q, `SELECT issue_id, login FROM assignees
		WHERE issue_id IN (SELECT value FROM json_each(?)) ORDER BY login COLLATE NOCASE`, []any{string(idList)},
		func(id int64, login string) { out[index[id]].Assignees = append(out[index[id]].Assignees, login) })
	if err != nil {
		return nil, fmt.Errorf("assignees: %w", err)
	}
	return out, nil
}

// eachRow runs a query returning (id, text) rows and calls fn for each.
func eachRow(ctx context.Context, q querier, query string, args []any, fn func(int64, string)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return err
		}
		fn(id, s)
	}
	return rows.Err()
}

// getIssue loads one issue; ErrNotFound (wrapped) when absent.
func (t *tracker) getIssue(ctx context.Context, q querier, number int) (lifecycle.Issue, error) {
	issues, err := t.queryIssues(ctx, q, "i.repo = ? AND i.number = ?", "i.number", t.repo, number)
	if err != nil {
		return lifecycle.Issue{}, err
	}
	if len(issues) == 0 {
		return lifecycle.Issue{}, notFound("no issue #%d", number)
	}
	return issues[0], nil
}

// issueID resolves an issue number to its row id; ErrNotFound when absent.
func (t *tracker) issueID(ctx context.Context, q querier, number int) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM issues WHERE repo = ? AND number = ?", t.repo, number).Scan(&id)
	if isNoRows(err) {
		return 0, notFound("no issue #%d", number)
	}
	if err != nil {
		return 0, fmt.Errorf("find issue: %w", err)
	}
	return id, nil
}

// touch records a write to the issue: new UpdatedAt and Version.
func (t *tracker) touch(ctx context.Context, tx *sql.Tx, issueID int64) error {
	v, err := nextVersion(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "UPDATE issues SET updated_at = ?, version = ? WHERE id = ?", formatTime(t.w.now()), v, issueID)
	if err != nil {
		return fmt.Errorf("bump issue version: %w", err)
	}
	return nil
}

// indexIntakeKeys rewrites the issue's intake-key index from its body.
func indexIntakeKeys(ctx context.Context, tx *sql.Tx, issueID int64, body string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM intake_keys WHERE issue_id = ?", issueID); err != nil {
		return fmt.Errorf("clear intake keys: %w", err)
	}
	for _, m := range lifecycle.ParseIntakeMetas(body) {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO intake_keys(issue_id, key) VALUES (?, ?)", issueID, m.Key); err != nil {
			return fmt.Errorf("index intake key: %w", err)
		}
	}
	return nil
}

// resolveLabels maps names to the repository's label ids (case-insensitively);
// an unknown name is an error naming every unknown label.
func resolveLabels(ctx context.Context, q querier, repo string, names []string) (map[string]int64, error) {
	ids := map[string]int64{}
	var unknown []string
	for _, name := range names {
		var id int64
		err := q.QueryRowContext(ctx, "SELECT id FROM labels WHERE repo = ? AND name = ? COLLATE NOCASE", repo, name).Scan(&id)
		switch {
		case isNoRows(err):
			unknown = append(unknown, strconv.Quote(name))
		case err != nil:
			return nil, fmt.Errorf("find label %q: %w", name, err)
		default:
			ids[strings.ToLower(name)] = id
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("label %s not defined in %s (labels are never created silently)", strings.Join(unknown, ", "), repo)
	}
	return ids, nil
}

func (t *tracker) GetIssue(ctx context.Context, number int) (lifecycle.Issue, error) {
	if err := t.w.read("GetIssue"); err != nil {
		return lifecycle.Issue{}, t.errf("get issue", number, err)
	}
	is, err := t.getIssue(ctx, t.w.db, number)
	return is, t.errf("get issue", number, err)
}

func (t *tracker) ListIssues(ctx context.Context, f lifecycle.IssueFilter) ([]lifecycle.Issue, error) {
	if err := t.w.read("ListIssues"); err != nil {
		return nil, t.errf("list issues", 0, err)
	}
	conds := []string{"i.repo = ?"}
	args := []any{t.repo}
	switch strings.ToLower(f.State) {
	case "", "open":
		conds = append(conds, "i.state = 'open'")
	case "closed":
		conds = append(conds, "i.state = 'closed'")
	case "all":
	default:
		return nil, t.errf("list issues", 0, fmt.Errorf("unknown state %q (want open, closed or all)", f.State))
	}
	for _, l := range f.Labels {
		conds = append(conds, `EXISTS (SELECT 1 FROM issue_labels il JOIN labels l ON l.id = il.label_id
			WHERE il.issue_id = i.id AND l.name = ? COLLATE NOCASE)`)
		args = append(args, l)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "i.updated_at >= ?")
		args = append(args, formatTime(f.Since))
	}
	// GitHub's default order: newest first.
	issues, err := t.queryIssues(ctx, t.w.db, strings.Join(conds, " AND "), "i.created_at DESC, i.number DESC", args...)
	return issues, t.errf("list issues", 0, err)
}

func (t *tracker) FindByIntakeKey(ctx context.Context, key string) ([]lifecycle.Issue, error) {
	if err := t.w.read("FindByIntakeKey"); err != nil {
		return nil, t.errf("find by intake key", 0, err)
	}
	if key == "" {
		return nil, t.errf("find by intake key", 0, fmt.Errorf("empty key"))
	}
	// "+i.repo" keeps SQLite from preferring the repository index over the key index.
	issues, err := t.queryIssues(ctx, t.w.db, "+i.repo = ? AND i.id IN (SELECT issue_id FROM intake_keys WHERE key = ?)",
		"i.number", t.repo, key)
	if err != nil {
		return nil, t.errf("find by intake key", 0, err)
	}
	// The index is derived from the body; the body is the truth.
	out := issues[:0]
	for _, is := range issues {
		if lifecycle.BodyHasIntakeKey(is.Body, key) {
			out = append(out, is)
		}
	}
	return out, nil
}

func (t *tracker) CreateIssue(ctx context.Context, n lifecycle.NewIssue) (lifecycle.Issue, error) {
	var created lifecycle.Issue
	err := t.w.write(ctx, "CreateIssue", func(tx *sql.Tx) error {
		is, err := t.insertIssue(ctx, tx, seedIssueRow{
			Title: n.Title, Body: n.Body, Labels: n.Labels, State: "open",
			Author: t.w.opts.Operator, Created: t.w.now(),
		})
		created = is
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("create issue", 0, err)
	}
	return created, nil
}

// seedIssueRow is everything an issue can be created with (by CreateIssue or a seed).
type seedIssueRow struct {
	Title, Body            string
	Labels                 []string
	State, StateReason     string
	Author                 string
	Created, Updated       time.Time
	Closed                 time.Time
	Assignees              []string
	Milestone              string
	BoardColumn            string
	BoardArchived, OnBoard bool
}

// insertIssue creates an issue numbered after every issue and pull request of the
// repository (they share the number space on GitHub).
func (t *tracker) insertIssue(ctx context.Context, tx *sql.Tx, r seedIssueRow) (lifecycle.Issue, error) {
	if strings.TrimSpace(r.Title) == "" {
		return lifecycle.Issue{}, fmt.Errorf("title is empty")
	}
	labelIDs, err := resolveLabels(ctx, tx, t.repo, r.Labels)
	if err != nil {
		return lifecycle.Issue{}, err
	}
	var number int
	err = tx.QueryRowContext(ctx, `SELECT 1 + MAX(
		COALESCE((SELECT MAX(number) FROM issues WHERE repo = ?), 0),
		COALESCE((SELECT MAX(number) FROM pull_requests WHERE repo = ?), 0))`, t.repo, t.repo).Scan(&number)
	if err != nil {
		return lifecycle.Issue{}, fmt.Errorf("next issue number: %w", err)
	}
	var milestoneID sql.NullInt64
	if r.Milestone != "" {
		id, err := t.milestoneID(ctx, tx, r.Milestone)
		if err != nil {
			return lifecycle.Issue{}, err
		}
		milestoneID = sql.NullInt64{Int64: id, Valid: true}
	}
	v, err := nextVersion(ctx, tx)
	if err != nil {
		return lifecycle.Issue{}, err
	}
	updated := r.Updated
	if updated.IsZero() {
		updated = r.Created
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO issues(repo, number, title, body, state, state_reason, author,
		milestone_id, created_at, updated_at, closed_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.repo, number, r.Title, r.Body, r.State, r.StateReason, r.Author, milestoneID,
		formatTime(r.Created), formatTime(updated), nullTime(r.Closed), v).Scan(&id)
	if err != nil {
		return lifecycle.Issue{}, fmt.Errorf("insert issue: %w", err)
	}
	for _, lid := range labelIDs {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO issue_labels(issue_id, label_id) VALUES (?, ?)", id, lid); err != nil {
			return lifecycle.Issue{}, fmt.Errorf("label issue: %w", err)
		}
	}
	if err := indexIntakeKeys(ctx, tx, id, r.Body); err != nil {
		return lifecycle.Issue{}, err
	}
	if err := t.replaceAssignees(ctx, tx, id, r.Assignees); err != nil {
		return lifecycle.Issue{}, err
	}
	if r.OnBoard {
		if _, err := tx.ExecContext(ctx, "INSERT INTO board_items(issue_id, column_name, archived) VALUES (?, ?, ?)",
			id, r.BoardColumn, r.BoardArchived); err != nil {
			return lifecycle.Issue{}, fmt.Errorf("add board item: %w", err)
		}
	}
	return t.getIssue(ctx, tx, number)
}

func (t *tracker) SetBody(ctx context.Context, number int, body string) (lifecycle.Issue, error) {
	var out lifecycle.Issue
	err := t.w.write(ctx, "SetBody", func(tx *sql.Tx) error {
		is, err := t.getIssue(ctx, tx, number)
		if err != nil {
			return err
		}
		if is.Body != body {
			id, err := t.issueID(ctx, tx, number)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE issues SET body = ? WHERE id = ?", body, id); err != nil {
				return fmt.Errorf("update body: %w", err)
			}
			if err := indexIntakeKeys(ctx, tx, id, body); err != nil {
				return err
			}
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = t.getIssue(ctx, tx, number)
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("set body", number, err)
	}
	return out, nil
}

func (t *tracker) EditLabels(ctx context.Context, number int, add, remove []string) (lifecycle.Issue, error) {
	var out lifecycle.Issue
	err := t.w.write(ctx, "EditLabels", func(tx *sql.Tx) error {
		for _, a := range add {
			if slices.ContainsFunc(remove, func(r string) bool { return strings.EqualFold(a, r) }) {
				return fmt.Errorf("label %q is both added and removed", a)
			}
		}
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		addIDs, err := resolveLabels(ctx, tx, t.repo, add)
		if err != nil {
			return err
		}
		changed := false
		for _, r := range remove {
			res, err := tx.ExecContext(ctx, `DELETE FROM issue_labels WHERE issue_id = ? AND label_id IN
				(SELECT id FROM labels WHERE repo = ? AND name = ? COLLATE NOCASE)`, id, t.repo, r)
			if err != nil {
				return fmt.Errorf("remove label %q: %w", r, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changed = true
			}
		}
		for name, lid := range addIDs {
			res, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO issue_labels(issue_id, label_id) VALUES (?, ?)", id, lid)
			if err != nil {
				return fmt.Errorf("add label %q: %w", name, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changed = true
			}
		}
		if changed {
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = t.getIssue(ctx, tx, number)
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("edit labels", number, err)
	}
	return out, nil
}

func (t *tracker) ListLabels(ctx context.Context) ([]string, error) {
	if err := t.w.read("ListLabels"); err != nil {
		return nil, t.errf("list labels", 0, err)
	}
	out, err := queryStrings(ctx, t.w.db, "SELECT name FROM labels WHERE repo = ? ORDER BY name COLLATE NOCASE", t.repo)
	return out, t.errf("list labels", 0, err)
}

// normalizeReason maps a close reason to GitHub's state_reason values.
func normalizeReason(reason string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(reason))
	r = strings.NewReplacer(" ", "_", "-", "_").Replace(r)
	switch r {
	case "":
		return "completed", nil
	case "completed", "not_planned", "duplicate":
		return r, nil
	}
	return "", fmt.Errorf("unknown close reason %q (want completed, not_planned or duplicate)", reason)
}

func (t *tracker) CloseIssue(ctx context.Context, number int, reason string) (lifecycle.Issue, error) {
	var out lifecycle.Issue
	err := t.w.write(ctx, "CloseIssue", func(tx *sql.Tx) error {
		r, err := normalizeReason(reason)
		if err != nil {
			return err
		}
		is, err := t.getIssue(ctx, tx, number)
		if err != nil {
			return err
		}
		if is.State != "closed" || is.StateReason != r {
			id, err := t.issueID(ctx, tx, number)
			if err != nil {
				return err
			}
			closedAt := is.ClosedAt
			if is.State != "closed" {
				closedAt = t.w.now()
			}
			if _, err := tx.ExecContext(ctx, "UPDATE issues SET state = 'closed', state_reason = ?, closed_at = ? WHERE id = ?",
				r, nullTime(closedAt), id); err != nil {
				return fmt.Errorf("close: %w", err)
			}
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = t.getIssue(ctx, tx, number)
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("close issue", number, err)
	}
	return out, nil
}

func (t *tracker) ReopenIssue(ctx context.Context, number int) (lifecycle.Issue, error) {
	var out lifecycle.Issue
	err := t.w.write(ctx, "ReopenIssue", func(tx *sql.Tx) error {
		is, err := t.getIssue(ctx, tx, number)
		if err != nil {
			return err
		}
		if is.State != "open" {
			id, err := t.issueID(ctx, tx, number)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE issues SET state = 'open', state_reason = 'reopened', closed_at = NULL WHERE id = ?", id); err != nil {
				return fmt.Errorf("reopen: %w", err)
			}
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = t.getIssue(ctx, tx, number)
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("reopen issue", number, err)
	}
	return out, nil
}

// replaceAssignees sets the issue's assignees; only collaborators can be assigned.
func (t *tracker) replaceAssignees(ctx context.Context, tx *sql.Tx, issueID int64, logins []string) error {
	var canonical []string
	var unknown []string
	for _, l := range logins {
		var c string
		err := tx.QueryRowContext(ctx, "SELECT login FROM collaborators WHERE repo = ? AND login = ? COLLATE NOCASE", t.repo, l).Scan(&c)
		switch {
		case isNoRows(err):
			unknown = append(unknown, strconv.Quote(l))
		case err != nil:
			return fmt.Errorf("find collaborator %q: %w", l, err)
		case !slices.Contains(canonical, c):
			canonical = append(canonical, c)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("cannot assign %s: not a collaborator of %s", strings.Join(unknown, ", "), t.repo)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM assignees WHERE issue_id = ?", issueID); err != nil {
		return fmt.Errorf("clear assignees: %w", err)
	}
	for _, c := range canonical {
		if _, err := tx.ExecContext(ctx, "INSERT INTO assignees(issue_id, login) VALUES (?, ?)", issueID, c); err != nil {
			return fmt.Errorf("assign %q: %w", c, err)
		}
	}
	return nil
}

func (t *tracker) SetAssignees(ctx context.Context, number int, logins []string) (lifecycle.Issue, error) {
	var out lifecycle.Issue
	err := t.w.write(ctx, "SetAssignees", func(tx *sql.Tx) error {
		before, err := t.getIssue(ctx, tx, number)
		if err != nil {
			return err
		}
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		if err := t.replaceAssignees(ctx, tx, id, logins); err != nil {
			return err
		}
		out, err = t.getIssue(ctx, tx, number)
		if err != nil {
			return err
		}
		if !slices.Equal(before.Assignees, out.Assignees) {
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
			out, err = t.getIssue(ctx, tx, number)
		}
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("set assignees", number, err)
	}
	return out, nil
}

func (t *tracker) milestoneID(ctx context.Context, q querier, title string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM milestones WHERE repo = ? AND title = ?", t.repo, title).Scan(&id)
	if isNoRows(err) {
		return 0, fmt.Errorf("milestone %q not defined in %s", title, t.repo)
	}
	if err != nil {
		return 0, fmt.Errorf("find milestone %q: %w", title, err)
	}
	return id, nil
}

func (t *tracker) SetMilestone(ctx context.Context, number int, title string) (lifecycle.Issue, error) {
	var out lifecycle.Issue
	err := t.w.write(ctx, "SetMilestone", func(tx *sql.Tx) error {
		is, err := t.getIssue(ctx, tx, number)
		if err != nil {
			return err
		}
		var mid sql.NullInt64
		if title != "" {
			v, err := t.milestoneID(ctx, tx, title)
			if err != nil {
				return err
			}
			mid = sql.NullInt64{Int64: v, Valid: true}
		}
		if is.Milestone != title {
			id, err := t.issueID(ctx, tx, number)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE issues SET milestone_id = ? WHERE id = ?", mid, id); err != nil {
				return fmt.Errorf("set milestone: %w", err)
			}
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = t.getIssue(ctx, tx, number)
		return err
	})
	if err != nil {
		return lifecycle.Issue{}, t.errf("set milestone", number, err)
	}
	return out, nil
}

func (t *tracker) ListMilestones(ctx context.Context) ([]string, error) {
	if err := t.w.read("ListMilestones"); err != nil {
		return nil, t.errf("list milestones", 0, err)
	}
	out, err := queryStrings(ctx, t.w.db, "SELECT title FROM milestones WHERE repo = ? ORDER BY id", t.repo)
	return out, t.errf("list milestones", 0, err)
}

func (t *tracker) listComments(ctx context.Context, q querier, number int, issueID int64) ([]lifecycle.Comment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, author, body, created_at, updated_at FROM comments
		WHERE issue_id = ? ORDER BY created_at, id`, issueID)
	if err != nil {
		return nil, fmt.Errorf("query comments: %w", err)
	}
	defer rows.Close()
	out := []lifecycle.Comment{}
	for rows.Next() {
		var c lifecycle.Comment
		var created, updated string
		if err := rows.Scan(&c.ID, &c.Author, &c.Body, &created, &updated); err != nil {
			return nil, fmt.Errorf("scan comment: %w", err)
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if c.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, err
		}
		c.URL = t.commentURL(number, c.ID)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read comments: %w", err)
	}
	return out, nil
}

func (t *tracker) ListComments(ctx context.Context, number int) ([]lifecycle.Comment, error) {
	if err := t.w.read("ListComments"); err != nil {
		return nil, t.errf("list comments", number, err)
	}
	id, err := t.issueID(ctx, t.w.db, number)
	if err != nil {
		return nil, t.errf("list comments", number, err)
	}
	out, err := t.listComments(ctx, t.w.db, number, id)
	return out, t.errf("list comments", number, err)
}

// getComment loads one comment of the issue; ErrNotFound when absent or on another issue.
func (t *tracker) getComment(ctx context.Context, q querier, number int, issueID, commentID int64) (lifecycle.Comment, error) {
	var c lifecycle.Comment
	var created, updated string
	err := q.QueryRowContext(ctx, "SELECT id, author, body, created_at, updated_at FROM comments WHERE id = ? AND issue_id = ?",
		commentID, issueID).Scan(&c.ID, &c.Author, &c.Body, &created, &updated)
	if isNoRows(err) {
		return c, notFound("no comment %d on issue #%d", commentID, number)
	}
	if err != nil {
		return c, fmt.Errorf("find comment %d: %w", commentID, err)
	}
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	if c.UpdatedAt, err = parseTime(updated); err != nil {
		return c, err
	}
	c.URL = t.commentURL(number, c.ID)
	return c, nil
}

func (t *tracker) CreateComment(ctx context.Context, number int, body string) (lifecycle.Comment, error) {
	var out lifecycle.Comment
	err := t.w.write(ctx, "CreateComment", func(tx *sql.Tx) error {
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		c, err := t.insertComment(ctx, tx, number, id, t.w.opts.Operator, body, t.w.now())
		if err != nil {
			return err
		}
		out = c
		return t.touch(ctx, tx, id)
	})
	if err != nil {
		return lifecycle.Comment{}, t.errf("create comment", number, err)
	}
	return out, nil
}

func (t *tracker) insertComment(ctx context.Context, tx *sql.Tx, number int, issueID int64, author, body string, at time.Time) (lifecycle.Comment, error) {
	if strings.TrimSpace(body) == "" {
		return lifecycle.Comment{}, fmt.Errorf("comment body is empty")
	}
	var cid int64
	err := tx.QueryRowContext(ctx, "INSERT INTO comments(issue_id, author, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		issueID, author, body, formatTime(at), formatTime(at)).Scan(&cid)
	if err != nil {
		return lifecycle.Comment{}, fmt.Errorf("insert comment: %w", err)
	}
	return t.getComment(ctx, tx, number, issueID, cid)
}

func (t *tracker) UpdateComment(ctx context.Context, number int, commentID int64, body string) (lifecycle.Comment, error) {
	var out lifecycle.Comment
	err := t.w.write(ctx, "UpdateComment", func(tx *sql.Tx) error {
		if strings.TrimSpace(body) == "" {
			return fmt.Errorf("comment body is empty")
		}
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		c, err := t.getComment(ctx, tx, number, id, commentID)
		if err != nil {
			return err
		}
		if c.Body != body {
			if _, err := tx.ExecContext(ctx, "UPDATE comments SET body = ?, updated_at = ? WHERE id = ?",
				body, formatTime(t.w.now()), commentID); err != nil {
				return fmt.Errorf("update comment %d: %w", commentID, err)
			}
			if err := t.touch(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = t.getComment(ctx, tx, number, id, commentID)
		return err
	})
	if err != nil {
		return lifecycle.Comment{}, t.errf("update comment", number, err)
	}
	return out, nil
}

func (t *tracker) DeleteComment(ctx context.Context, number int, commentID int64) error {
	err := t.w.write(ctx, "DeleteComment", func(tx *sql.Tx) error {
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM comments WHERE id = ? AND issue_id = ?", commentID, id)
		if err != nil {
			return fmt.Errorf("delete comment %d: %w", commentID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("no comment %d on issue #%d", commentID, number)
		}
		return t.touch(ctx, tx, id)
	})
	return t.errf("delete comment", number, err)
}

// board returns ErrUnsupported (wrapped) when no board is configured.
func (t *tracker) board() error {
	if !t.w.opts.BoardEnabled {
		return fmt.Errorf("project board is not enabled: %w", lifecycle.ErrUnsupported)
	}
	return nil
}

func (t *tracker) BoardItem(ctx context.Context, number int) (lifecycle.BoardItem, error) {
	if err := t.board(); err != nil {
		return lifecycle.BoardItem{}, t.errf("board item", number, err)
	}
	if err := t.w.read("BoardItem"); err != nil {
		return lifecycle.BoardItem{}, t.errf("board item", number, err)
	}
	id, err := t.issueID(ctx, t.w.db, number)
	if err != nil {
		return lifecycle.BoardItem{}, t.errf("board item", number, err)
	}
	var item lifecycle.BoardItem
	err = t.w.db.QueryRowContext(ctx, "SELECT column_name, archived FROM board_items WHERE issue_id = ?", id).Scan(&item.Column, &item.Archived)
	switch {
	case isNoRows(err):
		return lifecycle.BoardItem{}, nil
	case err != nil:
		return lifecycle.BoardItem{}, t.errf("board item", number, err)
	}
	item.OnBoard = true
	return item, nil
}

// column returns the configured column matching name case-insensitively.
func (t *tracker) column(name string) (string, error) {
	for _, c := range t.w.opts.BoardColumns {
		if strings.EqualFold(c, name) {
			return c, nil
		}
	}
	return "", fmt.Errorf("board has no column %q (columns: %s)", name, strings.Join(t.w.opts.BoardColumns, ", "))
}

// MoveToColumn is the orphan path: it adds the issue to the board if absent, then
// sets its column. An archived item stays archived.
func (t *tracker) MoveToColumn(ctx context.Context, number int, column string) error {
	if err := t.board(); err != nil {
		return t.errf("move to column", number, err)
	}
	err := t.w.write(ctx, "MoveToColumn", func(tx *sql.Tx) error {
		col, err := t.column(column)
		if err != nil {
			return err
		}
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO board_items(issue_id, column_name) VALUES (?, ?)
			ON CONFLICT(issue_id) DO UPDATE SET column_name = excluded.column_name`, id, col)
		if err != nil {
			return fmt.Errorf("set column: %w", err)
		}
		return nil
	})
	return t.errf("move to column", number, err)
}

// ArchiveBoardItem archives the issue's board item. Idempotent; an issue that is
// not on the board needs nothing and is not an error (as on GitHub): a caller
// that must note it checks BoardItem first.
func (t *tracker) ArchiveBoardItem(ctx context.Context, number int) error {
	if err := t.board(); err != nil {
		return t.errf("archive board item", number, err)
	}
	err := t.w.write(ctx, "ArchiveBoardItem", func(tx *sql.Tx) error {
		id, err := t.issueID(ctx, tx, number)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE board_items SET archived = 1 WHERE issue_id = ?", id); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		return nil
	})
	return t.errf("archive board item", number, err)
}

func (t *tracker) Collaborators(ctx context.Context) ([]string, error) {
	if err := t.w.read("Collaborators"); err != nil {
		return nil, t.errf("collaborators", 0, err)
	}
	out, err := queryStrings(ctx, t.w.db, "SELECT login FROM collaborators WHERE repo = ? ORDER BY login COLLATE NOCASE", t.repo)
	return out, t.errf("collaborators", 0, err)
}

func (t *tracker) Version(ctx context.Context, number int) (string, error) {
	if err := t.w.read("Version"); err != nil {
		return "", t.errf("version", number, err)
	}
	var v int64
	err := t.w.db.QueryRowContext(ctx, "SELECT version FROM issues WHERE repo = ? AND number = ?", t.repo, number).Scan(&v)
	if isNoRows(err) {
		return "", t.errf("version", number, notFound("no issue #%d", number))
	}
	if err != nil {
		return "", t.errf("version", number, err)
	}
	return versionString(v), nil
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DefineLabels adds labels to the tracker repository's label set (existing names,
// compared case-insensitively, are kept as they are).
func (w *Workspace) DefineLabels(ctx context.Context, names ...string) error {
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		return defineLabels(ctx, tx, w.opts.TrackerRepo, names)
	})
	return wrapErr("define labels", err)
}

func defineLabels(ctx context.Context, tx *sql.Tx, repo string, names []string) error {
	for _, n := range names {
		if strings.TrimSpace(n) == "" || n != strings.TrimSpace(n) {
			return fmt.Errorf("label %q: empty or padded with spaces", n)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO labels(repo, name) VALUES (?, ?) ON CONFLICT DO NOTHING", repo, n); err != nil {
			return fmt.Errorf("label %q: %w", n, err)
		}
	}
	return nil
}

// AddCollaborators adds logins to the tracker repository's collaborators (the security team).
func (w *Workspace) AddCollaborators(ctx context.Context, logins ...string) error {
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		return addCollaborators(ctx, tx, w.opts.TrackerRepo, logins)
	})
	return wrapErr("add collaborators", err)
}

func addCollaborators(ctx context.Context, tx *sql.Tx, repo string, logins []string) error {
	for _, l := range logins {
		if l == "" || strings.ContainsAny(l, " \t\n@") {
			return fmt.Errorf("collaborator %q is not a login", l)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO collaborators(repo, login) VALUES (?, ?) ON CONFLICT DO NOTHING", repo, l); err != nil {
			return fmt.Errorf("collaborator %q: %w", l, err)
		}
	}
	return nil
}

// AddMilestones adds milestones to the tracker repository.
func (w *Workspace) AddMilestones(ctx context.Context, titles ...string) error {
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		return addMilestones(ctx, tx, w.opts.TrackerRepo, titles)
	})
	return wrapErr("add milestones", err)
}

func addMilestones(ctx context.Context, tx *sql.Tx, repo string, titles []string) error {
	for _, m := range titles {
		if strings.TrimSpace(m) == "" {
			return fmt.Errorf("milestone title is empty")
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO milestones(repo, title) VALUES (?, ?) ON CONFLICT DO NOTHING", repo, m); err != nil {
			return fmt.Errorf("milestone %q: %w", m, err)
		}
	}
	return nil
}
