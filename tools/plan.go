package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// PlanView is the part of every _propose answer that describes the plan.
type PlanView struct {
	ProposalID string               `json:"proposal_id" jsonschema:"id of the saved plan"`
	ApplyTool  string               `json:"apply_tool" jsonschema:"the tool that executes this plan"`
	Token      string               `json:"confirmation_token,omitempty" jsonschema:"pass to the apply tool after the human approved the plan; empty when there is nothing to apply"`
	ExpiresAt  string               `json:"expires_at,omitempty" jsonschema:"when the token expires (RFC 3339)"`
	Actions    []ActionView         `json:"actions" jsonschema:"the ordered actions; apply runs them all, or only the ids the human approved"`
	Decisions  []lifecycle.Decision `json:"decisions,omitempty" jsonschema:"who decided what"`
	Next       string               `json:"next" jsonschema:"what to do now"`
}

// ActionView is one action as the human sees it.
type ActionView struct {
	ID        string   `json:"id"`
	Item      string   `json:"item,omitempty"`
	Kind      string   `json:"kind"`
	Audience  string   `json:"audience"`
	Summary   string   `json:"summary"`
	DependsOn []string `json:"depends_on,omitempty"`
}

// sealPlan saves the plan and issues its confirmation token.
func (d *Deps) sealPlan(p *lifecycle.Plan) (PlanView, error) {
	v := PlanView{ProposalID: p.ID, ApplyTool: p.Tool, Decisions: p.Decisions, Actions: []ActionView{}}
	for _, a := range p.Actions {
		v.Actions = append(v.Actions, ActionView{ID: a.ID, Item: a.Item, Kind: string(a.Kind), Audience: string(a.Audience), Summary: a.Summary, DependsOn: a.DependsOn})
	}
	if len(p.Actions) == 0 {
		v.Next = "nothing to apply"
		return v, nil
	}
	if err := d.Store.Save(p); err != nil {
		return v, err
	}
	h, err := p.Hash()
	if err != nil {
		return v, err
	}
	ttl := d.TokenTTL
	if ttl <= 0 {
		ttl = 15 * time.Minute
	}
	tok, exp, err := d.Signer.Issue(p.Tool, p.ID, h, ttl)
	if err != nil {
		return v, fmt.Errorf("issuing the confirmation token: %w", err)
	}
	v.Token, v.ExpiresAt = tok, exp.UTC().Format(time.RFC3339)
	v.Next = fmt.Sprintf("show these %d actions to the human; after approval call %s with the confirmation_token (and `only` with the approved action ids if not all)", len(p.Actions), p.Tool)
	return v, nil
}

// ApplyIn is the input of every _apply tool: never the plan itself.
type ApplyIn struct {
	Token string   `json:"confirmation_token" jsonschema:"the token the matching _propose returned"`
	Only  []string `json:"only,omitempty" jsonschema:"apply only these action ids (their dependencies are pulled in and reported)"`
}

// ApplyOut is the result of every _apply tool.
type ApplyOut struct {
	PlanID   string                   `json:"plan_id"`
	Complete bool                     `json:"complete" jsonschema:"true when every action of the plan is done"`
	Counts   map[string]int           `json:"counts"`
	PulledIn []string                 `json:"pulled_in,omitempty"`
	Results  []lifecycle.ActionResult `json:"results"`
	Next     string                   `json:"next"`
}

// applyTool builds the _apply tool of a skill; every skill shares the executor.
func applyTool(d *Deps, o Options, name, title, desc, toolset string) ServerTool {
	return newTool(name, title, desc, toolset, applyHints, func(ctx context.Context, req mcp.CallToolRequest, in ApplyIn) (ApplyOut, error) {
		if o.ReadOnly {
			return ApplyOut{}, fmt.Errorf("this server is read-only: %s is disabled", name)
		}
		if o.Confirm == "elicit" {
			if err := elicitApproval(ctx, d, name, in.Token); err != nil {
				return ApplyOut{}, err
			}
		}
		res, err := d.Executor.Apply(ctx, name, in.Token, in.Only)
		if err != nil {
			return ApplyOut{}, err
		}
		out := ApplyOut{PlanID: res.PlanID, Complete: res.Complete, PulledIn: res.PulledIn, Results: res.Results, Counts: map[string]int{}}
		for k, v := range res.Counts {
			out.Counts[string(k)] = v
		}
		switch {
		case res.Complete:
			out.Next = "done: every action is applied; report the results (with links) to the human"
		case res.Counts[lifecycle.StatusFailed] > 0:
			out.Next = "some actions failed: fix the cause named in `detail`, then call the same apply with the same token to finish (nothing done is repeated)"
		case res.Counts[lifecycle.StatusStale] > 0 || res.Counts[lifecycle.StatusRefused] > 0:
			out.Next = "some actions were stale or refused: propose again for those targets"
		default:
			out.Next = "partially applied as selected; call again with other ids in `only` to continue"
		}
		return out, nil
	})
}

// elicitApproval asks the human through MCP elicitation to approve the plan.
func elicitApproval(ctx context.Context, d *Deps, tool, token string) error {
	plan, err := d.Executor.PlanFor(tool, token)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Apply plan %s (%d actions)?\n", plan.ID, len(plan.Actions))
	for _, a := range plan.Actions {
		fmt.Fprintf(&b, "%s [%s] %s\n", a.ID, a.Audience, a.Summary)
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return fmt.Errorf("elicitation is unavailable in this session: restart the server with --confirm=token")
	}
	res, err := srv.RequestElicitation(ctx, mcp.ElicitationRequest{Params: mcp.ElicitationParams{
		Message: b.String(),
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{
			"approve": map[string]any{"type": "boolean", "title": "Apply this plan"}}, "required": []string{"approve"}},
	}})
	if err != nil {
		return fmt.Errorf("asking the human to approve: %w", err)
	}
	if res.Action != mcp.ElicitationResponseActionAccept {
		return fmt.Errorf("the human did not approve plan %s; nothing was written", plan.ID)
	}
	if m, ok := res.Content.(map[string]any); !ok || m["approve"] != true {
		return fmt.Errorf("the human did not approve plan %s; nothing was written", plan.ID)
	}
	return nil
}

// progress sends MCP progress notifications when the client asked for them.
func progress(ctx context.Context, req mcp.CallToolRequest) func(done, total int, msg string) {
	if req.Params.Meta == nil || req.Params.Meta.ProgressToken == nil {
		return nil
	}
	tok := req.Params.Meta.ProgressToken
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return nil
	}
	return func(done, total int, msg string) {
		_ = srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
			"progressToken": tok, "progress": done, "total": total, "message": msg})
	}
}

func parseNow(d *Deps, s string) (time.Time, error) {
	if s == "" {
		return d.now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("now %q is not RFC 3339 (e.g. 2026-11-24T09:00:00Z)", s)
	}
	return t, nil
}
