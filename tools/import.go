package tools

import (
	"context"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vulnsteward/vulnsteward/skills/intake"
)

// ImportProposeIn is import_propose's input.
type ImportProposeIn struct {
	Source    string            `json:"source,omitempty" jsonschema:"mail (default), pr, markdown or scan"`
	Days      int               `json:"days,omitempty" jsonschema:"listing window in days (default: the project's intake window, 14)"`
	Since     string            `json:"since,omitempty" jsonschema:"list threads since this date (YYYY-MM-DD); overrides days"`
	Threads   []string          `json:"threads,omitempty" jsonschema:"consider exactly these thread ids instead of a listing"`
	Decisions []intake.Decision `json:"decisions,omitempty" jsonschema:"your judgement per thread: confirm or override the class, skip, reject with a canned response, fix the title"`
	Now       string            `json:"now,omitempty" jsonschema:"plan as of this RFC 3339 time (tests, demo); default now"`

	PullRequests []string              `json:"pull_requests,omitempty" jsonschema:"pr: upstream PR numbers or URLs"`
	Content      string                `json:"content,omitempty" jsonschema:"markdown, scan: the file's content (never a path)"`
	FileName     string                `json:"file_name,omitempty" jsonschema:"markdown, scan: the file's base name"`
	Format       string                `json:"format,omitempty" jsonschema:"scan: sarif or asvs (default: detected)"`
	Select       []string              `json:"select,omitempty" jsonschema:"scan: finding ids you confirmed as import-as-tracker (nothing is imported by default)"`
	Items        []intake.ItemDecision `json:"items,omitempty" jsonschema:"pr, markdown, scan: your judgement per PR or finding"`
}

// ImportProposeOut is import_propose's output.
type ImportProposeOut struct {
	Plan       PlanView            `json:"plan"`
	Window     string              `json:"window"`
	Candidates []intake.Candidate  `json:"candidates"`
	Skipped    []intake.Skipped    `json:"skipped"`
	Notes      []string            `json:"notes,omitempty"`
	Items      []intake.ImportItem `json:"items,omitempty" jsonschema:"pr, markdown, scan: each PR or finding and what the plan does with it"`
	Scan       *intake.ScanReport  `json:"scan_report,omitempty"`
}

func importPropose(d *Deps) ServerTool {
	return newTool("import_propose", "Propose an import",
		"Plan trackers from security-list mail (default: classify threads; receipts, canned replies), upstream PRs (source pr), a markdown findings file (markdown) or scanner output (scan). Writes nothing; returns a confirmation token for import_apply.",
		"intake", readOnlyHints,
		func(ctx context.Context, req mcp.CallToolRequest, in ImportProposeIn) (ImportProposeOut, error) {
			now, err := parseNow(d, in.Now)
			if err != nil {
				return ImportProposeOut{}, err
			}
			pin := intake.ProposeInput{Source: in.Source, Days: in.Days, Threads: in.Threads, Decisions: in.Decisions, Now: now,
				PullRequests: in.PullRequests, Content: in.Content, FileName: in.FileName, Format: in.Format, Select: in.Select, Items: in.Items}
			if in.Since != "" {
				t, err := time.Parse("2006-01-02", in.Since)
				if err != nil {
					return ImportProposeOut{}, fmt.Errorf("since %q is not a date like 2026-11-01", in.Since)
				}
				pin.Since = t
			}
			deps := intake.Deps{Config: d.Config, Backend: d.Backend, Operator: d.Operator, Progress: progress(ctx, req)}
			if d.Guard != nil {
				deps.Guard = d.Guard
			}
			p, err := intake.Propose(ctx, deps, pin)
			if err != nil {
				return ImportProposeOut{}, err
			}
			view, err := d.sealPlan(p.Plan)
			if err != nil {
				return ImportProposeOut{}, err
			}
			out := ImportProposeOut{Plan: view, Window: p.Window, Candidates: p.Candidates, Skipped: p.Skipped, Notes: p.Notes, Items: p.Items, Scan: p.Scan}
			if out.Candidates == nil {
				out.Candidates = []intake.Candidate{}
			}
			if out.Skipped == nil {
				out.Skipped = []intake.Skipped{}
			}
			return out, nil
		})
}

func importApply(d *Deps, o Options) ServerTool {
	return applyTool(d, o, intake.ApplyTool, "Apply an approved import plan",
		"Create the trackers, board entries, drafts (never sent) and rollup entries of an import plan the human approved. Needs the confirmation token from import_propose; safe to re-run.",
		"intake")
}
