package intake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// pr.go is the import from a public upstream PR (spec/intake.md §6): a fix the
// team agreed is a security fix, opened publicly without any report on the
// security list. The tracker lands in Assessed with its scope label and the
// PR-state label, never in needs triage; there is no reporter and no reply,
// and the PR author is never credited as finder nor contacted. The PR is only
// read (Upstream.GetPullRequest): nothing is ever written to it.

// PRIntakeKey is the intake key of a tracker imported from an upstream PR.
func PRIntakeKey(upstream string, number int) string {
	return fmt.Sprintf("pr:%s#%d", strings.ToLower(upstream), number)
}

var (
	prRefRE   = regexp.MustCompile(`^#?(\d+)$`)
	repoRefRE = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)#(\d+)$`)
	pullPath  = regexp.MustCompile(`^/([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)/pull/(\d+)(?:/.*)?$`)
)

// ParsePRRef reads a PR reference: "65703", "#65703", "<owner/repo>#65703" or
// "https://github.com/<owner/repo>/pull/65703" (a trailing "/files" and the
// like are fine). A reference to another repository than upstream is refused.
func ParsePRRef(ref, upstream string) (int, error) {
	s := strings.TrimSpace(ref)
	var repo, num string
	switch {
	case prRefRE.MatchString(s):
		num = prRefRE.FindStringSubmatch(s)[1]
	case repoRefRE.MatchString(s):
		m := repoRefRE.FindStringSubmatch(s)
		repo, num = m[1], m[2]
	default:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return 0, fmt.Errorf("pull request %q: give a number, %s#N or a PR URL", ref, upstream)
		}
		m := pullPath.FindStringSubmatch(u.Path)
		if m == nil {
			return 0, fmt.Errorf("pull request %q is not a pull request URL (…/owner/repo/pull/N)", ref)
		}
		repo, num = m[1], m[2]
	}
	if repo != "" && !strings.EqualFold(repo, upstream) {
		return 0, fmt.Errorf("pull request %q is in %s, not the upstream %s: import only from the upstream repository", ref, repo, upstream)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("pull request %q: the number must be positive", ref)
	}
	return n, nil
}

// testPath reports whether a changed file is a test: scope detection ignores
// tests (spec/intake.md §6.4 drops "*/tests/**"; Go, JS and Python test file
// names too).
func testPath(p string) bool {
	for _, seg := range strings.Split(strings.ToLower(p), "/")[:strings.Count(p, "/")] {
		switch seg {
		case "test", "tests", "testdata", "__tests__", "testing":
			return true
		}
	}
	base := strings.ToLower(path.Base(p))
	return strings.HasSuffix(base, "_test.go") || strings.Contains(base, ".test.") || strings.Contains(base, ".spec.") ||
		(strings.HasPrefix(base, "test_") && strings.HasSuffix(base, ".py")) || strings.HasSuffix(base, "_test.py")
}

// ScopeMatch is what scope detection found for a PR.
type ScopeMatch struct {
	Scopes  []string            // matched scope labels, in configuration order
	ByScope map[string][]string // the files that matched each scope
	Ignored []string            // test files, not considered
}

// DetectScopes maps a PR's changed files to scope labels by the configured
// path prefixes, ignoring test files (spec/intake.md §6.4).
func DetectScopes(scopes []projects.Scope, files []string) ScopeMatch {
	m := ScopeMatch{ByScope: map[string][]string{}}
	for _, f := range files {
		if testPath(f) {
			m.Ignored = append(m.Ignored, f)
			continue
		}
		for _, s := range scopes {
			if slices.ContainsFunc(s.PathPrefixes, func(p string) bool { return strings.HasPrefix(f, p) }) {
				if len(m.ByScope[s.Label]) == 0 {
					m.Scopes = append(m.Scopes, s.Label)
				}
				m.ByScope[s.Label] = append(m.ByScope[s.Label], f)
				break
			}
		}
	}
	return m
}

var (
	// conventionalRE: "fix:", "feat(secrets):", "security!:" … (conventional-commit types only;
	// a component prefix such as "chart:" names the component and stays).
	conventionalRE = regexp.MustCompile(`(?i)^\s*(?:fix|feat|feature|security|sec|chore|docs|refactor|perf|test|tests|build|ci|style|revert|deps|bugfix|hotfix)(?:\([^)\n]{0,40}\))?!?\s*:\s*`)
	skipCIRE       = regexp.MustCompile(`(?i)\s*\[(?:skip ci|ci skip|ci-skip|skip-ci)\]\s*`)
	trailingPRRE   = regexp.MustCompile(`\s*(?:\(#\d+\)|\[#\d+\])\s*$`)
)

// PRTitle cleans a PR title for a tracker (spec/intake.md §6.4): conventional
// commit prefixes with an optional scope, [skip ci] markers and a trailing
// (#NNNN) or [#NNNN] are removed; no product prefix is added; the title rules
// of §18 item 20 apply. short is true when the result is under 25 characters,
// too vague to stand alone (propose a longer, component-named title).
func PRTitle(title string) (clean string, short bool) {
	s := oneLineText(title)
	for i := 0; i < 5; i++ {
		before := s
		s = skipCIRE.ReplaceAllString(s, " ")
		s = conventionalRE.ReplaceAllString(s, "")
		s = trailingPRRE.ReplaceAllString(s, "")
		s = strings.TrimSpace(s)
		if s == before {
			break
		}
	}
	s = cleanTitle(s)
	if s == "" {
		s = cleanTitle(title)
	}
	if r := []rune(s); len(r) > 0 {
		s = strings.ToUpper(string(r[0])) + string(r[1:])
	}
	return s, len([]rune(s)) < 25
}

// normalPRURL is a PR URL reduced for comparison: lower-cased, no scheme,
// query, fragment or trailing path after the number.
func normalPRURL(u string) (string, bool) {
	x, err := url.Parse(strings.TrimSpace(u))
	if err != nil || x.Host == "" {
		return "", false
	}
	m := pullPath.FindStringSubmatch(x.Path)
	if m == nil {
		return "", false
	}
	return strings.ToLower(strings.TrimPrefix(x.Host, "www.") + "/" + m[1] + "/pull/" + m[2]), true
}

// prSeverityScoreRE is a CVSS vector or a bare score: a severity decision is
// a level, never a score (the rule triage applies to its severity read).
var prSeverityScoreRE = regexp.MustCompile(`(?i)\bCVSS:\d|\bAV:[NALP]/|^\s*\d{1,2}(?:\.\d+)?\s*(?:/\s*10)?\s*$`)

var urlTokenRE = regexp.MustCompile(`https?://[^\s<>()\[\]` + "`" + `]+`)

// trackersWithFixPR finds trackers whose "PR with the fix" field names the PR
// (spec/intake.md §18 item 12: exact URL through the body parser, not a noisy
// search for the bare number).
func (ix *trackerIndex) trackersWithFixPR(prURL string) []lifecycle.Issue {
	want, ok := normalPRURL(prURL)
	if !ok {
		return nil
	}
	var out []lifecycle.Issue
	for _, is := range ix.trackers() {
		v, _ := lifecycle.ParseBody(is.Body).Get(lifecycle.FieldFixPR)
		for _, u := range urlTokenRE.FindAllString(v, -1) {
			if got, ok := normalPRURL(strings.TrimRight(u, ".,;")); ok && got == want {
				out = append(out, is)
				break
			}
		}
	}
	return out
}

// proposePR plans one tracker per upstream PR.
func proposePR(ctx context.Context, d Deps, in ProposeInput, p *Proposal, pb *lifecycle.PlanBuilder) error {
	cfg := d.Config
	up := d.Backend.Upstream
	if up == nil {
		return errors.New("no upstream repository is configured: set repos.upstream and the backend, then run `vulnsteward check`")
	}
	if len(in.PullRequests) == 0 {
		return fmt.Errorf("source pr needs pull_requests: the upstream PR numbers or URLs to import (%s)", cfg.Repos.Upstream)
	}
	var numbers []int
	var known []string
	for _, ref := range in.PullRequests {
		n, err := ParsePRRef(ref, cfg.Repos.Upstream)
		if err != nil {
			return err
		}
		if slices.Contains(numbers, n) {
			return fmt.Errorf("pull request %d is listed twice", n)
		}
		numbers = append(numbers, n)
		known = append(known, strconv.Itoa(n))
	}
	decisions, err := indexItems(in.Items, known, "pull request")
	if err != nil {
		return err
	}
	ix, err := loadTrackers(ctx, d)
	if err != nil {
		return err
	}
	milestones, err := d.Backend.Tracker.ListMilestones(ctx)
	if err != nil {
		return fmt.Errorf("reading the milestones of %s: %w", d.Backend.Tracker.Repo(), err)
	}
	for _, n := range numbers {
		pr, err := up.GetPullRequest(ctx, n)
		if errors.Is(err, lifecycle.ErrNotFound) {
			return fmt.Errorf("pull request %d does not exist in %s: check the number (and repos.upstream)", n, up.Repo())
		}
		if err != nil {
			return fmt.Errorf("reading pull request %d of %s: %w", n, up.Repo(), err)
		}
		item, err := planPR(d, pb, ix, milestones, pr, decisions[strconv.Itoa(n)])
		if err != nil {
			return fmt.Errorf("pull request %d: %w", n, err)
		}
		p.Items = append(p.Items, item)
	}
	return nil
}

// planPR decides one PR's tracker and adds its actions.
func planPR(d Deps, pb *lifecycle.PlanBuilder, ix *trackerIndex, milestones []string, pr lifecycle.PullRequest, dec ItemDecision) (ImportItem, error) {
	cfg := d.Config
	repo := d.Backend.Tracker.Repo()
	id := strconv.Itoa(pr.Number)
	ref := fmt.Sprintf("%s#%d", cfg.Repos.Upstream, pr.Number)
	prTitle, _ := untrusted.Clean(pr.Title)
	it := ImportItem{Item: id, Ref: ref, URL: pr.URL, Title: untrusted.Wrap("PR title", prTitle), Author: pr.Author, State: prState(pr)}
	it.Injection = injectionIn(pr.Title, pr.Body)
	key := PRIntakeKey(cfg.Repos.Upstream, pr.Number)
	// Bad decisions are refused whatever else the PR needs.
	if prSeverityScoreRE.MatchString(dec.Severity) {
		return it, fmt.Errorf("severity %q reads as a score or CVSS vector: give a level such as Medium, or leave it Unknown; the team scores at CVE allocation", dec.Severity)
	}
	if dec.Credit != "" && sameAuthor(cfg, pr.Author, dec.Credit) {
		return it, fmt.Errorf("credit %q is the PR author: the author of a public PR is never credited as finder; name someone else or leave credit empty", dec.Credit)
	}

	if t, ok := ix.keys[key]; ok {
		it.Disposition, it.Reason = DispAlreadyImported, fmt.Sprintf("already imported as %s#%d (intake key %s)", t.Repo, t.Number, key)
		return it, nil
	}
	if dec.Skip {
		it.Disposition, it.Reason = DispSkip, "skipped by decision: no tracker"
		pb.Decide(id, "disposition", "skip", "agent", "")
		return it, nil
	}

	// Duplicate guard (§6.4, §18 item 12).
	for _, t := range ix.trackersWithFixPR(pr.URL) {
		it.Duplicates = append(it.Duplicates, fmt.Sprintf("%s (%s) already names this PR in %q", issueRef(t), t.State, lifecycle.FieldFixPR))
	}
	var blockers []string
	if len(it.Duplicates) > 0 && !dec.Force {
		blockers = append(blockers, "duplicate guard: a tracker already names this PR as its fix; pass force in `items` only if a second tracker is really wanted")
	}
	if pr.State == "closed" && !pr.Merged && !dec.Force {
		blockers = append(blockers, "the PR was closed without being merged: pass force in `items` if a tracker is still wanted")
	}

	// Scope (§6.4): exactly one, from the changed files, unless the agent decides.
	sm := DetectScopes(cfg.Scopes, pr.Files)
	scope := ""
	switch {
	case dec.Scope != "":
		s, ok := cfg.ScopeByLabel(dec.Scope)
		if !ok {
			return it, fmt.Errorf("scope %q is not a configured scope label (%s)", dec.Scope, strings.Join(cfg.ScopeLabels(), ", "))
		}
		scope = s.Label
		pb.Decide(id, "scope", scope, "agent", fmt.Sprintf("detected: %s", orNone(sm.Scopes)))
	case len(sm.Scopes) == 1:
		scope = sm.Scopes[0]
		pb.Decide(id, "scope", scope, "server", "changed files under the scope's path prefixes")
	case len(sm.Scopes) > 1:
		blockers = append(blockers, fmt.Sprintf("the changed files match several scopes (%s): one tracker per CVE container; split the work or pass scope in `items`", strings.Join(sm.Scopes, ", ")))
	default:
		blockers = append(blockers, fmt.Sprintf("no changed file matches a scope's path prefixes (files: %s): pass scope in `items`", strings.Join(pr.Files, ", ")))
	}
	it.Scope = scope
	if scope != "" {
		it.ScopeFiles = sm.ByScope[scope]
	}

	// Milestone (§6.4): the PR's own, or the agent's (an existing one, or
	// none); it must exist in the tracker. A PR without one needs a decision.
	milestone := strings.TrimSpace(pr.Milestone)
	milestoneBy := "server"
	switch m := strings.TrimSpace(dec.Milestone); {
	case strings.EqualFold(m, "none"):
		milestone, milestoneBy = "", "agent"
	case m != "":
		milestone, milestoneBy = m, "agent"
	}
	if milestone != "" {
		if i := slices.IndexFunc(milestones, func(x string) bool { return strings.EqualFold(x, milestone) }); i >= 0 {
			milestone = milestones[i]
			pb.Decide(id, "milestone", milestone, milestoneBy, "")
		} else if milestoneBy == "agent" {
			return it, fmt.Errorf("milestone %q does not exist in %s (milestones: %s); create it by hand first", milestone, d.Backend.Tracker.Repo(), strings.Join(milestones, ", "))
		} else {
			blockers = append(blockers, fmt.Sprintf("the PR's milestone %q does not exist in the tracker: create it by hand, or pass milestone (an existing one, or none) in `items`", milestone))
		}
	} else if milestoneBy == "server" {
		// §6.4: the PR's own milestone; ask if none, never invent one.
		blockers = append(blockers, fmt.Sprintf("the PR has no milestone: pass milestone in `items`, an existing one (%s) or none (the server never invents one)", orNone(milestones)))
	}
	it.Milestone = milestone

	if len(blockers) > 0 {
		it.Disposition, it.Reason = DispNeedsDecision, strings.Join(blockers, "; ")
		return it, nil
	}

	// Title (§6.4).
	title, short := PRTitle(pr.Title)
	titleBy := "server"
	if dec.Title != "" {
		title, titleBy = cleanTitle(dec.Title), "agent"
	} else if short {
		it.Warnings = append(it.Warnings, untrusted.Wrap("import warning (may quote the PR)", fmt.Sprintf("the cleaned title %q is short: consider a longer, component-named title (title in `items`)", title)))
	}
	pb.Decide(id, "title", "see tracker.title", titleBy, "")

	// Credit (§6.4): a public PR is not responsible disclosure.
	credit := ""
	if dec.Credit != "" {
		credit = dec.Credit
		pb.Decide(id, "credit", credit, "agent", "")
	}
	remediation, botNote := remediationDeveloper(cfg, pr.Author)
	severity := "Unknown"
	if dec.Severity != "" {
		severity = dec.Severity
		pb.Decide(id, "severity", severity, "agent", "")
	}
	versions := "< NEXT VERSION"
	if v := milestoneVersion(cfg.Milestones.Format, milestone); v != "" {
		versions = "< " + v
	}

	var bodyNotes []string
	desc := fmt.Sprintf("> Imported from public PR [%s](%s) with no inbound report: the team agreed it fixes a security issue that never reached the security list. The PR description below is the public statement.\n\n", ref, pr.URL)
	if len(it.Injection) > 0 {
		desc = injectionCallout("PR description", it.Injection) + desc
	}
	if strings.TrimSpace(pr.Body) == "" {
		desc += "_The PR has no description._"
	} else {
		desc += verbatim(pr.Body, &bodyNotes)
	}
	values := map[string]string{
		lifecycle.FieldDescription:      desc,
		lifecycle.FieldAffectedVersions: wrapVersions(versions),
		lifecycle.FieldThread:           fmt.Sprintf("N/A — opened from public PR [%s](%s); no %s thread.", ref, pr.URL, cfg.Lists.Security),
		lifecycle.FieldCredit:           credit,
		lifecycle.FieldFixPR:            pr.URL,
		lifecycle.FieldRemediationDev:   remediation,
		lifecycle.FieldSeverity:         severity,
	}
	body, err := renderTrackerBody(values, lifecycle.IntakeMeta{Key: key, Source: SourcePR})
	if err != nil {
		return it, err
	}
	stateLabel := ""
	switch {
	case pr.Merged:
		stateLabel = cfg.Labels.PRMerged
	case pr.State == "open":
		stateLabel = cfg.Labels.PROpen
	default:
		it.Warnings = append(it.Warnings, untrusted.Wrap("import warning (may quote the PR)", "closed unmerged PR: no PR-state label is set"))
	}
	labels := []string{scope}
	if stateLabel != "" {
		labels = append(labels, stateLabel)
	}
	labels = append(labels, cfg.Labels.SecurityMarker)
	if missing := ix.missingLabels(labels); len(missing) > 0 {
		return it, fmt.Errorf("the tracker %s does not define the label(s) %s; create them by hand (labels are never created silently)", repo, strings.Join(quoteAll(missing), ", "))
	}
	column := boardColumn(cfg, lifecycle.ColAssessed)

	var eb strings.Builder
	stateText := it.State
	fmt.Fprintf(&eb, "**Imported from public PR [%s](%s) on %s: scope `%s`, PR %s.**\n\n", ref, pr.URL, isoDay(pb.Plan.CreatedAt), scope, stateText)
	eb.WriteString("- The team opened this tracker deliberately for a public fix that never reached the security list, and already assessed it: it lands in `Assessed` (no validity discussion, no reporter, no reply).\n")
	fmt.Fprintf(&eb, "- Provenance: [%s](%s) by `%s`, opened %s.\n", ref, pr.URL, pr.Author, isoDay(pr.CreatedAt))
	if files := sm.ByScope[scope]; len(files) > 0 {
		fmt.Fprintf(&eb, "- Scope `%s` from the changed files: %s", scope, strings.Join(codeList(files, 8), ", "))
	} else {
		fmt.Fprintf(&eb, "- Scope `%s`", scope)
	}
	if len(sm.Ignored) > 0 {
		fmt.Fprintf(&eb, " (%d test file(s) ignored)", len(sm.Ignored))
	}
	if dec.Scope != "" {
		fmt.Fprintf(&eb, "; decided by the agent (detected: %s)", orNone(sm.Scopes))
	}
	eb.WriteString(".\n")
	fmt.Fprintf(&eb, "- Extracted fields: Affected versions %s; PR with the fix set; Severity `%s`", wrapVersions(versions), severity)
	if remediation != "" {
		fmt.Fprintf(&eb, "; Remediation developer %s", remediation)
	}
	if milestone != "" {
		fmt.Fprintf(&eb, "; milestone %s", milestone)
	}
	eb.WriteString(".\n")
	if botNote != "" {
		eb.WriteString("- Remediation developer: " + botNote + ".\n")
	}
	if credit == "" {
		eb.WriteString("- Reporter credited as is intentionally blank: a public PR is not responsible disclosure, so its author is never credited as finder.\n")
	} else {
		fmt.Fprintf(&eb, "- Reporter credited as %q by decision (not the PR author).\n", oneLine(credit))
	}
	if len(it.Duplicates) > 0 {
		eb.WriteString("- Imported despite the duplicate guard (force): " + strings.Join(it.Duplicates, "; ") + ".\n")
	}
	for _, n := range bodyNotes {
		eb.WriteString("- Body note: " + n + "\n")
	}
	if len(it.Injection) > 0 {
		eb.WriteString("- Prompt-injection content detected in the PR and ignored; the body carries a warning callout.\n")
	}
	eb.WriteString("- No reporter to notify: the PR author is never contacted about this tracker.\n")
	eb.WriteString("\n**Next:** Step 6: allocate a CVE (governance-gated; `allocate_propose`).")

	it.Disposition = DispImport
	it.Reason = "becomes a new tracker in Assessed (scope " + scope + ")"
	it.Tracker = &TrackerPreview{Title: untrusted.Wrap("tracker title (from the PR title)", title), Labels: labels, Column: column,
		AffectedVersions: versions, Credit: credit, Body: untrusted.Wrap("tracker body (contains the PR description)", body), BodyNotes: bodyNotes}
	it.Actions = planTracker(pb, repo, newTracker{item: id, title: title, body: body, labels: labels, key: key, column: column, milestone: milestone,
		entry: lifecycle.RollupEntry{Date: isoDay(pb.Plan.CreatedAt), Handle: pb.Plan.Operator, Action: fmt.Sprintf("Import from PR (%s, %s)", scope, ref),
			Body: eb.String(), ID: "import-" + key}})
	return it, nil
}

func prState(pr lifecycle.PullRequest) string {
	switch {
	case pr.Merged:
		return "merged " + isoDay(pr.MergedAt)
	case pr.State == "open":
		return "open"
	}
	return "closed unmerged"
}

// remediationDeveloper is the PR author as the Remediation developer field
// holds it: the roster name, else the login; a bot is never credited.
func remediationDeveloper(cfg *projects.Config, login string) (value, note string) {
	if bot, why := IsBot(login); bot {
		return "", fmt.Sprintf("skipped credit: `%s` (matches bot policy — %s)", login, why)
	}
	if m, ok := cfg.MemberByHandle(login); ok && m.Name != "" {
		return m.Name, ""
	}
	return login, ""
}

// sameAuthor reports whether a credit names the PR author (login, @login or roster name).
func sameAuthor(cfg *projects.Config, login, credit string) bool {
	c := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(credit), "@"))
	if c == strings.ToLower(login) {
		return true
	}
	if m, ok := cfg.MemberByHandle(login); ok && strings.EqualFold(strings.TrimSpace(m.Name), strings.TrimSpace(credit)) {
		return true
	}
	return false
}

// milestoneVersion reads the version out of a milestone title by the
// configured format ("{version}", "v{version}", "Release {version}").
func milestoneVersion(format, milestone string) string {
	if milestone == "" || !strings.Contains(format, "{version}") {
		return ""
	}
	pre, post, _ := strings.Cut(format, "{version}")
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(pre) + `(\d+(?:\.\d+)*(?:[-.][0-9A-Za-z.]+)?)` + regexp.QuoteMeta(post) + `$`)
	if m := re.FindStringSubmatch(milestone); m != nil {
		return m[1]
	}
	return ""
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// codeList wraps each value in backticks, at most n of them.
func codeList(xs []string, n int) []string {
	var out []string
	for i, x := range xs {
		if i == n {
			out = append(out, fmt.Sprintf("and %d more", len(xs)-n))
			break
		}
		out = append(out, "`"+strings.ReplaceAll(x, "`", "")+"`")
	}
	return out
}
