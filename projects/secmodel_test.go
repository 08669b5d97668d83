package projects

import (
	"strings"
	"testing"
)

func TestHeadingAnchor(t *testing.T) {
	cases := map[string]string{
		"Trust boundaries":                         "trust-boundaries",
		"Denial of service by authenticated users": "denial-of-service-by-authenticated-users",
		"Self-XSS": "self-xss",
		"What's `new` in [v2.4](https://x.example/)?": "whats-new-in-v24",
		"A — B":                 "a--b",
		"snake_case and *bold*": "snake_case-and-bold",
		"Ünïcode Überschrift":   "ünïcode-überschrift",
		"<code>Tags</code> too": "tags-too",
	}
	for in, want := range cases {
		if got := headingAnchor(in); got != want {
			t.Errorf("headingAnchor(%q) = %q, want %q", in, got, want)
		}
	}
}

const modelDoc = `# Model

Intro.

## Roles

Roles intro.

### Authenticated users

Authenticated users are trusted to act within the permissions of their
projects, and nothing more.

### Plugin authors

Plugin authors are trusted.

## Roles

Second section with the same heading.

` + "```" + `
## Not a heading
` + "```" + `
`

func TestParseSecurityModel(t *testing.T) {
	doc := ParseSecurityModel(modelDoc, "https://example-server.example/docs/security-model")
	if doc.Title != "Model" {
		t.Errorf("Title = %q", doc.Title)
	}
	var got []string
	for _, s := range doc.Sections() {
		got = append(got, s.Anchor)
	}
	if want := "model roles authenticated-users plugin-authors roles-1"; strings.Join(got, " ") != want {
		t.Errorf("anchors = %v, want %s", got, want)
	}

	roles, ok := doc.Section("Roles")
	if !ok || !strings.Contains(roles.Body, "### Plugin authors") || strings.Contains(roles.Body, "Second section") {
		t.Errorf("Roles body should include its subsections and stop at the next ## heading:\n%s", roles.Body)
	}
	second, ok := doc.Section("roles-1")
	if !ok || !strings.Contains(second.Body, "## Not a heading") || second.Line != 18 {
		t.Errorf("second Roles = %+v, %v", second, ok)
	}
	lookups := []string{"Authenticated users", "authenticated users", "authenticated-users", "#authenticated-users",
		"https://example-server.example/docs/security-model#authenticated-users"}
	for _, q := range lookups {
		s, ok := doc.Section(q)
		if !ok || s.Anchor != "authenticated-users" {
			t.Errorf("Section(%q) = %q, %v", q, s.Anchor, ok)
		}
		if s.URL != "https://example-server.example/docs/security-model#authenticated-users" {
			t.Errorf("URL = %q", s.URL)
		}
	}
	if _, ok := doc.Section("Nope"); ok {
		t.Error("Section(Nope) found something")
	}

	q, ok := doc.FindQuote("Authenticated users are trusted to act within the permissions of their projects,")
	if !ok || q.Anchor != "authenticated-users" {
		t.Errorf("FindQuote across a line break = %q, %v; want the most specific section", q.Anchor, ok)
	}
	if _, ok := doc.FindQuote("Authenticated users are fully trusted."); ok {
		t.Error("FindQuote accepted a paraphrase")
	}
}

func TestExampleSecurityModel(t *testing.T) {
	c, err := Load("example")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := c.LoadSecurityModel()
	if err != nil {
		t.Fatal(err)
	}
	for _, anchor := range []string{"trust-boundaries", "authenticated-users", "plugin-authors",
		"denial-of-service-by-authenticated-users", "server-side-requests", "self-xss", "trust-boundary-cheat-sheet"} {
		s, ok := doc.Section(anchor)
		if !ok {
			t.Errorf("example model lacks #%s", anchor)
			continue
		}
		if s.URL != c.SecModel.URL+"#"+anchor || strings.TrimSpace(s.Body) == "" {
			t.Errorf("#%s: URL %q, body %d bytes", anchor, s.URL, len(s.Body))
		}
	}
}
