package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	syncskill "github.com/vulnsteward/vulnsteward/skills/sync"
)

// SyncProposeIn is sync_propose's input.
type SyncProposeIn struct {
	Numbers   []int                `json:"numbers,omitempty" jsonschema:"trackers to sync by number, open or closed (at most 100)"`
	AllOpen   bool                 `json:"all_open,omitempty" jsonschema:"sync every open tracker instead (bulk; settled ones are skipped with a reason)"`
	Decisions []syncskill.Decision `json:"decisions,omitempty" jsonschema:"your judgements per tracker: the scope of a valid consensus the team reached, or skip the reporter update"`
	Now       string               `json:"now,omitempty" jsonschema:"plan as of this RFC 3339 time (tests, demo); default now"`
}

// SyncProposeOut is sync_propose's output.
type SyncProposeOut struct {
	Plan      PlanView            `json:"plan"`
	Selection string              `json:"selection"`
	Trackers  []syncskill.Item    `json:"trackers"`
	Skipped   []syncskill.Skipped `json:"skipped"`
	Notes     []string            `json:"notes,omitempty"`
}

func syncPropose(d *Deps) ServerTool {
	return newTool("sync_propose", "Propose a sync of trackers",
		"Reconcile trackers with the workflow rules: land a valid consensus, fix the board column, draft the reporter update; flag stalls, the disclosure window and blockers. Writes nothing; returns a token for sync_apply.",
		"intake", readOnlyHints,
		func(ctx context.Context, req mcp.CallToolRequest, in SyncProposeIn) (SyncProposeOut, error) {
			now, err := parseNow(d, in.Now)
			if err != nil {
				return SyncProposeOut{}, err
			}
			p, err := syncskill.Propose(ctx, syncskill.Deps{Config: d.Config, Backend: d.Backend, Operator: d.Operator, Progress: progress(ctx, req)},
				syncskill.ProposeInput{Numbers: in.Numbers, AllOpen: in.AllOpen, Decisions: in.Decisions, Now: now})
			if err != nil {
				return SyncProposeOut{}, err
			}
			view, err := d.sealPlan(p.Plan)
			if err != nil {
				return SyncProposeOut{}, err
			}
			out := SyncProposeOut{Plan: view, Selection: p.Selection, Trackers: p.Items, Skipped: p.Skipped, Notes: p.Notes}
			if out.Trackers == nil {
				out.Trackers = []syncskill.Item{}
			}
			if out.Skipped == nil {
				out.Skipped = []syncskill.Skipped{}
			}
			return out, nil
		})
}

func syncApply(d *Deps, o Options) ServerTool {
	return applyTool(d, o, syncskill.ApplyTool, "Apply an approved sync plan",
		"Apply the label edits, board moves, reporter drafts (never sent) and rollup entries of a sync plan the human approved. Needs the token from sync_propose; safe to re-run.",
		"intake")
}
