package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vulnsteward/vulnsteward/skills/triage"
)

// TriageProposeIn is triage_propose's input.
type TriageProposeIn struct {
	Numbers    []int              `json:"numbers,omitempty" jsonschema:"trackers to triage; default: the judged ones, else every open needs-triage tracker"`
	Retriage   bool               `json:"retriage,omitempty" jsonschema:"also allow trackers past needs triage (needs numbers)"`
	Judgements []triage.Judgement `json:"judgements,omitempty" jsonschema:"your triage per tracker; without one the tracker is only gathered"`
	Now        string             `json:"now,omitempty" jsonschema:"plan as of this RFC 3339 time (tests, demo); default now"`
}

// TriageProposeOut is triage_propose's output.
type TriageProposeOut struct {
	Plan          PlanView              `json:"plan"`
	Trackers      []triage.Bundle       `json:"trackers"`
	SecurityModel []triage.ModelSection `json:"security_model,omitempty" jsonschema:"sections to quote (while a judgement is missing)"`
	Roster        []triage.RosterMember `json:"roster,omitempty"`
	Canned        []triage.CannedView   `json:"canned_responses,omitempty"`
	Classes       []triage.ClassInfo    `json:"classes,omitempty"`
	Notes         []string              `json:"notes,omitempty"`
}

func triagePropose(d *Deps) ServerTool {
	return newTool("triage_propose", "Propose a triage comment",
		"Gather trackers for the validity discussion; with your judgement, plan one triage-proposal comment that quotes the security model and asks 2-3 team members. Writes nothing.",
		"intake", readOnlyHints,
		func(ctx context.Context, req mcp.CallToolRequest, in TriageProposeIn) (TriageProposeOut, error) {
			now, err := parseNow(d, in.Now)
			if err != nil {
				return TriageProposeOut{}, err
			}
			p, err := triage.Propose(ctx, triage.Deps{Config: d.Config, Backend: d.Backend, Operator: d.Operator, Progress: progress(ctx, req)},
				triage.Input{Numbers: in.Numbers, Retriage: in.Retriage, Judgements: in.Judgements, Now: now})
			if err != nil {
				return TriageProposeOut{}, err
			}
			view, err := d.sealPlan(p.Plan)
			if err != nil {
				return TriageProposeOut{}, err
			}
			if len(p.Plan.Actions) == 0 {
				view.Next = "nothing to apply: read each tracker's bundle, decide with the human, then propose again with `judgements`"
			}
			out := TriageProposeOut{Plan: view, Trackers: p.Trackers, SecurityModel: p.SecurityModel, Roster: p.Roster, Canned: p.Canned, Classes: p.Classes, Notes: p.Notes}
			if out.Trackers == nil {
				out.Trackers = []triage.Bundle{}
			}
			return out, nil
		})
}

func triageApply(d *Deps, o Options) ServerTool {
	return applyTool(d, o, triage.ApplyTool, "Apply an approved triage plan",
		"Post (or update in place) the triage-proposal comments of a plan the human approved. Needs the confirmation token from triage_propose; safe to re-run.",
		"intake")
}
