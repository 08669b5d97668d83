package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vulnsteward/vulnsteward/skills/escalate"
)

// EscalateProposeIn is escalate_propose's input.
type EscalateProposeIn struct {
	Numbers  []int              `json:"numbers,omitempty" jsonschema:"trackers to escalate; default: every tracker with a phase due"`
	Messages []escalate.Message `json:"messages,omitempty" jsonschema:"your text per tracker: optional for phase 1, required for phase 2"`
	Now      string             `json:"now,omitempty" jsonschema:"plan as of this RFC 3339 time (tests, demo); default now"`
}

// EscalateProposeOut is escalate_propose's output.
type EscalateProposeOut struct {
	Plan     PlanView              `json:"plan"`
	Trackers []escalate.Escalation `json:"trackers"`
	Waiting  []escalate.Waiting    `json:"waiting,omitempty" jsonschema:"trackers with an escalation under way and no phase due now"`
	Notes    []string              `json:"notes,omitempty"`
}

func escalatePropose(d *Deps) ServerTool {
	return newTool("escalate_propose", "Propose a Step 4 escalation",
		"Escalate a stalled validity discussion: phase 1 a bare call for ideas, phase 2 your design-space analysis. Plans drafts (private list, foundation security, reporter) and a rollup entry. Writes nothing.",
		"intake", readOnlyHints,
		func(ctx context.Context, req mcp.CallToolRequest, in EscalateProposeIn) (EscalateProposeOut, error) {
			now, err := parseNow(d, in.Now)
			if err != nil {
				return EscalateProposeOut{}, err
			}
			p, err := escalate.Propose(ctx, escalate.Deps{Config: d.Config, Backend: d.Backend, Operator: d.Operator},
				escalate.Input{Numbers: in.Numbers, Messages: in.Messages, Now: now})
			if err != nil {
				return EscalateProposeOut{}, err
			}
			view, err := d.sealPlan(p.Plan)
			if err != nil {
				return EscalateProposeOut{}, err
			}
			if len(p.Plan.Actions) == 0 && len(p.Trackers) > 0 {
				view.Next = "nothing to apply yet: draft the phase-2 analysis from each brief with the human, then propose again with `messages`"
			}
			return EscalateProposeOut{Plan: view, Trackers: p.Trackers, Waiting: p.Waiting, Notes: p.Notes}, nil
		})
}

func escalateApply(d *Deps, o Options) ServerTool {
	return applyTool(d, o, escalate.ApplyTool, "Apply an approved escalation plan",
		"Create the escalation drafts (never sent) and the rollup entry of a plan the human approved. Needs the confirmation token from escalate_propose; safe to re-run.",
		"intake")
}
