package lifecycle

import (
	"fmt"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
)

// Role is who owns a tracker's next move.
type Role string

const (
	RoleTriager     Role = "triager"
	RoleRemediation Role = "remediation developer"
	RoleRelease     Role = "release manager"
	RoleNone        Role = "none"
)

// StepNames are the 16 process steps (spec/release.md §1.4).
var StepNames = [...]string{
	1:  "Report arrives",
	2:  "Import the report",
	3:  "Discuss validity and CVE-worthiness",
	4:  "Escalate a stalled discussion",
	5:  "Land consensus",
	6:  "Allocate a CVE",
	7:  "Self-assign and implement the fix",
	8:  "Open the public fix PR",
	9:  "Private fix PR (exceptional)",
	10: "Link the PR (pr created)",
	11: "Fix PR merged (pr merged)",
	12: "Fix released (hand-off to the release manager)",
	13: "Send the advisory",
	14: "Close out after the advisory is archived",
	15: "Verify publication",
	16: "Credit corrections",
}

// State is where a tracker stands in the lifecycle, derived from its labels,
// body fields and comments. It is computed, never stored.
type State struct {
	Step       int      `json:"step"`
	StepName   string   `json:"step_name"`
	Owner      Role     `json:"owner"`
	NextAction string   `json:"next_action"`
	NextTool   string   `json:"next_tool,omitempty"`
	Column     string   `json:"column,omitempty"` // the board column its labels imply
	Terminal   bool     `json:"terminal,omitempty"`
	Blockers   []string `json:"blockers,omitempty"`
	// DaysStalled counts days since the last security-team comment (or since
	// creation when the team never commented); -1 when not computed.
	DaysStalled int `json:"days_stalled"`
}

// Vocabulary is the project's label and column literals.
type Vocabulary struct {
	Labels  projects.LabelsSection
	Scopes  []string
	Columns map[string]string // column role → name; roles below
}

// Column roles.
const (
	ColNeedsTriage  = "needs_triage"
	ColAssessed     = "assessed"
	ColCVEAllocated = "cve_allocated"
	ColPRCreated    = "pr_created"
	ColPRMerged     = "pr_merged"
	ColFixReleased  = "fix_released"
	ColAnnounced    = "announced"
)

// DefaultColumns are the board's Status columns by role.
var DefaultColumns = map[string]string{
	ColNeedsTriage:  "Needs triage",
	ColAssessed:     "Assessed",
	ColCVEAllocated: "CVE allocated",
	ColPRCreated:    "PR created",
	ColPRMerged:     "PR merged",
	ColFixReleased:  "Fix released",
	ColAnnounced:    "Announced",
}

// VocabularyFor builds the vocabulary of a project configuration.
func VocabularyFor(cfg *projects.Config) Vocabulary {
	v := Vocabulary{Labels: cfg.Labels, Columns: map[string]string{}}
	for _, s := range cfg.Scopes {
		v.Scopes = append(v.Scopes, s.Label)
	}
	for role, name := range DefaultColumns {
		v.Columns[role] = name
	}
	for role, name := range cfg.Board.Columns {
		if name != "" {
			v.Columns[role] = name
		}
	}
	return v
}

// BoardColumns are the board's Status column names in lifecycle order.
func (v Vocabulary) BoardColumns() []string {
	roles := []string{ColNeedsTriage, ColAssessed, ColCVEAllocated, ColPRCreated, ColPRMerged, ColFixReleased, ColAnnounced}
	cols := make([]string, len(roles))
	for i, r := range roles {
		cols[i] = v.Columns[r]
	}
	return cols
}

// ScopeLabels returns the scope labels the issue carries.
func (v Vocabulary) ScopeLabels(i Issue) []string {
	var out []string
	for _, s := range v.Scopes {
		if i.HasLabel(s) {
			out = append(out, s)
		}
	}
	return out
}

// StallInput is what stall detection needs: the issue's comments and the team.
type StallInput struct {
	Comments  []Comment
	Team      map[string]bool // collaborator logins, lower-cased
	Now       time.Time
	StallDays int // phase 1 threshold (default 30)
}

// Derive computes a tracker's state. comments may be nil (stall is then not computed).
func (v Vocabulary) Derive(i Issue, stall *StallInput) State {
	L := v.Labels
	st := State{DaysStalled: -1}
	scopes := v.ScopeLabels(i)
	if len(scopes) > 1 {
		st.Blockers = append(st.Blockers, fmt.Sprintf("%d scope labels (%s): a tracker has exactly one; split it per scope", len(scopes), strings.Join(scopes, ", ")))
	}
	set := func(step int, owner Role, next, tool, col string) {
		st.Step, st.Owner, st.NextAction, st.NextTool = step, owner, next, tool
		st.StepName = StepNames[step]
		if col != "" {
			st.Column = v.Columns[col]
		}
	}
	if i.State == "closed" {
		st.Terminal = true
		for _, d := range []string{L.Invalid, L.NotCVEWorthy, L.Duplicate, L.Wontfix} {
			if d != "" && i.HasLabel(d) {
				set(5, RoleNone, "closed as "+d+"; nothing to do", "", "")
				return st
			}
		}
		if i.HasLabel(L.Announced) {
			set(15, RoleRelease, "verify the CVE record is published on cve.org; correct credits if asked", "sync_propose", ColAnnounced)
			return st
		}
		set(14, RoleNone, "closed; nothing to do", "", "")
		return st
	}
	switch {
	case i.HasLabel(L.Announced) || i.HasLabel(L.AnnouncedSent):
		set(14, RoleRelease, "capture the public advisory URL and close out", "sync_propose", ColAnnounced)
	case i.HasLabel(L.FixReleased):
		set(13, RoleRelease, "send the advisory from the CNA tool", "sync_propose", ColFixReleased)
	case len(scopes) > 0 && !i.HasLabel(L.CVEAllocated) && !i.HasLabel(L.NeedsTriage) && (i.HasLabel(L.PRMerged) || i.HasLabel(L.PROpen)):
		// Imported from a public fix PR (or fixed before allocation): the CVE is
		// the next move, and the board shows the tracker as Assessed.
		set(6, RoleTriager, "allocate a CVE (governance-gated); the fix PR is already public", "allocate_propose", ColAssessed)
	case i.HasLabel(L.PRMerged):
		set(12, RoleRelease, "ship the release that contains the fix; sync then hands off to the release manager", "sync_propose", ColPRMerged)
	case i.HasLabel(L.PROpen):
		set(11, RoleRemediation, "get the public fix PR reviewed and merged", "sync_propose", ColPRCreated)
	case i.HasLabel(L.CVEAllocated):
		set(7, RoleRemediation, "self-assign and implement the fix in a public PR that does not reveal its nature", "fix_propose", ColCVEAllocated)
	case len(scopes) > 0 && !i.HasLabel(L.NeedsTriage):
		set(6, RoleTriager, "allocate a CVE (governance-gated)", "allocate_propose", ColAssessed)
	case i.HasLabel(L.NeedsTriage):
		set(3, RoleTriager, "start or continue the validity discussion, asking two or three other team members", "triage_propose", ColNeedsTriage)
		if len(scopes) > 0 {
			set(5, RoleTriager, "land the consensus: remove needs triage (the scope label is set)", "sync_propose", ColNeedsTriage)
		}
	default:
		set(5, RoleTriager, "label missing: add needs triage or land the consensus with one scope label", "sync_propose", "")
		st.Blockers = append(st.Blockers, "neither "+L.NeedsTriage+" nor a scope label")
	}
	if len(scopes) > 1 {
		// Two scopes block every rule (sync refuses the tracker): the split comes first.
		st.NextAction = fmt.Sprintf("split the tracker per scope (or remove the wrong label of %s): nothing else moves until it has one scope", strings.Join(scopes, ", "))
		st.NextTool = ""
	}
	if stall != nil {
		st.DaysStalled = daysSinceTeam(i, *stall)
		limit := stall.StallDays
		if limit <= 0 {
			limit = 30
		}
		if st.Step == 3 && st.DaysStalled >= limit {
			set(4, RoleTriager, fmt.Sprintf("discussion stalled %d days: escalate (phase 1 call for ideas)", st.DaysStalled), "escalate_propose", ColNeedsTriage)
		}
	}
	return st
}

// daysSinceTeam counts whole days since the last discussion comment by a team
// member, or since the issue was created when the team never commented.
func daysSinceTeam(i Issue, in StallInput) int {
	last := i.CreatedAt
	for _, c := range in.Comments {
		// Status bookkeeping (the rollup, marker comments, the reference
		// workflow's bot comments) is not discussion: it never resets the clock.
		if IsSkillAuthored(c.Body) {
			continue
		}
		if _, legacy := IsFoldableLegacy(c.Body); legacy {
			continue
		}
		if in.Team[strings.ToLower(c.Author)] && c.CreatedAt.After(last) {
			last = c.CreatedAt
		}
	}
	if last.IsZero() || in.Now.Before(last) {
		return 0
	}
	return int(in.Now.Sub(last).Hours() / 24)
}
