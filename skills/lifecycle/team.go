package lifecycle

import (
	"context"
	"fmt"
	"strings"
)

// Team returns the security team: the tracker's collaborators, lower-cased.
// They are the only people whose text counts as instructions.
func Team(ctx context.Context, t Tracker) (map[string]bool, error) {
	logins, err := t.Collaborators(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the collaborators (the security team) of %s: %w", t.Repo(), err)
	}
	team := make(map[string]bool, len(logins))
	for _, l := range logins {
		team[strings.ToLower(l)] = true
	}
	return team, nil
}

// TeamWithOperator is the one rule for whose tracker text counts as the
// security team's own: the collaborators (team, as Team returns it) plus the
// operator this server writes as, so a bot operator that is not a
// collaborator still owns its own proposals, rollups and comments (sync reads
// rollups the same way). It returns a new set; team is not changed. Use team
// itself where only a collaborator will do (who can be mentioned, because only
// collaborators can read the tracker).
func TeamWithOperator(team map[string]bool, operator string) map[string]bool {
	out := make(map[string]bool, len(team)+1)
	for l, ok := range team {
		if ok {
			out[l] = true
		}
	}
	if op := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(operator), "@")); op != "" {
		out[op] = true
	}
	return out
}
