package lifecycle

import (
	"regexp"
	"strings"
	"unicode"
)

// The status rollup: one comment per tracker that carries every bot-authored
// status entry (spec/release.md §3, spec/intake.md §2.6). Its first line is the
// marker; each entry is its own <details> block; entries are separated by
// "\n\n---\n\n", oldest first, and are never reordered or rewritten.

// DefaultRollupMarker is the marker line the reference workflow writes.
const DefaultRollupMarker = "<!-- airflow-s status rollup v1 — all bot-authored status updates fold into this single comment. -->"

// DefaultRollupPrefix is the project name in DefaultRollupMarker.
const DefaultRollupPrefix = "airflow-s"

// RollupMarker is the marker line for a configured prefix ("" means
// DefaultRollupPrefix; a tracker slug such as "owner/repo" is fine).
func RollupMarker(prefix string) string {
	if prefix = strings.TrimSpace(prefix); prefix == "" {
		prefix = DefaultRollupPrefix
	}
	return "<!-- " + prefix + " status rollup v1 — all bot-authored status updates fold into this single comment. -->"
}

// rollupMarkerRE matches every rollup marker variant the workflow has written:
// "<!-- airflow-s status rollup v", "<!-- <owner/repo> status rollup v", any
// "<!-- X status rollup v", and the unified "<!-- apache-magpie: status-rollup v"
// that spec/release.md §12 item 11 recommends.
var rollupMarkerRE = regexp.MustCompile(`^<!-- (?:\S+ status rollup v|apache-magpie: status-rollup v)`)

// IsRollup reports whether a comment body is a status rollup: it starts (after
// leading whitespace) with a known rollup marker or with the marker of one of
// the extra prefixes. An extra prefix is either a project name as passed to
// RollupMarker ("airflow-s") or a literal marker start ("<!-- …").
func IsRollup(body string, extraPrefixes ...string) bool {
	body = strings.TrimLeftFunc(body, unicode.IsSpace)
	if rollupMarkerRE.MatchString(body) {
		return true
	}
	for _, p := range extraPrefixes {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			continue
		case strings.HasPrefix(p, "<!--"):
			if strings.HasPrefix(body, p) {
				return true
			}
		case strings.HasPrefix(body, "<!-- "+p+" status rollup v"):
			return true
		}
	}
	return false
}

// FindRollups returns the comments that are status rollups, in order. More than
// one means a human has to pick the one to keep: never write to either.
func FindRollups(comments []Comment, extraPrefixes ...string) []Comment {
	var out []Comment
	for _, c := range comments {
		if IsRollup(c.Body, extraPrefixes...) {
			out = append(out, c)
		}
	}
	return out
}

// Render returns the entry as it is written into the rollup:
//
//	<details><summary>{date} · @{handle} · {action}</summary>
//
//	{body}
//
//	</details>
//
// The body is trimmed and every line left-trimmed, as the rollup rules require
// (a line starting with whitespace breaks the <details> rendering); this applies
// to fenced code in the body too, which loses its indentation. A nested
// one-line "<details><summary>" in the body is split over two lines so the
// entry parser never mistakes it for the next entry. With an ID, the last body
// line is the hidden "<!-- vulnsteward entry <id> -->" that makes appends
// idempotent. Summary fields are kept on one line and free of " · " and "<" so
// the summary always parses back.
func (e RollupEntry) Render() string {
	var sb strings.Builder
	sb.WriteString("<details><summary>")
	sb.WriteString(summaryField(e.Date))
	sb.WriteString(" · @")
	sb.WriteString(summaryField(strings.TrimPrefix(strings.TrimSpace(e.Handle), "@")))
	sb.WriteString(" · ")
	sb.WriteString(summaryField(e.Action))
	sb.WriteString("</summary>\n\n")
	body := flushLeft(e.Body)
	if strings.TrimSpace(e.ID) != "" {
		if body != "" {
			body += "\n\n"
		}
		body += rollupEntryIDLine(e.ID)
	}
	sb.WriteString(body)
	sb.WriteString("\n\n</details>")
	return sb.String()
}

func summaryField(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "·", "-")
	return strings.ReplaceAll(s, "<", "&lt;")
}

// flushLeft trims the body and left-trims every line.
func flushLeft(body string) string {
	lines := strings.Split(strings.TrimSpace(lf(body)), "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimLeftFunc(l, unicode.IsSpace)
		if entryOpenRE.MatchString(l) {
			out = append(out, "<details>", strings.TrimPrefix(l, "<details>"))
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// rollupEntryIDLine is the hidden entry-id line. An id never contains
// whitespace or "--", so the line is one HTML comment.
func rollupEntryIDLine(id string) string {
	id = strings.Join(strings.Fields(id), "_")
	for strings.Contains(id, "--") {
		id = strings.ReplaceAll(id, "--", "-")
	}
	return "<!-- vulnsteward entry " + id + " -->"
}

// NewRollupBody is the body of a new rollup comment: the marker ("" means
// DefaultRollupMarker), a newline, the first entry.
func NewRollupBody(marker string, e RollupEntry) string {
	if marker == "" {
		marker = DefaultRollupMarker
	}
	return marker + "\n" + e.Render()
}

// AppendRollupEntry is the rollup body with one more entry at the end.
func AppendRollupEntry(old string, e RollupEntry) string {
	return strings.TrimRightFunc(old, unicode.IsSpace) + "\n\n---\n\n" + e.Render()
}

// RollupHasEntry reports whether the rollup already carries the entry with the id.
func RollupHasEntry(body, id string) bool {
	if strings.TrimSpace(id) == "" {
		return false
	}
	return strings.Contains(body, rollupEntryIDLine(id))
}

// ParsedEntry is one entry read back from a rollup. Parsed is false when the
// summary is not "date · @handle · action" (the entry is then kept as Raw text);
// text before the first entry, if any, is returned the same way.
type ParsedEntry struct {
	Date   string `json:"date,omitempty"`
	Handle string `json:"handle,omitempty"` // without "@"
	Action string `json:"action,omitempty"`
	Body   string `json:"body,omitempty"` // without the entry-id line
	Raw    string `json:"raw"`
	Parsed bool   `json:"parsed"`
	ID     string `json:"id,omitempty"`
}

var (
	entryOpenRE = regexp.MustCompile(`^<details><summary>(.+?)</summary>\s*$`)
	entryDateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	entryIDRE   = regexp.MustCompile(`(?m)^<!-- vulnsteward entry (\S+) -->[ \t\r]*$\n?`)
)

// ParseRollup reads the entries of a rollup comment (spec/release.md §3.1). The
// marker line is skipped. An entry starts at a line
// "<details><summary>…</summary>" and its body runs to the last "</details>"
// line before the next entry (a missing close tag is tolerated). Taking the
// last close tag rather than the first keeps a nested <details> block (a folded
// comment that embedded the CVE JSON, say) inside its entry, where the
// reference parser would cut the entry short.
func ParseRollup(body string) []ParsedEntry {
	body = lf(body)
	if IsRollup(body) {
		body = strings.TrimLeftFunc(body, unicode.IsSpace)
		if nl := strings.IndexByte(body, '\n'); nl >= 0 {
			body = body[nl+1:]
		} else {
			body = ""
		}
	}
	lines := strings.Split(body, "\n")
	var (
		out   []ParsedEntry
		start = -1 // line index of the current entry's open tag
	)
	flush := func(end int) {
		if start < 0 {
			if raw := trimSeparator(strings.Join(lines[:end], "\n")); raw != "" {
				out = append(out, ParsedEntry{Raw: raw})
			}
			return
		}
		out = append(out, parseEntry(lines[start:end]))
	}
	for i, l := range lines {
		if entryOpenRE.MatchString(l) {
			flush(i)
			start = i
		}
	}
	flush(len(lines))
	return out
}

func parseEntry(lines []string) ParsedEntry {
	summary := entryOpenRE.FindStringSubmatch(lines[0])[1]
	closeAt := -1
	for i := len(lines) - 1; i > 0; i-- {
		if strings.TrimRightFunc(lines[i], unicode.IsSpace) == "</details>" {
			closeAt = i
			break
		}
	}
	var e ParsedEntry
	if closeAt > 0 {
		e.Raw = strings.Join(lines[:closeAt+1], "\n")
		e.Body = strings.Join(lines[1:closeAt], "\n")
	} else {
		e.Raw = trimSeparator(strings.Join(lines, "\n"))
		e.Body = trimSeparator(strings.Join(lines[1:], "\n"))
	}
	if m := entryIDRE.FindAllStringSubmatch(e.Body, -1); len(m) > 0 {
		e.ID = m[len(m)-1][1]
		e.Body = entryIDRE.ReplaceAllString(e.Body, "")
	}
	e.Body = strings.TrimSpace(e.Body)

	parts := strings.Split(summary, "·")
	if len(parts) != 3 {
		return e
	}
	date, user, action := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
	if entryDateRE.MatchString(date) && strings.HasPrefix(user, "@") && action != "" {
		e.Date, e.Handle, e.Action, e.Parsed = date, strings.TrimPrefix(user, "@"), action, true
	}
	return e
}

// trimSeparator trims whitespace and a trailing "---" entry separator.
func trimSeparator(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, "\n---") || s == "---" {
		s = strings.TrimSpace(strings.TrimSuffix(s, "---"))
	}
	return s
}
