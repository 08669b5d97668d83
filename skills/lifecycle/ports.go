package lifecycle

import (
	"context"
	"errors"
	"time"
)

// The ports: what the workflow needs from the outside world. Every port has a
// remote implementation (GitHub, Gmail, ...) and an embedded one in
// integrations/local. Skills talk only to these interfaces.

// ErrNotFound is returned (wrapped) by every port when the named object does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnsupported is returned (wrapped) by a port that declines an operation explicitly
// (a read-only mail backend asked for a draft, a board that is not configured).
var ErrUnsupported = errors.New("operation not supported by this backend")

// Issue is a tracker issue (or an upstream issue/PR read through the tracker shape).
type Issue struct {
	Repo        string    `json:"repo"`
	Number      int       `json:"number"`
	NodeID      string    `json:"node_id,omitempty"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	State       string    `json:"state"`                  // "open" or "closed"
	StateReason string    `json:"state_reason,omitempty"` // "completed", "not_planned", "reopened"
	Labels      []string  `json:"labels"`
	Milestone   string    `json:"milestone,omitempty"`
	Assignees   []string  `json:"assignees,omitempty"`
	Author      string    `json:"author,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	// Version is an opaque token that changes on every write to the issue or its
	// comments, by anyone. The executor compares it to detect stale plans.
	Version string `json:"version"`
}

// HasLabel reports whether the issue carries the label (case-insensitive).
func (i Issue) HasLabel(name string) bool {
	for _, l := range i.Labels {
		if equalFold(l, name) {
			return true
		}
	}
	return false
}

// Comment is an issue comment.
type Comment struct {
	ID        int64     `json:"id"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	URL       string    `json:"url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewIssue is what CreateIssue needs.
type NewIssue struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels,omitempty"`
}

// IssueFilter selects issues for ListIssues.
type IssueFilter struct {
	State  string   // "open" (default), "closed" or "all"
	Labels []string // all must match
	Since  time.Time
}

// BoardItem is a tracker's place on the project board.
type BoardItem struct {
	Column   string `json:"column"`
	Archived bool   `json:"archived"`
	OnBoard  bool   `json:"on_board"`
}

// Tracker is the private tracker repository.
type Tracker interface {
	// Repo is "owner/name".
	Repo() string
	GetIssue(ctx context.Context, number int) (Issue, error)
	ListIssues(ctx context.Context, f IssueFilter) ([]Issue, error)
	// FindByIntakeKey returns every issue, open or closed, whose body carries the
	// intake key (see IntakeMeta); it must see issues created moments ago.
	FindByIntakeKey(ctx context.Context, key string) ([]Issue, error)
	CreateIssue(ctx context.Context, n NewIssue) (Issue, error)
	SetBody(ctx context.Context, number int, body string) (Issue, error)
	// EditLabels adds and removes labels in one call (one timeline event).
	// Removing an absent label is harmless; adding a label the repository does
	// not define is an error (labels are never created silently).
	EditLabels(ctx context.Context, number int, add, remove []string) (Issue, error)
	ListLabels(ctx context.Context) ([]string, error)
	CloseIssue(ctx context.Context, number int, reason string) (Issue, error)
	ReopenIssue(ctx context.Context, number int) (Issue, error)
	SetAssignees(ctx context.Context, number int, logins []string) (Issue, error)
	SetMilestone(ctx context.Context, number int, title string) (Issue, error)
	ListMilestones(ctx context.Context) ([]string, error)

	ListComments(ctx context.Context, number int) ([]Comment, error)
	CreateComment(ctx context.Context, number int, body string) (Comment, error)
	UpdateComment(ctx context.Context, number int, commentID int64, body string) (Comment, error)
	DeleteComment(ctx context.Context, number int, commentID int64) error

	// Board: a no-op returning ErrUnsupported when no board is configured.
	BoardItem(ctx context.Context, number int) (BoardItem, error)
	MoveToColumn(ctx context.Context, number int, column string) error
	ArchiveBoardItem(ctx context.Context, number int) error

	// Collaborators are the security team: the only people whose text is instructions.
	Collaborators(ctx context.Context) ([]string, error)
	// Version returns the issue's current Version without reading comments.
	Version(ctx context.Context, number int) (string, error)
}

// PullRequest is an upstream pull request.
type PullRequest struct {
	Repo      string    `json:"repo"`
	Number    int       `json:"number"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	State     string    `json:"state"` // open, closed
	Merged    bool      `json:"merged"`
	MergedAt  time.Time `json:"merged_at,omitzero"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	Files     []string  `json:"files,omitempty"`
	Milestone string    `json:"milestone,omitempty"`
	MergeSHA  string    `json:"merge_sha,omitempty"`
}

// Release is an upstream release or tag.
type Release struct {
	Tag         string    `json:"tag"`
	Name        string    `json:"name"`
	URL         string    `json:"url"`
	PublishedAt time.Time `json:"published_at"`
}

// Upstream is the public code repository.
type Upstream interface {
	Repo() string
	GetPullRequest(ctx context.Context, number int) (PullRequest, error)
	// SearchPullRequests finds PRs whose title or body contains every term.
	SearchPullRequests(ctx context.Context, terms []string, state string) ([]PullRequest, error)
	ListReleases(ctx context.Context) ([]Release, error)
}

// Address is a mail address with its display name.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// Message is one mail message, decoded to plain text.
type Message struct {
	ID         string    `json:"id"`         // backend message id
	MessageID  string    `json:"message_id"` // RFC 5322 Message-ID, normalised (NormalizeMessageID)
	InReplyTo  string    `json:"in_reply_to,omitempty"`
	References []string  `json:"references,omitempty"`
	From       Address   `json:"from"`
	To         []Address `json:"to,omitempty"`
	Cc         []Address `json:"cc,omitempty"`
	Subject    string    `json:"subject"`
	Date       time.Time `json:"date"`
	Body       string    `json:"body"` // text/plain part (HTML-only mail is converted to text)
	IsDraft    bool      `json:"is_draft,omitempty"`
	// DraftKey is the X-Vulnsteward-Draft-Key header of drafts this server made.
	DraftKey string `json:"draft_key,omitempty"`
}

// Thread is a conversation, messages in chronological order.
type Thread struct {
	ID       string    `json:"id"`
	Messages []Message `json:"messages"`
}

// Root is the chronologically first non-draft message.
func (t Thread) Root() (Message, bool) {
	for _, m := range t.Messages {
		if !m.IsDraft {
			return m, true
		}
	}
	return Message{}, false
}

// ThreadSummary is what a listing returns: no bodies.
type ThreadSummary struct {
	ID            string    `json:"id"`
	Subject       string    `json:"subject"`
	From          Address   `json:"from"`
	Date          time.Time `json:"date"`      // date of the root message
	LastDate      time.Time `json:"last_date"` // date of the newest message
	RootMessageID string    `json:"root_message_id"`
	MessageCount  int       `json:"message_count"`
}

// DraftRequest is a plain-text reply draft. Never sent by this program.
type DraftRequest struct {
	ThreadID   string    `json:"thread_id,omitempty"` // attach to this thread when set
	To         []Address `json:"to"`
	Cc         []Address `json:"cc,omitempty"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	InReplyTo  string    `json:"in_reply_to,omitempty"` // normalised Message-ID
	References []string  `json:"references,omitempty"`
	// Key identifies the draft for idempotency; written as X-Vulnsteward-Draft-Key.
	Key string `json:"key"`
}

// Draft is an unsent draft.
type Draft struct {
	ID       string    `json:"id"`
	ThreadID string    `json:"thread_id,omitempty"`
	Key      string    `json:"key,omitempty"`
	Subject  string    `json:"subject"`
	To       []Address `json:"to,omitempty"`
}

// Mail is the security list's mailbox. It never sends.
type Mail interface {
	// Kind names the backend ("maildir", "gmail") and its thread-id flavour.
	Kind() string
	// ListThreads lists threads with a message on or after since.
	ListThreads(ctx context.Context, since time.Time) ([]ThreadSummary, error)
	ReadThread(ctx context.Context, id string) (Thread, error)
	// ListDrafts lists pending drafts; threadID "" lists all.
	ListDrafts(ctx context.Context, threadID string) ([]Draft, error)
	CreateDraft(ctx context.Context, d DraftRequest) (Draft, error)
	// ThreadURL is a clickable handle for the thread, "" if there is none.
	ThreadURL(threadID string) string
}

// CVERecord is a record in the CNA tool.
type CVERecord struct {
	ID    string `json:"id"`
	State string `json:"state"` // DRAFT, REVIEW, READY, PUBLIC
	JSON  []byte `json:"json,omitempty"`
}

// CNA is the CVE numbering authority's tool.
type CNA interface {
	GetRecord(ctx context.Context, id string) (CVERecord, error)
	UpdateRecord(ctx context.Context, rec CVERecord) (CVERecord, error)
	Publish(ctx context.Context, id string) (CVERecord, error)
}

// Archive finds public list archive URLs.
type Archive interface {
	// FindThreadURL returns the archive URL of the message, ErrNotFound if absent.
	FindThreadURL(ctx context.Context, list, messageID string) (string, error)
}

// Backend bundles the ports one run uses.
type Backend struct {
	Tracker  Tracker
	Upstream Upstream
	Mail     Mail
	CNA      CNA
	Archive  Archive
}
