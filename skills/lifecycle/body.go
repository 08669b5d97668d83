package lifecycle

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// The tracker body is a GitHub issue-form document: a preamble, then a sequence
// of "### <heading>" sections (spec/release.md §1.1, §2; spec/intake.md §2.1, §2.3).
// These are the headings every tracker carries, in the order a generated body
// lists them. Matching is exact and case-sensitive.
const (
	FieldDescription      = "The issue description"
	FieldPublicSummary    = "Short public summary for publish"
	FieldAffectedVersions = "Affected versions"
	FieldThread           = "Security mailing list thread"
	FieldAdvisoryURL      = "Public advisory URL"
	FieldCredit           = "Reporter credited as"
	FieldFixPR            = "PR with the fix"
	FieldRemediationDev   = "Remediation developer"
	FieldCWE              = "CWE"
	FieldSeverity         = "Severity"
	FieldCVETool          = "CVE tool link"
)

// FieldOrder lists the 11 headings in the order RenderBody writes them. It is a
// copy: changing it changes neither RenderBody nor ValidateRendered.
var FieldOrder = fieldOrder()

func fieldOrder() []string {
	return []string{
		FieldDescription, FieldPublicSummary, FieldAffectedVersions, FieldThread,
		FieldAdvisoryURL, FieldCredit, FieldFixPR, FieldRemediationDev,
		FieldCWE, FieldSeverity, FieldCVETool,
	}
}

// NoResponse is what GitHub issue forms write into an unfilled field. On read it
// means "unset" (so does the italic variant "*No response*").
const NoResponse = "_No response_"

const noResponseStar = "*No response*"

var (
	// ErrFieldMissing: the body has no heading with that name. Set never invents
	// a heading; a legacy tracker needs a manual edit.
	ErrFieldMissing = errors.New("body field heading not found")
	// ErrFieldDuplicate: the heading appears more than once. Set refuses to
	// guess; Get returns the first occurrence's value together with this error.
	ErrFieldDuplicate = errors.New("body field heading appears more than once")
	// ErrUnsafeValue: writing the value would change the body's field structure
	// (add or hide a heading, swallow the next field in an open code fence, or
	// add or hide a CVE-JSON attachment), so Set refuses it.
	ErrUnsafeValue = errors.New("value would change the body's field structure")
	// ErrBodyStructure: a rendered body does not parse back into the 11 fields.
	ErrBodyStructure = errors.New("body does not have the expected field structure")
)

// Body is a parsed tracker body. String returns the input byte for byte until a
// Set or SetAttachment changes it; those change only the bytes they must.
//
// Parsing rules (one parser for every tool):
//   - A heading is a line starting at column 0 with "### ", outside a fenced code
//     block. Its name is the rest of the line, trailing whitespace (and CR) removed.
//   - A line whose left-trimmed text starts with ``` or ~~~ toggles the fence
//     state (lenient: fence character and length are not matched). "##" and
//     "####" lines are content.
//   - Text before the first heading is the preamble. A field's value runs to the
//     next heading or the end of the body.
//   - The CVE-JSON attachment (from a begin-marker line outside a fence to the
//     end-marker line for the same CVE id, spec/release.md §2.3, §7.6) is a region
//     of its own: it is excluded from field values and kept on field writes. After
//     its end marker the fence state is "outside" again. A begin marker without its
//     end marker (legacy) runs to the end of the section it is in.
//
// Lines end at "\n"; a CR before it belongs to the line ending.
type Body struct {
	preamble part
	sections []section
}

type section struct {
	heading string // the heading line as written, line ending included
	name    string
	part
}

// part is the text of the preamble or of one section's value, with the attachment
// regions found in it.
type part struct {
	text    string
	regions []region // byte offsets into text, in order
}

type region struct {
	start, end int
	cve        string
	closed     bool // false: legacy begin marker without end marker
}

var attachmentBeginRE = regexp.MustCompile(`^<!-- generate-cve-json: cve=(\S+) version=v1 -->\s*$`)

// ParseBody parses a tracker body. It never fails: any text is a body (a body
// with no heading is all preamble).
func ParseBody(s string) *Body {
	b := &Body{}
	var (
		cur       part
		curSec    *section // nil while in the preamble
		partStart int
		open      *region
		inFence   bool
	)
	finish := func(end int) {
		if open != nil {
			open.end = end - partStart
			cur.regions = append(cur.regions, *open)
			open = nil
		}
		cur.text = s[partStart:end]
		if curSec == nil {
			b.preamble = cur
		} else {
			curSec.part = cur
			b.sections = append(b.sections, *curSec)
		}
		cur = part{}
	}
	for pos := 0; pos < len(s); {
		end := len(s)
		if nl := strings.IndexByte(s[pos:], '\n'); nl >= 0 {
			end = pos + nl + 1
		}
		line := s[pos:end]
		switch {
		case !inFence && isHeadingLine(line):
			finish(pos)
			curSec = &section{heading: line, name: headingName(line)}
			partStart = end
		case open != nil && isAttachmentEnd(line, open.cve):
			open.end = end - partStart
			open.closed = true
			cur.regions = append(cur.regions, *open)
			open = nil
			inFence = false
		case !inFence && open == nil && attachmentBeginRE.MatchString(line):
			open = &region{start: pos - partStart, cve: attachmentBeginRE.FindStringSubmatch(line)[1]}
		case isFenceLine(line):
			inFence = !inFence
		}
		pos = end
	}
	finish(len(s))
	return b
}

func isHeadingLine(line string) bool { return strings.HasPrefix(line, "### ") }

func headingName(line string) string {
	return strings.TrimRightFunc(strings.TrimPrefix(line, "### "), unicode.IsSpace)
}

// isFenceLine is the lenient fence rule shared by the parser and the sanitiser.
func isFenceLine(line string) bool {
	t := strings.TrimLeftFunc(line, unicode.IsSpace)
	return strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")
}

func isAttachmentEnd(line, cve string) bool {
	return strings.TrimRightFunc(line, unicode.IsSpace) == AttachmentEndMarker(cve)
}

// Preamble returns the text before the first field heading: the only place
// machine blocks written by this program (the intake key) are trusted, because
// reporter text never lands there.
func (b *Body) Preamble() string { return b.preamble.text }

// String returns the body text.
func (b *Body) String() string {
	var sb strings.Builder
	sb.WriteString(b.preamble.text)
	for _, s := range b.sections {
		sb.WriteString(s.heading)
		sb.WriteString(s.text)
	}
	return sb.String()
}

// Names returns the heading names in body order, duplicates included.
func (b *Body) Names() []string {
	names := make([]string, len(b.sections))
	for i, s := range b.sections {
		names[i] = s.name
	}
	return names
}

// Has reports whether the body has at least one heading with the name.
func (b *Body) Has(name string) bool {
	for _, s := range b.sections {
		if s.name == name {
			return true
		}
	}
	return false
}

// find returns the index of the first section with the name (-1 if none) and
// ErrFieldMissing or ErrFieldDuplicate, wrapped with the name.
func (b *Body) find(name string) (int, error) {
	idx, n := -1, 0
	for i, s := range b.sections {
		if s.name == name {
			if idx < 0 {
				idx = i
			}
			n++
		}
	}
	switch {
	case n == 0:
		return -1, fmt.Errorf("body field %q: %w", name, ErrFieldMissing)
	case n > 1:
		return idx, fmt.Errorf("body field %q (%d headings): %w", name, n, ErrFieldDuplicate)
	}
	return idx, nil
}

// Get returns a field's value: the section text outside any attachment region,
// with CRLF turned into LF and surrounding whitespace (the spacer lines) trimmed.
// "_No response_" and "*No response*" read as "". A missing heading returns ""
// and ErrFieldMissing; a duplicated one returns the first value and
// ErrFieldDuplicate (a warning on read; writes refuse).
func (b *Body) Get(name string) (string, error) {
	i, err := b.find(name)
	if i < 0 {
		return "", err
	}
	return b.sections[i].value(), err
}

func (p part) value() string {
	if len(p.regions) == 0 {
		return readValue(p.text)
	}
	var sb strings.Builder
	at := 0
	for _, r := range p.regions {
		sb.WriteString(p.text[at:r.start])
		at = r.end
	}
	sb.WriteString(p.text[at:])
	return readValue(sb.String())
}

// readValue is the read normalisation of a field value.
func readValue(s string) string {
	v := strings.TrimSpace(lf(s))
	if v == NoResponse || v == noResponseStar {
		return ""
	}
	return v
}

// Set replaces one field's value and reports whether the body changed.
//
// Write rules (spec/release.md §2.4, spec/intake.md §2.3): the heading line is
// kept byte for byte (a heading at the very end of the body gets a line ending);
// the section's own leading and trailing spacer lines are re-used (the trailing
// one is dropped for the last section); the new value has leading blank lines
// and trailing whitespace removed and ends with one line ending, in the section's
// line-ending style (CRLF if its heading line ends in CRLF). An attachment region
// in the section is kept as it is, after the value; other text outside the value
// is dropped.
//
// Setting "" writes "_No response_", not an empty section: an unfilled field
// stays an issue-form field (spec §2.2 "never collapse to empty"), which is what
// the form itself writes and what the mandatory-field checks look for.
//
// A value that reads the same as the current one (after the read normalisation,
// so "" equals "_No response_") is not written: changed is false and there is
// nothing to PATCH. Set refuses a missing or duplicated heading, and a value that
// would change the field structure (ErrUnsafeValue).
func (b *Body) Set(name, value string) (changed bool, err error) {
	i, err := b.find(name)
	if err != nil {
		return false, fmt.Errorf("setting: %w", err)
	}
	want := readValue(value)
	sec := b.sections[i]
	if sec.value() == want {
		return false, nil
	}
	eol := sec.eol(b)
	last := i == len(b.sections)-1
	newSec := section{heading: sec.heading, name: sec.name, part: part{text: sec.rewrite(value, last, eol)}}
	if !strings.HasSuffix(newSec.heading, "\n") {
		newSec.heading += eol
	}
	nb := ParseBody(b.with(i, newSec))
	if got, _ := nb.Get(name); got != want || !sameStructure(b, nb) {
		return false, fmt.Errorf("setting body field %q: %w", name, ErrUnsafeValue)
	}
	*b = *nb
	return true, nil
}

// with returns the body text with section i replaced.
func (b *Body) with(i int, s section) string {
	var sb strings.Builder
	sb.WriteString(b.preamble.text)
	for j, cur := range b.sections {
		if j == i {
			cur = s
		}
		sb.WriteString(cur.heading)
		sb.WriteString(cur.text)
	}
	return sb.String()
}

// sameStructure reports whether two bodies have the same headings and the same
// attachment regions.
func sameStructure(a, b *Body) bool {
	if len(a.sections) != len(b.sections) || !sameRegions(a.preamble, b.preamble) {
		return false
	}
	for i := range a.sections {
		if a.sections[i].name != b.sections[i].name || !sameRegions(a.sections[i].part, b.sections[i].part) {
			return false
		}
	}
	return true
}

func sameRegions(a, b part) bool {
	if len(a.regions) != len(b.regions) {
		return false
	}
	for i := range a.regions {
		if a.regions[i].cve != b.regions[i].cve || a.regions[i].closed != b.regions[i].closed {
			return false
		}
	}
	return true
}

// eol is the line ending a write to this section uses.
func (s section) eol(b *Body) string {
	switch {
	case strings.HasSuffix(s.heading, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(s.heading, "\n"):
		return "\n"
	}
	return b.eol()
}

// eol is the body's dominant line ending, for writes with nothing closer to copy.
func (b *Body) eol() string {
	s := b.String()
	if crlf := strings.Count(s, "\r\n"); crlf > 0 && crlf*2 >= strings.Count(s, "\n") {
		return "\r\n"
	}
	return "\n"
}

// rewrite returns the section text with the value replaced and attachment
// regions kept.
func (s section) rewrite(value string, last bool, eol string) string {
	head := s.text
	if len(s.regions) > 0 {
		head = s.text[:s.regions[0].start]
	}
	var sb strings.Builder
	sb.WriteString(renderValue(head, value, last && len(s.regions) == 0, len(s.regions) > 0, eol))
	for k, r := range s.regions {
		sb.WriteString(s.text[r.start:r.end])
		next := len(s.text)
		if k+1 < len(s.regions) {
			next = s.regions[k+1].start
		}
		if gap := s.text[r.end:next]; strings.TrimSpace(gap) == "" {
			sb.WriteString(gap)
		} else {
			sb.WriteString(eol) // text after the attachment was part of the old value
		}
	}
	return sb.String()
}

// renderValue writes value into the place of old, re-using old's spacer lines.
func renderValue(old, value string, last, needTrail bool, eol string) string {
	lead, trail := eol, eol
	if lines := splitLines(old); len(lines) > 0 {
		lead, trail = "", ""
		if isBlankLine(lines[0]) {
			lead = lines[0]
		}
		if isBlankLine(lines[len(lines)-1]) {
			trail = lines[len(lines)-1]
		}
	}
	if lead != "" && !strings.HasSuffix(lead, "\n") {
		lead = eol
	}
	if trail != "" && !strings.HasSuffix(trail, "\n") {
		trail = eol
	}
	if needTrail && trail == "" {
		trail = eol
	}
	if last {
		trail = ""
	}
	return lead + writeValue(value, eol) + eol + trail
}

// writeValue is the text written for a value, without its final line ending:
// leading blank lines and trailing whitespace removed, "_No response_" if empty.
func writeValue(value, eol string) string {
	v := lf(value)
	first := strings.IndexFunc(v, func(r rune) bool { return !unicode.IsSpace(r) })
	if first < 0 {
		return NoResponse
	}
	v = v[strings.LastIndexByte(v[:first], '\n')+1:]
	v = strings.TrimRightFunc(v, unicode.IsSpace)
	if eol != "\n" {
		v = strings.ReplaceAll(v, "\n", eol)
	}
	return v
}

// splitLines splits s into lines that keep their line endings.
func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func isBlankLine(line string) bool { return strings.TrimSpace(line) == "" }

// AttachmentNoCVE is the id the attachment markers carry when the tracker has no CVE yet.
const AttachmentNoCVE = "UNKNOWN"

// AttachmentBeginMarker is the line that opens the CVE-JSON attachment region.
func AttachmentBeginMarker(cve string) string {
	return "<!-- generate-cve-json: cve=" + cve + " version=v1 -->"
}

// AttachmentEndMarker is the line that closes the CVE-JSON attachment region.
func AttachmentEndMarker(cve string) string {
	return "<!-- generate-cve-json:end cve=" + cve + " version=v1 -->"
}

// Attachment returns the CVE-JSON attachment: the CVE id its markers carry
// (AttachmentNoCVE when it was generated without one) and the block between the
// markers, trimmed, with LF line endings. With several regions (an old UNKNOWN
// block left next to a newer one) it returns the last, the most recently added.
func (b *Body) Attachment() (cve string, block string, ok bool) {
	parts := b.parts()
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if len(p.regions) == 0 {
			continue
		}
		r := p.regions[len(p.regions)-1]
		lines := splitLines(p.text[r.start:r.end])
		inner := lines[1:]
		if r.closed {
			inner = inner[:len(inner)-1]
		}
		return r.cve, readBlock(strings.Join(inner, "")), true
	}
	return "", "", false
}

func readBlock(s string) string {
	return strings.TrimSpace(lf(s))
}

var crlfRE = regexp.MustCompile(`\r+\n`)

// lf turns CRLF line endings (any run of CRs before a LF) into LF. Unlike a
// plain "\r\n" replacement it is idempotent.
func lf(s string) string {
	if !strings.Contains(s, "\r\n") {
		return s
	}
	return crlfRE.ReplaceAllString(s, "\n")
}

func (b *Body) parts() []part {
	parts := make([]part, 0, len(b.sections)+1)
	parts = append(parts, b.preamble)
	for _, s := range b.sections {
		parts = append(parts, s.part)
	}
	return parts
}

// SetAttachment writes the CVE-JSON attachment: block is the text between the
// markers (markers at its start and end are tolerated and replaced); cve ""
// writes AttachmentNoCVE. Placement (spec/release.md §7.6): in place of the
// existing region, whatever CVE id it carried (so a new id never leaves an old
// UNKNOWN block behind, fixing generator defect §7.8.9; further regions are
// removed, and a legacy begin marker without end is replaced up to the end of its
// section); else right after the value of a single "### CVE tool link"; else at
// the end of the body. The region is written as
// begin marker, blank line, block, blank line, end marker.
func (b *Body) SetAttachment(cve, block string) {
	if cve == "" {
		cve = AttachmentNoCVE
	}
	eol := b.eol()
	inner := readBlock(stripAttachmentMarkers(readBlock(block)))
	text := AttachmentBeginMarker(cve) + eol + eol
	if inner != "" {
		text += strings.ReplaceAll(inner, "\n", eol) + eol + eol
	}
	text += AttachmentEndMarker(cve) + eol

	var sb strings.Builder
	written := false
	writePart := func(p part) {
		at := 0
		for _, r := range p.regions {
			sb.WriteString(p.text[at:r.start])
			if !written {
				sb.WriteString(text)
				written = true
			}
			at = r.end
		}
		sb.WriteString(p.text[at:])
	}
	writePart(b.preamble)
	for _, s := range b.sections {
		sb.WriteString(s.heading)
		writePart(s.part)
	}
	if written {
		*b = *ParseBody(sb.String())
		return
	}

	if i, err := b.find(FieldCVETool); err == nil {
		s := b.sections[i]
		eol = s.eol(b)
		// core: the section up to the end of its last non-blank line, line ending included.
		core := ""
		if t := strings.TrimRightFunc(s.text, unicode.IsSpace); t != "" {
			core = t + eol
			if nl := strings.IndexByte(s.text[len(t):], '\n'); nl >= 0 {
				core = s.text[:len(t)+nl+1]
			}
		}
		ns := section{heading: s.heading, name: s.name, part: part{text: core + eol + text}}
		if !strings.HasSuffix(ns.heading, "\n") {
			ns.heading += eol
		}
		if i < len(b.sections)-1 {
			ns.text += eol
		}
		*b = *ParseBody(b.with(i, ns))
		return
	}

	out := b.String()
	if out != "" {
		if !strings.HasSuffix(out, "\n") {
			out += eol
		}
		out += eol
	}
	*b = *ParseBody(out + text)
}

// stripAttachmentMarkers removes a begin marker on the first line and an end
// marker on the last line of a block.
func stripAttachmentMarkers(block string) string {
	lines := strings.Split(block, "\n")
	if len(lines) > 0 && attachmentBeginRE.MatchString(lines[0]) {
		lines = lines[1:]
	}
	if n := len(lines); n > 0 && strings.HasPrefix(strings.TrimSpace(lines[n-1]), "<!-- generate-cve-json:end ") {
		lines = lines[:n-1]
	}
	return strings.Join(lines, "\n")
}

// RenderBody renders a new tracker body: the preamble (if any) and a blank line,
// then the 11 fields in FieldOrder, each as "### <heading>", a blank line, the
// value ("_No response_" when empty) and a blank line before the next heading.
// The body ends with a single newline. Values are written as Set writes them;
// keys outside FieldOrder are ignored. Check the result with ValidateRendered
// when a value comes from outside (reporter text goes through
// SanitizeDescription first).
func RenderBody(values map[string]string, preamble string) string {
	var sb strings.Builder
	if preamble != "" {
		sb.WriteString(strings.TrimRight(preamble, "\r\n"))
		sb.WriteString("\n\n")
	}
	order := fieldOrder()
	for i, name := range order {
		sb.WriteString("### " + name + "\n\n")
		sb.WriteString(writeValue(values[name], "\n"))
		sb.WriteString("\n")
		if i < len(order)-1 {
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

// ValidateRendered checks that a body parses back into exactly the 11 fields of
// FieldOrder, in order, each once, and that no attachment region sits anywhere
// but in "CVE tool link". It is the round-trip check a generated body must pass
// before it is written (spec/intake.md §18 item 7).
func ValidateRendered(body string) error {
	b := ParseBody(body)
	want := fieldOrder()
	got := b.Names()
	for i := 0; i < len(want) || i < len(got); i++ {
		switch {
		case i >= len(got):
			return fmt.Errorf("field %d: missing %q: %w", i+1, want[i], ErrBodyStructure)
		case i >= len(want):
			return fmt.Errorf("field %d: unexpected extra heading %q: %w", i+1, got[i], ErrBodyStructure)
		case got[i] != want[i]:
			return fmt.Errorf("field %d: heading %q, want %q: %w", i+1, got[i], want[i], ErrBodyStructure)
		}
	}
	if len(b.preamble.regions) > 0 {
		return fmt.Errorf("preamble holds a CVE-JSON attachment: %w", ErrBodyStructure)
	}
	for _, s := range b.sections {
		if len(s.regions) > 0 && s.name != FieldCVETool {
			return fmt.Errorf("field %q holds a CVE-JSON attachment: %w", s.name, ErrBodyStructure)
		}
	}
	return nil
}
