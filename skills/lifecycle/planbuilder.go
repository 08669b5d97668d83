package lifecycle

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// PlanBuilder assembles a plan action by action; every skill's propose uses it.
type PlanBuilder struct {
	Plan *Plan
}

// NewPlan starts a plan for the apply tool. prefix names the skill in the id
// ("import-1f2e…").
func NewPlan(prefix, tool, operator string, now time.Time) *PlanBuilder {
	return &PlanBuilder{Plan: &Plan{ID: NewPlanID(prefix), Tool: tool, CreatedAt: now.UTC(), Operator: operator, Versions: map[string]string{}}}
}

// NewPlanID returns "<prefix>-<16 hex>".
func NewPlanID(prefix string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Add appends an action, numbering it a1, a2, …, and returns its id.
func (b *PlanBuilder) Add(a Action) string {
	a.ID = fmt.Sprintf("a%d", len(b.Plan.Actions)+1)
	b.Plan.Actions = append(b.Plan.Actions, a)
	return a.ID
}

// Decide records who decided a value: "server" (a rule) or "agent" (a judgement).
func (b *PlanBuilder) Decide(item, what, value, by, why string) {
	b.Plan.Decisions = append(b.Plan.Decisions, Decision{Item: item, What: what, Value: value, DecidedBy: by, Why: why})
}

// Saw records the version of an existing target the plan was made from, so the
// executor refuses the target's actions if someone else changes it first.
func (b *PlanBuilder) Saw(i Issue) Ref {
	ref := Ref{Repo: i.Repo, Number: i.Number}
	b.Plan.Versions[ref.Key()] = i.Version
	return ref
}

// Note adds a line to the plan's notes.
func (b *PlanBuilder) Note(format string, args ...any) {
	b.Plan.Notes = append(b.Plan.Notes, fmt.Sprintf(format, args...))
}

// Audit adds the closing audit record (when the plan has anything to apply).
// It depends on every other action, so it is written only once the whole plan
// is applied (each action's own outcome is in the audit log regardless).
func (b *PlanBuilder) Audit(event string, fields map[string]string) {
	if len(b.Plan.Actions) == 0 {
		return
	}
	deps := make([]string, len(b.Plan.Actions))
	for i, a := range b.Plan.Actions {
		deps[i] = a.ID
	}
	b.Add(Action{Kind: ActAuditRecord, Audience: AudienceTeam, Summary: fmt.Sprintf("audit: %s plan %s fully applied", event, b.Plan.ID),
		DependsOn: deps, Audit: &AuditSpec{Event: event, Fields: fields}})
}
