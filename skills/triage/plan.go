package triage

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
)

// plan validates the judgement, renders the comment and adds its one action.
func (r *run) plan(ctx context.Context, b Bundle, c *Context, pr prior, j Judgement) (Bundle, error) {
	in, mentionBy, mentionWhy, notes, err := r.validate(ctx, c, j, b.SuggestedMentions)
	if err != nil {
		return b, fmt.Errorf("judgement refused, nothing planned: %w", err)
	}
	b.Notes = append(b.Notes, notes...)
	is := c.Issue
	section := renderSection(in)
	meta := lifecycle.TriageProposalMeta{Class: string(in.class), At: r.now.UTC().Truncate(time.Second), By: strings.TrimPrefix(r.d.Operator, "@")}
	earlier := ""
	verb := fmt.Sprintf("post the triage proposal (%s) on %s#%d", in.class, is.Repo, is.Number)
	if pr.ours != nil {
		oldSection, oldEarlier := splitComment(pr.ours.Body)
		switch b.Mode {
		case ModeRetriage:
			earlier = earlierBlock(oldSection, pr.oursMeta)
			if oldEarlier != "" {
				earlier += "\n\n" + oldEarlier
			}
			verb = fmt.Sprintf("update the triage proposal on %s#%d: %s on top, the earlier proposal (%s) kept below", is.Repo, is.Number, in.class, pr.oursMeta.Class)
		default:
			// Nobody answered since: the proposal is corrected in place.
			earlier, meta.At = oldEarlier, pr.oursMeta.At
			verb = fmt.Sprintf("replace the triage proposal on %s#%d in place (%s; nobody has answered it yet)", is.Repo, is.Number, in.class)
		}
	}
	body := renderComment(section, earlier, meta)
	b.Class, b.Comment, b.Next = string(in.class), body, "after the team agrees: "+NextStep(in.class)
	b.Needs = ""
	r.pb.Decide(b.Item, "class", string(in.class), "agent", "")
	r.pb.Decide(b.Item, "security model quote", in.modelHead, "agent", "found verbatim in that section")
	r.pb.Decide(b.Item, "mentions", "@"+strings.Join(in.mentions, " @"), mentionBy, mentionWhy)
	r.pb.Decide(b.Item, "mode", string(b.Mode), "server", "from the comments and mail after the last proposal")
	if pr.ours != nil && pr.ours.Body == body {
		b.Notes = append(b.Notes, "the posted proposal already says exactly this: nothing to apply")
		return b, nil
	}
	target := r.pb.Saw(is)
	b.Action = r.pb.Add(lifecycle.Action{Kind: lifecycle.ActUpsertComment, Audience: lifecycle.AudienceTracker, Item: b.Item, Target: target,
		Summary: verb + ", asking @" + strings.Join(in.mentions, " @"),
		Comment: &lifecycle.CommentSpec{Tag: lifecycle.MarkerTriageProposalPrefix, Body: body}})
	return b, nil
}

var (
	cvssRE  = regexp.MustCompile(`(?i)\bCVSS:\d|\bAV:[NALP]/|^\s*\d{1,2}(\.\d)?\s*$`)
	multiNL = regexp.MustCompile(`\n[ \t]*\n`)
)

// text cleans one free-text field of a judgement and checks its shape.
func text(field, s string, maxRunes int, required, oneParagraph bool) (string, error) {
	s, _ = untrusted.Clean(s)
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case s == "" && required:
		return "", fmt.Errorf("%s is empty", field)
	case utf8.RuneCountInString(s) > maxRunes:
		return "", fmt.Errorf("%s is %d characters; keep it under %d", field, utf8.RuneCountInString(s), maxRunes)
	case strings.Contains(s, "<!--") || strings.Contains(strings.ToLower(s), "<details"):
		return "", fmt.Errorf("%s contains an HTML comment or <details>: the server writes the comment's markers and blocks; write plain markdown", field)
	case oneParagraph && multiNL.MatchString(s):
		return "", fmt.Errorf("%s must be one paragraph (no blank line)", field)
	}
	return s, nil
}

// validate checks a judgement against the tracker, the security model, the
// canned responses and the roster, and returns it ready to render.
func (r *run) validate(ctx context.Context, c *Context, j Judgement, suggested []Suggestion) (in sectionInput, mentionBy, mentionWhy string, notes []string, err error) {
	cfg := r.cfg
	is := c.Issue
	if in.class, err = ParseClass(j.Class); err != nil {
		return
	}
	in.low = j.LowConfidence
	if in.summary, err = text("summary", j.Summary, 2000, true, true); err != nil {
		return
	}
	if in.fixShape, err = text("fix_shape", j.FixShape, 800, true, true); err != nil {
		return
	}
	if in.question, err = text("question", j.Question, 500, true, true); err != nil {
		return
	}
	if !strings.HasSuffix(in.question, "?") {
		in.question = strings.TrimRight(in.question, ". ") + "?"
	}
	if in.severity, err = text("severity", j.Severity, 80, false, true); err != nil {
		return
	}
	if cvssRE.MatchString(in.severity) {
		err = fmt.Errorf("severity %q reads as a score or CVSS vector: give a read such as \"Medium-ish\"; the team scores later", in.severity)
		return
	}
	if in.openPoint, err = text("open_point", j.OpenPoint, 200, false, true); err != nil {
		return
	}
	if len(j.ActionItems) > 5 {
		err = fmt.Errorf("%d action items; at most 5", len(j.ActionItems))
		return
	}
	for i, a := range j.ActionItems {
		var t string
		if t, err = text(fmt.Sprintf("action item %d", i+1), a, 300, true, true); err != nil {
			return
		}
		in.actions = append(in.actions, strings.Join(strings.Fields(t), " "))
	}
	type field struct {
		name string
		p    *string
	}
	fields := []field{{"summary", &in.summary}, {"fix_shape", &in.fixShape}, {"question", &in.question}}
	for i := range in.actions {
		fields = append(fields, field{fmt.Sprintf("action item %d", i+1), &in.actions[i]})
	}
	for _, f := range fields {
		name, p := f.name, f.p
		if err = CheckTextMentions(cfg, name, *p); err != nil {
			return
		}
		var replaced []string
		if *p, replaced = ReplaceBareNames(cfg, *p); len(replaced) > 0 {
			notes = append(notes, fmt.Sprintf("%s: bare names replaced by @handles (%s)", name, strings.Join(replaced, ", ")))
		}
		for _, h := range scrub.CheckPublic(*p, scrub.Rules{OtherProjects: cfg.PublicGuard.OtherProjects}) {
			if h.Rule == scrub.RuleOtherProject || h.Rule == scrub.RuleCrossProject {
				notes = append(notes, fmt.Sprintf("warning: %s names another project (%q): tracker text never names another project's vulnerability; rephrase (\"the reporter has filed similar reports elsewhere\")", name, h.Match))
			}
		}
	}

	if err = r.quote(&in, j); err != nil {
		return
	}
	if in.mentions, mentionBy, mentionWhy, err = r.mentions(is, j, suggested); err != nil {
		return
	}
	if err = r.classFields(ctx, c, j, &in); err != nil {
		return
	}
	for _, n := range j.Precedents {
		if n == is.Number {
			err = fmt.Errorf("precedents names #%d, this tracker itself", n)
			return
		}
		var p lifecycle.Issue
		if p, err = Lookup(ctx, r.d.Backend.Tracker, r.all, n); err != nil {
			err = fmt.Errorf("precedent: %w", err)
			return
		}
		in.comparables = append(in.comparables, fmt.Sprintf("%s (%s)", Link(p), StateOf(p, cfg)))
	}
	return
}

// quote checks that the model quote exists verbatim in the named section.
func (r *run) quote(in *sectionInput, j Judgement) error {
	name := strings.TrimSpace(j.ModelSection)
	if name == "" {
		return errors.New("model_section is empty: name the security-model section the disposition rests on (a proposal without a model citation is malformed)")
	}
	sec, ok := r.model.Section(name)
	if !ok {
		var heads []string
		for _, s := range r.model.Sections() {
			if s.Level >= 2 {
				heads = append(heads, s.Heading)
			}
		}
		return fmt.Errorf("model_section %q is not a section of the security model; sections: %s", name, strings.Join(heads, ", "))
	}
	q, _ := untrusted.Clean(j.ModelQuote)
	q = strings.Trim(strings.Join(strings.Fields(q), " "), `"“”'> `)
	if utf8.RuneCountInString(q) < 20 {
		return errors.New("model_quote is too short: copy two or three sentences verbatim from the section")
	}
	if !strings.Contains(strings.Join(strings.Fields(sec.Body), " "), q) {
		if other, ok := r.model.FindQuote(q); ok {
			return fmt.Errorf("model_quote is from section %q, not %q: name that section", other.Heading, sec.Heading)
		}
		return fmt.Errorf("model_quote is not in section %q verbatim (no paraphrase): copy the sentences exactly", sec.Heading)
	}
	// Two or three sentences (spec/intake.md §9.4); one only when the section
	// itself is a single sentence.
	if Sentences(q) < 2 && Sentences(sec.Body) >= 2 {
		return fmt.Errorf("model_quote is one sentence: copy two or three consecutive sentences verbatim from section %q (one is enough only when the section is a single sentence)", sec.Heading)
	}
	in.modelHead, in.modelURL, in.quote = sec.Heading, sec.URL, q
	return nil
}

// mentions validates the agent's list, or takes the routing's suggestion.
func (r *run) mentions(is lifecycle.Issue, j Judgement, suggested []Suggestion) (handles []string, by, why string, err error) {
	if len(j.Mention) > 0 {
		members, err := ValidateMentions(r.cfg, r.team, r.d.Operator, j.Mention)
		if err != nil {
			return nil, "", "", err
		}
		for _, m := range members {
			handles = append(handles, m.Handle)
		}
		return handles, "agent", "", nil
	}
	if len(suggested) == 0 {
		return nil, "", "", fmt.Errorf("no team member matched the mention routing for #%d: pass `mention` with one to three handles the human confirmed", is.Number)
	}
	var whys []string
	for _, s := range suggested {
		handles = append(handles, s.Handle)
		whys = append(whys, "@"+s.Handle+": "+s.Why)
	}
	return handles, "server", strings.Join(whys, "; "), nil
}

// classFields checks the inputs each class needs (and only those).
func (r *run) classFields(ctx context.Context, c *Context, j Judgement, in *sectionInput) error {
	cfg := r.cfg
	is := c.Issue
	if j.DuplicateOf != 0 && in.class != ClassProbableDup {
		return fmt.Errorf("duplicate_of is only for PROBABLE-DUP, not %s", in.class)
	}
	if len(j.PublicFixURLs) > 0 && in.class != ClassFixAlreadyPublic {
		return fmt.Errorf("public_fix_urls is only for FIX-ALREADY-PUBLIC, not %s", in.class)
	}
	if j.Canned != "" && in.class != ClassInfoOnly && in.class != ClassInvalid {
		return fmt.Errorf("canned is only for INFO-ONLY and INVALID, not %s", in.class)
	}
	if j.Canned != "" || in.class == ClassInfoOnly {
		if j.Canned == "" {
			return errors.New("INFO-ONLY needs `canned`: the canned response that fully answers the report")
		}
		cn, err := projects.FindCanned(r.canned, j.Canned)
		if err != nil {
			return err
		}
		in.canned = cn.Name
	}
	switch in.class {
	case ClassProbableDup:
		if j.DuplicateOf == 0 {
			return errors.New("PROBABLE-DUP needs `duplicate_of`: the tracker this one duplicates")
		}
		if j.DuplicateOf == is.Number {
			return fmt.Errorf("duplicate_of names #%d, this tracker itself", is.Number)
		}
		other, err := Lookup(ctx, r.d.Backend.Tracker, r.all, j.DuplicateOf)
		if err != nil {
			return err
		}
		if other.HasLabel(cfg.Labels.RejectionsLedger) {
			return fmt.Errorf("#%d is the rejections ledger, not a tracker", other.Number)
		}
		if other.State == "closed" && other.HasLabel(cfg.Labels.Duplicate) {
			return fmt.Errorf("#%d is itself closed as a duplicate: name the tracker it was merged into", other.Number)
		}
		in.dupOf = fmt.Sprintf("Probable duplicate of %s (%s): the team would merge this tracker into it.", Link(other), StateOf(other, cfg))
	case ClassFixAlreadyPublic:
		return r.publicFix(ctx, c, j, in)
	}
	return nil
}

// publicFix checks each PR named as an independent public fix (spec/intake.md
// §9.6: it predates the report, or its author is not on the team) and embeds
// the reply invalidate will draft once the reporter confirms.
func (r *run) publicFix(ctx context.Context, c *Context, j Judgement, in *sectionInput) error {
	cfg := r.cfg
	is := c.Issue
	up := r.d.Backend.Upstream
	if len(j.PublicFixURLs) == 0 {
		return errors.New("FIX-ALREADY-PUBLIC needs `public_fix_urls`: the upstream PRs that fix it")
	}
	if up == nil {
		return errors.New("no upstream backend is configured, so the public fix cannot be checked")
	}
	var prs []lifecycle.PullRequest
	for _, u := range j.PublicFixURLs {
		nums := UpstreamPRNumbers(u, up.Repo())
		if len(nums) != 1 || strings.TrimSpace(u) != fmt.Sprintf("https://github.com/%s/pull/%d", up.Repo(), nums[0]) {
			return fmt.Errorf("public_fix_urls: %q is not a pull request URL of %s (https://github.com/%s/pull/N)", u, up.Repo(), up.Repo())
		}
		pr, err := up.GetPullRequest(ctx, nums[0])
		if err != nil {
			return fmt.Errorf("public_fix_urls: reading %s#%d: %w", up.Repo(), nums[0], err)
		}
		if _, team := cfg.MemberByHandle(pr.Author); team && !pr.CreatedAt.Before(is.CreatedAt) {
			return fmt.Errorf("%s#%d was opened by team member %s after the report: it is the fix for this report, not an independent public fix (propose VALID)", up.Repo(), pr.Number, pr.Author)
		}
		state := "open since " + pr.CreatedAt.UTC().Format("2006-01-02")
		if pr.Merged {
			state = "merged on " + pr.MergedAt.UTC().Format("2006-01-02")
		}
		// The author is not on the team: named in backticks, never @-mentioned.
		in.publicFixes = append(in.publicFixes, fmt.Sprintf("Public fix: [%s#%d](%s) by `%s`, %s.", up.Repo(), pr.Number, pr.URL, pr.Author, state))
		prs = append(prs, pr)
	}
	if c.Thread == nil || cfg.Canned.PublicFix == "" {
		return nil
	}
	cn, err := projects.FindCanned(r.canned, cfg.Canned.PublicFix)
	if err != nil {
		return err
	}
	preview, _, _, err := reply.Compose(ctx, r.d.Backend.Mail, cfg, reply.Request{Thread: *c.Thread, Canned: cn, PullRequests: prs, Purpose: "canned"})
	if err != nil {
		return fmt.Errorf("rendering the reporter reply: %w", err)
	}
	if preview != nil {
		in.draftReply = preview.Body
	}
	return nil
}

// sentenceEndRE ends a sentence: a full stop, question or exclamation mark
// followed by a space or the end of the text.
var sentenceEndRE = regexp.MustCompile(`[.!?]["'”’)]*(\s|$)`)

// Sentences counts the sentences of a text (markdown headings and blank
// lines aside), roughly: "e.g." counts as an end too, which only errs towards
// accepting a quote.
func Sentences(text string) int {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	t := strings.TrimSpace(strings.Join(strings.Fields(strings.Join(lines, " ")), " "))
	if t == "" {
		return 0
	}
	n := len(sentenceEndRE.FindAllStringIndex(t, -1))
	if !sentenceEndRE.MatchString(t[len(t)-1:]) {
		n++ // a last sentence without its full stop
	}
	return n
}
