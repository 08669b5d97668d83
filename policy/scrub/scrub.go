// Package scrub is the leak guard for text that leaves the private side:
// CheckPublic for everything bound for the public upstream repository (branch
// names, commit messages, PR titles and bodies, newsfragments, public
// comments) and CheckReporter for reply drafts to a reporter.
//
// The rules are the ones in the project's workflow (docs: spec/release.md
// §5.7 and §6.9, intake.md §14): no CVE or GHSA id, no security wording or
// attack-class name, no tracker slug, URL or reference, no CNA-tool URL, no
// configured project term, no other project's name and no reporter's name
// until the advisory is public; to a reporter, no CNA-tool or private-list
// URL, no other reporter's identity, and never their own CVSS or CWE echoed
// back.
//
// Matching runs on a skeleton of the text (see Normalize) so that case,
// look-alike letters of other scripts, fullwidth and styled letters,
// diacritics, zero-width and other invisible characters, soft hyphens,
// hyphenated line breaks, letters spelled out one by one ("v u l n") or
// split by spaces, dots, underscores and hyphens ("vul ner-ability",
// "security_fix", "PathTraversal"), and leetspeak digits in long words
// ("vu1n3rab1e") do not hide a match. Hits report the offset and text of the
// original.
//
// Decisions that trade recall for false positives, stated so a maintainer can
// check them:
//   - Words are matched as whole words, where camelCase and snake_case parts
//     count as words: "fetchCVE", "cve_id", "XSSFilter" and "CVEs" are hits;
//     "recvec", "advise", "Advisor", "dependency injection", "secure
//     defaults", "issue tracker", "RC3" are not.
//   - Letters of a phrase may be split by any spacing inside one sentence;
//     a sentence end (". ", "!", "?"), a comma or colon, a blank line, a list
//     item or a line starting with a capital letter ends a phrase, so
//     "improve security. Fix the test" is clean.
//   - Leetspeak is folded only in words of five or more letters, and a match
//     must keep more letters than digits, so version strings, hashes and
//     "rc3" never match.
//   - Terms that are ordinary words (an other-project name such as "Beam")
//     are still reported; the caller shows hits to a human.
//   - "#N" alone is not flagged: it also names public PRs. The tracker is
//     flagged by its slug, URLs and "<repo>#N".
//
// This package only reports; it decides nothing and must not import skills/
// or integrations/. Matching is best effort: wording that reconstructs the
// attack without any listed word is not caught, which is why a human reviews
// every public text.
package scrub

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/vulnsteward/vulnsteward/policy/internal/textfold"
)

// Rule names reported in Hit.Rule.
const (
	RuleCVEID           = "cve-id"
	RuleCVE             = "cve"
	RuleGHSA            = "ghsa-id"
	RuleVulnID          = "vuln-db-id" // OSV, PYSEC, RUSTSEC, GO-, ZDI, Snyk ids
	RuleSecurityWording = "security-wording"
	RuleAttackClass     = "attack-class"
	RuleCWE             = "cwe-id"
	RuleCVSS            = "cvss"
	RuleTracker         = "tracker"
	RuleCNAURL          = "cna-url"
	RuleTerm            = "term"
	RuleOtherProject    = "other-project"
	RuleCrossProject    = "cross-project"
	RuleReporter        = "reporter"
	RulePrivateList     = "private-list-url"
	RuleOtherReporter   = "other-reporter"
	RuleReporterCVSS    = "reporter-cvss"
	RuleReporterCWE     = "reporter-cwe"
)

// Rules configures CheckPublic for one project and one tracker.
type Rules struct {
	// TrackerRepo is the private tracker's "owner/name".
	TrackerRepo string
	// Terms are project-specific words or phrases that must not appear
	// publicly (matched as whole words).
	Terms []string
	// OtherProjects are names of other projects whose issues must never be
	// hinted at (matched as whole words).
	OtherProjects []string
	// CNAURLs are the CNA tool's URLs; any mention of their host is a hit
	// (host and path for shared hosts such as github.com).
	CNAURLs []string
	// ReporterNames are the names, handles or addresses of the reporters.
	ReporterNames []string
	// AllowCVE permits CVE and GHSA ids once the advisory is public. Security
	// wording, tracker references and names stay checked.
	AllowCVE bool
}

// ReporterRules configures CheckReporter for one draft to one reporter.
type ReporterRules struct {
	CNAURLs         []string
	PrivateListURLs []string
	// OtherReporters are people other than the addressee who reported the
	// same or related issues.
	OtherReporters []string
	// ReporterCVSS are the CVSS vectors or scores the reporter sent.
	ReporterCVSS []string
	// ReporterCWE are the CWE ids (optionally "CWE-79: name") the reporter sent.
	ReporterCWE []string
}

// Hit is one match: the rule, the original text matched and its byte offset.
type Hit struct {
	Rule   string `json:"rule"`
	Match  string `json:"match"`
	Offset int    `json:"offset"`
}

// Normalize returns the skeleton the matchers run on: invisible characters
// and soft hyphens removed, compatibility forms (fullwidth, styled letters,
// ligatures) and diacritics folded, look-alike Cyrillic, Greek and Armenian
// letters mapped to Latin, digits of any script to ASCII, dashes to "-",
// spaces to " ", lower case, hyphenated line breaks joined, and letters
// spelled out one at a time joined into a word. HTML character references
// are decoded and HTML tags dropped first.
func Normalize(s string) string { return skeleton(s).S }

func skeleton(s string) *textfold.View {
	return textfold.Build(s).StripTags().JoinHyphenatedLines().CollapseSpacedLetters()
}

// CheckPublic returns the hits of the public-upstream rules in text, sorted by
// offset and without duplicates. An empty result means no rule matched.
func CheckPublic(text string, r Rules) []Hit {
	t := newTarget(text)
	var hits []Hit
	for _, m := range builtinMatchers {
		if r.AllowCVE && (m.rule == RuleCVEID || m.rule == RuleCVE || m.rule == RuleGHSA || m.rule == RuleVulnID) {
			continue
		}
		hits = append(hits, m.find(t)...)
	}
	hits = append(hits, trackerMatchers(r.TrackerRepo).findAll(t)...)
	hits = append(hits, urlMatchers(RuleCNAURL, r.CNAURLs, true).findAll(t)...)
	hits = append(hits, wordMatchers(RuleTerm, r.Terms).findAll(t)...)
	hits = append(hits, wordMatchers(RuleOtherProject, r.OtherProjects).findAll(t)...)
	hits = append(hits, nameMatchers(RuleReporter, r.ReporterNames).findAll(t)...)
	return dedupe(hits)
}

// CheckReporter returns the hits of the reporter-draft rules in text, sorted
// by offset and without duplicates.
func CheckReporter(text string, r ReporterRules) []Hit {
	t := newTarget(text)
	var hits []Hit
	hits = append(hits, urlMatchers(RuleCNAURL, r.CNAURLs, true).findAll(t)...)
	hits = append(hits, urlMatchers(RulePrivateList, r.PrivateListURLs, false).findAll(t)...)
	hits = append(hits, listAddressInURL(t, r.PrivateListURLs)...)
	hits = append(hits, nameMatchers(RuleOtherReporter, r.OtherReporters).findAll(t)...)
	hits = append(hits, reporterCVSS(t, r.ReporterCVSS)...)
	hits = append(hits, reporterCWE(t, r.ReporterCWE)...)
	return dedupe(hits)
}

// target is a text with its two matching views.
//
// a is the skeleton (Normalize). c is a with every separator inside a
// sentence removed, so that "vul ner_ability" and "Path-Traversal" read as
// one word; punctuation that ends a phrase stays in c and blocks matches
// across it. cIdx maps each byte of c to its byte in a.
type target struct {
	text string
	a    *textfold.View
	c    *textfold.View
	cIdx []int
}

func newTarget(text string) *target {
	a := skeleton(text)
	s := a.S
	keep := make([]bool, len(s))
	var idx []int
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case textfold.IsAlnum(ch) || ch == '@' || ch == '$':
			keep[i] = true
		case ch == '.':
			// A dot inside a word ("security.fix", "C.V.E") joins; a dot
			// before a space or the end ends a sentence.
			keep[i] = i+1 >= len(s) || s[i+1] == ' ' || s[i+1] == '\n'
		case ch == '\n':
			keep[i] = phraseBreakAtNewline(a, i)
		case strings.IndexByte(",;:!?()[]{}<>\"#=&|", ch) >= 0:
			keep[i] = true
		}
		if keep[i] {
			idx = append(idx, i)
		}
	}
	return &target{text: text, a: a, c: a.Keep(keep), cIdx: idx}
}

// phraseBreakAtNewline reports whether the line break at a.S[i] ends a
// phrase: a blank line, a list item, a heading or quote, or a line that
// starts with a capital letter. Other line breaks are wrapping.
func phraseBreakAtNewline(a *textfold.View, i int) bool {
	s := a.S
	j := i + 1
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j >= len(s) {
		return true
	}
	switch ch := s[j]; {
	case ch == '\n', strings.IndexByte("-*+#>|", ch) >= 0:
		return true
	case '0' <= ch && ch <= '9':
		k := j
		for k < len(s) && '0' <= s[k] && s[k] <= '9' {
			k++
		}
		return k < len(s) && (s[k] == '.' || s[k] == ')')
	case 'a' <= ch && ch <= 'z':
		return a.Upper(j)
	}
	return false
}

func isLeetSym(c byte) bool { return c == '@' || c == '$' }

func wordish(c byte) bool { return textfold.IsAlnum(c) || isLeetSym(c) }

// startsWord reports whether a word begins at byte i of the skeleton.
func (t *target) startsWord(i int) bool {
	s := t.a.S
	if i > 0 && s[i-1] == '@' && (i == 1 || !wordish(s[i-2])) {
		return true // "@handle"
	}
	if i > 0 && isLeetSym(s[i-1]) {
		return false
	}
	if isLeetSym(s[i]) {
		return i == 0 || !wordish(s[i-1])
	}
	return t.a.WordStart(i)
}

// endsWord reports whether a word ends at byte i of the skeleton.
func (t *target) endsWord(i int) bool {
	s := t.a.S
	if i+1 < len(s) && isLeetSym(s[i+1]) {
		return false
	}
	if isLeetSym(s[i]) {
		return i+1 == len(s) || !wordish(s[i+1])
	}
	return t.a.WordEnd(i)
}

// view selects which skeleton a matcher runs on.
type view int

const (
	viewA view = iota // the skeleton with its separators
	viewC             // the skeleton with in-sentence separators removed
)

// matcher is one rule's pattern over one view.
type matcher struct {
	rule  string
	re    *regexp.Regexp
	view  view
	start bool // the match must begin a word
	end   bool // the match must end a word
	leet  bool // the pattern has leetspeak classes: the match must keep more letters than digits
	// stem: the match may end inside a word; the hit extends to the word's end.
	stem bool
	// oneWord: no word may start inside the match (short tokens).
	oneWord bool
	check   func(t *target, a, b int) bool
}

type matchers []matcher

func (ms matchers) findAll(t *target) []Hit {
	var out []Hit
	for _, m := range ms {
		out = append(out, m.find(t)...)
	}
	return out
}

func (m matcher) find(t *target) []Hit {
	v := t.a
	if m.view == viewC {
		v = t.c
	}
	var out []Hit
	// Search on after a rejected match's first byte, not its end: a match
	// that fails a word-boundary check must not hide one that starts inside it.
	for pos := 0; pos <= len(v.S); {
		loc := m.re.FindStringIndex(v.S[pos:])
		if loc == nil {
			break
		}
		a, b := pos+loc[0], pos+loc[1]
		if a == b {
			pos = a + 1
			continue
		}
		if !m.accept(t, v, a, b) {
			pos = a + 1
			continue
		}
		pos = b
		start, end := v.Span(a, b)
		if m.stem {
			last := b - 1
			if m.view == viewC {
				last = t.cIdx[last]
			}
			for limit := last + 64; last+1 < len(t.a.S) && last < limit && !t.endsWord(last); {
				last++
			}
			_, end = t.a.Span(last, last+1)
		}
		out = append(out, Hit{Rule: m.rule, Match: t.text[start:end], Offset: start})
	}
	return out
}

// accept applies the matcher's word-boundary, leetspeak and custom checks to
// the match [a, b) of view v.
func (m matcher) accept(t *target, v *textfold.View, a, b int) bool {
	aa, bb := a, b-1 // first and last byte in the skeleton a
	if m.view == viewC {
		aa, bb = t.cIdx[a], t.cIdx[b-1]
	}
	if m.start && !t.startsWord(aa) || m.end && !t.endsWord(bb) {
		return false
	}
	if m.leet && !mostlyLetters(v.S[a:b]) {
		return false
	}
	if m.oneWord {
		// A case change inside splits the token only when both parts have
		// two letters or more: "IDOr" is two words, "xSs" is one.
		for k := aa + 2; k <= bb-1; k++ {
			if t.a.WordStart(k) {
				return false
			}
		}
	}
	return m.check == nil || m.check(t, aa, bb+1)
}

// mostlyLetters keeps leetspeak matches honest: more letters than digits and
// symbols, and at least three letters.
func mostlyLetters(s string) bool {
	letters, other := 0, 0
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			letters++
		} else {
			other++
		}
	}
	return letters >= 3 && letters > other
}

// leetClass is what a letter may be written as in leetspeak.
var leetClass = map[byte]string{
	'a': "[a4@]", 'b': "[b8]", 'e': "[e3]", 'i': "[i1!|]", 'l': "[l1!|]", 'o': "[o0]", 's': "[s5$]", 't': "[t7]",
}

// leetify rewrites the letters of a pattern (outside escapes and character
// classes) into their leetspeak classes.
func leetify(pat string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat):
			b.WriteByte(c)
			b.WriteByte(pat[i+1])
			i++
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		case !inClass && leetClass[c] != "" && !(i >= 1 && pat[i-1] == '?' && i >= 2 && pat[i-2] == '('):
			b.WriteString(leetClass[c])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func dedupe(hits []Hit) []Hit {
	family := func(rule string) string {
		if rule == RuleCVE {
			return RuleCVEID
		}
		return rule
	}
	slices.SortFunc(hits, func(x, y Hit) int {
		return cmp.Or(cmp.Compare(x.Offset, y.Offset), cmp.Compare(len(y.Match), len(x.Match)), strings.Compare(x.Rule, y.Rule))
	})
	var out []Hit
	reach := map[string]int{} // furthest end of a kept hit, per rule family
	for _, h := range hits {
		f, end := family(h.Rule), h.Offset+len(h.Match)
		if r, ok := reach[f]; ok && end <= r {
			continue
		}
		reach[f] = max(reach[f], end)
		out = append(out, h)
	}
	return out
}
