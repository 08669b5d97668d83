package triage

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Mention routing (spec/intake.md §9.7), shared with the Step 4 escalation's
// reviewer selection. It picks one to three team members, preferring two,
// never the operator, never the whole roster, in this order:
//
//  1. authors of the most recent upstream PRs in the tracker's code area whose
//     title or body speaks of a fix or security (roster members only);
//  2. (the spec's "most recent reviewer in that area" needs review data the
//     Upstream port does not carry; it is skipped);
//  3. up to two, counting the above, roster members whose expertise names the
//     tracker's scope (its scope label, else the scope its code paths map
//     to); when the scope is unknown, roster triagers;
//  4. within the cap of three, the fix owner of a CVE-allocated tracker in
//     the same scope (a variant's natural reviewer).
//
// A member must be on the roster and, when the collaborator list is known, a
// collaborator of the tracker (only they can read it). The agent may replace
// the choice with its own list (ValidateMentions).

// Suggestion is one team member the routing proposes, with the rule that chose them.
type Suggestion struct {
	Handle string `json:"handle"`
	Name   string `json:"name,omitempty"`
	Why    string `json:"why"`
}

// RouteInput is what the routing reads.
type RouteInput struct {
	Config   *projects.Config
	Team     map[string]bool // collaborators, lower-cased; empty: not known
	Operator string
	// Scopes are the tracker's scope labels, else the scopes inferred from its code paths.
	Scopes []string
	// PRs are upstream pull requests in the tracker's code area.
	PRs []lifecycle.PullRequest
	// Variants are CVE-allocated trackers in the same scope.
	Variants []lifecycle.Issue
}

// PreferredMentions and MaxMentions bound the routing (spec/intake.md §9.7).
const (
	PreferredMentions = 2
	MaxMentions       = 3
)

var fixWordRE = regexp.MustCompile(`(?i)\b(fix\w*|security|harden\w*)\b`)

// Route chooses the members to mention.
func Route(in RouteInput) []Suggestion {
	cfg := in.Config
	var out []Suggestion
	eligible := func(handle string) (projects.Member, bool) {
		m, ok := cfg.MemberByHandle(handle)
		if !ok || strings.EqualFold(m.Handle, strings.TrimPrefix(in.Operator, "@")) {
			return m, false
		}
		if len(in.Team) > 0 && !in.Team[strings.ToLower(m.Handle)] {
			return m, false
		}
		return m, !slices.ContainsFunc(out, func(s Suggestion) bool { return strings.EqualFold(s.Handle, m.Handle) })
	}
	add := func(m projects.Member, why string) {
		out = append(out, Suggestion{Handle: m.Handle, Name: m.Name, Why: why})
	}

	prs := slices.Clone(in.PRs)
	sort.SliceStable(prs, func(i, j int) bool { return prs[i].CreatedAt.After(prs[j].CreatedAt) })
	for _, pr := range prs {
		if len(out) >= PreferredMentions {
			break
		}
		if !fixWordRE.MatchString(pr.Title + "\n" + pr.Body) {
			continue
		}
		if m, ok := eligible(pr.Author); ok {
			add(m, fmt.Sprintf("authored %s#%d (%s), a fix in the same code area", pr.Repo, pr.Number, pr.CreatedAt.UTC().Format("2006-01-02")))
		}
	}
	for _, scope := range in.Scopes {
		for _, m := range cfg.Roster {
			if len(out) >= PreferredMentions {
				break
			}
			if !slices.ContainsFunc(m.Expertise, func(e string) bool { return strings.EqualFold(e, scope) }) {
				continue
			}
			if mm, ok := eligible(m.Handle); ok {
				add(mm, "expertise in scope "+scope)
			}
		}
	}
	if len(in.Scopes) == 0 {
		for _, m := range cfg.Triagers() {
			if len(out) >= PreferredMentions {
				break
			}
			if mm, ok := eligible(m.Handle); ok {
				add(mm, "triager on the roster (no code-area or scope match: confirm)")
			}
		}
	}
	for _, v := range in.Variants {
		if len(out) >= MaxMentions {
			break
		}
		for _, a := range v.Assignees {
			if m, ok := eligible(a); ok {
				add(m, fmt.Sprintf("fix owner of %s#%d (CVE allocated, same scope)", v.Repo, v.Number))
				break
			}
		}
	}
	return out
}

// ValidateMentions checks the agent's list of handles: one to three roster
// members who are collaborators, no repeats, and never the operator. The
// spec only forbids the operator alone; the operator is refused anywhere in
// the list because the comment or mail is posted as the operator, so tagging
// them asks nobody (the routing never suggests them either). It returns the
// members in the order given.
func ValidateMentions(cfg *projects.Config, team map[string]bool, operator string, handles []string) ([]projects.Member, error) {
	if len(handles) > MaxMentions {
		return nil, fmt.Errorf("mention at most %d team members (%d given; two is usual): never tag the whole roster", MaxMentions, len(handles))
	}
	op := strings.TrimPrefix(strings.TrimSpace(operator), "@")
	var out []projects.Member
	for _, h := range handles {
		h = strings.TrimPrefix(strings.TrimSpace(h), "@")
		if op != "" && strings.EqualFold(h, op) {
			return nil, fmt.Errorf("@%s is you (the operator): the text is posted as you, so mention other team members only", op)
		}
		m, ok := cfg.MemberByHandle(h)
		if !ok {
			return nil, fmt.Errorf("@%s is not on the project's roster ([[roster]] in project.toml): mention security-team members only", h)
		}
		if len(team) > 0 && !team[strings.ToLower(m.Handle)] {
			return nil, fmt.Errorf("@%s is on the roster but not a collaborator of the tracker, so cannot read it: mention a collaborator", m.Handle)
		}
		if slices.ContainsFunc(out, func(o projects.Member) bool { return o.Handle == m.Handle }) {
			return nil, fmt.Errorf("@%s is mentioned twice", m.Handle)
		}
		out = append(out, m)
	}
	return out, nil
}

// mentionRE finds @handles that are not part of an e-mail address or a path.
var mentionRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.@/-])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))`)

// CheckTextMentions refuses @handles in free text that are not on the roster:
// the comment pings nobody outside the security team.
func CheckTextMentions(cfg *projects.Config, field, text string) error {
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		if _, ok := cfg.MemberByHandle(m[1]); !ok {
			return fmt.Errorf("%s mentions @%s, who is not on the project's roster: mention security-team members only", field, m[1])
		}
	}
	return nil
}

// ReplaceBareNames turns roster members' full names in text into their
// @handles (spec/intake.md §2.9: never bare names on GitHub surfaces) and
// returns the names it replaced.
func ReplaceBareNames(cfg *projects.Config, text string) (string, []string) {
	var replaced []string
	for _, m := range cfg.Roster {
		name := strings.TrimSpace(m.Name)
		if m.Handle == "" || !strings.Contains(name, " ") {
			continue
		}
		withHandle := regexp.MustCompile(regexp.QuoteMeta(name) + `\s*\(@` + regexp.QuoteMeta(m.Handle) + `\)`)
		re := regexp.MustCompile(`(^|[^\pL\pN@(])` + regexp.QuoteMeta(name) + `([^\pL\pN]|$)`)
		if withHandle.MatchString(text) || re.MatchString(text) {
			text = withHandle.ReplaceAllString(text, "@"+m.Handle)
			text = re.ReplaceAllString(text, "${1}@"+m.Handle+"${2}")
			replaced = append(replaced, name)
		}
	}
	return text, replaced
}
