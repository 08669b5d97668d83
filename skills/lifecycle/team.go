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
