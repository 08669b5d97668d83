package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
)

// Pass is what every rule of one sync pass shares.
type Pass struct {
	Config    *projects.Config
	Vocab     lifecycle.Vocabulary
	Team      map[string]bool // collaborators, lower-cased
	Operator  string
	Now       time.Time
	Mail      lifecycle.Mail // nil when no mail backend is configured
	Canned    []projects.Canned
	Decisions map[int]Decision
}

// Rule maps one tracker's gathered state to proposed changes, the reasons for
// them, blockers and flags. Rules run in the order of Rules() on one Outcome
// per tracker; each sees the labels the earlier rules propose
// (Outcome.Projected). A rule that sets Outcome.Stop ends the tracker's pass:
// later rules do not run and nothing is planned for the tracker but its
// blocker line.
type Rule struct {
	ID   string // the spec's row (S1, S10, …) or section (§6.9)
	Name string
	Run  func(ctx context.Context, p *Pass, t *Tracker, o *Outcome) error
}

// Rules is the engine's rule list, in evaluation order. Label rules come first,
// then the rules that follow from labels (board, reporter updates), then flags,
// and the per-pass rollup entry last, because it records what the others
// propose. The release half adds its rules before S41.
func Rules() []Rule {
	return []Rule{
		{"§3.4", "one status rollup per tracker", rollupIntegrity},
		{"S1", "land a valid consensus (S2: two scope labels block)", landConsensus},
		{"S10", "the board column follows the labels", boardColumn},
		{"§6.9", "reporter update when the report is accepted as valid", reporterAccepted},
		{"Step 4", "stalled discussion: escalate", stallFlag},
		{"S37/S38", "disclosure window", disclosureWindow},
		{"S41", "one rollup entry per pass that changes the tracker", passEntry},
	}
}

// Change is one proposed write and why, as the proposal shows it.
type Change struct {
	Rule string `json:"rule"`
	Text string `json:"text"`
}

// Update is the reporter update a pass proposes or records.
type Update struct {
	Event string
	// Drafts are the drafts to create (one per reporter thread); none when
	// the update is only recorded.
	Drafts []PlannedDraft
	// Line is the reporter-notification line of the rollup entry; the planner
	// replaces draftPlaceholder with the draft's id.
	Line string
}

// PlannedDraft is one reporter draft of an update; the planner replaces
// Placeholder in the update's line with the draft's id.
type PlannedDraft struct {
	Preview     *reply.Preview
	Spec        *lifecycle.DraftSpec
	Placeholder string
}

// MarkerComment is a standalone comment upserted by its marker.
type MarkerComment struct {
	Marker string
	Body   string
}

// Outcome is what the rules propose for one tracker.
type Outcome struct {
	Add, Remove []string
	// Column moves the board item (adding it when it is not on the board).
	Column, ColumnFrom string
	Archive            bool
	Update             *Update
	Comment            *MarkerComment
	// Entries are standalone rollup entries appended once (S37).
	Entries []lifecycle.RollupEntry
	// Entry is the pass's own rollup entry (S41).
	Entry *lifecycle.RollupEntry
	// Landed is the scope of a valid consensus this pass lands.
	Landed string

	Changes   []Change
	Blockers  []string
	Flags     []Flag
	Notes     []string
	Decisions []lifecycle.Decision
	Stop      bool

	// scopeUsed and skipUsed record that the agent's decision for the
	// tracker took effect; an unused decision is an error (Pass.unusedDecision).
	scopeUsed, skipUsed bool
}

// Projected is the issue with the labels this outcome proposes applied.
func (o *Outcome) Projected(is lifecycle.Issue) lifecycle.Issue {
	labels := slices.DeleteFunc(slices.Clone(is.Labels), func(l string) bool { return containsFold(o.Remove, l) })
	for _, a := range o.Add {
		if !containsFold(labels, a) {
			labels = append(labels, a)
		}
	}
	is.Labels = labels
	return is
}

func (o *Outcome) addLabel(l string)    { o.Add = appendUnique(o.Add, l) }
func (o *Outcome) removeLabel(l string) { o.Remove = appendUnique(o.Remove, l) }
func (o *Outcome) change(rule, format string, args ...any) {
	o.Changes = append(o.Changes, Change{Rule: rule, Text: fmt.Sprintf(format, args...)})
}
func (o *Outcome) block(s string) { o.Blockers = append(o.Blockers, s) }
func (o *Outcome) flag(f Flag)    { o.Flags = append(o.Flags, f) }
func (o *Outcome) decide(what, value, by, why string) {
	o.Decisions = append(o.Decisions, lifecycle.Decision{What: what, Value: value, DecidedBy: by, Why: why})
}

// writesTracker reports whether the pass changes the tracker itself (labels,
// board, a reporter update to record): the changes S41 records.
func (o *Outcome) writesTracker() bool {
	return len(o.Add)+len(o.Remove) > 0 || o.Column != "" || o.Archive || o.Update != nil
}

// evaluate runs every rule on one tracker.
func (p *Pass) evaluate(ctx context.Context, t *Tracker) (*Outcome, error) {
	o := &Outcome{}
	for _, r := range Rules() {
		if o.Stop {
			break
		}
		if err := r.Run(ctx, p, t, o); err != nil {
			return nil, fmt.Errorf("sync of #%d, rule %s (%s): %w", t.Issue.Number, r.ID, r.Name, err)
		}
	}
	return o, nil
}

// unusedDecision says why the agent's decision for a tracker took no effect
// ("" when it did, or there is none): a decision that changes nothing is an
// error, never silently ignored.
func (p *Pass) unusedDecision(t *Tracker, o *Outcome) string {
	dec, ok := p.Decisions[t.Issue.Number]
	if !ok {
		return ""
	}
	is := t.Issue
	L := p.Config.Labels
	if o.Stop {
		return fmt.Sprintf("decision for #%d cannot apply: the tracker is blocked (%s)", is.Number, strings.Join(o.Blockers, "; "))
	}
	if dec.Scope != "" && !o.scopeUsed {
		return fmt.Sprintf("decision for #%d: the consensus is already landed (scope label %q set, no %q): there is nothing to decide; leave the decision out", is.Number, dec.Scope, L.NeedsTriage)
	}
	if dec.SkipReporterUpdate && !o.skipUsed {
		proj := o.Projected(is)
		why := "it is not valid yet (one scope label and no " + strconvQuote(L.NeedsTriage) + ")"
		switch {
		case acceptanceRecorded(t.Entries):
			why = "the status rollup already records it"
		case proj.State == "open" && !proj.HasLabel(L.NeedsTriage) && len(p.Vocab.ScopeLabels(proj)) == 1:
			why = "the tracker is past the step where it is sent (a later step's update supersedes it)"
		}
		return fmt.Sprintf("decision for #%d: skip_reporter_update, but no accepted-as-valid update is due: %s; leave the decision out", is.Number, why)
	}
	return ""
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// rollupIntegrity (spec/release.md §3.4, §6.20): more than one rollup, or a
// rollup someone outside the team wrote, stops the tracker; a human decides.
func rollupIntegrity(_ context.Context, _ *Pass, t *Tracker, o *Outcome) error {
	if t.RollupProblem != "" {
		o.block(t.RollupProblem)
		o.Stop = true
	}
	return nil
}

// landConsensus is S1/S2 (spec/release.md §6.5, spec/intake.md §2.4): a valid
// consensus is exactly one scope label with `needs triage` gone. One scope label
// while `needs triage` is still set: remove `needs triage`. The agent may pass
// the scope the team agreed on; it is added in the same label edit. Two or more
// scope labels: a blocker, and nothing else for the tracker (split it per scope,
// §6.22). Neither label: a flag, since only a human can say which it is.
func landConsensus(_ context.Context, p *Pass, t *Tracker, o *Outcome) error {
	is := t.Issue
	if is.State != "open" {
		return nil
	}
	L := p.Config.Labels
	scopes := p.Vocab.ScopeLabels(is)
	if len(scopes) > 1 {
		o.block(fmt.Sprintf("S2: %d scope labels (%s): a tracker has exactly one; remove the wrong one or split the tracker per scope, then sync again",
			len(scopes), strings.Join(quoteAll(scopes), ", ")))
		o.Stop = true
		return nil
	}
	if dec, ok := p.Decisions[is.Number]; ok && dec.Scope != "" {
		switch {
		case len(scopes) == 1 && !strings.EqualFold(scopes[0], dec.Scope):
			return fmt.Errorf("the decision names scope %q, but #%d already has scope label %q: remove it by hand first if the scope changed", dec.Scope, is.Number, scopes[0])
		case len(scopes) == 0:
			o.scopeUsed = true
			o.addLabel(dec.Scope)
			o.decide("scope", dec.Scope, "agent", "the team's valid consensus")
			o.change("S1", "add the scope label `%s` (the team's valid consensus, decided by the agent)", dec.Scope)
			scopes = []string{dec.Scope}
			o.Landed = dec.Scope
		}
	}
	switch {
	case len(scopes) == 1 && is.HasLabel(L.NeedsTriage):
		o.scopeUsed = true
		o.removeLabel(L.NeedsTriage)
		if o.Landed == "" {
			o.decide("consensus", "valid, scope "+scopes[0], "server", "the scope label is set and needs triage is still there")
			o.change("S1", "remove `%s`: the scope label `%s` records the team's valid consensus", L.NeedsTriage, scopes[0])
		} else {
			o.change("S1", "remove `%s` in the same label edit", L.NeedsTriage)
		}
		o.Landed = scopes[0]
	case len(scopes) == 0 && !is.HasLabel(L.NeedsTriage):
		o.flag(Flag{Kind: "labels", Text: fmt.Sprintf("neither `%s` nor a scope label: add `%s` back, or land the consensus with one scope label (decisions: scope)", L.NeedsTriage, L.NeedsTriage)})
	}
	return nil
}

// boardColumn is S10 (spec/release.md §6.5, spec/intake.md §2.5): the board
// column follows the labels (Vocabulary.Derive, after this pass's label
// changes). An orphan is added in that column. A closed tracker's item is
// archived, never deleted. An archived item of an open tracker is flagged: the
// tracker port has no unarchive, so a human unarchives it. No board configured:
// nothing.
func boardColumn(_ context.Context, p *Pass, t *Tracker, o *Outcome) error {
	if t.Board == nil {
		return nil
	}
	b := *t.Board
	proj := o.Projected(t.Issue)
	if proj.State != "open" {
		if b.OnBoard && !b.Archived {
			o.Archive = true
			o.change("S10", "archive the board item: a closed tracker leaves the board (archived, still searchable)")
		}
		return nil
	}
	want := p.Vocab.Derive(proj, nil).Column
	switch {
	case want == "":
		return nil
	case !b.OnBoard:
		o.Column = want
		o.change("S10", "add the tracker to the board in %s (it is not on the board)", want)
	case b.Archived:
		o.flag(Flag{Kind: "board", Text: fmt.Sprintf("the board item is archived while the tracker is open: unarchive it by hand; its labels put it in %s", want)})
	case !strings.EqualFold(b.Column, want):
		o.Column, o.ColumnFrom = want, b.Column
		o.change("S10", "move the board item %s → %s (the labels put it there)", b.Column, want)
	}
	return nil
}

// updateLine starts every accepted-as-valid reporter-notification line in a
// rollup entry; an entry carrying it (or a "Sync (valid…" entry, the reference
// workflow's record of a landed consensus) means the update is done.
const updateLine = "Reporter update (accepted as valid)"

// draftPlaceholder stands for the id of the draft in a rollup entry body until
// the planner knows the draft's action id.
const draftPlaceholder = "{{draft}}"

// reporterAccepted is the §6.9 reporter update for "accepted as valid" (spec
// release.md §6.9, intake.md §17): once a tracker is valid (one scope label, no
// `needs triage`) and not yet past Step 6, the reporter is told once, with the
// project's canned response, as a plain-text reply draft on their thread.
//   - Done once: a rollup entry records the update (drafted, pending, sent,
//     suppressed or skipped), and a sent message or pending draft with the
//     update's key on the thread counts too.
//   - Trackers opened from a public PR are never contacted; findings files and
//     scanner imports have no reporter.
//   - acknowledgement_model none suppresses it; auto tags the draft [auto-ack];
//     via a forwarder (the routing-mode marker, or a forwarder the tracker
//     names) it goes to the forwarder contact in the relay shape
//     (reply.AddressingBlock), as import's receipt does; accepted-as-valid is
//     on the relay list.
//   - Without a canned response, a reply thread or a mailbox, nothing is drafted:
//     the rollup records why when the pass lands the consensus, else a flag asks
//     a human (record it with skip_reporter_update once done by hand).
func reporterAccepted(ctx context.Context, p *Pass, t *Tracker, o *Outcome) error {
	is := t.Issue
	proj := o.Projected(is)
	L := p.Config.Labels
	if proj.State != "open" || proj.HasLabel(L.NeedsTriage) || len(p.Vocab.ScopeLabels(proj)) != 1 {
		return nil
	}
	for _, later := range []string{L.CVEAllocated, L.PROpen, L.PRMerged, L.FixReleased, L.AnnouncedSent, L.Announced} {
		if later != "" && proj.HasLabel(later) {
			return nil // a later step's update supersedes this one
		}
	}
	if acceptanceRecorded(t.Entries) {
		return nil
	}
	const event = "accepted as valid"
	landing := o.Landed != ""
	record := func(why string) { o.Update = &Update{Event: event, Line: updateLine + ": " + why} }
	// notDrafted records the reason when the pass lands the consensus, and
	// otherwise asks a human, so the rollup never gets an entry for nothing.
	notDrafted := func(why string) {
		if landing {
			record("not drafted — " + why + ".")
			o.Notes = append(o.Notes, "no reporter update drafted: "+why)
			return
		}
		o.flag(Flag{Kind: "reporter", Text: "accepted-as-valid update due, but " + why + ": tell the reporter by hand, then record it (decisions: skip_reporter_update)"})
	}
	if dec, ok := p.Decisions[is.Number]; ok && dec.SkipReporterUpdate {
		o.skipUsed = true
		record("not drafted — skipped by decision.")
		o.decide("reporter update", "skip", "agent", "")
		o.change("§6.9", "record that no accepted-as-valid update is drafted (skip_reporter_update)")
		return nil
	}
	mailKind := ""
	if p.Mail != nil {
		mailKind = p.Mail.Kind()
	}
	origins := reply.OriginsOf(is.Body, mailKind)
	origin := origins[0]
	switch origin.Path {
	case reply.PathPR, reply.PathMarkdown, reply.PathScan:
		if landing {
			record("none — " + origin.Note + ".")
		}
		return nil
	case reply.PathUnknown:
		notDrafted(origin.Note)
		return nil
	}
	if p.Config.Disclosure.AcknowledgementModel == "none" {
		if landing {
			record("suppressed — acknowledgement_model=none (disclosure governance).")
		}
		return nil
	}
	name := p.Config.Canned.AcceptedValid
	if name == "" {
		notDrafted("the project configures no canned response for it ([canned] accepted_as_valid)")
		return nil
	}
	if p.Mail == nil {
		notDrafted("no mail backend is configured")
		return nil
	}
	// One update per primary reporter thread (after a merge, every reporter
	// on their own thread, each draft with its own key). A thread that needs
	// a retry or a human first holds back the whole update, so the rollup
	// records it once for every reporter.
	var ups []threadUpdate
	for i, or := range origins {
		u, err := p.acceptedOn(ctx, t, or, i == 0, name)
		if err != nil {
			return err
		}
		if u.flag != "" {
			o.flag(Flag{Kind: "reporter", Text: "accepted-as-valid update due, but " + u.flag})
			return nil
		}
		if len(origins) > 1 {
			u.placeholder = fmt.Sprintf("{{draft%d}}", i)
		}
		ups = append(ups, u)
	}
	if len(ups) == 1 {
		u := ups[0]
		switch {
		case u.missing != "":
			notDrafted(u.missing)
		case u.sent != "":
			record(fmt.Sprintf("sent on %s.", u.sent))
			o.change("§6.9", "record the accepted-as-valid update the team already sent (%s)", u.sent)
		case u.pending != "":
			record(fmt.Sprintf("draft `%s` is pending in Drafts (not sent).", u.pending))
			o.change("§6.9", "record the pending accepted-as-valid draft %s (it is not created again)", u.pending)
		default:
			line := updateLine + ": draft `" + draftPlaceholder + "` on the reporter's thread awaits review in Drafts (not sent)." + u.relayLine
			o.Update = &Update{Event: event, Drafts: []PlannedDraft{{Preview: u.preview, Spec: u.spec, Placeholder: draftPlaceholder}}, Line: line}
			o.Notes = append(o.Notes, u.notes...)
			o.decide("reporter update", u.canned, "server", "§6.9: the report was accepted as valid")
			o.change("§6.9", "draft the reporter update %q to %s on the reporter's thread (not sent)", u.canned, u.preview.To)
		}
		return nil
	}
	if !slices.ContainsFunc(ups, func(u threadUpdate) bool { return u.missing == "" }) {
		var why []string
		for _, u := range ups {
			why = append(why, u.who+": "+u.missing)
		}
		notDrafted("for no reporter of this merged tracker can it be drafted (" + strings.Join(why, "; ") + ")")
		return nil
	}
	up := &Update{Event: event}
	var parts []string
	for _, u := range ups {
		switch {
		case u.missing != "":
			parts = append(parts, u.who+": not drafted — "+u.missing)
			o.Notes = append(o.Notes, "no reporter update drafted for "+u.who+": "+u.missing)
		case u.sent != "":
			parts = append(parts, u.who+": sent on "+u.sent)
			o.change("§6.9", "record the accepted-as-valid update the team already sent to %s (%s)", u.who, u.sent)
		case u.pending != "":
			parts = append(parts, fmt.Sprintf("%s: draft `%s` is pending in Drafts (not sent)", u.who, u.pending))
			o.change("§6.9", "record the pending accepted-as-valid draft %s for %s (it is not created again)", u.pending, u.who)
		default:
			parts = append(parts, fmt.Sprintf("%s: draft `%s` on their thread awaits review in Drafts (not sent)%s", u.who, u.placeholder, strings.TrimSuffix(u.relayLine, ".")))
			up.Drafts = append(up.Drafts, PlannedDraft{Preview: u.preview, Spec: u.spec, Placeholder: u.placeholder})
			o.Notes = append(o.Notes, u.notes...)
			o.decide("reporter update", u.canned+" to "+u.who, "server", "§6.9: the report was accepted as valid; every reporter of a merged tracker is told on their own thread")
			o.change("§6.9", "draft the reporter update %q to %s on their own thread (not sent)", u.canned, u.preview.To)
		}
	}
	up.Line = fmt.Sprintf("%s, one per reporter (%d reporters after a merge): %s.", updateLine, len(ups), strings.Join(parts, "; "))
	o.Update = up
	return nil
}

// threadUpdate is the accepted-as-valid update on one reporter's thread:
// exactly one of flag (retry or a human first), missing (cannot be drafted),
// sent (date), pending (draft id) or a planned draft is set.
type threadUpdate struct {
	who           string
	flag, missing string
	sent, pending string
	preview       *reply.Preview
	spec          *lifecycle.DraftSpec
	canned        string
	relayLine     string
	notes         []string
	placeholder   string
}

// acceptedOn decides the update on one reporter's thread; first is the
// tracker's own thread (the others come from merges).
func (p *Pass) acceptedOn(ctx context.Context, t *Tracker, origin reply.Origin, first bool, name string) (threadUpdate, error) {
	is := t.Issue
	u := threadUpdate{who: "the reporter", placeholder: draftPlaceholder}
	th, missing, err := p.replyThread(ctx, origin, is)
	if err != nil {
		u.flag = fmt.Sprintf("reading the mail failed (%v): sync again to retry", err)
		return u, nil
	}
	if missing != "" {
		u.missing = missing
		return u, nil
	}
	root, ok := th.Root()
	if !ok {
		u.missing = "the reporter's thread has no message"
		return u, nil
	}
	if n := reply.OneLine(root.From.Name); n != "" && !strings.Contains(n, "@") {
		u.who = n
	} else if root.From.Email != "" {
		u.who = root.From.Email
	}
	key := "accepted:" + lifecycle.NormalizeMessageID(root.MessageID)
	for _, m := range th.Messages {
		if !m.IsDraft && m.DraftKey == key {
			u.sent = m.Date.UTC().Format("2006-01-02")
			return u, nil
		}
	}
	drafts, err := p.Mail.ListDrafts(ctx, th.ID)
	if err != nil {
		u.flag = fmt.Sprintf("listing drafts failed (%v): sync again to retry", err)
		return u, nil
	}
	for _, d := range drafts {
		if d.Key == key {
			u.pending = d.ID
			return u, nil
		}
	}
	// Another pending draft on the thread (say, the receipt) goes out first:
	// a draft is never shadowed, and this one is drafted on a later pass.
	for _, d := range drafts {
		u.flag = fmt.Sprintf("draft %s is pending on the reporter's thread: send or discard it, then sync again", d.ID)
		return u, nil
	}
	cn, err := projects.FindCanned(p.Canned, name)
	if err != nil {
		return u, fmt.Errorf("[canned] accepted_as_valid: %w", err)
	}
	req := reply.Request{Thread: th, Canned: cn, Purpose: "accepted"}
	fwd, relayed := p.forwarder(t, origin, first)
	credit := reporterCredit(is)
	if !first {
		credit = creditName(origin.Reporter) // never the kept reporter's name
	}
	if relayed {
		if fwd.Contact.Email == "" {
			u.missing = "the tracker is in via-forwarder mode, but " + fwd.Note
			return u, nil
		}
		to := fwd.Contact
		req.To = &to
		req.Values = map[string]string{"REPORTER_NAME": firstNameOr(credit, "there")}
		if credit != "" {
			u.who = credit
		}
	}
	preview, spec, note, err := reply.Compose(ctx, p.Mail, p.Config, req)
	if err != nil {
		return u, err
	}
	if spec == nil {
		u.missing = note
		return u, nil
	}
	if relayed {
		body := reply.AddressingBlock(fwd.Contact, lifecycle.Address{Name: credit}, nil, spec.Request.Body, p.Config.Project.Name, p.signer())
		spec.Request.Body, preview.Body = body, body
		preview.Canned += " (relayed via " + fwd.Adapter + ")"
		u.relayLine = fmt.Sprintf(" Relayed through forwarder `%s` to %s (accepted-as-valid is on the relay list).", fwd.Adapter, reply.FormatAddress(fwd.Contact))
		u.notes = append(u.notes, fmt.Sprintf("via forwarder %s: the update goes to %s on the relay thread, in the relay shape (%s)", fwd.Adapter, reply.FormatAddress(fwd.Contact), fwd.Note))
	} else if origin.Relay {
		u.relayLine = " The only recorded thread is a relay (accepted-as-valid is on the relay list)."
		u.notes = append(u.notes, "the only recorded thread is a relay: check the draft's recipient before sending")
	}
	if p.Config.Disclosure.AcknowledgementModel == "auto" {
		preview.Canned += " [auto-ack]"
	}
	u.preview, u.spec, u.canned = preview, spec, cn.Name
	return u, nil
}

// forwarder is the relay a reporter thread goes through. The tracker's own
// thread (first) is relayed when the body carries the routing-mode marker
// import writes, or when its only thread is a relay and the tracker names a
// forwarder adapter (rollup line or thread field). A thread added by a merge
// is relayed only when its own thread-field line names a forwarder
// (origin.Forwarder): routing is per reporter, never inherited from the kept
// tracker. relayed is false for a direct report.
func (p *Pass) forwarder(t *Tracker, origin reply.Origin, first bool) (reply.Forwarder, bool) {
	var texts []string
	if t.Rollup != nil {
		texts = append(texts, t.Rollup.Body)
	}
	if !first {
		return reply.ForwarderOfOrigin(origin, t.Issue.Body, texts, p.Config), origin.Forwarder != ""
	}
	f := reply.ForwarderOf(t.Issue.Body, texts, p.Config)
	marked := strings.Contains(lifecycle.ParseBody(t.Issue.Body).Preamble(), lifecycle.MarkerRoutingViaForwarder)
	return f, marked || (origin.Relay && f.Adapter != "")
}

// reporterCredit is the credited reporter's name from the tracker body, ""
// when none is recorded.
func reporterCredit(is lifecycle.Issue) string {
	v, _ := lifecycle.ParseBody(is.Body).Get(lifecycle.FieldCredit)
	return creditName(v)
}

// creditName is a credited reporter's name on one line, "" when v is a
// placeholder or holds an address.
func creditName(v string) string {
	v = reply.OneLine(v)
	if v == "" || strings.HasPrefix(v, "_") || strings.ContainsAny(v, "@<`") || strings.EqualFold(v, "TBD") || strings.HasPrefix(strings.ToLower(v), "n/a") {
		return ""
	}
	return v
}

// firstNameOr fills REPORTER_NAME in a relayed draft: the first word of the
// credited name, else fallback.
func firstNameOr(credit, fallback string) string {
	if f := strings.Fields(credit); len(f) > 0 {
		return f[0]
	}
	return fallback
}

// signer signs relayed drafts: the operator's roster name, else the team.
func (p *Pass) signer() string {
	if m, ok := p.Config.MemberByHandle(p.Operator); ok && m.Name != "" {
		return m.Name
	}
	return "The " + p.Config.Project.Name + " security team"
}

// acceptanceRecorded reports whether the rollup already records the
// accepted-as-valid update: an entry with the update line, or a "Sync (valid…"
// entry the reference workflow wrote when it landed the consensus (it has no
// vulnsteward entry id; ours always do, and record the update in their body
// when there was one).
func acceptanceRecorded(entries []lifecycle.ParsedEntry) bool {
	for _, e := range entries {
		if strings.Contains(e.Body, updateLine) || (e.ID == "" && strings.HasPrefix(strings.ToLower(e.Action), "sync (valid")) {
			return true
		}
	}
	return false
}

// threadSearchDays bounds the mailbox listing that looks for a reporter's
// thread by its root Message-ID when the recorded thread id does not resolve on
// this backend (a tracker imported through another mailbox).
const threadSearchDays = 90

// replyThread reads the reporter's thread: the recorded thread id, else the
// thread whose root Message-ID the tracker records. missing says why there is none.
func (p *Pass) replyThread(ctx context.Context, o reply.Origin, is lifecycle.Issue) (th lifecycle.Thread, missing string, err error) {
	if o.ThreadID != "" {
		th, err := p.Mail.ReadThread(ctx, o.ThreadID)
		if err == nil {
			return th, "", nil
		}
		if !errors.Is(err, lifecycle.ErrNotFound) {
			return lifecycle.Thread{}, "", err
		}
	}
	root := o.RootMessageID
	if root == "" {
		for _, m := range lifecycle.ParseIntakeMetas(is.Body) {
			if id, ok := strings.CutPrefix(m.Key, "mail:"); ok {
				root = id
				break
			}
		}
	}
	if root == "" {
		return lifecycle.Thread{}, "the tracker records no reporter thread (" + o.Note + ")", nil
	}
	root = lifecycle.NormalizeMessageID(root)
	sums, err := p.Mail.ListThreads(ctx, is.CreatedAt.AddDate(0, 0, -threadSearchDays))
	if err != nil {
		return lifecycle.Thread{}, "", err
	}
	for _, s := range sums {
		if lifecycle.NormalizeMessageID(s.RootMessageID) == root {
			th, err := p.Mail.ReadThread(ctx, s.ID)
			return th, "", err
		}
	}
	return lifecycle.Thread{}, fmt.Sprintf("the reporter's thread (root Message-ID <%s>) is not in the %s mailbox", root, p.Mail.Kind()), nil
}

// stallFlag is the Step 4 trigger (spec/intake.md §16): a tracker still in the
// validity discussion whose security team has not commented for stall_days
// (lifecycle.Derive) is flagged for escalation, with the phase the recorded
// escalations imply, read from the tracker alone:
//   - none recorded: phase 1 (a short call for ideas);
//   - phase 1 recorded, and any comment after it other than the workflow's
//     own: the discussion moved, no phase 2 (escalate further by hand if it
//     stalls again);
//   - phase 1 recorded, no response, stall_phase2_days passed: phase 2
//     (design-space analysis); before that, wait;
//   - phase 2 recorded: both phases went out, escalate further by hand.
//
// Escalations are the rollup entries the escalate skill writes (entry id
// step4-escalation-phase<N>, dated by their hidden escalation line), other
// "Sync (Step 4 escalation…)" entries, and the reference workflow's
// "**Process-step escalation" comments. It writes nothing: escalate_propose
// decides the phase (it also reads the reporter's thread) and drafts it.
func stallFlag(_ context.Context, p *Pass, t *Tracker, o *Outcome) error {
	proj := o.Projected(t.Issue)
	if proj.State != "open" {
		return nil
	}
	st := p.derive(t, proj)
	if st.Step != 4 {
		return nil
	}
	phase2 := p.Config.Disclosure.StallPhase2Days
	if phase2 <= 0 {
		phase2 = 7
	}
	f := Flag{Kind: "stalled", Escalate: true}
	base := fmt.Sprintf("stalled %d days without a security-team comment", st.DaysStalled)
	last, ok := latestEscalation(t)
	switch {
	case !ok:
		f.Text = base + ": escalate, phase 1 (a short call for ideas, no analysis)"
	case last.phase >= 2:
		f.Text = fmt.Sprintf("%s: both escalation phases went out (phase 2 on %s): escalate further by hand", base, day(last.at))
		f.Escalate = false
	case respondedAfter(t, last.at):
		f.Text = fmt.Sprintf("%s: phase 1 (%s) got a response, no phase 2: escalate further by hand if it stays silent", base, day(last.at))
		f.Escalate = false
	case p.Now.Before(last.at.AddDate(0, 0, phase2)):
		f.Text = fmt.Sprintf("%s: phase 1 went out %s; phase 2 is due on %s if nobody responds", base, day(last.at), day(last.at.AddDate(0, 0, phase2)))
		f.Escalate = false
	default:
		f.Text = fmt.Sprintf("%s: phase 1 went out %s with no response: escalate, phase 2 (design-space analysis)", base, day(last.at))
	}
	o.flag(f)
	return nil
}

type escalation struct {
	phase int
	at    time.Time
}

var (
	escalationIDRE   = regexp.MustCompile(`^step4-escalation-phase(\d)$`)
	escalationLineRE = regexp.MustCompile(`<!-- escalation phase=(\d) at=(\S+) -->`)
	phase2RE         = regexp.MustCompile(`(?i)\bphase[\s-]*(2|two|ii)\b`)
)

// latestEscalation is the newest escalation recorded on the tracker.
func latestEscalation(t *Tracker) (escalation, bool) {
	var all []escalation
	for _, e := range t.Entries {
		var x escalation
		switch m := escalationIDRE.FindStringSubmatch(e.ID); {
		case m != nil:
			x.phase = int(m[1][0] - '0')
		case e.Parsed && strings.Contains(strings.ToLower(e.Action), "step 4 escalation"):
			x.phase = 1
			if phase2RE.MatchString(e.Body) {
				x.phase = 2
			}
		default:
			continue
		}
		if m := escalationLineRE.FindStringSubmatch(e.Body); m != nil {
			x.at, _ = time.Parse(time.RFC3339, m[2])
		}
		if x.at.IsZero() {
			x.at, _ = time.Parse("2006-01-02", e.Date)
		}
		all = append(all, x)
	}
	for _, c := range t.Comments {
		if strings.HasPrefix(strings.TrimSpace(c.Body), "**Process-step escalation") {
			x := escalation{phase: 1, at: c.CreatedAt}
			if phase2RE.MatchString(c.Body) {
				x.phase = 2
			}
			all = append(all, x)
		}
	}
	if len(all) == 0 {
		return escalation{}, false
	}
	last := all[0]
	for _, x := range all[1:] {
		if !x.at.Before(last.at) {
			last = x
		}
	}
	return last, true
}

// respondedAfter reports whether anyone commented after at, other than the
// workflow's own comments (rollups, marker comments).
func respondedAfter(t *Tracker, at time.Time) bool {
	for _, c := range t.Comments {
		if c.CreatedAt.After(at) && !lifecycle.IsSkillAuthored(c.Body) && !strings.HasPrefix(strings.TrimSpace(c.Body), "**Process-step escalation") {
			return true
		}
	}
	return false
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// disclosureWindow is the disclosure-governance check (spec/release.md §6.3 1a,
// S37, S38): the window runs window_days from the day the tracker was created,
// for every open tracker without `announced`. Each pass flags the days left or
// overdue (≥80% of the window is a caution only). Writes, each once:
//   - S37: when the window is overdue, one rollup entry (id
//     sync-disclosure-overdue-<N>) with the age and the recommendation
//     (agree a new date with the reporter, or disclose with a partial or
//     advisory-only fix); additive, never repeated.
//   - S38: when the fix has landed (`pr merged` or `fix released`) and the
//     grace period has expired too, the first-class comment marked
//     `<!-- apache-magpie: disclosure-overdue v1 -->`, updated in place. Its
//     text names only fixed dates, so it changes only when the fix label does.
//
// A Public advisory URL without `announced` is a missing label, not an overdue window.
func disclosureWindow(_ context.Context, p *Pass, t *Tracker, o *Outcome) error {
	is := t.Issue
	proj := o.Projected(is)
	L := p.Config.Labels
	if proj.State != "open" || (L.Announced != "" && proj.HasLabel(L.Announced)) {
		return nil
	}
	if adv, err := lifecycle.ParseBody(is.Body).Get(lifecycle.FieldAdvisoryURL); err == nil && strings.TrimSpace(adv) != "" {
		o.flag(Flag{Kind: "disclosure", Text: fmt.Sprintf("a Public advisory URL is set but `%s` is missing: a missing label, not an overdue window", L.Announced)})
		return nil
	}
	window, grace := p.Config.Disclosure.WindowDays, p.Config.Disclosure.GracePeriodDays
	if window <= 0 {
		window = 90
	}
	if grace < 0 {
		grace = 0
	}
	received := is.CreatedAt.UTC()
	// A pass planned as of a time before the tracker existed (a clock skew,
	// a `now` in the past) counts day 0, never a negative day.
	age := max(calendarDays(received, p.Now), 0)
	day := received.Format("2006-01-02")
	fixLabel := ""
	for _, l := range []string{L.FixReleased, L.PRMerged} {
		if l != "" && proj.HasLabel(l) {
			fixLabel = l
			break
		}
	}
	switch {
	case age > window:
		f := Flag{Kind: "disclosure", Escalate: true,
			Text: fmt.Sprintf("disclosure window overdue by %d days (day %d of %d, received %s): publish the advisory or agree a new date with the reporter", age-window, age, window, day)}
		if fixLabel != "" && age > window+grace {
			f.Text = fmt.Sprintf("disclosure window and the %d-day grace period expired %d days ago (day %d of %d+%d) with the fix landed: publish the advisory now", grace, age-window-grace, age, window, grace)
			overdueComment(p, t, o, received, window, grace, fixLabel)
		}
		o.flag(f)
		overdueEntry(p, t, o, proj, received, age, window)
	case float64(age) > 0.8*float64(window):
		o.flag(Flag{Kind: "disclosure", Text: fmt.Sprintf("disclosure window closes in %d days (day %d of %d)", window-age, age, window)})
	default:
		o.flag(Flag{Kind: "disclosure", Text: fmt.Sprintf("disclosure window: %d days left (day %d of %d)", window-age, age, window)})
	}
	return nil
}

func overdueEntryID(n int) string { return fmt.Sprintf("sync-disclosure-overdue-%d", n) }

// overdueEntry plans S37's one-time rollup entry.
func overdueEntry(p *Pass, t *Tracker, o *Outcome, proj lifecycle.Issue, received time.Time, age, window int) {
	id := overdueEntryID(t.Issue.Number)
	if slices.ContainsFunc(t.Entries, func(e lifecycle.ParsedEntry) bool { return e.ID == id }) {
		return
	}
	rec := "agree an extended timeline with the reporter (a short note on their thread), or disclose with a partial or advisory-only fix"
	if p.Config.Disclosure.AcknowledgementModel == "none" {
		rec = "disclose with a partial or advisory-only fix, or agree an extended timeline (the reporter is not contacted: acknowledgement_model none)"
	}
	var body strings.Builder
	fmt.Fprintf(&body, "**Disclosure window overdue: day %d of %d (report received %s; the window ended %s).**\n\n", age, window,
		received.Format("2006-01-02"), received.AddDate(0, 0, window).Format("2006-01-02"))
	body.WriteString("- No advisory is announced yet.\n")
	body.WriteString("- Recommendation: " + rec + ".\n")
	body.WriteString(nextLine(p, proj))
	o.Entries = append(o.Entries, lifecycle.RollupEntry{Date: p.Now.Format("2006-01-02"), Handle: p.Operator,
		Action: "Sync (disclosure window overdue)", Body: body.String(), ID: id})
	o.change("S37", "record in the rollup, once, that the disclosure window is overdue (day %d of %d) with the recommendation", age, window)
}

// overdueComment plans S38's disclosure-overdue comment (upserted by marker).
func overdueComment(p *Pass, t *Tracker, o *Outcome, received time.Time, window, grace int, fixLabel string) {
	body := lifecycle.MarkerDisclosureOverdue + "\n" + fmt.Sprintf(
		"**Disclosure overdue.** This report was received on %s. The disclosure window of %d days and the %d-day grace period ended on %s; the fix has landed (`%s`) and no advisory is announced.\n\n"+
			"**Next:** publish the advisory now, or agree a new disclosure date with the reporter and note it on this tracker. Sync keeps this comment up to date in place.",
		received.Format("2006-01-02"), window, grace, received.AddDate(0, 0, window+grace).Format("2006-01-02"), fixLabel)
	for _, c := range t.Comments {
		if lifecycle.CommentHasMarker(c.Body, lifecycle.MarkerDisclosureOverdue) {
			if strings.TrimSpace(c.Body) == strings.TrimSpace(body) {
				return
			}
			o.Comment = &MarkerComment{Marker: lifecycle.MarkerDisclosureOverdue, Body: body}
			o.change("S38", "update the disclosure-overdue comment in place (the fix label changed)")
			return
		}
	}
	o.Comment = &MarkerComment{Marker: lifecycle.MarkerDisclosureOverdue, Body: body}
	o.change("S38", "post the disclosure-overdue comment: the window and the grace period expired with the fix landed")
}

// passEntry is S41: one rollup entry per pass that changes the tracker (labels,
// board, a reporter update). A pass that changes nothing writes nothing, so a
// second pass right after an applied one plans nothing; flags are shown in the
// proposal and in tracker_list, not written. S37's entry and S38's comment are
// their own records and do not add a pass entry. The entry id hashes the day
// and the changes, so applying two proposals of the same changes on the same
// day appends one entry.
func passEntry(_ context.Context, p *Pass, t *Tracker, o *Outcome) error {
	if !o.writesTracker() {
		return nil
	}
	proj := o.Projected(t.Issue)
	day := p.Now.Format("2006-01-02")
	var lines []string
	if len(o.Add)+len(o.Remove) > 0 {
		var parts []string
		if len(o.Add) > 0 {
			parts = append(parts, "added "+strings.Join(backtickAll(o.Add), ", "))
		}
		if len(o.Remove) > 0 {
			parts = append(parts, "removed "+strings.Join(backtickAll(o.Remove), ", "))
		}
		lines = append(lines, "Labels: "+strings.Join(parts, "; ")+".")
	}
	switch {
	case o.Column != "" && o.ColumnFrom == "":
		lines = append(lines, "Board: added in "+o.Column+".")
	case o.Column != "":
		lines = append(lines, "Board: "+o.ColumnFrom+" → "+o.Column+".")
	case o.Archive:
		lines = append(lines, "Board: item archived (closed tracker).")
	}
	if o.Update != nil {
		lines = append(lines, o.Update.Line)
	}
	action, headline := "labels reconciled", "labels reconciled"
	switch {
	case o.Landed != "":
		action = "valid: scope " + o.Landed
		headline = fmt.Sprintf("consensus landed: valid, scope `%s`", o.Landed)
	case len(o.Add)+len(o.Remove) > 0:
	case o.Column != "":
		action, headline = "board: "+o.Column, "the board column follows the labels"
	case o.Archive:
		action, headline = "board: archived", "closed tracker archived on the board"
	case o.Update != nil:
		action, headline = "reporter update: "+o.Update.Event, "reporter update for the report accepted as valid"
	}
	body := fmt.Sprintf("**Sync on %s: %s.**\n\n- %s\n\n%s", day, headline, strings.Join(lines, "\n- "), nextLine(p, proj))
	sum := sha256.Sum256([]byte(action + "\x00" + body))
	o.Entry = &lifecycle.RollupEntry{Date: day, Handle: p.Operator, Action: "Sync (" + action + ")", Body: body,
		ID: fmt.Sprintf("sync-%d-%s-%s", t.Issue.Number, p.Now.Format("20060102"), hex.EncodeToString(sum[:4]))}
	o.change("S41", "append the entry \"Sync (%s)\" to the status rollup", action)
	return nil
}

// nextLine is the entry's **Next:** line, from the state after the pass.
func nextLine(p *Pass, proj lifecycle.Issue) string {
	st := p.Vocab.Derive(proj, nil)
	if st.Terminal || st.Step == 0 {
		return ""
	}
	return fmt.Sprintf("**Next:** Step %d (%s): %s.", st.Step, st.StepName, st.NextAction)
}

// calendarDays counts calendar days (UTC) from a to b.
func calendarDays(a, b time.Time) int {
	da := time.Date(a.UTC().Year(), a.UTC().Month(), a.UTC().Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.UTC().Year(), b.UTC().Month(), b.UTC().Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func appendUnique(list []string, s string) []string {
	if containsFold(list, s) {
		return list
	}
	return append(list, s)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func backtickAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return out
}
