package projects

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Canned is one canned response of a project's canned-responses.md: a `###`
// heading (its name) and the text under it, used verbatim in reply drafts with
// only its SCREAMING_SNAKE_CASE placeholders substituted (spec/intake.md §13).
type Canned struct {
	Name string `json:"name"` // the exact heading text
	Slug string `json:"slug"` // Slug(Name); the form stored in the rejections ledger
	Body string `json:"body"` // the reply text, leading and trailing blank lines trimmed
	// Applies is the optional "when it applies" note: an HTML comment at the
	// top of the section, kept out of Body so it never reaches a reporter.
	Applies string `json:"applies,omitempty"`
	// Placeholders lists the distinct placeholders of Body in order of first use.
	Placeholders []string `json:"placeholders"`
	Line         int      `json:"line"` // line of the heading in the file
}

// placeholderRE is the placeholder scan of spec/intake.md §4.13.
var placeholderRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b`)

// LoadCanned parses a canned-responses file. Every level-3 heading outside a
// fenced code block starts a response; the response ends at the next heading
// of level 1 to 3. Deeper headings belong to the body. Two headings with the
// same slug, or a heading without text, are reported as a *ValidationError.
func LoadCanned(path string) ([]Canned, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load canned responses: %w", err)
	}
	list := parseCanned(string(data))
	var problems []Problem
	seen := map[string]Canned{}
	for _, c := range list {
		switch {
		case c.Slug == "":
			problems = append(problems, Problem{File: path, Line: c.Line,
				Message: fmt.Sprintf("canned response heading %q has no letters or digits to name it by", c.Name)})
		case seen[c.Slug].Name != "":
			problems = append(problems, Problem{File: path, Line: c.Line,
				Message: fmt.Sprintf("canned response %q has the same name or slug as the heading on line %d", c.Name, seen[c.Slug].Line)})
		case strings.TrimSpace(c.Body) == "":
			problems = append(problems, Problem{File: path, Line: c.Line,
				Message: fmt.Sprintf("canned response %q has no text", c.Name)})
		}
		if _, dup := seen[c.Slug]; !dup {
			seen[c.Slug] = c
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return list, nil
}

// CannedResponses loads the project's canned-responses file.
func (c *Config) CannedResponses() ([]Canned, error) {
	return LoadCanned(resolve(c.Dir, c.Canned.File))
}

// FindCanned returns the response whose heading is exactly nameOrSlug or whose
// slug equals Slug(nameOrSlug). The error lists every valid name.
func FindCanned(list []Canned, nameOrSlug string) (Canned, error) {
	for _, c := range list {
		if c.Name == nameOrSlug {
			return c, nil
		}
	}
	if s := Slug(nameOrSlug); s != "" {
		for _, c := range list {
			if c.Slug == s {
				return c, nil
			}
		}
	}
	valid := make([]string, len(list))
	for i, c := range list {
		valid[i] = fmt.Sprintf("%q (%s)", c.Name, c.Slug)
	}
	return Canned{}, fmt.Errorf("no canned response named %q; valid names: %s", nameOrSlug, strings.Join(valid, ", "))
}

// Render substitutes every placeholder of the body with its value, verbatim.
// It fails when a placeholder has no (or an empty) value, or when values name
// a placeholder the response does not have: a draft never goes out with a
// placeholder left in it, and a typo in a value name is not silently dropped.
func (c Canned) Render(values map[string]string) (string, error) {
	var missing, unknown []string
	for _, p := range c.Placeholders {
		if strings.TrimSpace(values[p]) == "" {
			missing = append(missing, p)
		}
	}
	for k := range values {
		if !slices.Contains(c.Placeholders, k) {
			unknown = append(unknown, k)
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, "no value for "+strings.Join(missing, ", "))
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			parts = append(parts, "no placeholder named "+strings.Join(unknown, ", "))
		}
		return "", fmt.Errorf("render canned response %q (placeholders: %s): %s",
			c.Name, strings.Join(c.Placeholders, ", "), strings.Join(parts, "; "))
	}
	return placeholderRE.ReplaceAllStringFunc(c.Body, func(p string) string { return values[p] }), nil
}

// Slug is the canonical slug of a name: lower-case, every run of characters
// other than letters and digits replaced by one "-", no "-" at either end.
// "Negative assessment — not a vulnerability" → "negative-assessment-not-a-vulnerability".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// Placeholders returns the distinct SCREAMING_SNAKE_CASE placeholders of text
// in order of first appearance.
func Placeholders(text string) []string {
	out := []string{}
	for _, p := range placeholderRE.FindAllString(text, -1) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func parseCanned(text string) []Canned {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out []Canned
	var cur *Canned
	var body []string
	flush := func() {
		if cur == nil {
			return
		}
		cur.Applies, cur.Body = splitApplies(trimBlankLines(body))
		cur.Placeholders = Placeholders(cur.Body)
		out = append(out, *cur)
		cur, body = nil, nil
	}
	fence := false
	for i, line := range lines {
		if isFence(line) {
			fence = !fence
		}
		if !fence {
			if level, title, ok := atxHeading(line); ok && level <= 3 {
				flush()
				if level == 3 {
					cur = &Canned{Name: title, Slug: Slug(title), Line: i + 1}
				}
				continue
			}
		}
		if cur != nil {
			body = append(body, line)
		}
	}
	flush()
	return out
}

// splitApplies separates a leading HTML comment (the "when it applies" note)
// from the reply text.
func splitApplies(body string) (applies, rest string) {
	if !strings.HasPrefix(body, "<!--") {
		return "", body
	}
	end := strings.Index(body, "-->")
	if end < 0 {
		return "", body
	}
	note := strings.TrimSpace(body[len("<!--"):end])
	return strings.Join(strings.Fields(note), " "), trimBlankLines(strings.Split(body[end+len("-->"):], "\n"))
}

// isFence reports whether a line opens or closes a fenced code block (lenient:
// three backticks or tildes after optional indentation, as the body parser).
func isFence(line string) bool {
	t := strings.TrimLeft(line, " \t")
	return strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")
}

// atxHeading parses an ATX heading line ("## Title ##"), allowing up to three
// spaces of indentation.
func atxHeading(line string) (level int, title string, ok bool) {
	t := strings.TrimPrefix(line, " ")
	t = strings.TrimPrefix(t, " ")
	t = strings.TrimPrefix(t, " ")
	for level < len(t) && t[level] == '#' {
		level++
	}
	if level == 0 || level > 6 {
		return 0, "", false
	}
	rest := t[level:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", false
	}
	rest = strings.TrimSpace(rest)
	// An optional closing sequence of #s preceded by a space.
	if trimmed := strings.TrimRight(rest, "#"); trimmed != rest && (trimmed == "" || strings.HasSuffix(trimmed, " ")) {
		rest = strings.TrimSpace(trimmed)
	}
	return level, rest, true
}

func trimBlankLines(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func cannedNames(list []Canned) []string {
	names := make([]string, len(list))
	for i, c := range list {
		names[i] = c.Name
	}
	return names
}
