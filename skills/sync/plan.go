package sync

import (
	"fmt"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// planner turns outcomes into the actions of the pass's one plan.
type planner struct {
	*lifecycle.PlanBuilder
	pass *Pass
}

// tracker adds one tracker's actions and returns their ids. Order (spec
// release.md §6.12): the one label edit first, then the board, the standalone
// marker comment, the reporter draft, and the rollup entries last, so an entry
// only ever records writes that happened (it depends on every earlier action of
// its tracker). The board move and the draft depend on the label edit: they
// follow from the labels it sets. A blocked tracker gets no action.
func (b *planner) tracker(t *Tracker, o *Outcome) []string {
	if o.Stop {
		return nil
	}
	has := len(o.Add)+len(o.Remove) > 0 || o.Column != "" || o.Archive || o.Comment != nil ||
		(o.Update != nil && len(o.Update.Drafts) > 0) || len(o.Entries) > 0 || o.Entry != nil
	if !has {
		return nil
	}
	is := t.Issue
	item := itemID(is.Number)
	ref := b.Saw(is)
	name := fmt.Sprintf("%s#%d", is.Repo, is.Number)
	for _, d := range o.Decisions {
		b.Decide(item, d.What, d.Value, d.DecidedBy, d.Why)
	}
	var ids, labelDep []string
	add := func(a lifecycle.Action) string {
		a.Item = item
		id := b.Add(a)
		ids = append(ids, id)
		return id
	}
	if len(o.Add)+len(o.Remove) > 0 {
		id := add(lifecycle.Action{Kind: lifecycle.ActEditLabels, Audience: lifecycle.AudienceTracker, Target: ref,
			Summary: fmt.Sprintf("%s: labels: %s (one edit)", name, describeLabels(o.Add, o.Remove)),
			Labels:  &lifecycle.LabelSpec{Add: o.Add, Remove: o.Remove}})
		labelDep = []string{id}
	}
	switch {
	case o.Column != "":
		from := "not on the board"
		if o.ColumnFrom != "" {
			from = o.ColumnFrom
		}
		add(lifecycle.Action{Kind: lifecycle.ActMoveBoard, Audience: lifecycle.AudienceTracker, Target: ref, DependsOn: labelDep,
			Column: o.Column, Summary: fmt.Sprintf("%s: board %s → %s", name, from, o.Column)})
	case o.Archive:
		add(lifecycle.Action{Kind: lifecycle.ActArchiveBoard, Audience: lifecycle.AudienceTracker, Target: ref, DependsOn: labelDep,
			Summary: fmt.Sprintf("%s: archive the board item (closed tracker)", name)})
	}
	if o.Comment != nil {
		add(lifecycle.Action{Kind: lifecycle.ActUpsertComment, Audience: lifecycle.AudienceTracker, Target: ref,
			Summary: fmt.Sprintf("%s: post or update the disclosure-overdue comment (by its marker)", name),
			Comment: &lifecycle.CommentSpec{Marker: o.Comment.Marker, Body: o.Comment.Body}})
	}
	refs := map[string]string{}
	if o.Update != nil {
		for _, d := range o.Update.Drafts {
			summary := fmt.Sprintf("%s: draft the reporter update (%s) to %s on the reporter's thread (not sent)", name, o.Update.Event, d.Preview.To)
			if strings.HasSuffix(d.Preview.Canned, "[auto-ack]") {
				summary += " [auto-ack]"
			}
			id := add(lifecycle.Action{Kind: lifecycle.ActCreateDraft, Audience: lifecycle.AudienceReporter, DependsOn: labelDep,
				Summary: summary, Draft: d.Spec})
			refs[d.Placeholder] = "{{" + id + ".draft_id}}"
		}
	}
	entries := append([]lifecycle.RollupEntry(nil), o.Entries...)
	if o.Entry != nil {
		e := *o.Entry
		for ph, ref := range refs {
			e.Body = strings.ReplaceAll(e.Body, ph, ref)
		}
		e.Body = strings.ReplaceAll(e.Body, draftPlaceholder, "(no draft)")
		entries = append(entries, e)
	}
	for _, e := range entries {
		add(lifecycle.Action{Kind: lifecycle.ActRollupEntry, Audience: lifecycle.AudienceTracker, Target: ref, DependsOn: append([]string(nil), ids...),
			Summary: fmt.Sprintf("%s: append %q to the status rollup", name, e.Action), Comment: &lifecycle.CommentSpec{Entry: &e}})
	}
	return ids
}

func describeLabels(add, remove []string) string {
	var parts []string
	if len(add) > 0 {
		parts = append(parts, "add "+strings.Join(backtickAll(add), ", "))
	}
	if len(remove) > 0 {
		parts = append(parts, "remove "+strings.Join(backtickAll(remove), ", "))
	}
	return strings.Join(parts, ", ")
}
