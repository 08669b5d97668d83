package projects

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// SecurityModelDoc is a project's security model, split into sections by
// heading so that triage can quote a section verbatim and link it by its
// anchor (spec/intake.md §9.4).
type SecurityModelDoc struct {
	Path     string `json:"path"`
	URL      string `json:"url"`   // the published model; section URLs are URL#anchor
	Title    string `json:"title"` // the first level-1 heading, if any
	sections []Section
}

// Section is one heading of the security model and the text under it.
type Section struct {
	Heading string `json:"heading"` // heading text as written
	Level   int    `json:"level"`   // 1 for #, 2 for ##, ...
	// Anchor is the fragment GitHub renders for the heading: lower-case,
	// punctuation dropped, spaces turned into "-", "-1", "-2"... for repeats.
	Anchor string `json:"anchor"`
	URL    string `json:"url,omitempty"` // the model URL with #Anchor; empty without a model URL
	// Body is the text under the heading up to the next heading of the same or
	// a higher level (so it includes subsections), blank edges trimmed.
	Body string `json:"body"`
	Line int    `json:"line"` // line of the heading in the file
}

// LoadSecurityModel reads the project's security-model file.
func (c *Config) LoadSecurityModel() (*SecurityModelDoc, error) {
	return loadSecurityModel(resolve(c.Dir, c.SecModel.File), c.SecModel.URL)
}

func loadSecurityModel(path, url string) (*SecurityModelDoc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load security model: %w", err)
	}
	doc := ParseSecurityModel(string(data), url)
	doc.Path = path
	return doc, nil
}

// ParseSecurityModel splits markdown text into sections. Headings inside fenced
// code blocks are not headings.
func ParseSecurityModel(text, url string) *SecurityModelDoc {
	doc := &SecurityModelDoc{URL: url}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	type heading struct {
		level, line int
		title       string
	}
	var hs []heading
	fence := false
	for i, line := range lines {
		if isFence(line) {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if level, title, ok := atxHeading(line); ok && title != "" {
			hs = append(hs, heading{level: level, line: i, title: title})
		}
	}
	used := map[string]int{}
	for k, h := range hs {
		end := len(lines)
		for _, next := range hs[k+1:] {
			if next.level <= h.level {
				end = next.line
				break
			}
		}
		anchor := headingAnchor(h.title)
		if n, dup := used[anchor]; dup {
			used[anchor] = n + 1
			anchor = anchor + "-" + strconv.Itoa(n+1)
		} else {
			used[anchor] = 0
		}
		s := Section{
			Heading: h.title,
			Level:   h.level,
			Anchor:  anchor,
			Body:    trimBlankLines(lines[h.line+1 : end]),
			Line:    h.line + 1,
		}
		if url != "" {
			s.URL = strings.TrimSuffix(url, "#") + "#" + anchor
		}
		if h.level == 1 && doc.Title == "" {
			doc.Title = h.title
		}
		doc.sections = append(doc.sections, s)
	}
	return doc
}

// Sections returns every section in document order.
func (d *SecurityModelDoc) Sections() []Section {
	return append([]Section(nil), d.sections...)
}

// Section finds a section by its heading (exact, then case-insensitive), its
// anchor (with or without "#", or a URL ending in "#anchor"), or the anchor a
// heading text would have.
func (d *SecurityModelDoc) Section(nameOrAnchor string) (Section, bool) {
	q := strings.TrimSpace(nameOrAnchor)
	for _, s := range d.sections {
		if s.Heading == q {
			return s, true
		}
	}
	for _, s := range d.sections {
		if strings.EqualFold(s.Heading, q) {
			return s, true
		}
	}
	frag := q
	if i := strings.LastIndexByte(frag, '#'); i >= 0 {
		frag = frag[i+1:]
	}
	for _, s := range d.sections {
		if s.Anchor == frag || s.Anchor == headingAnchor(q) {
			return s, true
		}
	}
	return Section{}, false
}

// FindQuote returns the most specific section whose body contains quote
// verbatim, ignoring differences in whitespace and line breaks, so a triage
// proposal's "verbatim quote" can be checked rather than trusted.
func (d *SecurityModelDoc) FindQuote(quote string) (Section, bool) {
	q := collapseSpace(quote)
	if q == "" {
		return Section{}, false
	}
	var best Section
	found := false
	for _, s := range d.sections {
		body := collapseSpace(s.Body)
		if strings.Contains(body, q) && (!found || len(s.Body) < len(best.Body)) {
			best, found = s, true
		}
	}
	return best, found
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

var (
	mdLinkRE  = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTagRE = regexp.MustCompile(`<[^>]+>`)
)

// headingAnchor computes GitHub's anchor for a heading: the rendered text
// (inline links reduced to their text, HTML tags and backticks dropped),
// lower-cased, every character that is not a letter, mark, digit, "_", "-"
// or space removed, and each space replaced by "-" (runs are not collapsed:
// "A — B" becomes "a--b", as on GitHub). Emphasis written with "_" is not
// unwrapped; write emphasis in headings with "*".
func headingAnchor(heading string) string {
	text := mdLinkRE.ReplaceAllString(heading, "$1")
	text = htmlTagRE.ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
