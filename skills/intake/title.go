package intake

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// title.go holds the two title transforms of spec/intake.md §4.11.2, kept
// apart on purpose: the tracker title at import is a light cleanup of the
// reporter's subject; the CVE title is the per-project cascade that yields
// the bare vulnerability description at allocation time.

// maxTitleRunes caps a tracker title (§18.20): subjects are attacker-controlled.
const maxTitleRunes = 120

var (
	// replyPrefixRE: reply and forward prefixes in the languages mail clients
	// use ("Re:", "Fwd:", "AW:", "WG:", "SV:", "VS:", "Antw:", "TR:", "RV:",
	// "RES:", "ENC:", "Odp:", "PD:", "YNT:", "回复：", "转发:", "返信:", "Ответ:", …),
	// with an optional counter ("Re[2]:", "Re(3):").
	replyPrefixRE = regexp.MustCompile(`(?i)^\s*(?:re|fw|fwd|aw|wg|sv|vs|vb|antw|antwort|doorst|tr|rv|res|enc|odp|pd|ynt|ilt|rif|r|réf|ref|vl|fs|atb|απ|σχετ|πρθ|回复|回覆|答复|转发|轉寄|转寄|返信|転送|답장|전달|ответ|отв|пересл|הועבר|השב|رد|توجيه)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*`)
	// bracketTagRE: a leading bracketed tag of any kind ("[SECURITY]",
	// "[Security Report]", "[owner/repo]", "[EXTERNAL]", "【安全】"); a
	// parenthesised one only when it is a security or mail-system tag, since
	// "(Authenticated) SSRF" is part of the title.
	bracketTagRE   = regexp.MustCompile(`(?i)^\s*(?:\[[^\]\n]{0,80}\]|【[^】\n]{0,80}】|\((?:[^)\n]{0,40}\b)?(?:security|important|external|ext|spam|suspected spam|confidential|private|embargoed)\b[^)\n]{0,40}\)|\*{2,}[^*\n]{1,30}\*{2,})\s*[:\-–—|]*\s*`)
	cveCandidateRE = regexp.MustCompile(`(?i)^\s*(?:possible\s+|potential\s+)?CVE[\s-]+(?:candidate|request)\s*[:\-–—|]\s*`)
	plainTagRE     = regexp.MustCompile(`(?i)^\s*security\s+(?:report|issue|vulnerability|bug|advisory|disclosure)\s*[:|\-–—]+\s*`)
	// trailing CVSS annotations and severity labels: the reporter's scoring
	// never reaches a tracker title (§14.5).
	trailingCVSSREs = []*regexp.Regexp{
		regexp.MustCompile(`(?i)\s*[\(\[]\s*CVSS[^)\]\n]*[\)\]]\s*$`),
		regexp.MustCompile(`(?i)\s*[-–—|,:;]\s*CVSS\b.*$`),
		regexp.MustCompile(`(?i)\s+CVSS(?:\s*v?[234](?:\.\d)?)?(?:\s+base)?(?:\s+score)?\s*[:=]?\s*\d{1,2}(?:\.\d)?(?:\s*/\s*10(?:\.0)?)?(?:\s*\(?(?:critical|high|medium|low|none)\)?)?\s*$`),
		regexp.MustCompile(`\s*\(?CVSS:[234]\.\d/\S+\)?\s*$`),
		regexp.MustCompile(`(?i)\s*[\(\[]\s*(?:severity\s*[:=]?\s*)?(?:critical|high|medium|low|moderate)(?:\s+(?:severity|risk|impact))?\s*[\)\]]\s*$`),
		regexp.MustCompile(`(?i)\s*[-–—|,]\s*(?:severity|risk)\s*[:=]?\s*(?:critical|high|medium|low|moderate)\s*$`),
	}
	leadingSepRE = regexp.MustCompile(`^[\s:|\-–—,;.]+`)
)

// CleanSubject is the tracker title at import: the reporter's subject with
// reply/forward prefixes (any language, repeated), bracketed tags, "CVE
// candidate -", configured prefixes, "<product>:" prefixes and trailing CVSS
// or severity annotations stripped; control, bidi and zero-width characters
// removed; whitespace collapsed; at most 120 runes cut on a word boundary;
// never starting with "#" and never multi-line. It never adds the product.
// If stripping would leave nothing, the subject without reply prefixes is used.
func CleanSubject(subject string, strip []string, productNames []string) string {
	s := oneLineText(subject)
	products := sortedByLength(productNames)
	strip = sortedByLength(strip)

	replyOnly := s
	for i := 0; i < 20; i++ {
		before := replyOnly
		replyOnly = replyPrefixRE.ReplaceAllString(replyOnly, "")
		if replyOnly == before {
			break
		}
	}

	for i := 0; i < 20; i++ {
		before := s
		s = replyPrefixRE.ReplaceAllString(s, "")
		s = bracketTagRE.ReplaceAllString(s, "")
		s = cveCandidateRE.ReplaceAllString(s, "")
		s = plainTagRE.ReplaceAllString(s, "")
		s = stripConfigured(s, strip)
		s = stripProductPrefix(s, products)
		for _, re := range trailingCVSSREs {
			s = re.ReplaceAllString(s, "")
		}
		s = strings.TrimLeft(leadingSepRE.ReplaceAllString(s, ""), "#")
		if s == before {
			break
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		s = strings.TrimSpace(strings.TrimLeft(replyOnly, "# \t"))
	}
	return capRunes(s, maxTitleRunes)
}

// oneLineText removes invisible and control characters and collapses all
// whitespace (newlines included) to single spaces.
func oneLineText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r' || r == '\v' || r == '\f':
			return ' '
		case isInvisible(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func sortedByLength(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// stripConfigured removes a configured prefix (product.subject_prefix_strip),
// case-insensitively, and the separator after it. A prefix that ends in a
// letter or digit must end at a word boundary.
func stripConfigured(s string, prefixes []string) string {
	for _, p := range prefixes {
		if len(s) < len(p) || !strings.EqualFold(s[:len(p)], p) {
			continue
		}
		rest := s[len(p):]
		if last := p[len(p)-1]; isWordByte(last) && rest != "" && isWordByte(rest[0]) {
			continue
		}
		return strings.TrimLeft(rest, " \t:|-–—")
	}
	return s
}

// stripProductPrefix removes "<product>:" or "<product> 2.9:" (a separator is
// required: "Larkspur scheduler crash" is a title, not a tag).
func stripProductPrefix(s string, products []string) string {
	for _, p := range products {
		re := regexp.MustCompile(`(?i)^\s*` + regexp.QuoteMeta(p) + `(?:\s+v?\d+(?:\.\d+)*(?:\.x)?)?\s*[:|\-–—]\s*`)
		if loc := re.FindStringIndex(s); loc != nil {
			return s[loc[1]:]
		}
	}
	return s
}

// capRunes cuts s to at most n runes on a word boundary, marking the cut.
func capRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n - 1 // room for the ellipsis
	for i := cut; i > n/2; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,;:-–—") + "…"
}

// CVETitleConfig parameterises the CVE title cascade (title-normalization.md).
type CVETitleConfig struct {
	// ProjectNames are full names ("Apache Larkspur"): rules 3 and 6.
	ProjectNames []string
	// ProductNames are bare names ("Larkspur"): rule 4 and the version
	// parenthetical of rule 7.
	ProductNames []string
	// ExternalIDPrefixes extend rule 9 (default ZDRES, HUNTR, GHSL).
	ExternalIDPrefixes []string
}

var (
	cveRule1  = regexp.MustCompile(`(?i)^[ \t]*(?:\[[^\]]*\b(?:Security|Important)\b[^\]]*\]|\([^)]*\b(?:Security|Important)\b[^)]*\))[ \t:|\-–—]*`)
	cveRule2  = regexp.MustCompile(`(?i)^[ \t]*Security (?:Report|Issue|Vulnerability|Bug)[ \t:|\-–—]+`)
	cveRule8  = regexp.MustCompile(`[ \t]*\(GHSA-[\w-]+\)\.?[ \t]*$`)
	cveRule10 = regexp.MustCompile(`(?i)[ \t]*\([^)]*split from #\d+[^)]*\)\.?[ \t]*$`)
	// versionSuffix is the optional version after a name in rules 3, 4 and 7.
	versionSuffix = `(?:[ \t]+v?\d+(?:\.\d+)*(?:\.x)?(?:[-.]?\w+)?)?`
)

// CVETitle applies the twelve-rule cascade of §4.11.2 and returns the bare
// vulnerability description with warnings. A result under three words is a
// warning: over-stripping is worse than one redundant word. When the cascade
// strips everything the original (trimmed) is returned with a warning.
func CVETitle(title string, cfg CVETitleConfig) (string, []string) {
	orig := oneLineText(title)
	s := orig
	var warnings []string

	s = cveRule1.ReplaceAllString(s, "")                 // 1
	s = cveRule2.ReplaceAllString(s, "")                 // 2
	for _, p := range sortedByLength(cfg.ProjectNames) { // 3
		s = regexp.MustCompile(`(?i)^[ \t]*`+regexp.QuoteMeta(p)+`\b`+versionSuffix+`[ \t]*[:|\-–—]*[ \t]*`).ReplaceAllString(s, "")
	}
	for _, p := range sortedByLength(cfg.ProductNames) { // 4
		s = regexp.MustCompile(`(?i)^[ \t]*`+regexp.QuoteMeta(p)+`\b`+versionSuffix+`[ \t]*[:|\-–—]*[ \t]*`).ReplaceAllString(s, "")
	}
	s = cveRule1.ReplaceAllString(s, "") // 5
	s = cveRule2.ReplaceAllString(s, "")
	for _, p := range sortedByLength(cfg.ProjectNames) { // 6
		s = regexp.MustCompile(`(?i)[ \t]+in[ \t]+`+regexp.QuoteMeta(p)+versionSuffix+`\.?[ \t]*$`).ReplaceAllString(s, "")
	}
	names := append(sortedByLength(cfg.ProjectNames), sortedByLength(cfg.ProductNames)...)
	nameAlt := ""
	if len(names) > 0 {
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = regexp.QuoteMeta(n)
		}
		nameAlt = `(?:(?:` + strings.Join(q, "|") + `)[ \t]+)?`
	}
	rule7 := regexp.MustCompile(`(?i)[ \t]*\(` + nameAlt + `(?:v|version[ \t]*)?\d+(?:\.\d+)+(?:\.x)?[\w.\-]*\)\.?[ \t]*$`)
	s = rule7.ReplaceAllString(s, "")    // 7
	s = cveRule8.ReplaceAllString(s, "") // 8
	prefixes := cfg.ExternalIDPrefixes
	if len(prefixes) == 0 {
		prefixes = []string{"ZDRES", "HUNTR", "GHSL"}
	}
	q := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		if p = strings.TrimSpace(p); p != "" {
			q = append(q, regexp.QuoteMeta(p))
		}
	}
	if len(q) > 0 { // 9
		alt := strings.Join(q, "|")
		s = regexp.MustCompile(`[ \t]*(?:\[(?:`+alt+`)-[\w-]+\]|\((?:`+alt+`)-[\w-]+\))\.?[ \t]*$`).ReplaceAllString(s, "")
	}
	s = cveRule10.ReplaceAllString(s, "")                               // 10
	s = strings.Join(strings.Fields(strings.TrimRight(s, " \t.")), " ") // 11
	if r := []rune(s); len(r) > 0 {                                     // 12
		r[0] = unicode.ToUpper(r[0])
		s = string(r)
	}

	if s == "" {
		return strings.TrimSpace(orig), []string{"the cascade stripped the whole title; kept the original"}
	}
	if n := len(strings.Fields(s)); n < 3 {
		warnings = append(warnings, fmt.Sprintf("result has %d word(s): check it against the original %q (over-stripping is worse than one redundant word)", n, orig))
	}
	return s, warnings
}
