package deduplicate

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Blocker is a reason the merge must not happen; its message says what to do.
type Blocker struct{ Reason string }

func (b *Blocker) Error() string { return b.Reason }

// IsBlocker reports whether err is a Blocker.
func IsBlocker(err error) bool {
	var b *Blocker
	return errors.As(err, &b)
}

// Side is one tracker of a merge, its body parsed.
type Side struct {
	Issue  lifecycle.Issue
	Fields map[string]string // read values by heading ("" = unset)
}

// NewSide reads the 11 fields of a tracker. A duplicated heading is refused
// (never guess which one holds the value); a missing one reads as unset.
func NewSide(is lifecycle.Issue) (Side, error) {
	b := lifecycle.ParseBody(is.Body)
	s := Side{Issue: is, Fields: map[string]string{}}
	for _, name := range lifecycle.FieldOrder {
		v, err := b.Get(name)
		if errors.Is(err, lifecycle.ErrFieldDuplicate) {
			return s, &Blocker{fmt.Sprintf("%s has the heading %q twice: fix the body by hand (the merge never guesses which one holds the value)", ref(is), name)}
		}
		s.Fields[name] = v
	}
	return s, nil
}

func ref(is lifecycle.Issue) string { return fmt.Sprintf("%s#%d", is.Repo, is.Number) }

func link(is lifecycle.Issue) string { return fmt.Sprintf("[%s](%s)", ref(is), is.URL) }

// CVE returns the side's CVE id ("" when none).
func (s Side) CVE() string {
	if m := cveRE.FindString(s.Fields[lifecycle.FieldCVETool]); m != "" {
		return m
	}
	if cve, _, ok := lifecycle.ParseBody(s.Issue.Body).Attachment(); ok && cveRE.MatchString(cve) {
		return cve
	}
	return ""
}

// Reporter names the side's reporter for the merged texts: the first credit
// line, else the reporter address of its intake block, else the tracker.
func (s Side) Reporter() string {
	if c := firstLine(s.Fields[lifecycle.FieldCredit]); c != "" {
		return c
	}
	for _, m := range lifecycle.ParseIntakeMetas(s.Issue.Body) {
		if m.Reporter != "" {
			return m.Reporter
		}
	}
	return "the reporter of " + ref(s.Issue)
}

var cveRE = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)

// CheckPreconditions refuses a merge that must not happen (spec §11.2–11.3):
// the same tracker twice, a closed side, the rejections ledger, a half-done
// merge (`duplicate`), more than one scope label on a side or two different
// scopes (a scope split, never a merge), a side past the advisory (`fix
// released`, `announced*`, a Public advisory URL: that is an errata flow), a
// CVE only on the dropped side (keep the one with the CVE), and a CVE record
// that is already PUBLIC. cveStates maps a CVE id to its CNA state when known.
func CheckPreconditions(cfg *projects.Config, kept, dropped Side, cveStates map[string]string) error {
	k, d := kept.Issue, dropped.Issue
	l := cfg.Labels
	if k.Number == d.Number {
		return &Blocker{fmt.Sprintf("keep and drop are the same tracker (%s): name two trackers", ref(k))}
	}
	vocab := lifecycle.VocabularyFor(cfg)
	for _, s := range []struct {
		role string
		side Side
	}{{"kept", kept}, {"dropped", dropped}} {
		is := s.side.Issue
		switch {
		case is.State == "closed":
			return &Blocker{fmt.Sprintf("the %s tracker %s is closed (%s): merge only open trackers; reopen it by hand first if the merge is intended", s.role, ref(is), is.StateReason)}
		case l.RejectionsLedger != "" && is.HasLabel(l.RejectionsLedger):
			return &Blocker{fmt.Sprintf("%s is the rejections ledger, not a tracker", ref(is))}
		case l.Duplicate != "" && is.HasLabel(l.Duplicate):
			return &Blocker{fmt.Sprintf("the %s tracker %s is already labelled %q: a half-done merge. Check its rollup, finish or undo that merge by hand, then propose again", s.role, ref(is), l.Duplicate)}
		}
		if scopes := vocab.ScopeLabels(is); len(scopes) > 1 {
			return &Blocker{fmt.Sprintf("the %s tracker %s has %d scope labels (%s): split it per scope first", s.role, ref(is), len(scopes), strings.Join(scopes, ", "))}
		}
		for _, lab := range []string{l.FixReleased, l.AnnouncedSent, l.Announced} {
			if lab != "" && is.HasLabel(lab) {
				return &Blocker{fmt.Sprintf("the %s tracker %s carries %q: it is past the advisory, so this is an errata flow, not a merge; cross-link the trackers instead", s.role, ref(is), lab)}
			}
		}
		if u := s.side.Fields[lifecycle.FieldAdvisoryURL]; u != "" {
			return &Blocker{fmt.Sprintf("the %s tracker %s has a Public advisory URL (%s): this is an errata flow, not a merge; cross-link the trackers instead", s.role, ref(is), u)}
		}
		if cve := s.side.CVE(); cve != "" && strings.EqualFold(cveStates[cve], "PUBLIC") {
			return &Blocker{fmt.Sprintf("%s of the %s tracker %s is PUBLIC: that is an errata flow, not a merge", cve, s.role, ref(is))}
		}
	}
	ks, ds := vocab.ScopeLabels(k), vocab.ScopeLabels(d)
	if len(ks) == 1 && len(ds) == 1 && !strings.EqualFold(ks[0], ds[0]) {
		return &Blocker{fmt.Sprintf("cross-scope merge refused: %s is %q and %s is %q. Trackers of different scopes are never merged (each scope gets its own CVE); cross-link them instead", ref(k), ks[0], ref(d), ds[0])}
	}
	kc, dc := kept.CVE(), dropped.CVE()
	allocated := func(s Side) bool { return l.CVEAllocated != "" && s.Issue.HasLabel(l.CVEAllocated) }
	if (dc != "" || allocated(dropped)) && kc == "" && !allocated(kept) {
		what := "a CVE"
		if dc != "" {
			what = dc
		}
		return &Blocker{fmt.Sprintf("the dropped tracker %s has %s and the kept one %s has none: keep the tracker with the CVE (swap keep and drop)", ref(d), what, ref(k))}
	}
	return nil
}

// MergeInput is what the merge needs besides the two trackers.
type MergeInput struct {
	// Analysis is the agent's paragraph: why it is the same root cause (same
	// function, file, fix) and how the attack vectors differ. Required.
	Analysis string
	// Headline is a one-sentence headline of the second report (default: the
	// dropped tracker's title).
	Headline string
	// PublicSummary is the combined public summary; required when both sides
	// have a different one.
	PublicSummary string
	// AffectedVersions overrides the widened range; required when a side does
	// not parse as a version list or range.
	AffectedVersions string
	Now              time.Time
	// IsBot reports whether a credit line names a bot or tool (intake.IsBot).
	IsBot func(string) bool
}

// FieldChange is the merge rule's result for one field of the kept tracker.
type FieldChange struct {
	Field     string `json:"field"`
	Before    string `json:"-"`
	After     string `json:"-"`
	Changed   bool   `json:"changed"`
	Rule      string `json:"rule"`
	DecidedBy string `json:"decided_by"`
}

// Merged is the field-level merge into the kept tracker.
type Merged struct {
	Changes []FieldChange // every field, in body order
	Notes   []string      // tool credits kept, bot credits skipped, severity not carried, ...
}

// Merge applies the merged-body rules of spec §11.4 to the kept tracker's
// fields. It returns a Blocker for a CWE conflict and an error naming the
// input the agent must give when a judgement is needed.
func Merge(kept, dropped Side, in MergeInput) (Merged, error) {
	var m Merged
	analysis := strings.TrimSpace(in.Analysis)
	if analysis == "" {
		return m, errors.New("give `analysis`: one paragraph on why both reports share the root cause (same function, file, fix) and how their attack vectors differ; it is written to make sense months later")
	}
	day := in.Now.UTC().Format("2006-01-02")
	isBot := in.IsBot
	if isBot == nil {
		isBot = func(string) bool { return false }
	}
	kf, df := kept.Fields, dropped.Fields
	set := func(field, after, rule, by string) {
		before := kf[field]
		m.Changes = append(m.Changes, FieldChange{Field: field, Before: before, After: after, Changed: strings.TrimSpace(after) != strings.TrimSpace(before), Rule: rule, DecidedBy: by})
	}
	keep := func(field, rule string) { set(field, kf[field], rule, "server") }

	for _, field := range lifecycle.FieldOrder {
		switch field {
		case lifecycle.FieldDescription:
			if HasMergeBlock(kept, dropped) {
				keep(field, "the kept description already holds the second-report block of "+ref(dropped.Issue)+" (an earlier plan was partly applied): not appended again")
				m.Notes = append(m.Notes, fmt.Sprintf("the kept description already holds the report of %s: it is not appended a second time", ref(dropped.Issue)))
				break
			}
			set(field, mergedDescription(kept, dropped, in, analysis, day), "kept description verbatim; the dropped report appended verbatim as the second independent report, with the analysis", "agent")

		case lifecycle.FieldPublicSummary:
			ks, ds := kf[field], df[field]
			switch {
			case strings.TrimSpace(in.PublicSummary) != "":
				set(field, strings.TrimSpace(in.PublicSummary), "combined public summary given by the agent", "agent")
			case ks != "" && ds != "" && ks != ds:
				return m, fmt.Errorf("both trackers have a public summary and they differ: give `public_summary`, one combined draft covering both attack vectors")
			case ks == "" && ds != "":
				set(field, ds, "only the dropped tracker had one", "server")
			default:
				keep(field, "kept value (the dropped tracker has none or the same)")
			}

		case lifecycle.FieldAffectedVersions:
			if v := strings.TrimSpace(in.AffectedVersions); v != "" {
				set(field, wrapVersions(strings.Trim(v, "`")), "given by the agent", "agent")
				break
			}
			ka, da := kf[field], df[field]
			switch {
			case da == "" || strings.Trim(ka, "` ") == strings.Trim(da, "` "):
				keep(field, "kept value (the dropped tracker has none or the same)")
			case ka == "":
				set(field, wrapVersions(strings.Trim(da, "` ")), "only the dropped tracker had one", "server")
			default:
				w, ok := WidenVersions(ka, da)
				if !ok {
					return m, fmt.Errorf("the affected versions %q (kept) and %q (dropped) do not both parse as version lists or ranges: give `affected_versions`, the merged value", ka, da)
				}
				set(field, wrapVersions(w), fmt.Sprintf("widened: %s + %s", wrapVersions(strings.Trim(ka, "` ")), wrapVersions(strings.Trim(da, "` "))), "server")
			}

		case lifecycle.FieldThread:
			if threadsCarried(kept, dropped) {
				keep(field, "the dropped tracker's thread lines are already in the kept field (an earlier plan was partly applied)")
				break
			}
			set(field, mergedThreads(kept, dropped, day), "one line per reporter, chronological by report", "server")

		case lifecycle.FieldCredit:
			lines := unionLines(kf[field], df[field], nil)
			for _, l := range nonEmptyLines(df[field]) {
				if isBot(l) {
					m.Notes = append(m.Notes, fmt.Sprintf("credited as tool (during merge): %q from %s", l, ref(dropped.Issue)))
				}
			}
			set(field, strings.Join(lines, "\n"), "kept credit lines, then the dropped ones, verbatim", "server")

		case lifecycle.FieldFixPR:
			set(field, strings.Join(unionLines(kf[field], df[field], nil), "\n"), "union of both (kept first)", "server")

		case lifecycle.FieldRemediationDev:
			skip := func(l string) bool {
				if isBot(l) {
					m.Notes = append(m.Notes, fmt.Sprintf("skipped credit (during merge): %q from %s names a bot", l, ref(dropped.Issue)))
					return true
				}
				return false
			}
			set(field, strings.Join(unionLines(kf[field], df[field], skip), "\n"), "union of both, bot lines of the dropped side skipped", "server")

		case lifecycle.FieldCWE:
			v, rule, err := mergeCWE(kept, dropped)
			if err != nil {
				return m, err
			}
			set(field, v, rule, "server")

		case lifecycle.FieldSeverity:
			if ds := df[field]; ds != "" && !strings.EqualFold(ds, kf[field]) && !strings.EqualFold(ds, "Unknown") {
				m.Notes = append(m.Notes, fmt.Sprintf("Severity: the kept %q stays; the dropped tracker's %q is not carried (the team scores the merged issue)", kf[field], ds))
			}
			keep(field, "kept value; the dropped side's severity is never carried")

		case lifecycle.FieldCVETool:
			if dc := dropped.CVE(); dc != "" && dc != kept.CVE() {
				m.Notes = append(m.Notes, fmt.Sprintf("both trackers have a CVE: retract %s in the CNA tool (governance-gated) with the reason \"merged into %s per %s on %s\"", dc, kept.CVE(), ref(kept.Issue), day))
			}
			keep(field, "kept value")

		default: // Public advisory URL (empty on both sides: a precondition)
			keep(field, "kept value")
		}
	}
	return m, nil
}

// mergeBlockHead is how the second-report block of a merged tracker starts.
func mergeBlockHead(dropped lifecycle.Issue) string {
	return "**Second independent report: " + link(dropped) + " — merged on "
}

// HasMergeBlock reports whether the kept description already holds the
// second-report block of the dropped tracker: a merge of the same pair that
// was partly applied. Proposing the merge again never appends it twice.
func HasMergeBlock(kept, dropped Side) bool {
	return strings.Contains(kept.Fields[lifecycle.FieldDescription], mergeBlockHead(dropped.Issue))
}

// threadsCarried reports whether every thread line of the dropped tracker is
// already in the kept thread field (verbatim, or inside the merged line that
// names it), so the field is not rewritten with a second line for it.
func threadsCarried(kept, dropped Side) bool {
	kf := kept.Fields[lifecycle.FieldThread]
	lines := nonEmptyLines(dropped.Fields[lifecycle.FieldThread])
	if len(lines) == 0 {
		return false
	}
	keptLines := nonEmptyLines(kf)
	for _, l := range lines {
		found := false
		for _, k := range keptLines {
			if k == l || (strings.Contains(k, "merged from "+link(dropped.Issue)) && strings.Contains(k, l)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// mergedDescription is the kept description verbatim, then the second report.
// A dropped description that already holds earlier merges is copied as it is
// (nested inside the new block): earlier merges are never flattened.
func mergedDescription(kept, dropped Side, in MergeInput, analysis, day string) string {
	headline := oneLine(in.Headline)
	if headline == "" {
		headline = oneLine(dropped.Issue.Title)
	}
	if headline != "" && !strings.HasSuffix(headline, ".") {
		headline += "."
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(kept.Fields[lifecycle.FieldDescription], " \t\r\n"))
	fmt.Fprintf(&b, "\n\n---\n\n%s%s.** %s\n\n", mergeBlockHead(dropped.Issue), day, headline)
	fmt.Fprintf(&b, "<details><summary>Full report from %s (click to expand)</summary>\n\n", htmlText(dropped.Reporter()))
	b.WriteString(analysis + "\n\n")
	b.WriteString(strings.TrimSpace(dropped.Fields[lifecycle.FieldDescription]) + "\n\n</details>")
	return b.String()
}

// mergedLineRE matches a thread line already in the merged form
// "<reporter> (<context>): <thread>" (an earlier merge or an appended relay).
var mergedLineRE = regexp.MustCompile(`^\S[^\n]*? \([^()\n]*\): \S`)

// mergedThreads lists one line per reporter, oldest report first: a side's
// lines already in the merged form are kept as they are; its other lines (the
// import's sentinel and Root Message-ID lines, an archive URL) become one line
// "<reporter> (reported <date>[, merged from <link>]): <those lines>".
func mergedThreads(kept, dropped Side, day string) string {
	type group struct {
		at    time.Time
		lines []string
	}
	side := func(s Side, merged bool) group {
		g := group{at: s.Issue.CreatedAt}
		var plain []string
		for _, l := range nonEmptyLines(s.Fields[lifecycle.FieldThread]) {
			if mergedLineRE.MatchString(l) {
				g.lines = append(g.lines, l)
			} else {
				plain = append(plain, l)
			}
		}
		if len(plain) > 0 {
			ctx := "reported " + s.Issue.CreatedAt.UTC().Format("2006-01-02")
			if merged {
				ctx += ", merged from " + link(s.Issue) + " on " + day
			}
			line := fmt.Sprintf("%s (%s): %s", oneLine(s.Reporter()), ctx, strings.Join(plain, " "))
			g.lines = append([]string{line}, g.lines...)
		}
		return g
	}
	k, d := side(kept, false), side(dropped, true)
	groups := []group{k, d}
	if d.at.Before(k.at) {
		groups = []group{d, k}
	}
	var out []string
	for _, g := range groups {
		for _, l := range g.lines {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return strings.Join(out, "\n")
}

var cweIDRE = regexp.MustCompile(`(?i)\bCWE-(\d+)\b`)

// mergeCWE keeps the more specific CWE: a value with a CWE id over text alone;
// the kept value when both name the same id. Two different ids, or two
// different texts without an id, are a blocker for the triager.
func mergeCWE(kept, dropped Side) (string, string, error) {
	kv, dv := kept.Fields[lifecycle.FieldCWE], dropped.Fields[lifecycle.FieldCWE]
	switch {
	case dv == "" || strings.EqualFold(strings.TrimSpace(kv), strings.TrimSpace(dv)):
		return kv, "kept value (the dropped tracker has none or the same)", nil
	case kv == "":
		return dv, "only the dropped tracker had one", nil
	}
	km, dm := cweIDRE.FindStringSubmatch(kv), cweIDRE.FindStringSubmatch(dv)
	switch {
	case km != nil && dm != nil && km[1] == dm[1]:
		return kv, "same CWE on both; kept value", nil
	case km != nil && dm == nil:
		return kv, "kept value names a CWE id (more specific)", nil
	case km == nil && dm != nil:
		return dv, "the dropped value names a CWE id (more specific)", nil
	}
	return "", "", &Blocker{fmt.Sprintf("BLOCKER: the CWEs differ: %s has %q and %s has %q. The triager settles the CWE first (set the same CWE on both trackers, or clear the dropped one), then propose the merge again", ref(kept.Issue), kv, ref(dropped.Issue), dv)}
}

// unionLines is a's lines, then b's lines that a lacks (exact after trimming);
// skip drops lines of b.
func unionLines(a, b string, skip func(string) bool) []string {
	out := nonEmptyLines(a)
	for _, l := range nonEmptyLines(b) {
		if skip != nil && skip(l) {
			continue
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func firstLine(s string) string {
	if l := nonEmptyLines(s); len(l) > 0 {
		return l[0]
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// htmlText keeps reporter text inside an HTML element from opening a tag.
func htmlText(s string) string {
	s = oneLine(s)
	s = strings.ReplaceAll(s, "&", "&amp;")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, ">", "&gt;")
}
