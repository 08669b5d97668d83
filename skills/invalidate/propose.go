package invalidate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/scrub"
	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
)

// ApplyTool is the tool that executes an invalidate plan.
const ApplyTool = "invalidate_apply"

// MaxQuotes caps the reasoning quotes (the spec asks for the 3–5 most load-bearing).
const MaxQuotes = 5

// Deps is what the skill reads. It never writes: lifecycle.Executor applies the plan.
type Deps struct {
	Config   *projects.Config
	Backend  lifecycle.Backend
	Operator string // GitHub handle written in the rollup entry
	// Guard, when set, checks the reply at propose time with the reporter
	// rules the executor applies at apply time, so a plan never holds a draft
	// apply must refuse.
	Guard lifecycle.Guard
}

// Input is the tracker and the agent's judgements.
type Input struct {
	Number      int
	Disposition string
	// Canned names the canned response of the reply (exact heading or slug).
	Canned string
	// Reason is the case reasoning in the agent's words: the reply's inline
	// addition and a line of the rollup entry.
	Reason string
	// Quotes are verbatim excerpts of team comments on the tracker.
	Quotes []Quote
	// Placeholders fill canned placeholders the server does not fill itself.
	Placeholders map[string]string
	// Silent closes without a reply to the reporter; the rollup says so.
	Silent bool
	Now    time.Time
}

// Quote is a verbatim excerpt of a security-team comment on the tracker.
type Quote struct {
	Author string `json:"author" jsonschema:"GitHub handle of the team member who wrote the comment"`
	Text   string `json:"text" jsonschema:"the excerpt, verbatim from one of their comments on the tracker"`
}

// QuoteView is a quote the server found on the tracker.
type QuoteView struct {
	Author string `json:"author"`
	Text   string `json:"text"`
	URL    string `json:"url"`
}

// TrackerView is the tracker as the proposal shows it.
type TrackerView struct {
	Number int            `json:"number"`
	URL    string         `json:"url"`
	Title  untrusted.Text `json:"title"`
	Labels []string       `json:"labels"`
}

// Consensus is what the tracker's comments say about the team's agreement.
// It is shown, never enforced: the disposition is the agent's input.
type Consensus struct {
	ProposalURL string   `json:"proposal_url,omitempty"`
	ProposedBy  string   `json:"proposed_by,omitempty"`
	Class       string   `json:"class,omitempty"`
	AgreedBy    []string `json:"agreed_by,omitempty"`
	DecidingURL string   `json:"deciding_comment_url,omitempty"`
	Note        string   `json:"note"`
}

// Proposal is what invalidate_propose returns (the plan is saved by the caller).
type Proposal struct {
	Plan        *lifecycle.Plan     `json:"-"`
	Tracker     TrackerView         `json:"tracker"`
	Disposition Disposition         `json:"disposition"`
	Labels      lifecycle.LabelSpec `json:"labels"`
	Path        reply.Path          `json:"import_path"`
	PathNote    string              `json:"import_path_note"`
	Canned      string              `json:"canned,omitempty"`
	Draft       *reply.Preview      `json:"draft,omitempty"`
	// OtherDrafts are the replies to the other reporters of a merged
	// tracker, one per reporter thread.
	OtherDrafts    []*reply.Preview `json:"other_drafts,omitempty"`
	Notification   string           `json:"reporter_notification"`
	Consensus      Consensus        `json:"consensus"`
	Quotes         []QuoteView      `json:"quotes,omitempty"`
	Rollup         string           `json:"rollup_entry"`
	ClosingComment string           `json:"closing_comment"`
	Injection      []string         `json:"injection_flags,omitempty"`
	Notes          []string         `json:"notes,omitempty"`

	sentOn string // the day the reporter's reply was sent, when it already was
}

// Propose checks the hard stops and plans the close.
func Propose(ctx context.Context, d Deps, in Input) (*Proposal, error) {
	cfg := d.Config
	t := d.Backend.Tracker
	if in.Number <= 0 {
		return nil, errors.New("number must be a tracker issue number (1 or more)")
	}
	disp, err := ParseDisposition(in.Disposition)
	if err != nil {
		return nil, err
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}

	is, err := t.GetIssue(ctx, in.Number)
	if err != nil {
		if errors.Is(err, lifecycle.ErrNotFound) {
			return nil, fmt.Errorf("%s#%d does not exist; tracker_list shows the open trackers", t.Repo(), in.Number)
		}
		return nil, fmt.Errorf("reading %s#%d (check the token and repository): %w", t.Repo(), in.Number, err)
	}
	if err := CheckHardStops(cfg, is, lifecycle.CVEState(ctx, d.Backend.CNA, TrackerCVE(is.Body))); err != nil {
		return nil, err
	}

	comments, err := t.ListComments(ctx, is.Number)
	if err != nil {
		return nil, fmt.Errorf("reading the comments of #%d: %w", is.Number, err)
	}
	team, err := lifecycle.Team(ctx, t)
	if err != nil {
		return nil, err
	}
	quotes, err := MatchQuotes(in.Quotes, comments, team)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" && len(quotes) == 0 {
		return nil, errors.New("give the reasoning of the close: `quotes` (verbatim excerpts of team comments on the tracker) and/or `reason` (the case reasoning in your words); it goes into the rollup and the reply")
	}
	label := disp.Label(cfg.Labels)
	if err := lifecycle.RequireLabel(ctx, t, label); err != nil {
		return nil, err
	}
	canned, err := cfg.CannedResponses()
	if err != nil {
		return nil, fmt.Errorf("loading canned responses: %w", err)
	}
	var cn *projects.Canned
	if strings.TrimSpace(in.Canned) != "" {
		c, err := projects.FindCanned(canned, in.Canned)
		if err != nil {
			return nil, err
		}
		cn = &c
	}
	if disp == InfoOnly && cn == nil {
		return nil, errors.New("info-only needs `canned`: the canned response that fully answers the report (exact heading or slug)")
	}

	pb := lifecycle.NewPlan("invalidate", ApplyTool, d.Operator, now)
	ref := pb.Saw(is)
	title, _ := untrusted.Clean(is.Title)
	p := &Proposal{Plan: pb.Plan, Disposition: disp, Quotes: quotes,
		Tracker: TrackerView{Number: is.Number, URL: is.URL, Title: untrusted.Wrap("tracker title", title), Labels: is.Labels}}
	if cn != nil {
		p.Canned = cn.Name
	}
	p.Injection = injectionFlags(is, comments, team)
	p.Consensus = FindConsensus(comments, lifecycle.TeamWithOperator(team, d.Operator)) // the operator's own proposal counts (sync's rule)
	if p.Consensus.Class != "" && !classFits(p.Consensus.Class, disp) {
		p.Notes = append(p.Notes, fmt.Sprintf("the triage proposal says %s, not %s: check with the team before applying", p.Consensus.Class, disp))
	}
	item := fmt.Sprintf("#%d", is.Number)
	pb.Decide(item, "disposition", string(disp), "agent", p.Consensus.Note)
	pb.Decide(item, "label", label, "server", "closing label of the disposition")

	// 1. The reporter draft, first: harmless until a human sends it, and the
	// rollup entry then names its real id.
	draftActions, notification, err := planDraft(ctx, d, pb, p, is, cn, reason, in, item, teamRollups(comments, lifecycle.TeamWithOperator(team, d.Operator)))
	if err != nil {
		return nil, err
	}
	p.Notification = notification

	// 2. The rollup entry.
	p.Labels = LabelEdit(cfg, is, disp)
	board, boardNote := boardState(ctx, t, cfg, is.Number)
	day := now.UTC().Format("2006-01-02")
	// Entry ids are stable per tracker and close (disposition and canned
	// response), not per plan: a plan proposed again after a partial apply
	// (tokens expire) finds what the first one wrote, while a different close
	// of the same tracker after a reopen gets entries of its own.
	entryID := closeEntryID(is.Number, disp, p.Canned)
	if rs := lifecycle.FindRollups(comments); len(rs) == 1 && lifecycle.RollupHasEntry(rs[0].Body, entryID) {
		p.Notes = append(p.Notes, "the rollup already records this close (an earlier plan was partly applied): the entry is not appended again")
	}
	entry := lifecycle.RollupEntry{Date: day, Handle: d.Operator, Action: disp.Action(cfg.Labels), ID: entryID,
		Body: rollupBody(disp, label, day, p, cn, reason, notification, boardNote)}
	p.Rollup = entry.Render()
	rollup := pb.Add(lifecycle.Action{Kind: lifecycle.ActRollupEntry, Audience: lifecycle.AudienceTracker, Item: item, Target: ref, DependsOn: draftActions,
		Summary: fmt.Sprintf("append %q to the status rollup of #%d, with the reasoning and the reporter-notification line", entry.Action, is.Number),
		Comment: &lifecycle.CommentSpec{Entry: &entry}})

	// 3. The closing comment: short and procedural, linking the rollup.
	p.ClosingComment = closingComment(disp, label, p, cn, "{{"+rollup+".url}}")
	closing := pb.Add(lifecycle.Action{Kind: lifecycle.ActUpsertComment, Audience: lifecycle.AudienceTracker, Item: item, Target: ref, DependsOn: []string{rollup},
		Summary: fmt.Sprintf("post the closing comment on #%d (closed as %q, link to the rollup)", is.Number, label),
		Comment: &lifecycle.CommentSpec{EntryID: entryID + "-close", Body: p.ClosingComment}})

	// 4–6. One label edit, the close, the board archive.
	labels := pb.Add(lifecycle.Action{Kind: lifecycle.ActEditLabels, Audience: lifecycle.AudienceTracker, Item: item, Target: ref, DependsOn: []string{closing},
		Summary: labelSummary(is.Number, p.Labels), Labels: &p.Labels})
	closeID := pb.Add(lifecycle.Action{Kind: lifecycle.ActCloseIssue, Audience: lifecycle.AudienceTracker, Item: item, Target: ref, DependsOn: []string{labels},
		Summary: fmt.Sprintf("close #%d as not planned", is.Number), Close: &lifecycle.CloseSpec{Reason: "not_planned"}})
	if board {
		pb.Add(lifecycle.Action{Kind: lifecycle.ActArchiveBoard, Audience: lifecycle.AudienceTracker, Item: item, Target: ref, DependsOn: []string{closeID},
			Summary: fmt.Sprintf("archive the board item of #%d (never deleted: it stays searchable as precedent)", is.Number)})
	} else {
		p.Notes = append(p.Notes, boardNote)
	}
	if disp == Wontfix {
		p.Notes = append(p.Notes, "wontfix: the hardening goes to a public PR with no security wording and no CVE; run guard_check on its title, body and commit message")
	}
	p.Notes = append(p.Notes, "invalidate closes are tracked closes: nothing is recorded on the rejections ledger")
	pb.Audit("invalidate", map[string]string{"tracker": fmt.Sprint(is.Number), "disposition": string(disp)})
	pb.Plan.Notes = p.Notes
	return p, nil
}

// planDraft plans the reply to the reporter, when one is owed, and returns the
// draft action ids (none when no draft is planned) and the rollup's
// reporter-notification lines. A merged tracker records one thread per
// reporter (reply.OriginsOf): every other mail-imported reporter gets a reply
// of their own on their own thread, with its own draft key, the same canned
// response and reason, and never the other reporters' names.
func planDraft(ctx context.Context, d Deps, pb *lifecycle.PlanBuilder, p *Proposal, is lifecycle.Issue, cn *projects.Canned, reason string, in Input, item string, rollups []string) ([]string, string, error) {
	kind := ""
	if d.Backend.Mail != nil {
		kind = d.Backend.Mail.Kind()
	}
	id, line, err := planPrimaryDraft(ctx, d, pb, p, is, cn, reason, in, item, rollups, kind)
	if err != nil || p.Path != reply.PathMail || in.Silent {
		return idList(id), line, err
	}
	ids := idList(id)
	lines := []string{line}
	for _, o := range reply.OriginsOf(is.Body, kind)[1:] {
		oid, oline, err := planOtherDraft(ctx, d, pb, p, is, cn, reason, in, item, rollups, o)
		if err != nil {
			return nil, "", err
		}
		ids = append(ids, idList(oid)...)
		lines = append(lines, oline)
	}
	return ids, strings.Join(lines, "\n"), nil
}

func idList(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

// planPrimaryDraft plans the reply on the tracker's own reporter thread.
func planPrimaryDraft(ctx context.Context, d Deps, pb *lifecycle.PlanBuilder, p *Proposal, is lifecycle.Issue, cn *projects.Canned, reason string, in Input, item string, rollups []string, kind string) (string, string, error) {
	cfg := d.Config
	o := reply.OriginOf(is.Body, kind)
	p.Path, p.PathNote = o.Path, o.Note
	switch o.Path {
	case reply.PathPR:
		pb.Decide(item, "reporter draft", "none", "server", "PR-imported: the PR author is never contacted")
		return "", "Reporter notification: none — PR-imported tracker (the PR author is never contacted, per the credit policy).", nil
	case reply.PathMarkdown, reply.PathScan:
		pb.Decide(item, "reporter draft", "none", "server", "internal audit finding")
		return "", "Reporter notification: none owed — internal audit finding (" + string(o.Path) + " import).", nil
	}
	if in.Silent {
		pb.Decide(item, "reporter draft", "none (silent)", "agent", "")
		return "", "Reporter notification: none — closed silently by decision; no reply drafted.", nil
	}
	needSilent := func(why string) error {
		return fmt.Errorf("no reply to the reporter can be drafted: %s. Fix that, or pass silent: true to close without a reply (the rollup records why)", why)
	}
	if o.Path != reply.PathMail || o.ThreadID == "" {
		return "", "", needSilent(o.Note)
	}
	if d.Backend.Mail == nil {
		return "", "", needSilent("no mail backend is configured")
	}
	th, how, err := findThread(ctx, d.Backend.Mail, o, is)
	if err != nil {
		return "", "", err
	}
	if th.ID == "" {
		return "", "", needSilent(how)
	}
	if how != "" {
		p.Notes = append(p.Notes, how)
	}
	// The reporter gets one reply: a reply with this close's draft key that a
	// human already sent (an earlier, partly applied plan) is never drafted again.
	if day, key, ok := sentReply(th, p); ok {
		p.sentOn = day
		pb.Decide(item, "reporter draft", "none (already sent)", "server", "a reply with key "+key+" was sent on "+day)
		p.Notes = append(p.Notes, fmt.Sprintf("the reply to the reporter was already sent on %s (an earlier plan for this close was partly applied): no second reply is drafted", day))
		return "", fmt.Sprintf("Reporter notification: the reply on thread `%s` was sent on %s (draft key `%s`); no second reply drafted.", th.ID, day, key), nil
	}
	if cn == nil {
		return "", "", cannedMissing(cfg)
	}
	if _, err := placeholderValues(*cn, in.Placeholders); err != nil {
		return "", "", err
	}
	// Via-forwarder mode (spec §5.6, §17): the reply goes to the forwarder
	// contact, in the relay shape, as import's receipt did.
	credit := reporterCredit(is)
	fwd := reply.ForwarderOf(is.Body, rollups, cfg)
	relayed := strings.Contains(lifecycle.ParseBody(is.Body).Preamble(), lifecycle.MarkerRoutingViaForwarder) || (o.Relay && fwd.Adapter != "")
	if relayed {
		if fwd.Contact.Email == "" {
			return "", "", needSilent("the tracker is in via-forwarder mode, but " + fwd.Note)
		}
	} else if o.Relay {
		p.Notes = append(p.Notes, "the only recorded thread is a relay and the tracker names no forwarder: check the draft's recipient before sending")
	}
	prev, spec, note, err := composeReply(ctx, d, p, is, cn, reason, in, th, relayed, fwd, credit)
	if err != nil {
		return "", "", err
	}
	if spec == nil {
		return "", "", needSilent(note)
	}
	p.Draft = prev
	id := pb.Add(lifecycle.Action{Kind: lifecycle.ActCreateDraft, Audience: lifecycle.AudienceReporter, Item: item,
		Summary: fmt.Sprintf("draft the reply %q to %s on the reporter's thread (not sent)", cn.Name, prev.To), Draft: spec})
	pb.Decide(item, "canned response", cn.Name, "agent", "")
	msg := spec.Request.InReplyTo
	line := fmt.Sprintf("Reporter notification: draft `{{%s.draft_id}}` on thread `%s` at message `<%s>` awaits review in Drafts (not sent).", id, th.ID, msg)
	return id, line, nil
}

// planOtherDraft plans the reply on the thread of a reporter a merge added.
// What stops it (no thread in the mailbox, a relay with no forwarder contact,
// a thread the reply cannot go to) is a note and a rollup line, never a
// failed plan: the human replies to that reporter by hand.
func planOtherDraft(ctx context.Context, d Deps, pb *lifecycle.PlanBuilder, p *Proposal, is lifecycle.Issue, cn *projects.Canned, reason string, in Input, item string, rollups []string, o reply.Origin) (string, string, error) {
	cfg := d.Config
	who := reply.OneLine(o.Reporter)
	if who == "" {
		who = "a merged report's reporter"
	}
	byHand := func(why string) (string, string, error) {
		pb.Decide(item, "reporter draft for "+who, "none (by hand)", "server", why)
		p.Notes = append(p.Notes, fmt.Sprintf("no reply is drafted for %s (merged report): %s; reply to them by hand", who, why))
		return "", fmt.Sprintf("Reporter notification (%s, merged report): not drafted — %s; reply by hand.", who, why), nil
	}
	if d.Backend.Mail == nil {
		return byHand("no mail backend is configured")
	}
	th, how, err := findThread(ctx, d.Backend.Mail, o, is)
	if err != nil {
		return "", "", err
	}
	if th.ID == "" {
		return byHand(how)
	}
	if how != "" {
		p.Notes = append(p.Notes, how)
	}
	root, ok := th.Root()
	if !ok {
		return byHand(fmt.Sprintf("thread %s has no message", th.ID))
	}
	if o.Reporter == "" {
		if n := reply.OneLine(root.From.Name); n != "" && !strings.Contains(n, "@") {
			who = n
		}
	}
	if day, key, ok := sentReply(th, p); ok {
		pb.Decide(item, "reporter draft for "+who, "none (already sent)", "server", "a reply with key "+key+" was sent on "+day)
		p.Notes = append(p.Notes, fmt.Sprintf("the reply to %s was already sent on %s: no second reply is drafted", who, day))
		return "", fmt.Sprintf("Reporter notification (%s, merged report): the reply on thread `%s` was sent on %s (draft key `%s`); no second reply drafted.", who, th.ID, day, key), nil
	}
	if cn == nil {
		return "", "", cannedMissing(cfg)
	}
	// Routing is per reporter thread: relayed only when its own thread line
	// names a forwarder.
	var fwd reply.Forwarder
	credit := creditOf(o.Reporter)
	if o.Relay {
		fwd = reply.ForwarderOfOrigin(o, is.Body, rollups, cfg)
		if fwd.Contact.Email == "" {
			return byHand("relayed by forwarder " + o.Forwarder + ", but " + fwd.Note + ": reply through the forwarder by hand")
		}
	}
	prev, spec, note, err := composeReply(ctx, d, p, is, cn, reason, in, th, o.Relay, fwd, credit)
	if err != nil {
		return "", "", err
	}
	if spec == nil {
		return byHand(note)
	}
	p.OtherDrafts = append(p.OtherDrafts, prev)
	id := pb.Add(lifecycle.Action{Kind: lifecycle.ActCreateDraft, Audience: lifecycle.AudienceReporter, Item: item,
		Summary: fmt.Sprintf("draft the reply %q to %s on the thread of the merged report (not sent)", cn.Name, prev.To), Draft: spec})
	pb.Decide(item, "reporter draft for "+who, cn.Name, "server", "every reporter of a merged tracker is told on their own thread")
	line := fmt.Sprintf("Reporter notification (%s, merged report): draft `{{%s.draft_id}}` on thread `%s` at message `<%s>` awaits review in Drafts (not sent).", who, id, th.ID, spec.Request.InReplyTo)
	return id, line, nil
}

// sentReply finds a reply with this close's draft key that a human already
// sent on the thread: the day and the key.
func sentReply(th lifecycle.Thread, p *Proposal) (day, key string, ok bool) {
	root, ok := th.Root()
	if !ok {
		return "", "", false
	}
	key = replyKey(root, closeKey(p.Disposition, p.Canned))
	for _, m := range th.Messages {
		if !m.IsDraft && m.DraftKey == key {
			return m.Date.UTC().Format("2006-01-02"), key, true
		}
	}
	return "", "", false
}

func cannedMissing(cfg *projects.Config) error {
	names, _ := cfg.CannedResponses()
	var valid []string
	for _, c := range names {
		valid = append(valid, fmt.Sprintf("%q", c.Name))
	}
	return fmt.Errorf("name the canned response of the reply in `canned` (exact heading or slug; never invented or paraphrased): %s", strings.Join(valid, ", "))
}

// composeReply drafts the reply on one reporter thread: the canned response,
// the inline addition, the relay shape when relayed (to the forwarder
// contact), and the checks the executor repeats at apply. note says why no
// draft can be made when spec is nil.
func composeReply(ctx context.Context, d Deps, p *Proposal, is lifecycle.Issue, cn *projects.Canned, reason string, in Input, th lifecycle.Thread, relayed bool, fwd reply.Forwarder, credit string) (*reply.Preview, *lifecycle.DraftSpec, string, error) {
	cfg := d.Config
	values, err := placeholderValues(*cn, in.Placeholders)
	if err != nil {
		return nil, nil, "", err
	}
	req := reply.Request{Thread: th, Canned: *cn, Values: values, Purpose: replyPurpose + "-" + closeKey(p.Disposition, p.Canned)}
	if relayed {
		to := fwd.Contact
		req.To = &to
		values["REPORTER_NAME"] = "there"
		if f := strings.Fields(credit); len(f) > 0 {
			values["REPORTER_NAME"] = f[0]
		}
	}
	prev, spec, note, err := reply.Compose(ctx, d.Backend.Mail, cfg, req)
	if err != nil || spec == nil {
		return nil, nil, note, err
	}
	body := spec.Request.Body
	if reason != "" {
		body = insertBeforeSignOff(body, "> **[Inline addition for this report]**\n>\n"+quoteLines(reason))
	}
	if relayed {
		body = reply.AddressingBlock(fwd.Contact, lifecycle.Address{Name: credit}, nil, body, cfg.Project.Name, signer(cfg, d.Operator))
		prev.Canned += " (relayed via " + fwd.Adapter + ")"
		p.Notes = append(p.Notes, fmt.Sprintf("via forwarder %s: the reply goes to %s on the relay thread, in the relay shape (%s); keep it short and reference the external id, not the technical detail", fwd.Adapter, reply.FormatAddress(fwd.Contact), fwd.Note))
	}
	spec.Request.Body, prev.Body = body, body
	if hits := trackerMentions(spec.Request.Subject+"\n"+spec.Request.Body, cfg.Repos.Tracker); len(hits) > 0 {
		return nil, nil, "", fmt.Errorf("the reply to the reporter must not mention the private tracker (found %s): remove it from `reason` or `placeholders`", strings.Join(hits, ", "))
	}
	// What the reply must never carry: the reporter's own CVSS/CWE, and the
	// credits, names and addresses of the tracker's other reporters. The
	// executor re-checks the list at apply (DraftSpec.Avoid).
	root, _ := th.Root()
	own, ownEmail := root.From.Name, root.From.Email
	if own == "" {
		own = root.From.Email
	}
	if relayed {
		own, ownEmail = credit, "" // the root is the relay's; the reporter is the credited one
	}
	avoid := reporterAvoid(is, root, own, ownEmail, cn.Body)
	if hits := avoidHits(spec.Request.Subject+"\n"+spec.Request.Body, avoid); len(hits) > 0 {
		return nil, nil, "", fmt.Errorf("the reply to the reporter must not carry %s: remove it from `reason` or `placeholders`", strings.Join(hits, "; "))
	}
	spec.Avoid = avoidTexts(avoid)
	if hits := lifecycle.DraftPolicyHits(d.Guard, *spec); len(hits) > 0 {
		return nil, nil, "", fmt.Errorf("the reply would carry text the reporter rules forbid (%s): change `reason` or `placeholders`", strings.Join(hits, "; "))
	}
	return prev, spec, "", nil
}

// teamRollups are the bodies of the status rollups the team (or the
// operator) wrote: the import's "Relayed via forwarder" line is read there
// only, never from anyone else's comment.
func teamRollups(comments []lifecycle.Comment, team map[string]bool) []string {
	var out []string
	for _, c := range lifecycle.FindRollups(comments) {
		if team[strings.ToLower(c.Author)] {
			out = append(out, c.Body)
		}
	}
	return out
}

// reporterCredit is the credited reporter (the first credit line), "" when
// none is recorded.
func reporterCredit(is lifecycle.Issue) string {
	v, _ := lifecycle.ParseBody(is.Body).Get(lifecycle.FieldCredit)
	lines := nonEmpty(v)
	if len(lines) == 0 {
		return ""
	}
	return creditOf(lines[0])
}

// creditOf is a credited reporter's name on one line, "" when the line is a
// placeholder or holds an address.
func creditOf(line string) string {
	l := reply.OneLine(line)
	if l == "" || strings.HasPrefix(l, "_") || strings.ContainsAny(l, "@<`") || strings.EqualFold(l, "TBD") || strings.HasPrefix(strings.ToLower(l), "n/a") {
		return ""
	}
	return l
}

// signer signs relayed drafts: the operator's roster name, else the team.
func signer(cfg *projects.Config, operator string) string {
	if m, ok := cfg.MemberByHandle(operator); ok && m.Name != "" {
		return m.Name
	}
	return "The " + cfg.Project.Name + " security team"
}

// signOffRE matches the first line of a canned response's closing paragraph.
var signOffRE = regexp.MustCompile(`(?i)^(?:best(?: regards| wishes)?|kind regards|warm regards|regards|many thanks|thanks(?: again)?|thank you|cheers|sincerely|yours(?: sincerely)?)[,.!]?$`)

// insertBeforeSignOff places the inline addition before the canned
// response's sign-off ("Best regards,\nThe … security team"), so the reply
// reads as one letter; with no recognisable sign-off it goes at the end.
func insertBeforeSignOff(text, block string) string {
	text = strings.TrimRight(text, "\n")
	paras := strings.Split(text, "\n\n")
	last := paras[len(paras)-1]
	first, _, _ := strings.Cut(strings.TrimSpace(last), "\n")
	if len(paras) > 1 && signOffRE.MatchString(strings.TrimSpace(first)) {
		return strings.Join(paras[:len(paras)-1], "\n\n") + "\n\n" + block + "\n\n" + last
	}
	return text + "\n\n" + block
}

// replyPurpose prefixes the reply's draft key (reply.Request.Purpose).
const replyPurpose = "invalidate"

// replyKey is the draft key of the reply of one close on a thread (as
// reply.Compose builds it).
func replyKey(root lifecycle.Message, close string) string {
	return replyPurpose + "-" + close + ":" + lifecycle.NormalizeMessageID(root.MessageID)
}

// closeKey names one close of a tracker: its disposition and canned response.
// The same close proposed again reuses every id; another close (after a
// reopen) does not.
func closeKey(disp Disposition, canned string) string {
	sum := sha256.Sum256([]byte(string(disp) + "\x00" + canned))
	return hex.EncodeToString(sum[:4])
}

// closeEntryID is the rollup entry id of one close of tracker n.
func closeEntryID(n int, disp Disposition, canned string) string {
	return fmt.Sprintf("invalidate-%d-%s", n, closeKey(disp, canned))
}

// findThread reads the reply thread. A thread id the mailbox does not know (a
// Gmail id recorded by another mailbox, or a mailbox migration) falls back to
// the thread whose root Message-ID the tracker recorded.
func findThread(ctx context.Context, m lifecycle.Mail, o reply.Origin, is lifecycle.Issue) (lifecycle.Thread, string, error) {
	err := lifecycle.ErrNotFound
	if o.ThreadID != "" { // a merged reporter's line may record only the root Message-ID
		var th lifecycle.Thread
		if th, err = m.ReadThread(ctx, o.ThreadID); err == nil {
			return th, "", nil
		}
	}
	if !errors.Is(err, lifecycle.ErrNotFound) {
		return lifecycle.Thread{}, "", fmt.Errorf("reading the reporter's thread %s: %w", o.ThreadID, err)
	}
	if o.RootMessageID == "" {
		return lifecycle.Thread{}, fmt.Sprintf("thread %s is not in the mailbox and the tracker records no root Message-ID", o.ThreadID), nil
	}
	since := is.CreatedAt.AddDate(0, 0, -30)
	list, err := m.ListThreads(ctx, since)
	if err != nil {
		return lifecycle.Thread{}, "", fmt.Errorf("looking for the reporter's thread by its root Message-ID: %w", err)
	}
	want := lifecycle.NormalizeMessageID(o.RootMessageID)
	for _, s := range list {
		if lifecycle.NormalizeMessageID(s.RootMessageID) == want {
			th, err := m.ReadThread(ctx, s.ID)
			if err != nil {
				return lifecycle.Thread{}, "", fmt.Errorf("reading the reporter's thread %s: %w", s.ID, err)
			}
			return th, fmt.Sprintf("thread %s is not in this mailbox; replying on thread %s, whose root Message-ID <%s> the tracker records", o.ThreadID, s.ID, want), nil
		}
	}
	return lifecycle.Thread{}, fmt.Sprintf("thread %s is not in the mailbox, and no thread since %s has the root Message-ID <%s>", o.ThreadID, since.UTC().Format("2006-01-02"), want), nil
}

// placeholderValues checks the agent's placeholder values: only placeholders
// the canned response has, never the ones the server fills from the thread and
// the configuration.
func placeholderValues(cn projects.Canned, in map[string]string) (map[string]string, error) {
	server := []string{"REPORTER_NAME", "WINDOW_DAYS", "PROJECT_NAME", "PRODUCT_NAME", "SECURITY_MODEL_URL", "SECURITY_LIST"}
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		switch {
		case slices.Contains(server, k):
			return nil, fmt.Errorf("placeholder %s is filled by the server (from the thread and the project configuration); leave it out", k)
		case !slices.Contains(cn.Placeholders, k):
			return nil, fmt.Errorf("canned response %q has no placeholder %s (it has: %s)", cn.Name, k, strings.Join(cn.Placeholders, ", "))
		case strings.TrimSpace(in[k]) == "":
			return nil, fmt.Errorf("placeholder %s has an empty value", k)
		}
		out[k] = in[k]
	}
	return out, nil
}

// trackerMentions returns references to the private tracker (its slug, URLs,
// "<name>#N") found in text bound for the reporter.
func trackerMentions(text, repo string) []string {
	var out []string
	for _, h := range scrub.CheckPublic(text, scrub.Rules{TrackerRepo: repo}) {
		if h.Rule == scrub.RuleTracker {
			out = append(out, fmt.Sprintf("%q", h.Match))
		}
	}
	return out
}

func quoteLines(s string) string {
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			lines[i] = ">"
		} else {
			lines[i] = "> " + strings.TrimRight(l, " \t")
		}
	}
	return strings.Join(lines, "\n")
}

// MatchQuotes finds each quote in a comment by its author, who must be on the
// security team: reasoning is quoted verbatim from the team, never invented,
// and never taken from a non-collaborator. Whitespace and invisible characters
// do not count; everything else must match exactly.
func MatchQuotes(qs []Quote, comments []lifecycle.Comment, team map[string]bool) ([]QuoteView, error) {
	if len(qs) > MaxQuotes {
		return nil, fmt.Errorf("%d quotes: give the %d most load-bearing at most", len(qs), MaxQuotes)
	}
	var out []QuoteView
	for i, q := range qs {
		author := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Author), "@"))
		text := squash(q.Text)
		switch {
		case author == "":
			return nil, fmt.Errorf("quote %d has no author: give the handle of the team member who wrote it", i+1)
		case text == "":
			return nil, fmt.Errorf("quote %d is empty", i+1)
		case !team[author]:
			return nil, fmt.Errorf("quote %d: @%s is not a collaborator of the tracker (the security team); only team comments are quoted as reasoning", i+1, author)
		}
		found := false
		for _, c := range comments {
			if strings.EqualFold(c.Author, author) && !lifecycle.IsSkillAuthored(c.Body) && strings.Contains(squash(c.Body), text) {
				clean, _ := untrusted.Clean(strings.TrimSpace(q.Text))
				out = append(out, QuoteView{Author: c.Author, Text: clean, URL: c.URL})
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("quote %d is not in any comment by @%s on the tracker: quote verbatim (tracker_get shows the comments)", i+1, author)
		}
	}
	return out, nil
}

func squash(s string) string {
	c, _ := untrusted.Clean(s)
	return strings.Join(strings.Fields(c), " ")
}

var agreementRE = regexp.MustCompile(`(?i)(?:^|[^a-z])(?:agree[ds]?|concur|confirmed|lgtm)(?:[^a-z]|$)|\+1`)

// FindConsensus reads the latest triage proposal on the tracker and the later
// team comments that agree with it (spec §10.2): a comment by a collaborator
// other than the proposer containing agree, concur, +1, confirmed or LGTM.
// After a re-triage (the proposal comment edited in place) only comments
// created at or after its marker's at= time count.
// Reactions are not read (the ports do not expose them).
func FindConsensus(comments []lifecycle.Comment, team map[string]bool) Consensus {
	var c Consensus
	at := -1
	var since time.Time
	for i, cm := range comments {
		if class, ok := lifecycle.TriageProposalDisposition(cm.Body); ok && team[strings.ToLower(cm.Author)] {
			c = Consensus{ProposalURL: cm.URL, ProposedBy: cm.Author, Class: class, DecidingURL: cm.URL}
			at = i
			// A re-triage edits the proposal comment in place: its marker's
			// at= is when the current class was proposed, and only comments
			// from then on can agree with it.
			since = time.Time{}
			if meta, ok := lifecycle.ParseTriageProposalMarker(cm.Body); ok {
				since = meta.At
			}
		}
	}
	if at < 0 {
		c.Note = "no triage proposal by the team on the tracker: close only after the team agreed (step 5)"
		return c
	}
	for _, cm := range comments[at+1:] {
		a := strings.ToLower(cm.Author)
		if !since.IsZero() && cm.CreatedAt.Before(since) {
			continue // it answered an earlier proposal in the same comment
		}
		if team[a] && !strings.EqualFold(cm.Author, c.ProposedBy) && !lifecycle.IsSkillAuthored(cm.Body) && agreementRE.MatchString(cm.Body) {
			if !slices.Contains(c.AgreedBy, cm.Author) {
				c.AgreedBy = append(c.AgreedBy, cm.Author)
			}
			c.DecidingURL = cm.URL
		}
	}
	if len(c.AgreedBy) == 0 {
		c.Note = fmt.Sprintf("triage proposal %s by @%s has no agreeing team comment yet: close only after another team member agreed", c.Class, c.ProposedBy)
		return c
	}
	c.Note = fmt.Sprintf("triage proposal %s by @%s, agreed by @%s", c.Class, c.ProposedBy, strings.Join(c.AgreedBy, ", @"))
	return c
}

// classFits reports whether a triage class leads to the disposition (spec §9.6).
func classFits(class string, d Disposition) bool {
	switch strings.ToUpper(strings.TrimSpace(class)) {
	case "INVALID", "FIX-ALREADY-PUBLIC":
		return d == Invalid || d == NotCVEWorthy
	case "DEFENSE-IN-DEPTH":
		return d == Wontfix
	case "INFO-ONLY":
		return d == InfoOnly || d == Invalid
	}
	return false
}

func injectionFlags(is lifecycle.Issue, comments []lifecycle.Comment, team map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(where string, fs []untrusted.Finding) {
		for _, f := range fs {
			line := where + ": " + f.Reason
			if !seen[line] {
				seen[line] = true
				out = append(out, line)
			}
		}
	}
	add("tracker title", untrusted.DetectInjection(is.Title))
	add("tracker body (reporter text)", untrusted.DetectInjection(is.Body))
	for _, c := range comments {
		if !team[strings.ToLower(c.Author)] {
			add(fmt.Sprintf("comment %d by @%s (not on the team)", c.ID, c.Author), untrusted.DetectInjection(c.Body))
		}
	}
	return out
}

// boardState reports whether the tracker has a board item to archive, and the
// rollup's board line.
func boardState(ctx context.Context, t lifecycle.Tracker, cfg *projects.Config, n int) (bool, string) {
	if !cfg.Board.Enabled {
		return false, "Project board: not configured."
	}
	item, err := t.BoardItem(ctx, n)
	switch {
	case errors.Is(err, lifecycle.ErrUnsupported):
		return false, "Project board: not configured."
	case err != nil && !errors.Is(err, lifecycle.ErrNotFound):
		return true, "Project board: the item is archived by this apply, after the close."
	case err != nil || !item.OnBoard:
		return false, "Project board: the tracker is not on the board; nothing to archive."
	case item.Archived:
		return false, "Project board: the item is already archived."
	}
	return true, fmt.Sprintf("Project board: the item (column %s) is archived by this apply, after the close.", item.Column)
}

func labelSummary(n int, s lifecycle.LabelSpec) string {
	var parts []string
	if len(s.Add) > 0 {
		parts = append(parts, "add "+strings.Join(quoteAll(s.Add), ", "))
	}
	if len(s.Remove) > 0 {
		parts = append(parts, "remove "+strings.Join(quoteAll(s.Remove), ", "))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("labels of #%d are already as planned", n)
	}
	return fmt.Sprintf("on #%d, in one edit: %s (the marker label stays)", n, strings.Join(parts, "; "))
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("`%s`", s)
	}
	return out
}

func decidedBy(c Consensus) string {
	if c.DecidingURL == "" {
		return "by team decision"
	}
	return fmt.Sprintf("per team consensus ([deciding comment](%s))", c.DecidingURL)
}

func rollupBody(disp Disposition, label, day string, p *Proposal, cn *projects.Canned, reason, notification, boardNote string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Closed as `%s` on %s** %s.\n\n", label, day, decidedBy(p.Consensus))
	switch disp {
	case Wontfix:
		b.WriteString("- Disposition: defense in depth (`wontfix`): not a CVE; the hardening is welcome as a public PR with no security wording.\n")
	case InfoOnly:
		fmt.Fprintf(&b, "- Disposition: informational (closed as `%s`): the canned response answers the report.\n", label)
	default:
		fmt.Fprintf(&b, "- Disposition: `%s`.\n", label)
	}
	if p.Consensus.ProposalURL != "" {
		fmt.Fprintf(&b, "- Triage: %s ([proposal](%s)).\n", p.Consensus.Note, p.Consensus.ProposalURL)
	}
	var changes []string
	if len(p.Labels.Add) > 0 {
		changes = append(changes, "added "+strings.Join(quoteAll(p.Labels.Add), ", "))
	}
	if len(p.Labels.Remove) > 0 {
		changes = append(changes, "removed "+strings.Join(quoteAll(p.Labels.Remove), ", "))
	}
	if len(changes) > 0 {
		fmt.Fprintf(&b, "- Labels: %s; the marker label stays. Closed as not planned.\n", strings.Join(changes, "; "))
	} else {
		b.WriteString("- Labels unchanged. Closed as not planned.\n")
	}
	switch {
	case cn != nil && (p.Draft != nil || len(p.OtherDrafts) > 0):
		fmt.Fprintf(&b, "- Canned response of the reply: %q (`%s`).\n", cn.Name, cn.Slug)
	case cn != nil && disp == InfoOnly:
		fmt.Fprintf(&b, "- Canned response that answers it: %q (`%s`); no reply drafted.\n", cn.Name, cn.Slug)
	}
	if reason != "" {
		b.WriteString("- Reason: " + strings.Join(strings.Fields(reason), " ") + "\n")
	}
	if len(p.Quotes) > 0 {
		b.WriteString("\nReasoning quotes:\n")
		for _, q := range p.Quotes {
			fmt.Fprintf(&b, "\n@%s ([comment](%s)):\n%s\n", q.Author, q.URL, quoteLines(q.Text))
		}
	}
	b.WriteString("\n" + notification + "\n")
	b.WriteString(boardNote + "\n\n")
	if disp == Wontfix {
		b.WriteString("**Next:** the hardening as a public PR with no security wording (run `guard_check` first); no CVE. Nothing more on this tracker.")
	} else {
		b.WriteString("**Next:** none — terminal disposition.")
	}
	return b.String()
}

func closingComment(disp Disposition, label string, p *Proposal, cn *projects.Canned, rollupURL string) string {
	var b strings.Builder
	switch disp {
	case Wontfix:
		fmt.Fprintf(&b, "Closed as `%s` (defense in depth) %s: not a CVE; the hardening is welcome as a public PR with no security wording.", label, decidedBy(p.Consensus))
	case InfoOnly:
		fmt.Fprintf(&b, "Closed as `%s` (informational: the canned response %q answers it) %s.", label, cn.Name, decidedBy(p.Consensus))
	default:
		fmt.Fprintf(&b, "Closed as `%s` %s.", label, decidedBy(p.Consensus))
	}
	fmt.Fprintf(&b, " The reasoning is in the [status rollup](%s).\n\n", rollupURL)
	switch {
	case len(p.OtherDrafts) > 0:
		b.WriteString("Draft replies to the reporters, one per reporter thread of this merged tracker, await review in Drafts (not sent).")
	case p.Draft != nil:
		b.WriteString("A draft reply to the reporter awaits review in Drafts (not sent).")
	case p.sentOn != "":
		b.WriteString("The reply to the reporter was sent on " + p.sentOn + ".")
	case p.Path == reply.PathPR:
		b.WriteString("No reporter notification: the tracker was opened from a public PR, and the PR author is never contacted (credit policy).")
	case p.Path == reply.PathMarkdown || p.Path == reply.PathScan:
		b.WriteString("No reporter notification owed: internal audit finding.")
	default:
		b.WriteString("No reporter notification: closed silently by decision.")
	}
	return b.String()
}
