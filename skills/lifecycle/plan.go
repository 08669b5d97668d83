package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Audience says who can read what an action writes. Each audience has its own
// policy rules (see policy/scrub).
type Audience string

const (
	AudienceTracker  Audience = "private-tracker" // the private tracker: no restriction but secrets
	AudienceTeam     Audience = "security-team"   // the team's own mail/state
	AudienceReporter Audience = "reporter"        // a draft to the person who reported
	AudienceUpstream Audience = "public-upstream" // the public code repository
	AudienceList     Audience = "public-list"     // a public advisory
)

// ActionKind names what an action does.
type ActionKind string

const (
	ActCreateIssue   ActionKind = "create_issue"
	ActAddLabels     ActionKind = "add_labels"
	ActRemoveLabels  ActionKind = "remove_labels"
	ActEditLabels    ActionKind = "edit_labels"
	ActSetBodyField  ActionKind = "set_body_field"
	ActUpsertComment ActionKind = "upsert_comment"
	ActRollupEntry   ActionKind = "rollup_entry"
	ActCloseIssue    ActionKind = "close_issue"
	ActMoveBoard     ActionKind = "move_board_column"
	ActArchiveBoard  ActionKind = "archive_board_item"
	ActSetMilestone  ActionKind = "set_milestone"
	ActAddIntakeKey  ActionKind = "add_intake_key"
	ActCreateDraft   ActionKind = "create_draft"
	ActAuditRecord   ActionKind = "audit_record"
)

// Ref names an issue an action writes to: an existing number, or the issue an
// earlier action of the same plan creates ("$a1.number").
type Ref struct {
	Repo   string `json:"repo,omitempty"`
	Number int    `json:"number,omitempty"`
	From   string `json:"from,omitempty"` // "$<action id>.number"
}

// Key is the stable name of the target, used for version checks and journals.
func (r Ref) Key() string {
	if r.From != "" {
		return r.From
	}
	return fmt.Sprintf("%s#%d", r.Repo, r.Number)
}

// IsZero reports whether the ref names nothing.
func (r Ref) IsZero() bool { return r.Number == 0 && r.From == "" }

// Action is one typed step of a plan. Exactly one of the kind-specific fields is set.
type Action struct {
	ID        string     `json:"id"`
	Kind      ActionKind `json:"kind"`
	Audience  Audience   `json:"audience"`
	Summary   string     `json:"summary"`
	Target    Ref        `json:"target,omitzero"`
	DependsOn []string   `json:"depends_on,omitempty"`
	// Item groups actions that belong to one proposal item (a candidate thread).
	Item string `json:"item,omitempty"`

	Issue   *IssueSpec   `json:"issue,omitempty"`
	Labels  *LabelSpec   `json:"labels,omitempty"`
	Field   *FieldSpec   `json:"field,omitempty"`
	Comment *CommentSpec `json:"comment,omitempty"`
	Column  string       `json:"column,omitempty"`
	Close   *CloseSpec   `json:"close,omitempty"`
	Draft   *DraftSpec   `json:"draft,omitempty"`
	Audit   *AuditSpec   `json:"audit,omitempty"`

	// Milestone is the tracker milestone title an ActSetMilestone sets.
	Milestone string `json:"milestone,omitempty"`
	// Intake is the intake block an ActAddIntakeKey writes into the body's
	// preamble (a merge carries the dropped tracker's key to the kept one).
	Intake *IntakeMeta `json:"intake,omitempty"`
}

// IssueSpec is a tracker to create. IntakeKey makes creation idempotent.
type IssueSpec struct {
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Labels    []string `json:"labels"`
	IntakeKey string   `json:"intake_key"`
}

// LabelSpec adds and removes labels in one edit.
type LabelSpec struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// FieldSpec sets one body field.
type FieldSpec struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CommentSpec writes a comment found by marker. For a rollup entry, EntryID makes
// the append idempotent; for a standalone marker comment, the comment is created
// once and updated in place.
type CommentSpec struct {
	Marker  string `json:"marker,omitempty"`
	EntryID string `json:"entry_id,omitempty"`
	// Tag finds a standalone comment by a line starting with Tag anywhere in it
	// (CommentHasTag), for comments that must start with visible text and
	// carry their hidden marker at the end; the comment is created once and
	// updated in place, like a Marker comment.
	Tag  string `json:"tag,omitempty"`
	Body string `json:"body"`
	// Entry is the rollup entry (for ActRollupEntry).
	Entry *RollupEntry `json:"entry,omitempty"`
}

// CloseSpec closes an issue.
type CloseSpec struct {
	Reason string `json:"reason"` // "completed" or "not_planned"
}

// DraftSpec is a reply draft on a mail thread.
type DraftSpec struct {
	Request DraftRequest `json:"request"`
	// Avoid lists what the draft must never contain (the reporter's own CVSS
	// vector or CWE: never echoed back as ours); the executor refuses a hit.
	Avoid []string `json:"avoid,omitempty"`
	// Degraded explains why the draft is not attached to the thread, if it is not.
	Degraded string `json:"degraded,omitempty"`
}

// AuditSpec is the audit record the apply writes.
type AuditSpec struct {
	Event  string            `json:"event"`
	Fields map[string]string `json:"fields,omitempty"`
}

// Decision records who decided a value in a plan: the server by a rule, or the agent.
type Decision struct {
	Item      string `json:"item"`
	What      string `json:"what"`
	Value     string `json:"value"`
	DecidedBy string `json:"decided_by"` // "server" or "agent"
	Why       string `json:"why,omitempty"`
}

// Plan is what a _propose tool returns and its _apply tool executes.
type Plan struct {
	ID        string    `json:"id"`
	Tool      string    `json:"tool"` // the apply tool the plan is for
	CreatedAt time.Time `json:"created_at"`
	Operator  string    `json:"operator"`
	Actions   []Action  `json:"actions"`
	// Versions holds each existing target's Version at propose time, by Ref.Key.
	Versions  map[string]string `json:"versions,omitempty"`
	Decisions []Decision        `json:"decisions,omitempty"`
	Notes     []string          `json:"notes,omitempty"`
}

// Hash is the SHA-256 of the plan's canonical JSON encoding.
func (p *Plan) Hash() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("hashing plan: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Action returns the action with the id.
func (p *Plan) Action(id string) (Action, bool) {
	for _, a := range p.Actions {
		if a.ID == id {
			return a, true
		}
	}
	return Action{}, false
}
