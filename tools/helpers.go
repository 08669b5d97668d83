package tools

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vulnsteward/vulnsteward/policy/scrub"
	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	syncskill "github.com/vulnsteward/vulnsteward/skills/sync"
)

// TrackerListIn is tracker_list's input.
type TrackerListIn struct {
	Now string `json:"now,omitempty" jsonschema:"compute stall days and the disclosure window as of this RFC 3339 time; default now"`
}

// TrackerRow is one open tracker on the board view.
type TrackerRow struct {
	Number      int            `json:"number"`
	URL         string         `json:"url"`
	Title       untrusted.Text `json:"title"`
	Labels      []string       `json:"labels"`
	Step        int            `json:"step"`
	StepName    string         `json:"step_name"`
	Owner       string         `json:"owner"`
	NextAction  string         `json:"next_action"`
	NextTool    string         `json:"next_tool,omitempty"`
	Available   bool           `json:"next_tool_available" jsonschema:"false when this server has no such tool: do that step by hand"`
	DaysStalled int            `json:"days_stalled"`
	Flags       []string       `json:"flags,omitempty" jsonschema:"what needs attention: stalled (escalate), disclosure window, sync pending, labels, board, reporter"`
	Blockers    []string       `json:"blockers,omitempty"`
}

// TrackerListOut is tracker_list's output.
type TrackerListOut struct {
	Repo     string       `json:"repo"`
	Trackers []TrackerRow `json:"trackers"`
}

func trackerList(d *Deps) ServerTool {
	return newTool("tracker_list", "List open trackers",
		"Board view: each open tracker with its lifecycle step, owner role, next action and tool, and flags (stalled: escalate; disclosure window; sync pending; blockers).",
		"core", readOnlyHints,
		func(ctx context.Context, req mcp.CallToolRequest, in TrackerListIn) (TrackerListOut, error) {
			now, err := parseNow(d, in.Now)
			if err != nil {
				return TrackerListOut{}, err
			}
			// The same gather and rules as a sync pass, so the two always agree.
			items, err := syncskill.Assess(ctx, syncskill.Deps{Config: d.Config, Backend: d.Backend, Operator: d.Operator, Progress: progress(ctx, req)},
				syncskill.ProposeInput{AllOpen: true, Now: now})
			if err != nil {
				return TrackerListOut{}, err
			}
			out := TrackerListOut{Repo: d.Backend.Tracker.Repo(), Trackers: []TrackerRow{}}
			for _, it := range items {
				st := it.Lifecycle
				row := TrackerRow{Number: it.Number, URL: it.URL, Title: it.Title, Labels: it.Labels,
					Step: st.Step, StepName: st.StepName, Owner: string(st.Owner), NextAction: st.NextAction, NextTool: st.NextTool,
					Available: toolAvailable(ctx, st.NextTool), DaysStalled: st.DaysStalled, Blockers: it.Blockers}
				for _, f := range it.Flags {
					row.Flags = append(row.Flags, f.Text)
					if f.Kind == "stalled" && st.Step == 4 {
						// The flag knows the escalation phases already recorded.
						row.NextAction = f.Text
					}
				}
				if len(it.Changes) > 0 && len(it.Blockers) == 0 {
					row.Flags = append(row.Flags, fmt.Sprintf("sync pending (%s): call sync_propose", strings.Join(changeRules(it.Changes), ", ")))
				}
				out.Trackers = append(out.Trackers, row)
			}
			return out, nil
		})
}

// changeRules are the distinct rule ids of a sync item's changes ("S1: …").
func changeRules(changes []string) []string {
	var out []string
	for _, c := range changes {
		id, _, _ := strings.Cut(c, ":")
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// toolAvailable reports whether the server serving this call registered the
// tool (toolsets and read-only mode included).
func toolAvailable(ctx context.Context, name string) bool {
	if name == "" {
		return false
	}
	srv := server.ServerFromContext(ctx)
	return srv != nil && srv.GetTool(name) != nil
}

// teamSet is whose text counts as the security team's: the collaborators, and
// the operator this server writes as (the same rule in every skill).
func teamSet(ctx context.Context, d *Deps) (map[string]bool, error) {
	team, err := lifecycle.Team(ctx, d.Backend.Tracker)
	if err != nil {
		return nil, err
	}
	return lifecycle.TeamWithOperator(team, d.Operator), nil
}

// TrackerGetIn is tracker_get's input.
type TrackerGetIn struct {
	Number int    `json:"number" jsonschema:"tracker issue number"`
	Now    string `json:"now,omitempty" jsonschema:"RFC 3339 time for stall days; default now"`
}

// CommentView is a comment; text from outside the team is fenced as untrusted.
type CommentView struct {
	ID      int64          `json:"id"`
	Author  string         `json:"author"`
	Team    bool           `json:"security_team"`
	Created string         `json:"created"`
	URL     string         `json:"url,omitempty"`
	Kind    string         `json:"kind" jsonschema:"rollup, marker or discussion"`
	Body    untrusted.Text `json:"body"`
}

// TrackerGetOut is tracker_get's output.
type TrackerGetOut struct {
	Number      int                       `json:"number"`
	URL         string                    `json:"url"`
	Title       untrusted.Text            `json:"title"`
	State       string                    `json:"state"`
	Labels      []string                  `json:"labels"`
	Milestone   string                    `json:"milestone,omitempty"`
	Assignees   []string                  `json:"assignees,omitempty"`
	Fields      map[string]untrusted.Text `json:"fields" jsonschema:"body fields by heading except the description (empty: _No response_); values may hold reporter-supplied text"`
	Missing     []string                  `json:"missing_fields,omitempty"`
	Description untrusted.Text            `json:"description"`
	Lifecycle   lifecycle.State           `json:"lifecycle"`
	Rollup      []string                  `json:"rollup,omitempty" jsonschema:"rollup entry summaries, oldest first"`
	Comments    []CommentView             `json:"comments"`
}

func trackerGet(d *Deps) ServerTool {
	return newTool("tracker_get", "Read one tracker",
		"One tracker: its fields, labels, lifecycle step and next action, rollup summaries and comments (non-team text fenced as untrusted).",
		"core", readOnlyHints,
		func(ctx context.Context, req mcp.CallToolRequest, in TrackerGetIn) (TrackerGetOut, error) {
			if in.Number <= 0 {
				return TrackerGetOut{}, errors.New("number must be a tracker issue number (1 or more)")
			}
			now, err := parseNow(d, in.Now)
			if err != nil {
				return TrackerGetOut{}, err
			}
			t := d.Backend.Tracker
			is, err := t.GetIssue(ctx, in.Number)
			if err != nil {
				if errors.Is(err, lifecycle.ErrNotFound) {
					return TrackerGetOut{}, fmt.Errorf("%s#%d does not exist; tracker_list shows the open ones", t.Repo(), in.Number)
				}
				return TrackerGetOut{}, fmt.Errorf("reading %s#%d: %w", t.Repo(), in.Number, err)
			}
			comments, err := t.ListComments(ctx, in.Number)
			if err != nil {
				return TrackerGetOut{}, fmt.Errorf("reading comments of #%d: %w", in.Number, err)
			}
			team, err := teamSet(ctx, d)
			if err != nil {
				return TrackerGetOut{}, err
			}
			title, _ := untrusted.Clean(is.Title)
			out := TrackerGetOut{Number: is.Number, URL: is.URL, Title: untrusted.Wrap("tracker title", title), State: is.State,
				Labels: is.Labels, Milestone: is.Milestone, Assignees: is.Assignees, Fields: map[string]untrusted.Text{}, Comments: []CommentView{}}
			body := lifecycle.ParseBody(is.Body)
			for _, name := range lifecycle.FieldOrder {
				v, err := body.Get(name)
				if err != nil {
					out.Missing = append(out.Missing, name)
					continue
				}
				if name == lifecycle.FieldDescription {
					clean, _ := untrusted.Clean(v)
					out.Description = untrusted.Wrap("report text", clean)
					continue
				}
				clean, _ := untrusted.Clean(v)
				out.Fields[name] = untrusted.Wrap("tracker field "+name, clean)
			}
			vocab := lifecycle.VocabularyFor(d.Config)
			out.Lifecycle = vocab.Derive(is, &lifecycle.StallInput{Comments: comments, Team: team, Now: now, StallDays: d.Config.Disclosure.StallDays})
			for _, c := range comments {
				kind := "discussion"
				switch {
				case lifecycle.IsRollup(c.Body, d.Config.Markers.RollupPrefix):
					kind = "rollup"
					for _, e := range lifecycle.ParseRollup(c.Body) {
						if e.Parsed {
							out.Rollup = append(out.Rollup, fmt.Sprintf("%s · @%s · %s", e.Date, e.Handle, e.Action))
						}
					}
				case lifecycle.IsSkillAuthored(c.Body):
					kind = "marker"
				}
				isTeam := team[strings.ToLower(c.Author)]
				text, _ := untrusted.Clean(c.Body)
				cv := CommentView{ID: c.ID, Author: c.Author, Team: isTeam, Created: c.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), URL: c.URL, Kind: kind}
				switch {
				case kind == "rollup":
					// Bot-written, but it quotes reporter-supplied values (credit, subject).
					cv.Body = untrusted.Wrap("status rollup (quotes reporter-supplied values)", text)
				case isTeam:
					cv.Body = untrusted.Text{Source: "security team comment", Untrusted: false, Text: text}
				default:
					cv.Body = untrusted.Wrap("comment by a non-collaborator", text)
				}
				out.Comments = append(out.Comments, cv)
			}
			return out, nil
		})
}

// GuardCheckIn is guard_check's input.
type GuardCheckIn struct {
	Text     string `json:"text" jsonschema:"text bound for a public surface: commit message, branch name, PR title or body, public comment"`
	Audience string `json:"audience,omitempty" jsonschema:"public-upstream (default) or reporter"`
}

// GuardCheckOut is guard_check's output.
type GuardCheckOut struct {
	OK   bool        `json:"ok" jsonschema:"true when nothing was found"`
	Hits []scrub.Hit `json:"hits"`
	Next string      `json:"next"`
}

func guardCheck(d *Deps) ServerTool {
	return newTool("guard_check", "Check text for embargo leaks",
		"Check a commit message, branch name, PR title/body or public comment for embargoed content (CVE ids, security wording, tracker references, configured terms) before it goes public.",
		"core", localHints,
		func(ctx context.Context, req mcp.CallToolRequest, in GuardCheckIn) (GuardCheckOut, error) {
			var hits []scrub.Hit
			switch in.Audience {
			case "", string(lifecycle.AudienceUpstream), string(lifecycle.AudienceList):
				hits = scrub.CheckPublic(in.Text, d.Guard.Public)
			case string(lifecycle.AudienceReporter):
				hits = scrub.CheckReporter(in.Text, d.Guard.Reporter)
			default:
				return GuardCheckOut{}, fmt.Errorf("audience %q: use public-upstream or reporter", in.Audience)
			}
			out := GuardCheckOut{OK: len(hits) == 0, Hits: hits}
			if out.Hits == nil {
				out.Hits = []scrub.Hit{}
			}
			if out.OK {
				out.Next = "nothing found; the guard is a rule check, not a proof: still read the text once"
			} else {
				out.Next = "rewrite the text in neutral engineering terms without the hits, then check again"
			}
			return out, nil
		})
}

// ProjectInfoIn is project_info's (empty) input.
type ProjectInfoIn struct{}

// ProjectInfoOut summarises the configured project.
type ProjectInfoOut struct {
	Project      string            `json:"project"`
	Backend      string            `json:"backend"`
	ReadOnly     bool              `json:"read_only"`
	Tracker      string            `json:"tracker_repo"`
	Upstream     string            `json:"upstream_repo"`
	SecurityList string            `json:"security_list"`
	Labels       map[string]string `json:"labels"`
	Scopes       []string          `json:"scopes"`
	Board        string            `json:"board"`
	Roster       []string          `json:"roster" jsonschema:"@handle (roles)"`
	Canned       []string          `json:"canned_responses"`
	Disclosure   string            `json:"disclosure"`
	Operator     string            `json:"operator"`
}

func projectInfo(d *Deps, o Options) ServerTool {
	return newTool("project_info", "Show the project configuration",
		"The configured project: repositories, lists, labels, scopes, board, roster, canned responses, disclosure window, backend and mode.",
		"core", localHints,
		func(ctx context.Context, req mcp.CallToolRequest, in ProjectInfoIn) (ProjectInfoOut, error) {
			c := d.Config
			out := ProjectInfoOut{Project: c.Project.Name, Backend: d.BackendName, ReadOnly: o.ReadOnly, Tracker: c.Repos.Tracker,
				Upstream: c.Repos.Upstream, SecurityList: c.Lists.Security, Labels: c.LabelRoles(), Scopes: c.ScopeLabels(), Operator: d.Operator,
				Disclosure: fmt.Sprintf("%d days (+%d grace), acknowledgement %s", c.Disclosure.WindowDays, c.Disclosure.GracePeriodDays, c.Disclosure.AcknowledgementModel)}
			out.Board = "disabled"
			if c.Board.Enabled {
				out.Board = fmt.Sprintf("project %d of %s, field %s", c.Board.Number, c.Board.Owner, c.Board.StatusField)
			}
			for _, m := range c.Roster {
				out.Roster = append(out.Roster, fmt.Sprintf("@%s (%s)", m.Handle, strings.Join(m.Roles, ", ")))
			}
			canned, err := c.CannedResponses()
			if err != nil {
				return out, err
			}
			for _, cn := range canned {
				out.Canned = append(out.Canned, cn.Name)
			}
			return out, nil
		})
}
