package escalate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vulnsteward/vulnsteward/policy/scrub"
	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
	"github.com/vulnsteward/vulnsteward/skills/triage"
)

// escalation builds one tracker's escalation: its drafts and rollup entry, or,
// for phase 2 without the agent's text, the brief to write it from.
func (r *run) escalation(ctx context.Context, item string, is lifecycle.Issue, d due, m Message) (Escalation, error) {
	cfg := r.cfg
	title := oneLineTitle(is.Title)
	e := Escalation{Item: item, Number: is.Number, URL: is.URL, Title: untrusted.Wrap("tracker title", title), Phase: d.phase,
		DaysStalled: d.state.DaysStalled, StallBasis: d.basis, Phase1: d.phase1}
	if d.phase == 2 && d.thread == nil && d.origin.Path == reply.PathMail {
		e.Notes = append(e.Notes, "the reporter's thread was not read, so it was not checked for a response to phase 1")
	}
	if d.phase == 2 && d.escalationNote != "" {
		e.Notes = append(e.Notes, d.escalationNote)
	}
	var teamText, subject, textBy string
	var reviewers []projects.Member
	switch d.phase {
	case 1:
		if len(m.Reviewers) > 0 {
			return e, errors.New("reviewers are for phase 2: phase 1 is a bare call for ideas that tags nobody")
		}
		teamText, textBy = phase1Text(cfg, is, title, d.state.DaysStalled), "server"
		if strings.TrimSpace(m.Text) != "" {
			t, err := checkPhase1(cfg, m.Text)
			if err != nil {
				return e, fmt.Errorf("phase-1 text refused, nothing planned: %w", err)
			}
			teamText, textBy = t, "agent"
		}
		subject = Phase1Subject(title)
		e.Next = fmt.Sprintf("after the drafts are sent: if nobody responds for %d days, propose phase 2", phase2Days(cfg))
	case 2:
		c, err := r.g.Gather(ctx, is)
		if err != nil {
			return e, err
		}
		suggested := r.g.Suggest(c)
		if len(m.Reviewers) > 0 {
			members, err := triage.ValidateMentions(cfg, r.team, r.d.Operator, m.Reviewers)
			if err != nil {
				return e, fmt.Errorf("reviewers refused, nothing planned: %w", err)
			}
			reviewers = members
			for _, mm := range members {
				e.Reviewers = append(e.Reviewers, triage.Suggestion{Handle: mm.Handle, Name: mm.Name, Why: "chosen by the agent"})
			}
		} else {
			e.Reviewers = suggested
			for _, s := range suggested {
				if mm, ok := cfg.MemberByHandle(s.Handle); ok {
					reviewers = append(reviewers, mm)
				}
			}
		}
		if strings.TrimSpace(m.Text) == "" {
			e.Brief = brief(c, r)
			e.Needs = "text: draft the design-space analysis from the brief (" + Outline + ")"
			if len(reviewers) == 0 {
				e.Needs += "; reviewers: the routing found nobody, name 1-3 team handles"
			}
			e.Next = "draft the analysis with the human, then propose again with `messages` (number, text, optional reviewers)"
			return e, nil
		}
		if len(reviewers) == 0 {
			return e, errors.New("no reviewer matched the routing: pass `reviewers` with one to three team handles the human confirmed")
		}
		t, err := checkPhase2(cfg, m.Text)
		if err != nil {
			return e, fmt.Errorf("phase-2 text refused, nothing planned: %w", err)
		}
		teamText, textBy = t+"\n\n"+phase2Footer(is, reviewers), "agent"
		subject = "Design options for a stalled report: " + title
		e.Next = "await responses on the lists and the tracker; land the consensus (sync, invalidate or deduplicate) when it converges"
	}
	r.pb.Decide(item, "phase", fmt.Sprint(d.phase), "server", d.basis)
	r.pb.Decide(item, fmt.Sprintf("phase-%d text", d.phase), map[string]string{"server": "the server's bare template", "agent": "the agent's text"}[textBy], textBy, "")
	if d.phase == 2 {
		var hs []string
		for _, s := range e.Reviewers {
			hs = append(hs, "@"+s.Handle)
		}
		by := "server"
		if len(m.Reviewers) > 0 {
			by = "agent"
		}
		r.pb.Decide(item, "reviewers", strings.Join(hs, " "), by, "mention routing (spec §9.7)")
	}

	target := r.pb.Saw(is)
	var deps []string
	var lines []string
	addTeamDraft := func(audience, addr string, cc []lifecycle.Address) {
		req := lifecycle.DraftRequest{To: []lifecycle.Address{{Email: addr}}, Cc: append([]lifecycle.Address{{Email: cfg.Lists.Security}}, cc...),
			Subject: subject, Body: teamText, Key: DraftKey(d.phase, audience, is)}
		id := r.pb.Add(lifecycle.Action{Kind: lifecycle.ActCreateDraft, Audience: lifecycle.AudienceTeam, Item: item,
			Summary: fmt.Sprintf("draft the phase-%d escalation of #%d to %s (new thread, not sent)", d.phase, is.Number, addr), Draft: &lifecycle.DraftSpec{Request: req}})
		deps, e.Actions = append(deps, id), append(e.Actions, id)
		lines = append(lines, fmt.Sprintf("%s `{{%s.draft_id}}`", addr, id))
		var ccs []string
		for _, a := range req.Cc {
			ccs = append(ccs, a.Email)
		}
		e.Drafts = append(e.Drafts, DraftPreview{Audience: audience, To: addr, Cc: ccs, Subject: subject, Body: teamText})
	}
	if cfg.Lists.Private != "" {
		var cc []lifecycle.Address
		for _, m := range reviewers {
			if len(m.Emails) > 0 {
				cc = append(cc, lifecycle.Address{Name: m.Name, Email: m.Emails[0]})
			}
		}
		addTeamDraft("private-list", cfg.Lists.Private, cc)
	} else {
		e.skip("the private list", "no private list is configured ([lists] private)")
	}
	foundation := cfg.Lists.Foundation
	if foundation == "" {
		foundation = cfg.Governance.EscalationContact
	}
	switch {
	case foundation == "":
		e.skip("the foundation security team", "no foundation security address is configured ([lists] foundation_security or [governance] escalation_contact)")
	case strings.EqualFold(foundation, cfg.Lists.Private):
		e.skip("the foundation security team", "its address is the private list's, which already gets a draft")
	default:
		addTeamDraft("foundation-security", foundation, nil)
	}

	reporterLine, err := r.reporterDraft(ctx, item, is, d, &e, &deps)
	if err != nil {
		return e, err
	}
	entry := r.entry(is, d, lines, e.Reviewers, reporterLine)
	e.Actions = append(e.Actions, r.pb.Add(lifecycle.Action{Kind: lifecycle.ActRollupEntry, Audience: lifecycle.AudienceTracker, Item: item,
		Target: target, DependsOn: deps, Summary: fmt.Sprintf("record the phase-%d escalation in the status rollup of %s#%d", d.phase, is.Repo, is.Number),
		Comment: &lifecycle.CommentSpec{Entry: &entry}}))
	return e, nil
}

// reporterDraft plans the reporter's copy: a fixed short note on the original
// thread (no tracker contents, no analysis), or says why there is none.
func (r *run) reporterDraft(ctx context.Context, item string, is lifecycle.Issue, d due, e *Escalation, deps *[]string) (string, error) {
	cfg := r.cfg
	o := d.origin
	switch {
	case o.Path != reply.PathMail:
		why := o.Note
		if why == "" {
			why = "no reporter thread is recorded"
		}
		e.skip("the reporter", why)
		return "No reporter notification: " + why + ".", nil
	case o.Relay:
		e.skip("the reporter", "the only recorded thread is a relay; ask for additional information through the relay by hand if needed")
		return "No reporter notification: relayed report (the relay forwards only milestone messages).", nil
	case d.thread == nil:
		why := d.note
		if why == "" {
			why = "the reporter's thread could not be read"
		}
		e.skip("the reporter", why)
		return "Reporter not notified: " + why + "; send the reporter a short status note by hand.", nil
	}
	body := reporterText(cfg, d.phase)
	cn := projects.Canned{Name: fmt.Sprintf("Step 4 escalation, phase %d (reporter copy)", d.phase), Body: body, Placeholders: projects.Placeholders(body)}
	preview, spec, note, err := reply.Compose(ctx, r.d.Backend.Mail, cfg, reply.Request{Thread: *d.thread, Canned: cn, Purpose: fmt.Sprintf("escalation-phase%d", d.phase)})
	if err != nil {
		return "", fmt.Errorf("composing the reporter's copy: %w", err)
	}
	if spec == nil {
		e.skip("the reporter", note)
		return "Reporter not notified: " + note + ".", nil
	}
	id := r.pb.Add(lifecycle.Action{Kind: lifecycle.ActCreateDraft, Audience: lifecycle.AudienceReporter, Item: item,
		Summary: fmt.Sprintf("draft the phase-%d status note to the reporter %s on the original thread (not sent)", d.phase, preview.To), Draft: spec})
	*deps, e.Actions = append(*deps, id), append(e.Actions, id)
	e.Drafts = append(e.Drafts, DraftPreview{Audience: "reporter", To: preview.To, Cc: preview.Cc, Subject: preview.Subject, Body: preview.Body, Attached: true})
	return fmt.Sprintf("Reporter notification pending: draft `{{%s.draft_id}}` on the original thread awaits review in Drafts (not sent).", id), nil
}

// entry is the phase's status-rollup entry (spec/intake.md §16 "Recording").
func (r *run) entry(is lifecycle.Issue, d due, drafts []string, reviewers []triage.Suggestion, reporterLine string) lifecycle.RollupEntry {
	today := day(r.now)
	var b strings.Builder
	if d.phase == 1 {
		fmt.Fprintf(&b, "**Step 4 escalation, phase 1 (call for ideas), %s.**\n\n", today)
	} else {
		fmt.Fprintf(&b, "**Step 4 escalation, phase 2 (design-space analysis), %s.**\n\n", today)
	}
	fmt.Fprintf(&b, "- Stall: %s, counted from the tracker's comments by the security team (collaborators and the operator).\n", d.basis)
	if d.phase1 != nil {
		fmt.Fprintf(&b, "- Phase 1 went out on %s and got no response.\n", day(d.phase1.At))
	}
	if len(drafts) > 0 {
		fmt.Fprintf(&b, "- Drafts (not sent; a human reviews and sends them): %s.\n", strings.Join(drafts, "; "))
	}
	if d.phase == 1 {
		b.WriteString("- Deliberately bare: no analysis and no fix options, so the wider audience is not anchored.\n")
		fmt.Fprintf(&b, "\n**Next:** if nobody responds by %s, propose phase 2 (design-space analysis) with `escalate_propose`.\n\n", day(r.now.AddDate(0, 0, phase2Days(r.cfg))))
	} else {
		var hs []string
		for _, s := range reviewers {
			hs = append(hs, "@"+s.Handle)
		}
		fmt.Fprintf(&b, "- Reviewers asked: %s.\n", strings.Join(hs, " "))
		b.WriteString("\n**Next:** await responses; land the consensus (sync, invalidate or deduplicate) when the discussion converges.\n\n")
	}
	b.WriteString(reporterLine + "\n\n")
	b.WriteString(PhaseLine(d.phase, r.now))
	return lifecycle.RollupEntry{Date: today, Handle: r.d.Operator, Action: Action, Body: b.String(), ID: EntryID(d.phase)}
}

func phase2Days(cfg *projects.Config) int {
	if cfg.Disclosure.StallPhase2Days > 0 {
		return cfg.Disclosure.StallPhase2Days
	}
	return 7
}

// maxTitleRunes keeps mail subjects short.
const maxTitleRunes = 100

func oneLineTitle(s string) string {
	s, _ = untrusted.Clean(s)
	s = reply.OneLine(s)
	if r := []rune(s); len(r) > maxTitleRunes {
		s = string(r[:maxTitleRunes-1]) + "…"
	}
	return s
}

// phase1Text is the server's bare call for ideas: that the report exists, for
// how long it has been quiet, and a request for input; nothing else.
func phase1Text(cfg *projects.Config, is lifecycle.Issue, title string, days int) string {
	name := cfg.Project.Name
	return fmt.Sprintf(`Hello,

The %[1]s security team has had a report under discussion since %[2]s: "%[3]s" (%[4]s; the tracker is private and the link is only an identifier).

The discussion has been quiet for %[5]d days, and we have not reached a conclusion on whether this is a vulnerability or on how it should be fixed.

We would welcome fresh ideas from anyone who knows this area. Please reply to this message, or comment on the tracker if you have access.

Thank you,
The %[1]s security team`, name, day(is.CreatedAt), title, is.URL, days)
}

func phase2Footer(is lifecycle.Issue, reviewers []projects.Member) string {
	var names []string
	for _, m := range reviewers {
		names = append(names, fmt.Sprintf("%s (@%s)", m.Name, m.Handle))
	}
	return fmt.Sprintf("Reviewers asked to weigh in: %s.\n\nTracker: %s (private; the link is only an identifier).", strings.Join(names, ", "), is.URL)
}

// reporterText is the reporter's copy: what is happening, what comes next.
func reporterText(cfg *projects.Config, phase int) string {
	middle := "We have not yet reached a conclusion on your report. To move it forward, we have asked a wider group of experts for their input, and we will come back to you on this thread.\n\nIf you have anything to add in the meantime, such as another way to trigger the issue or the deployments you expect to be affected, please reply here."
	if phase == 2 {
		middle = "Your report is still under discussion. We have shared an analysis of the possible ways to address it with a wider group of reviewers, and we will let you know on this thread what we decide.\n\nThank you for your patience."
	}
	return "Hello REPORTER_NAME,\n\n" + middle + "\n\nBest regards,\nThe " + cfg.Project.Name + " security team"
}

var (
	listLineRE    = regexp.MustCompile(`(?m)^\s*([-*+•]|\d+[.)]|[A-Ca-c][.)])\s`)
	analysisRE    = regexp.MustCompile(`(?im)^\s*#|\boption\s+[a-c1-3]\b|\btl;?dr\b|\bwe (propose|recommend|suggest)\b|\bproposed fix\b`)
	tldrRE        = regexp.MustCompile(`(?i)\btl;?dr\b`)
	optionRE      = regexp.MustCompile(`(?im)^\W*option\s+([a-c1-3])\b`)
	openQuestions = regexp.MustCompile(`(?i)\bopen (design )?questions?\b`)
	blankLineRE   = regexp.MustCompile(`\n[ \t]*\n`)
)

// cleanText cleans the agent's text and applies the checks every outgoing
// escalation text shares: within the size, no HTML comments, no other
// project named (spec/intake.md §14.6).
func cleanText(cfg *projects.Config, s string, maxRunes int) (string, error) {
	s, _ = untrusted.Clean(s)
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", fmt.Errorf("the text is %d characters; keep it under %d", n, maxRunes)
	}
	if strings.Contains(s, "<!--") {
		return "", errors.New("the text contains an HTML comment: mail drafts are plain text")
	}
	for _, h := range scrub.CheckPublic(s, scrub.Rules{OtherProjects: cfg.PublicGuard.OtherProjects}) {
		if h.Rule == scrub.RuleOtherProject || h.Rule == scrub.RuleCrossProject {
			return "", fmt.Errorf("the text names another project (%q): never name or describe another project's vulnerability; rephrase", h.Match)
		}
	}
	return s, nil
}

// checkPhase1 enforces the bareness of the phase-1 call for ideas (best
// effort: a rule cannot recognise every analysis, a human still reads it).
func checkPhase1(cfg *projects.Config, s string) (string, error) {
	s, err := cleanText(cfg, s, 1500)
	if err != nil {
		return "", err
	}
	if n := len(blankLineRE.Split(s, -1)); n > 6 {
		return "", fmt.Errorf("%d paragraphs: phase 1 is 3-4 short paragraphs (plus greeting and sign-off)", n)
	}
	if listLineRE.MatchString(s) {
		return "", errors.New("phase 1 is deliberately bare: no lists of options, steps or findings")
	}
	if m := analysisRE.FindString(s); m != "" {
		return "", fmt.Errorf("phase 1 is deliberately bare (no analysis, no proposed fix or options), but the text has %q: keep it to the report existing and a request for input", strings.TrimSpace(m))
	}
	return s, nil
}

// checkPhase2 checks the design-space analysis has the required structure.
func checkPhase2(cfg *projects.Config, s string) (string, error) {
	s, err := cleanText(cfg, s, 12000)
	if err != nil {
		return "", err
	}
	var missing []string
	if !tldrRE.MatchString(s) {
		missing = append(missing, "a TL;DR")
	}
	opts := map[string]bool{}
	for _, m := range optionRE.FindAllStringSubmatch(s, -1) {
		opts[strings.ToUpper(m[1])] = true
	}
	if len(opts) < 2 {
		missing = append(missing, "at least two options, each on a line starting \"Option A\", \"Option B\"")
	}
	if !openQuestions.MatchString(s) {
		missing = append(missing, "the open questions")
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("the analysis lacks %s (%s)", strings.Join(missing, ", "), Outline)
	}
	return s, nil
}

// brief is what the agent reads to draft phase 2.
func brief(c *triage.Context, r *run) *Brief {
	cfg := r.cfg
	body := lifecycle.ParseBody(c.Issue.Body)
	desc, _ := body.Get(lifecycle.FieldDescription)
	b := &Brief{Description: untrusted.Wrap("report text (tracker description)", desc), Fields: triage.FieldViews(body),
		Rollup: triage.RollupSummaries(c.Comments, cfg.Markers.RollupPrefix), Precedents: c.Precedents, Outline: Outline, Comments: []triage.CommentView{}}
	comments, _ := triage.DiscussionComments(c.Comments, cfg.Markers.RollupPrefix, time.Time{}, 20)
	for _, cm := range comments {
		b.Comments = append(b.Comments, triage.ViewComment(cm, r.trusted))
	}
	for _, m := range triage.FollowUps(c.Thread, time.Time{}, 5) {
		b.FollowUps = append(b.FollowUps, triage.ViewMessage(m, cfg))
	}
	for _, p := range append(append([]lifecycle.PullRequest{}, c.Linked...), c.Related...) {
		b.PullRequests = append(b.PullRequests, fmt.Sprintf("%s#%d %s (%s, by %s)", p.Repo, p.Number, p.URL, p.State, p.Author))
	}
	if doc, err := cfg.LoadSecurityModel(); err == nil {
		for _, s := range doc.Sections() {
			if s.Level >= 2 {
				b.SecurityModel = append(b.SecurityModel, s.Heading+": "+s.URL)
			}
		}
	}
	return b
}

// skip records that an audience gets no draft, and why.
func (e *Escalation) skip(audience, why string) {
	e.Notes = append(e.Notes, "no draft to "+audience+": "+why)
	e.skipped = append(e.skipped, audience+": "+why)
}

// audienceNames names the audiences of DraftPreview.Audience.
var audienceNames = map[string]string{"private-list": "the private list", "foundation-security": "the foundation security team", "reporter": "the reporter"}

// AudienceNote says exactly which of the three audiences got a draft and why
// the others did not ("" when nothing is drafted, as for a phase-2 brief).
func (e *Escalation) AudienceNote() string {
	if len(e.Drafts) == 0 {
		return ""
	}
	var got []string
	for _, d := range e.Drafts {
		got = append(got, audienceNames[d.Audience])
	}
	note := fmt.Sprintf("#%d phase %d: %d of 3 audiences get a draft (%s)", e.Number, e.Phase, len(e.Drafts), strings.Join(got, ", "))
	for _, s := range e.skipped {
		note += "; none to " + s
	}
	return note
}
