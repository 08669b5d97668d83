package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// LedgerLabel is the label of the rejections-ledger issue (spec intake §2.7).
const LedgerLabel = "rejections-ledger"

// Seed is a workspace's starting story: the tracker's label set, team and
// milestones, issues with dated comments, upstream pull requests and releases.
// Timestamps are taken as given, so a seed can hold "a comment 35 days old"
// relative to ReferenceTime. The TOML format:
//
//	reference_time = 2026-11-24T09:00:00Z   # required: the story's "now"
//	collaborators = ["handle", ...]
//	labels = ["needs triage", ...]          # the tracker's label set
//	milestones = ["2.4.2"]
//	[[issues]]                               # numbered from 1 in file order
//	title = "..."; body = "..."; labels = [...]; author = "..."; created = 2026-10-20T10:00:00Z
//	state = "open" | "closed"                # default open
//	state_reason = "not_planned"             # optional, closed issues only (default completed)
//	board_column = "Needs triage"            # optional; board_archived = true (optional)
//	assignees = [...]                        # optional, collaborators only
//	milestone = "2.4.2"                      # optional, one of milestones
//	[[issues.comments]]
//	author = "..."; created = ...; body = "..."
//	[[pull_requests]]
//	number, title, body, author, state, merged, created, merged_at (optional), files = [...]
//	[[releases]]
//	tag, name, published
//	[[ledger]]                               # optional, at most one: title, body
//
// Unknown keys are errors. The ledger issue (label "rejections-ledger", added to
// the label set if missing) is numbered after the issues, created at
// reference_time by the workspace operator.
type Seed struct {
	ReferenceTime time.Time         `toml:"reference_time" json:"reference_time"`
	Collaborators []string          `toml:"collaborators" json:"collaborators"`
	Labels        []string          `toml:"labels" json:"labels"`
	Milestones    []string          `toml:"milestones" json:"milestones"`
	Issues        []SeedIssue       `toml:"issues" json:"issues"`
	PullRequests  []SeedPullRequest `toml:"pull_requests" json:"pull_requests"`
	Releases      []SeedRelease     `toml:"releases" json:"releases"`
	Ledger        []SeedLedger      `toml:"ledger" json:"ledger"`
}

// SeedIssue is one tracker issue of a seed.
type SeedIssue struct {
	Title         string        `toml:"title" json:"title"`
	Body          string        `toml:"body" json:"body"`
	Labels        []string      `toml:"labels" json:"labels"`
	State         string        `toml:"state" json:"state"`
	StateReason   string        `toml:"state_reason" json:"state_reason"`
	Author        string        `toml:"author" json:"author"`
	Created       time.Time     `toml:"created" json:"created"`
	BoardColumn   string        `toml:"board_column" json:"board_column"`
	BoardArchived bool          `toml:"board_archived" json:"board_archived"`
	Assignees     []string      `toml:"assignees" json:"assignees"`
	Milestone     string        `toml:"milestone" json:"milestone"`
	Comments      []SeedComment `toml:"comments" json:"comments"`
}

// SeedComment is a dated comment on a seeded issue.
type SeedComment struct {
	Author  string    `toml:"author" json:"author"`
	Created time.Time `toml:"created" json:"created"`
	Body    string    `toml:"body" json:"body"`
}

// SeedPullRequest is an upstream pull request of a seed.
type SeedPullRequest struct {
	Number   int       `toml:"number" json:"number"`
	Title    string    `toml:"title" json:"title"`
	Body     string    `toml:"body" json:"body"`
	Author   string    `toml:"author" json:"author"`
	State    string    `toml:"state" json:"state"`
	Merged   bool      `toml:"merged" json:"merged"`
	Created  time.Time `toml:"created" json:"created"`
	MergedAt time.Time `toml:"merged_at" json:"merged_at"`
	Files    []string  `toml:"files" json:"files"`
}

// SeedRelease is an upstream release of a seed.
type SeedRelease struct {
	Tag       string    `toml:"tag" json:"tag"`
	Name      string    `toml:"name" json:"name"`
	Published time.Time `toml:"published" json:"published"`
}

// SeedLedger is the rejections-ledger issue of a seed.
type SeedLedger struct {
	Title string `toml:"title" json:"title"`
	Body  string `toml:"body" json:"body"`
}

// LoadSeed reads and checks a seed file. Unknown keys and malformed values are
// errors naming the file, line and column.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("local: load seed: %w", err)
	}
	return parseSeed(path, data)
}

// ParseSeed decodes and checks a seed document (LoadSeed without the file).
func ParseSeed(data []byte) (*Seed, error) { return parseSeed("seed", data) }

func parseSeed(name string, data []byte) (*Seed, error) {
	var s Seed
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			var errs []error
			for _, e := range strict.Errors {
				row, col := e.Position()
				errs = append(errs, fmt.Errorf("%s:%d:%d: unknown key %q", name, row, col, strings.Join(e.Key(), ".")))
			}
			return nil, fmt.Errorf("local: load seed: %w", errors.Join(errs...))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("local: load seed: %s:%d:%d: %w", name, row, col, err)
		}
		return nil, fmt.Errorf("local: load seed %s: %w", name, err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("local: load seed %s: %w", name, err)
	}
	return &s, nil
}

// check validates what the seed says about itself (board columns are checked
// against the workspace by ApplySeed).
func (s *Seed) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.ReferenceTime.IsZero() {
		bad("reference_time is required")
	}
	labelSet := map[string]bool{}
	for _, l := range s.Labels {
		switch {
		case strings.TrimSpace(l) == "" || l != strings.TrimSpace(l):
			bad("labels: %q is empty or padded with spaces", l)
		case labelSet[strings.ToLower(l)]:
			bad("labels: %q listed twice", l)
		}
		labelSet[strings.ToLower(l)] = true
	}
	team := map[string]bool{}
	for _, c := range s.Collaborators {
		if c == "" || strings.ContainsAny(c, " \t\n@") {
			bad("collaborators: %q is not a login", c)
		}
		team[strings.ToLower(c)] = true
	}
	for i, is := range s.Issues {
		where := fmt.Sprintf("issues[%d] (#%d %q)", i, i+1, is.Title)
		if strings.TrimSpace(is.Title) == "" {
			bad("%s: title is required", where)
		}
		if is.Author == "" {
			bad("%s: author is required", where)
		}
		if is.Created.IsZero() {
			bad("%s: created is required", where)
		}
		switch is.State {
		case "", "open":
			if is.StateReason != "" {
				bad("%s: state_reason is for closed issues", where)
			}
		case "closed":
			if _, err := normalizeReason(is.StateReason); err != nil {
				bad("%s: %v", where, err)
			}
		default:
			bad("%s: state %q (want open or closed)", where, is.State)
		}
		for _, l := range is.Labels {
			if !labelSet[strings.ToLower(l)] && !(len(s.Ledger) > 0 && strings.EqualFold(l, LedgerLabel)) {
				bad("%s: label %q is not in labels", where, l)
			}
		}
		for _, a := range is.Assignees {
			if !team[strings.ToLower(a)] {
				bad("%s: assignee %q is not a collaborator", where, a)
			}
		}
		if is.Milestone != "" && !slices.Contains(s.Milestones, is.Milestone) {
			bad("%s: milestone %q is not in milestones", where, is.Milestone)
		}
		if is.BoardArchived && is.BoardColumn == "" {
			bad("%s: board_archived needs board_column", where)
		}
		for j, c := range is.Comments {
			cw := fmt.Sprintf("%s comments[%d]", where, j)
			if c.Author == "" {
				bad("%s: author is required", cw)
			}
			if strings.TrimSpace(c.Body) == "" {
				bad("%s: body is required", cw)
			}
			if c.Created.IsZero() {
				bad("%s: created is required", cw)
			} else if c.Created.Before(is.Created) {
				bad("%s: created %s is before the issue (%s)", cw, c.Created.Format(time.RFC3339), is.Created.Format(time.RFC3339))
			}
		}
	}
	numbers := map[int]bool{}
	for i, pr := range s.PullRequests {
		where := fmt.Sprintf("pull_requests[%d] (#%d)", i, pr.Number)
		switch {
		case pr.Number <= 0:
			bad("%s: number must be positive", where)
		case numbers[pr.Number]:
			bad("%s: number used twice", where)
		}
		numbers[pr.Number] = true
		if strings.TrimSpace(pr.Title) == "" {
			bad("%s: title is required", where)
		}
		if pr.Author == "" {
			bad("%s: author is required", where)
		}
		if pr.Created.IsZero() {
			bad("%s: created is required", where)
		}
		if pr.State != "open" && pr.State != "closed" {
			bad("%s: state %q (want open or closed)", where, pr.State)
		}
		if pr.Merged && pr.State != "closed" {
			bad("%s: a merged pull request has state closed", where)
		}
		if !pr.Merged && !pr.MergedAt.IsZero() {
			bad("%s: merged_at without merged = true", where)
		}
	}
	tags := map[string]bool{}
	for i, r := range s.Releases {
		where := fmt.Sprintf("releases[%d] (%q)", i, r.Tag)
		if r.Tag == "" {
			bad("%s: tag is required", where)
		} else if tags[r.Tag] {
			bad("%s: tag listed twice", where)
		}
		tags[r.Tag] = true
		if r.Published.IsZero() {
			bad("%s: published is required", where)
		}
	}
	switch {
	case len(s.Ledger) > 1:
		bad("ledger: at most one ledger issue, found %d", len(s.Ledger))
	case len(s.Ledger) == 1 && strings.TrimSpace(s.Ledger[0].Title) == "":
		bad("ledger: title is required")
	}
	return errors.Join(errs...)
}

// hash identifies the seed's content, so applying the same seed twice is a no-op.
func (s *Seed) hash() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// ApplySeed writes the seed into the workspace in one transaction. The workspace
// must hold no issues, pull requests or releases yet, except that applying the
// same seed again is a no-op. Issues are numbered from 1 in file order, the ledger
// after them; timestamps are taken as given; writes are not fault-injected.
func (w *Workspace) ApplySeed(ctx context.Context, s *Seed) error {
	if s == nil {
		return fmt.Errorf("local: apply seed: nil seed")
	}
	if err := s.check(); err != nil {
		return fmt.Errorf("local: apply seed: %w", err)
	}
	sum, err := s.hash()
	if err != nil {
		return fmt.Errorf("local: apply seed: %w", err)
	}
	t := &tracker{w: w, repo: w.opts.TrackerRepo}
	err = w.inTx(ctx, func(tx *sql.Tx) error {
		prev, ok, err := getMeta(ctx, tx, "seed_sha256")
		if err != nil {
			return err
		}
		if ok && prev == sum {
			return nil
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM issues) + (SELECT COUNT(*) FROM pull_requests)
			+ (SELECT COUNT(*) FROM releases)`).Scan(&n); err != nil {
			return fmt.Errorf("check workspace is empty: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("workspace %s already holds data; seed a fresh directory", w.dir)
		}
		if len(s.PullRequests)+len(s.Releases) > 0 && w.opts.UpstreamRepo == "" {
			return fmt.Errorf("the seed has pull requests or releases but no upstream repository is configured")
		}
		if err := setMeta(ctx, tx, "reference_time", formatTime(s.ReferenceTime)); err != nil {
			return err
		}
		labels := s.Labels
		if len(s.Ledger) > 0 {
			labels = append(slices.Clone(labels), LedgerLabel)
		}
		if err := defineLabels(ctx, tx, t.repo, labels); err != nil {
			return err
		}
		if err := addCollaborators(ctx, tx, t.repo, s.Collaborators); err != nil {
			return err
		}
		if err := addMilestones(ctx, tx, t.repo, s.Milestones); err != nil {
			return err
		}
		for i, si := range s.Issues {
			if err := t.seedIssue(ctx, tx, si); err != nil {
				return fmt.Errorf("issues[%d] (#%d %q): %w", i, i+1, si.Title, err)
			}
		}
		for _, l := range s.Ledger {
			_, err := t.insertIssue(ctx, tx, seedIssueRow{
				Title: l.Title, Body: l.Body, Labels: []string{LedgerLabel}, State: "open",
				Author: w.opts.Operator, Created: s.ReferenceTime,
			})
			if err != nil {
				return fmt.Errorf("ledger: %w", err)
			}
		}
		for i, pr := range s.PullRequests {
			mergedAt := pr.MergedAt
			if pr.Merged && mergedAt.IsZero() {
				mergedAt = pr.Created
			}
			err := insertPull(ctx, tx, w.opts.UpstreamRepo, lifecycle.PullRequest{
				Number: pr.Number, Title: pr.Title, Body: pr.Body, Author: pr.Author, State: pr.State,
				Merged: pr.Merged, CreatedAt: pr.Created, MergedAt: mergedAt, Files: pr.Files,
			})
			if err != nil {
				return fmt.Errorf("pull_requests[%d] (#%d): %w", i, pr.Number, err)
			}
		}
		for i, r := range s.Releases {
			name := r.Name
			if name == "" {
				name = r.Tag
			}
			if err := insertRelease(ctx, tx, w.opts.UpstreamRepo, lifecycle.Release{Tag: r.Tag, Name: name, PublishedAt: r.Published}); err != nil {
				return fmt.Errorf("releases[%d] (%q): %w", i, r.Tag, err)
			}
		}
		return setMeta(ctx, tx, "seed_sha256", sum)
	})
	return wrapErr("apply seed", err)
}

// seedIssue inserts one seeded issue with its comments, keeping their dates.
func (t *tracker) seedIssue(ctx context.Context, tx *sql.Tx, si SeedIssue) error {
	state := si.State
	if state == "" {
		state = "open"
	}
	last := si.Created
	for _, c := range si.Comments {
		if c.Created.After(last) {
			last = c.Created
		}
	}
	row := seedIssueRow{
		Title: si.Title, Body: si.Body, Labels: si.Labels, State: state, Author: si.Author,
		Created: si.Created, Updated: last, Assignees: si.Assignees, Milestone: si.Milestone,
	}
	if state == "closed" {
		reason, err := normalizeReason(si.StateReason)
		if err != nil {
			return err
		}
		row.StateReason, row.Closed = reason, last
	}
	if si.BoardColumn != "" {
		col, err := t.column(si.BoardColumn)
		if err != nil {
			return err
		}
		row.OnBoard, row.BoardColumn, row.BoardArchived = true, col, si.BoardArchived
	}
	is, err := t.insertIssue(ctx, tx, row)
	if err != nil {
		return err
	}
	id, err := t.issueID(ctx, tx, is.Number)
	if err != nil {
		return err
	}
	for j, c := range si.Comments {
		if _, err := t.insertComment(ctx, tx, is.Number, id, c.Author, c.Body, c.Created); err != nil {
			return fmt.Errorf("comments[%d]: %w", j, err)
		}
	}
	return nil
}
