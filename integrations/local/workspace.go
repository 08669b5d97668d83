package local

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DatabaseFile is the workspace database's file name inside the workspace directory.
const DatabaseFile = "workspace.db"

// DefaultBoardColumns returns the board's Status columns (spec intake §2.5), used
// when Options.BoardColumns is empty.
func DefaultBoardColumns() []string {
	return []string{"Needs triage", "Assessed", "CVE allocated", "PR created", "PR merged", "Fix released", "Announced"}
}

// Options configures a Workspace.
type Options struct {
	// TrackerRepo is the private tracker, "owner/name". Required.
	TrackerRepo string
	// UpstreamRepo is the public code repository, "owner/name".
	UpstreamRepo string
	// Now is the clock for writes (created/updated timestamps); time.Now when nil.
	Now func() time.Time
	// Operator is the login recorded as the author of issues and comments this
	// process writes. "vulnsteward" when empty.
	Operator string
	// BoardEnabled turns the project board on; when false every board operation
	// returns an error wrapping lifecycle.ErrUnsupported.
	BoardEnabled bool
	// BoardColumns are the board's Status columns; DefaultBoardColumns when empty.
	BoardColumns []string
	// Faults, when set, fails chosen calls (tests only).
	Faults *Faults
}

// Workspace is an open workspace database. It is safe for concurrent use, and
// several processes may open the same directory (SQLite WAL, busy timeout).
type Workspace struct {
	db   *sql.DB
	dir  string
	opts Options
}

// Open opens (creating if needed) the workspace in dir and brings its schema up
// to date.
func Open(ctx context.Context, dir string, opts Options) (*Workspace, error) {
	if !validRepo(opts.TrackerRepo) {
		return nil, fmt.Errorf("local: open workspace: tracker repo %q is not owner/name", opts.TrackerRepo)
	}
	if opts.UpstreamRepo != "" && !validRepo(opts.UpstreamRepo) {
		return nil, fmt.Errorf("local: open workspace: upstream repo %q is not owner/name", opts.UpstreamRepo)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Operator == "" {
		opts.Operator = "vulnsteward"
	}
	if len(opts.BoardColumns) == 0 {
		opts.BoardColumns = DefaultBoardColumns()
	}
	opts.BoardColumns = append([]string(nil), opts.BoardColumns...)
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("local: open workspace: directory %q must not contain '?' or '#'", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local: open workspace: %w", err)
	}
	path := filepath.Join(dir, DatabaseFile)
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", path, err)
	}
	w := &Workspace{db: db, dir: dir, opts: opts}
	if err := w.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("local: open %s: %w", path, err)
	}
	return w, nil
}

// Close closes the database.
func (w *Workspace) Close() error {
	if err := w.db.Close(); err != nil {
		return fmt.Errorf("local: close workspace: %w", err)
	}
	return nil
}

// Dir is the workspace directory.
func (w *Workspace) Dir() string { return w.dir }

// Tracker is the private tracker port.
func (w *Workspace) Tracker() lifecycle.Tracker { return &tracker{w: w, repo: w.opts.TrackerRepo} }

// Upstream is the public code repository port (read-only, as the port is; fill it
// with ApplySeed, AddPullRequest and AddRelease).
func (w *Workspace) Upstream() lifecycle.Upstream {
	return &upstream{w: w, repo: w.opts.UpstreamRepo}
}

// CNA is the CVE numbering authority port.
func (w *Workspace) CNA() lifecycle.CNA { return &cna{w: w} }

// Archive is the list-archive port: it knows only the URLs recorded with AddArchiveURL.
func (w *Workspace) Archive() lifecycle.Archive { return &archive{w: w} }

// migrations are the schema versions, applied in order; PRAGMA user_version
// records how many have run. Never edit a released entry: append a new one.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO counters(name, value) VALUES ('version', 0);

CREATE TABLE labels (
	id   INTEGER PRIMARY KEY,
	repo TEXT NOT NULL,
	name TEXT NOT NULL,
	UNIQUE (repo, name COLLATE NOCASE)
);
CREATE TABLE milestones (
	id    INTEGER PRIMARY KEY,
	repo  TEXT NOT NULL,
	title TEXT NOT NULL,
	UNIQUE (repo, title)
);
CREATE TABLE collaborators (
	repo  TEXT NOT NULL,
	login TEXT NOT NULL,
	PRIMARY KEY (repo, login COLLATE NOCASE)
);
CREATE TABLE issues (
	id           INTEGER PRIMARY KEY,
	repo         TEXT NOT NULL,
	number       INTEGER NOT NULL CHECK (number > 0),
	title        TEXT NOT NULL,
	body         TEXT NOT NULL,
	state        TEXT NOT NULL CHECK (state IN ('open', 'closed')),
	state_reason TEXT NOT NULL DEFAULT '',
	author       TEXT NOT NULL,
	milestone_id INTEGER REFERENCES milestones(id),
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL,
	closed_at    TEXT,
	version      INTEGER NOT NULL,
	UNIQUE (repo, number)
);
CREATE INDEX issues_repo_state ON issues(repo, state);
CREATE TABLE intake_keys (
	issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
	key      TEXT NOT NULL,
	PRIMARY KEY (issue_id, key)
);
CREATE INDEX intake_keys_key ON intake_keys(key);
CREATE TABLE issue_labels (
	issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
	PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX issue_labels_label ON issue_labels(label_id);
CREATE TABLE assignees (
	issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
	login    TEXT NOT NULL,
	PRIMARY KEY (issue_id, login)
);
CREATE TABLE comments (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	issue_id   INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
	author     TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX comments_issue ON comments(issue_id, created_at);
-- Comment ids start high so they are never mistaken for issue numbers.
INSERT INTO sqlite_sequence(name, seq) VALUES ('comments', 1000000);
CREATE TABLE board_items (
	issue_id    INTEGER PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
	column_name TEXT NOT NULL,
	archived    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE pull_requests (
	id         INTEGER PRIMARY KEY,
	repo       TEXT NOT NULL,
	number     INTEGER NOT NULL CHECK (number > 0),
	title      TEXT NOT NULL,
	body       TEXT NOT NULL,
	author     TEXT NOT NULL,
	state      TEXT NOT NULL CHECK (state IN ('open', 'closed')),
	merged     INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	merged_at  TEXT,
	milestone  TEXT NOT NULL DEFAULT '',
	merge_sha  TEXT NOT NULL DEFAULT '',
	UNIQUE (repo, number)
);
CREATE TABLE pull_request_files (
	pr_id    INTEGER NOT NULL REFERENCES pull_requests(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	path     TEXT NOT NULL,
	PRIMARY KEY (pr_id, position)
);
CREATE TABLE releases (
	repo         TEXT NOT NULL,
	tag          TEXT NOT NULL,
	name         TEXT NOT NULL,
	url          TEXT NOT NULL,
	published_at TEXT NOT NULL,
	PRIMARY KEY (repo, tag)
);

CREATE TABLE cve_records (
	id         TEXT PRIMARY KEY,
	state      TEXT NOT NULL CHECK (state IN ('DRAFT', 'REVIEW', 'READY', 'PUBLIC')),
	json       BLOB,
	updated_at TEXT NOT NULL
);
CREATE TABLE archive_urls (
	list       TEXT NOT NULL,
	message_id TEXT NOT NULL,
	url        TEXT NOT NULL,
	PRIMARY KEY (list, message_id)
);
`,
}

// migrate applies the migrations the database has not seen, each in its own
// transaction together with the user_version bump.
func (w *Workspace) migrate(ctx context.Context) error {
	for {
		done, err := w.migrateOne(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func (w *Workspace) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := w.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: one migrator at a time
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > len(migrations):
		return false, fmt.Errorf("schema version %d is newer than this program knows (%d); upgrade vulnsteward", version, len(migrations))
	case version == len(migrations):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("migrate schema to version %d: %w", version+1, err)
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version+1)); err != nil {
		return false, fmt.Errorf("set schema version %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit schema version %d: %w", version+1, err)
	}
	return false, nil
}

// SchemaVersion is the database's schema version (PRAGMA user_version).
func (w *Workspace) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := w.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("local: schema version: %w", err)
	}
	return v, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// read counts a read call for fault injection.
func (w *Workspace) read(op string) error {
	before, _ := w.opts.Faults.begin(op, false)
	return before
}

// write runs fn in one write transaction (BEGIN IMMEDIATE), after fault injection.
func (w *Workspace) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	before, after := w.opts.Faults.begin(op, true)
	if before != nil {
		return before
	}
	if err := w.inTx(ctx, fn); err != nil {
		return err
	}
	return after
}

// inTx runs fn in one write transaction, without fault injection (seeding, setup).
func (w *Workspace) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// nextVersion bumps and returns the workspace-wide version counter.
func nextVersion(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "UPDATE counters SET value = value + 1 WHERE name = 'version' RETURNING value").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("bump version counter: %w", err)
	}
	return v, nil
}

func versionString(v int64) string { return "v" + strconv.FormatInt(v, 10) }

// timeLayout stores times as fixed-width UTC text, so text order is time order and
// the database stays readable with the sqlite3 shell.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

func parseNullTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	return parseTime(s.String)
}

func (w *Workspace) now() time.Time { return w.opts.Now().UTC() }

func validRepo(repo string) bool {
	owner, name, ok := strings.Cut(repo, "/")
	return ok && owner != "" && name != "" && !strings.ContainsAny(repo, " \t\n?#") && !strings.Contains(name, "/")
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), lifecycle.ErrNotFound)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// setMeta records a workspace-level value (reference time, applied seed).
func setMeta(ctx context.Context, q querier, key, value string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

func getMeta(ctx context.Context, q querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get %s: %w", key, err)
	}
	return v, true, nil
}

// ReferenceTime is the seed's reference_time ("now" of the seeded story), if a
// seed recorded one. The demo passes it as Options.Now and as the tools' `now`.
func (w *Workspace) ReferenceTime(ctx context.Context) (time.Time, bool, error) {
	v, ok, err := getMeta(ctx, w.db, "reference_time")
	if err != nil || !ok {
		return time.Time{}, false, wrapErr("reference time", err)
	}
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, false, wrapErr("reference time", err)
	}
	return t, true, nil
}

// wrapErr prefixes err with the package and operation; nil stays nil.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("local: %s: %w", op, err)
}

func isNotFound(err error) bool { return errors.Is(err, lifecycle.ErrNotFound) }
