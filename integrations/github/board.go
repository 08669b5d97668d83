package github

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shurcooL/githubv4"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// board is the Projects V2 board. Its ids (project, status field, column
// options) are looked up by name and cached for ttl; GitHub regenerates option
// ids whenever the column list is edited, so an update that fails is retried
// once after looking the ids up again.
type board struct {
	c   *Client
	cfg BoardConfig
	ttl time.Duration

	mu      sync.Mutex
	meta    *boardMeta
	fetched time.Time
}

type boardMeta struct {
	projectID string
	fieldID   string
	options   map[string]boardOption // by lower-cased column name
}

type boardOption struct{ id, name string }

func (m *boardMeta) option(column string) (boardOption, bool) {
	o, ok := m.options[strings.ToLower(strings.TrimSpace(column))]
	return o, ok
}

func (m *boardMeta) columns() string {
	var names []string
	for _, o := range m.options {
		names = append(names, fmt.Sprintf("%q", o.name))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (b *board) enabled(op string) error {
	if !b.cfg.Enabled {
		return &Error{Op: op, kind: lifecycle.ErrUnsupported, msg: errUnconfiguredBoard.Error()}
	}
	return nil
}

func (b *board) name() string {
	return fmt.Sprintf("project %s/%d", b.cfg.Owner, b.cfg.Number)
}

// resolve returns the board's ids, from the cache unless it is stale or force.
func (b *board) resolve(ctx context.Context, force bool) (*boardMeta, error) {
	b.mu.Lock()
	if !force && b.meta != nil && time.Since(b.fetched) < b.ttl {
		m := b.meta
		b.mu.Unlock()
		return m, nil
	}
	b.mu.Unlock()

	op := "resolve board " + b.name()
	var q struct {
		RepositoryOwner *struct {
			ProjectV2Owner struct {
				ProjectV2 *struct {
					ID    githubv4.ID
					Field *struct {
						SingleSelect struct {
							ID      githubv4.ID
							Options []struct {
								ID   string
								Name string
							}
						} `graphql:"... on ProjectV2SingleSelectField"`
					} `graphql:"field(name: $field)"`
				} `graphql:"projectV2(number: $number)"`
			} `graphql:"... on ProjectV2Owner"`
		} `graphql:"repositoryOwner(login: $owner)"`
	}
	vars := map[string]any{
		"owner":  githubv4.String(b.cfg.Owner),
		"number": githubv4.Int(b.cfg.Number),
		"field":  githubv4.String(b.cfg.StatusField),
	}
	if err := b.c.gql.Query(ctx, &q, vars); err != nil {
		return nil, wrapErr(op, permProjectRead, err)
	}
	switch {
	case q.RepositoryOwner == nil:
		return nil, &Error{Op: op, kind: lifecycle.ErrNotFound, msg: fmt.Sprintf("no organization or user %q", b.cfg.Owner)}
	case q.RepositoryOwner.ProjectV2Owner.ProjectV2 == nil:
		return nil, &Error{Op: op, kind: lifecycle.ErrNotFound, msg: "no such project (or the token cannot see it: it needs " + permProjectRead + ")"}
	}
	p := q.RepositoryOwner.ProjectV2Owner.ProjectV2
	if p.Field == nil || p.Field.SingleSelect.ID == nil {
		return nil, &Error{Op: op, kind: lifecycle.ErrNotFound, msg: fmt.Sprintf("the project has no single-select field %q", b.cfg.StatusField)}
	}
	m := &boardMeta{
		projectID: fmt.Sprint(p.ID),
		fieldID:   fmt.Sprint(p.Field.SingleSelect.ID),
		options:   map[string]boardOption{},
	}
	for _, o := range p.Field.SingleSelect.Options {
		m.options[strings.ToLower(strings.TrimSpace(o.Name))] = boardOption{id: o.ID, name: o.Name}
	}
	b.mu.Lock()
	b.meta, b.fetched = m, time.Now()
	b.mu.Unlock()
	return m, nil
}

// issueItem is the issue's node id and its item on this board, if any.
type issueItem struct {
	issueID  string
	itemID   string
	archived bool
	column   string
}

// lookup reads the issue's project items (archived ones included) and picks
// the one on this board; itemID is "" when the issue is not on the board.
func (b *board) lookup(ctx context.Context, t *tracker, op string, m *boardMeta, number int) (issueItem, error) {
	var q struct {
		Repository *struct {
			Issue *struct {
				ID           githubv4.ID
				ProjectItems struct {
					Nodes []struct {
						ID         githubv4.ID
						IsArchived bool
						Project    struct{ ID githubv4.ID }
						Status     *struct {
							SingleSelect struct {
								Name *string
							} `graphql:"... on ProjectV2ItemFieldSingleSelectValue"`
						} `graphql:"fieldValueByName(name: $field)"`
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   githubv4.String
					}
				} `graphql:"projectItems(first: 100, after: $cursor, includeArchived: true)"`
			} `graphql:"issue(number: $number)"`
		} `graphql:"repository(owner: $owner, name: $name)"`
	}
	vars := map[string]any{
		"owner":  githubv4.String(t.owner),
		"name":   githubv4.String(t.name),
		"number": githubv4.Int(number),
		"field":  githubv4.String(b.cfg.StatusField),
		"cursor": (*githubv4.String)(nil),
	}
	var out issueItem
	for {
		if err := b.c.gql.Query(ctx, &q, vars); err != nil {
			return issueItem{}, wrapErr(op, permProjectRead, err)
		}
		if q.Repository == nil || q.Repository.Issue == nil {
			return issueItem{}, &Error{Op: op, kind: lifecycle.ErrNotFound, msg: fmt.Sprintf("no issue #%d", number)}
		}
		out.issueID = fmt.Sprint(q.Repository.Issue.ID)
		for _, n := range q.Repository.Issue.ProjectItems.Nodes {
			if fmt.Sprint(n.Project.ID) != m.projectID {
				continue
			}
			out.itemID = fmt.Sprint(n.ID)
			out.archived = n.IsArchived
			if n.Status != nil && n.Status.SingleSelect.Name != nil {
				out.column = *n.Status.SingleSelect.Name
			}
			t.c.rememberNodeID(number, out.issueID)
			return out, nil
		}
		pi := q.Repository.Issue.ProjectItems.PageInfo
		if !pi.HasNextPage {
			t.c.rememberNodeID(number, out.issueID)
			return out, nil
		}
		vars["cursor"] = githubv4.NewString(pi.EndCursor)
	}
}

func (b *board) item(ctx context.Context, t *tracker, number int) (lifecycle.BoardItem, error) {
	op := fmt.Sprintf("read board item of %s#%d on %s", t.Repo(), number, b.name())
	if err := b.enabled(op); err != nil {
		return lifecycle.BoardItem{}, err
	}
	m, err := b.resolve(ctx, false)
	if err != nil {
		return lifecycle.BoardItem{}, err
	}
	it, err := b.lookup(ctx, t, op, m, number)
	if err != nil {
		return lifecycle.BoardItem{}, err
	}
	if it.itemID == "" {
		return lifecycle.BoardItem{}, nil
	}
	return lifecycle.BoardItem{Column: it.column, Archived: it.archived, OnBoard: true}, nil
}

// move always takes the orphan path: addProjectV2ItemById (which returns the
// existing item when the issue is already on the board, e.g. added by the
// board's auto-add workflow) and then updateProjectV2ItemFieldValue. An
// archived item is unarchived first: a column move means the item is live.
func (b *board) move(ctx context.Context, t *tracker, number int, column string) error {
	op := fmt.Sprintf("move %s#%d to column %q on %s", t.Repo(), number, column, b.name())
	if err := b.enabled(op); err != nil {
		return err
	}
	m, err := b.resolve(ctx, false)
	if err != nil {
		return err
	}
	if _, ok := m.option(column); !ok {
		// The column may have been added since the ids were cached.
		if m, err = b.resolve(ctx, true); err != nil {
			return err
		}
		if _, ok := m.option(column); !ok {
			return &Error{Op: op, kind: lifecycle.ErrNotFound, msg: fmt.Sprintf("the %q field has no column %q; columns are %s", b.cfg.StatusField, column, m.columns())}
		}
	}
	issueID, err := b.issueNodeID(ctx, t, op, number)
	if err != nil {
		return err
	}
	err = b.moveWith(ctx, op, m, issueID, column)
	if err == nil || !isGraphQLError(err) {
		return err
	}
	// Stale ids (a column list edited, a project recreated): look them up once
	// more and retry only if they changed.
	fresh, rerr := b.resolve(ctx, true)
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	if sameIDs(m, fresh, column) {
		return err
	}
	if _, ok := fresh.option(column); !ok {
		return &Error{Op: op, kind: lifecycle.ErrNotFound, msg: fmt.Sprintf("the %q field no longer has column %q; columns are %s", b.cfg.StatusField, column, fresh.columns())}
	}
	return b.moveWith(ctx, op, fresh, issueID, column)
}

func sameIDs(a, b *boardMeta, column string) bool {
	oa, _ := a.option(column)
	ob, _ := b.option(column)
	return a.projectID == b.projectID && a.fieldID == b.fieldID && oa.id == ob.id
}

func (b *board) moveWith(ctx context.Context, op string, m *boardMeta, issueID, column string) error {
	var add struct {
		AddProjectV2ItemByID struct {
			Item struct {
				ID         githubv4.ID
				IsArchived bool
			}
		} `graphql:"addProjectV2ItemById(input: $input)"`
	}
	err := b.c.gql.Mutate(ctx, &add, githubv4.AddProjectV2ItemByIdInput{
		ProjectID: githubv4.ID(m.projectID), ContentID: githubv4.ID(issueID),
	}, nil)
	if err != nil {
		return wrapErr(op, permProjectWrite, err)
	}
	itemID := add.AddProjectV2ItemByID.Item.ID
	if add.AddProjectV2ItemByID.Item.IsArchived {
		var un struct {
			UnarchiveProjectV2Item struct {
				Item struct{ ID githubv4.ID }
			} `graphql:"unarchiveProjectV2Item(input: $input)"`
		}
		if err := b.c.gql.Mutate(ctx, &un, githubv4.UnarchiveProjectV2ItemInput{ProjectID: githubv4.ID(m.projectID), ItemID: itemID}, nil); err != nil {
			return wrapErr(op, permProjectWrite, err)
		}
	}
	opt, _ := m.option(column)
	var upd struct {
		UpdateProjectV2ItemFieldValue struct {
			ProjectV2Item struct{ ID githubv4.ID } `graphql:"projectV2Item"` // githubv4 would spell it projectV2item
		} `graphql:"updateProjectV2ItemFieldValue(input: $input)"`
	}
	err = b.c.gql.Mutate(ctx, &upd, githubv4.UpdateProjectV2ItemFieldValueInput{
		ProjectID: githubv4.ID(m.projectID),
		ItemID:    itemID,
		FieldID:   githubv4.ID(m.fieldID),
		Value:     githubv4.ProjectV2FieldValue{SingleSelectOptionID: githubv4.NewString(githubv4.String(opt.id))},
	}, nil)
	return wrapErr(op, permProjectWrite, err)
}

// archive archives the issue's item; an issue that is not on the board, or
// whose item is already archived, needs nothing and is not an error.
func (b *board) archive(ctx context.Context, t *tracker, number int) error {
	op := fmt.Sprintf("archive board item of %s#%d on %s", t.Repo(), number, b.name())
	if err := b.enabled(op); err != nil {
		return err
	}
	m, err := b.resolve(ctx, false)
	if err != nil {
		return err
	}
	it, err := b.lookup(ctx, t, op, m, number)
	if err != nil {
		return err
	}
	if it.itemID == "" || it.archived {
		return nil
	}
	var arch struct {
		ArchiveProjectV2Item struct {
			Item struct{ ID githubv4.ID }
		} `graphql:"archiveProjectV2Item(input: $input)"`
	}
	err = b.c.gql.Mutate(ctx, &arch, githubv4.ArchiveProjectV2ItemInput{ProjectID: githubv4.ID(m.projectID), ItemID: githubv4.ID(it.itemID)}, nil)
	return wrapErr(op, permProjectWrite, err)
}

// issueNodeID is the issue's GraphQL id: remembered from any earlier read,
// else one REST read (conditional, so often a free 304).
func (b *board) issueNodeID(ctx context.Context, t *tracker, op string, number int) (string, error) {
	if id := b.c.cachedNodeID(number); id != "" {
		return id, nil
	}
	is, err := t.getIssue(ctx, op, number)
	if err != nil {
		return "", err
	}
	return is.GetNodeID(), nil
}

// isGraphQLError reports whether GitHub answered the operation with GraphQL
// errors (as opposed to a transport, auth or rate-limit failure).
func isGraphQLError(err error) bool {
	var ge *graphQLError
	return errors.As(err, &ge) && !ge.hasType("INSUFFICIENT_SCOPES") && !ge.hasType("FORBIDDEN")
}
