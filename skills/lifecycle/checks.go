package lifecycle

import (
	"context"
	"fmt"
	"strings"
)

// RequireLabel checks that the tracker defines label (labels are never created
// silently), with an error that says what to do.
func RequireLabel(ctx context.Context, t Tracker, label string) error {
	labels, err := t.ListLabels(ctx)
	if err != nil {
		return fmt.Errorf("reading the labels of %s: %w", t.Repo(), err)
	}
	for _, l := range labels {
		if strings.EqualFold(l, label) {
			return nil
		}
	}
	return fmt.Errorf("the label %q does not exist in %s: create it by hand (labels are never created silently), then propose again", label, t.Repo())
}

// CVEState is the CNA tool's state of a CVE record ("" when there is no CNA
// port, no id, or the record cannot be read).
func CVEState(ctx context.Context, cna CNA, cve string) string {
	if cna == nil || cve == "" {
		return ""
	}
	rec, err := cna.GetRecord(ctx, cve)
	if err != nil {
		return ""
	}
	return rec.State
}
