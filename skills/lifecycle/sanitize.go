package lifecycle

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// SanitizeDescription prepares reporter text for "The issue description" field
// (spec/intake.md §4.15.1, with the improvements of §18 item 7). It returns the
// text to write and notes for the import's rollup entry when something was
// malformed or suspicious. It is best effort for rendering; what it guarantees
// is structural: RenderBody with the result always passes ValidateRendered, so
// reporter text can never pose as, hide or swallow a field, and can never carry
// a machine marker (intake block, rollup, attachment, skill marker) that a
// detector would match.
//
// Line endings become LF. Then the code fences are checked with two models at
// once: the body parser's lenient rule (a left-trimmed line starting with ```
// or ~~~ toggles) and the renderer's (an opening fence of up to three spaces and
// at least three backticks or tildes, closed only by a run of the same character
// at least as long). When the two agree on every fence line and every fence is
// closed, the text is well formed and, outside fenced code only:
//   - ATX headings "#", "##", "###" (up to three spaces of indent) get three more
//     "#" (h4–h6, keeping their relative levels), so nothing renders or parses as a
//     field heading; "# comment" lines inside code are left alone;
//   - images are defused: every "![" becomes "[image: " (inline, reference and
//     shortcut images alike) and "<img" becomes "&lt;img", so nothing is fetched;
//   - every HTML comment is made visible ("<!--" becomes "&lt;!--"): hidden text in
//     a report is shown to the triager, and an unclosed comment cannot hide the
//     fields after it;
//   - unclosed "<details" elements are closed at the end (a note says so).
//
// Inside fenced code only comments that look like machine markers are touched
// ("<!--" becomes "<! --"); PoC code is otherwise kept byte for byte.
//
// When the fences are malformed (odd count, a fence line the two models read
// differently, an unclosed fence) the whole description is shown verbatim in a
// fence longer than any backtick run inside, with every inner fence-like line
// escaped by a leading backslash, and a note names the construct. Setext
// headings are left as they are: they cannot parse as fields and render as
// h1/h2, never as the h3 of a field.
func SanitizeDescription(s string) (out string, notes []string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = trimBlankEdges(s)
	if s == "" {
		return "", nil
	}
	if kinds := markerKinds(s); len(kinds) > 0 {
		notes = append(notes, fmt.Sprintf("the report contained machine-marker text (%s); it was neutralised", strings.Join(kinds, ", ")))
	}
	lines := strings.Split(s, "\n")
	if problem := checkFences(lines); problem != "" {
		notes = append(notes, fmt.Sprintf("the report's markdown was malformed at import (%s); the description is shown verbatim in a code block and may need manual cleanup", problem))
		return wrapVerbatim(lines), notes
	}

	var (
		inFence                 bool
		opens, closes           int
		comments, commentCloses int
	)
	for i, line := range lines {
		if isFenceLine(line) {
			inFence = !inFence
			lines[i] = neutraliseMarkersInCode(line) // an info string is code too
			continue
		}
		if inFence {
			lines[i] = neutraliseMarkersInCode(line)
			continue
		}
		opens += len(detailsOpenRE.FindAllStringIndex(line, -1))
		closes += len(detailsCloseRE.FindAllStringIndex(line, -1))
		comments += strings.Count(line, "<!--")
		commentCloses += strings.Count(line, "-->")
		lines[i] = sanitizeLine(line)
	}
	out = strings.Join(lines, "\n")
	if comments > 0 {
		note := fmt.Sprintf("%d hidden HTML comment(s) in the report were made visible", comments)
		if comments != commentCloses {
			note += " (unbalanced <!-- and -->)"
		}
		notes = append(notes, note)
	} else if commentCloses > 0 {
		notes = append(notes, "the report has a stray --> without <!--")
	}
	switch {
	case opens > closes:
		out += strings.Repeat("\n\n</details>", opens-closes)
		notes = append(notes, fmt.Sprintf("the report's markdown was malformed at import (%d unclosed <details>); closed at the end of the description", opens-closes))
	case closes > opens:
		notes = append(notes, fmt.Sprintf("the report's markdown has %d stray </details> without <details>", closes-opens))
	}
	return out, notes
}

var (
	detailsOpenRE  = regexp.MustCompile(`(?i)<details(?:[\s>/]|$)`)
	detailsCloseRE = regexp.MustCompile(`(?i)</details\s*>`)
	atxHeadingRE   = regexp.MustCompile(`^( {0,3})(#{1,3})([ \t]|$)`)
	imgTagRE       = regexp.MustCompile(`(?i)<img`)
	// markerLikeRE matches the start of any machine marker a detector in this
	// module (or the reference workflow) looks for.
	markerLikeRE = regexp.MustCompile(`(?i)<!--[ \t]*(intake v|apache-magpie:|generate-cve-json|vulnsteward|rejection|status-rollup|\S+ status rollup v)`)
)

// sanitizeLine applies the outside-of-code rules to one line.
func sanitizeLine(line string) string {
	if m := atxHeadingRE.FindStringSubmatchIndex(line); m != nil {
		line = line[:m[4]] + "###" + line[m[4]:]
	}
	line = strings.ReplaceAll(line, "![", "[image: ")
	line = imgTagRE.ReplaceAllString(line, "&lt;img")
	return strings.ReplaceAll(line, "<!--", "&lt;!--")
}

func neutraliseMarkersInCode(line string) string {
	return markerLikeRE.ReplaceAllStringFunc(line, func(m string) string {
		return "<! --" + m[len("<!--"):]
	})
}

func markerKinds(s string) []string {
	var kinds []string
	seen := map[string]bool{}
	for _, m := range markerLikeRE.FindAllStringSubmatch(s, -1) {
		k := strings.ToLower(m[1])
		if strings.HasSuffix(k, " status rollup v") {
			k = "status rollup"
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, "<!-- "+k)
		}
	}
	return kinds
}

// checkFences returns "" when the parser's lenient fence rule and the renderer's
// rule agree on every fence line and no fence is left open, else a description
// of the first problem.
func checkFences(lines []string) string {
	var (
		open     bool
		char     byte
		length   int
		openedAt int
	)
	for i, line := range lines {
		if !isFenceLine(line) {
			continue
		}
		c, n, rest, ok := renderedFence(line)
		switch {
		case !open && ok && (c == '~' || !strings.Contains(rest, "`")):
			open, char, length, openedAt = true, c, n, i+1
		case !open:
			return fmt.Sprintf("code-fence-like line %d is not a valid opening fence", i+1)
		case ok && c == char && n >= length && strings.Trim(rest, " \t") == "":
			open = false
		default:
			return fmt.Sprintf("code-fence-like line %d does not close the fence opened at line %d", i+1, openedAt)
		}
	}
	if open {
		return fmt.Sprintf("unclosed code fence opened at line %d", openedAt)
	}
	return ""
}

// renderedFence reads a line as a CommonMark fence: at most three spaces, then a
// run of at least three backticks or tildes.
func renderedFence(line string) (char byte, n int, rest string, ok bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || t == "" || (t[0] != '`' && t[0] != '~') {
		return 0, 0, "", false
	}
	char = t[0]
	for n < len(t) && t[n] == char {
		n++
	}
	return char, n, t[n:], n >= 3
}

// wrapVerbatim shows the lines as one code block the parser and the renderer
// both read the same way.
func wrapVerbatim(lines []string) string {
	longest := 0
	for _, line := range lines {
		run := 0
		for i := 0; i < len(line); i++ {
			if line[i] == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	var sb strings.Builder
	sb.WriteString(fence + "text\n")
	for _, line := range lines {
		if isFenceLine(line) {
			line = `\` + line
		}
		sb.WriteString(neutraliseMarkersInCode(line))
		sb.WriteString("\n")
	}
	sb.WriteString(fence)
	return sb.String()
}

// trimBlankEdges drops leading blank lines and trailing whitespace, keeping the
// indentation of the first line.
func trimBlankEdges(s string) string {
	first := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsSpace(r) })
	if first < 0 {
		return ""
	}
	s = s[strings.LastIndexByte(s[:first], '\n')+1:]
	return strings.TrimRightFunc(s, unicode.IsSpace)
}
