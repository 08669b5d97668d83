package lifecycle

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const formBody = "### The issue description\n\nA path traversal in the upload handler.\n\nSecond paragraph.\n\n" +
	"### Short public summary for publish\n\n_No response_\n\n" +
	"### Affected versions\n\n`>= 3.0.0, < 3.2.2`\n\n" +
	"### Severity\n\n*No response*\n\n" +
	"### CVE tool link\n\nhttps://cveprocess.apache.org/cve5/CVE-2026-1234\n"

const attachmentBlock = "## CVE JSON — paste-ready for [`CVE-2026-1234`](https://cveprocess.apache.org/cve5/CVE-2026-1234#source)\n\n" +
	"| Metric | Value |\n| :-- | :-- |\n| CVE ID | `CVE-2026-1234` |\n\n" +
	"<details>\n<summary>CVE 5.x JSON (10 bytes) — click to expand</summary>\n\n````json\n{\"a\": 1}\n````\n\n</details>"

func withAttachment(cve string) string {
	return "\n" + AttachmentBeginMarker(cve) + "\n\n" + attachmentBlock + "\n\n" + AttachmentEndMarker(cve) + "\n"
}

func TestParseBodyRoundTrip(t *testing.T) {
	for _, s := range []string{
		"",
		"no headings at all\n",
		formBody,
		strings.ReplaceAll(formBody, "\n", "\r\n"),
		"preamble line\n<!-- intake v1 key=mail:a@b -->\n\n" + formBody,
		"### A   \t\r\n\n  value with trailing space  \n\n\n\n### B\nx",
		"### A\n```\n### not a heading\n```\n",
		formBody + withAttachment("CVE-2026-1234"),
		"### A",
		"\n\n\n",
	} {
		if got := ParseBody(s).String(); got != s {
			t.Errorf("round trip changed the body:\n got %q\nwant %q", got, s)
		}
	}
}

func TestBodyNames(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"form", formBody, []string{FieldDescription, FieldPublicSummary, FieldAffectedVersions, FieldSeverity, FieldCVETool}},
		{"backtick fence hides heading", "### A\n```\n### B\n```\n### C\n", []string{"A", "C"}},
		{"tilde fence hides heading", "### A\n~~~\n### B\n~~~\n### C\n", []string{"A", "C"}},
		{"lenient fence: indented, any length, mixed chars", "### A\n   ````py\n### B\n~~~\n### C\n", []string{"A", "C"}},
		{"unclosed fence swallows the rest", "### A\n```\n### B\n### C\n", []string{"A"}},
		{"h2 and h4 are content", "### A\n## B\n#### C\n### D\n", []string{"A", "D"}},
		{"heading must be at column 0", "### A\n ### B\n", []string{"A"}},
		{"###x is not a heading", "### A\n###B\n", []string{"A"}},
		{"trailing whitespace and CR dropped from the name", "### A \t\r\n", []string{"A"}},
		{"leading space kept in the name", "###  A\n", []string{" A"}},
		{"duplicates listed", "### A\n### A\n", []string{"A", "A"}},
		{"heading inside attachment region ends the region", "### CVE tool link\n" + AttachmentBeginMarker("X") + "\n### B\n" + AttachmentEndMarker("X") + "\n", []string{"CVE tool link", "B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseBody(tt.body).Names(); !slices.Equal(got, tt.want) {
				t.Errorf("Names() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBodyGet(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		field   string
		want    string
		wantErr error
	}{
		{"internal blank lines kept", formBody, FieldDescription, "A path traversal in the upload handler.\n\nSecond paragraph.", nil},
		{"_No response_ is unset", formBody, FieldPublicSummary, "", nil},
		{"*No response* is unset", formBody, FieldSeverity, "", nil},
		{"backticks kept", formBody, FieldAffectedVersions, "`>= 3.0.0, < 3.2.2`", nil},
		{"last field", formBody, FieldCVETool, "https://cveprocess.apache.org/cve5/CVE-2026-1234", nil},
		{"missing", formBody, FieldCWE, "", ErrFieldMissing},
		{"case-sensitive", formBody, "severity", "", ErrFieldMissing},
		{"duplicate returns first and warns", "### A\n\none\n\n### A\n\ntwo\n", "A", "one", ErrFieldDuplicate},
		{"CRLF read as LF", "### A\r\n\r\nl1\r\nl2\r\n\r\n### B\r\n", "A", "l1\nl2", nil},
		{"fenced heading stays in the value", "### A\n\n```\n### B\n```\n", "A", "```\n### B\n```", nil},
		{"attachment excluded", formBody + withAttachment("CVE-2026-1234"), FieldCVETool, "https://cveprocess.apache.org/cve5/CVE-2026-1234", nil},
		{"text after the attachment is part of the value", "### CVE tool link\n\nlink\n" + withAttachment("X") + "\nafter\n", FieldCVETool, "link\n\n\nafter", nil},
		{"legacy attachment without end runs to the section end", "### CVE tool link\n\nlink\n\n" + AttachmentBeginMarker("X") + "\n\nold json\n\n### CWE\n\nCWE-22\n", FieldCVETool, "link", nil},
		{"attachment inside a fence is not a region", "### A\n\n```\n" + AttachmentBeginMarker("X") + "\n" + AttachmentEndMarker("X") + "\n```\n", "A", "```\n" + AttachmentBeginMarker("X") + "\n" + AttachmentEndMarker("X") + "\n```", nil},
		{"empty section", "### A\n### B\n", "A", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBody(tt.body).Get(tt.field)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Get(%q) error = %v, want %v", tt.field, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the field", err)
			}
			if got != tt.want {
				t.Errorf("Get(%q) = %q, want %q", tt.field, got, tt.want)
			}
		})
	}
}

func TestBodySet(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		field       string
		value       string
		want        string
		wantChanged bool
		wantErr     error
	}{
		{"middle field keeps spacers", "### A\n\nold\n\n### B\n\nb\n", "A", "new", "### A\n\nnew\n\n### B\n\nb\n", true, nil},
		{"last field drops trailing spacer", "### A\n\na\n\n### B\n\nold\n\n", "B", "new", "### A\n\na\n\n### B\n\nnew\n", true, nil},
		{"last field gains a final newline", "### A\n\nold", "A", "new", "### A\n\nnew\n", true, nil},
		{"no spacer convention re-used", "### A\nold\n### B\n", "A", "new", "### A\nnew\n### B\n", true, nil},
		{"spacer bytes re-used", "### A\n \nold\n\t\n### B\n", "A", "new", "### A\n \nnew\n\t\n### B\n", true, nil},
		{"single blank line is both spacers", "### A\n\n### B\n", "A", "new", "### A\n\nnew\n\n### B\n", true, nil},
		{"heading line kept byte-exact", "### A  \t\n\nold\n\n### B\n", "A", "new", "### A  \t\n\nnew\n\n### B\n", true, nil},
		{"heading at end of body", "pre\n### A", "A", "v", "pre\n### A\n\nv\n", true, nil},
		{"value trimmed, trailing newlines collapsed", "### A\n\nold\n\n### B\n", "A", "\n\n  line 1\n\nline 2\n\n\n", "### A\n\n  line 1\n\nline 2\n\n### B\n", true, nil},
		{"empty writes _No response_", "### A\n\nold\n\n### B\n", "A", "", "### A\n\n_No response_\n\n### B\n", true, nil},
		{"empty on _No response_ is unchanged", "### A\n\n_No response_\n\n### B\n", "A", "  ", "### A\n\n_No response_\n\n### B\n", false, nil},
		{"identical value is unchanged", formBody, FieldAffectedVersions, "`>= 3.0.0, < 3.2.2`", formBody, false, nil},
		{"same value after trimming is unchanged", "### A\n\nvalue\n\n### B\n", "A", "value\n", "### A\n\nvalue\n\n### B\n", false, nil},
		{"preamble and other fields untouched", "pre  \r\n\n### A\n\nold\n\n### B  \n\n x \n", "A", "new", "pre  \r\n\n### A\n\nnew\n\n### B  \n\n x \n", true, nil},
		{"CRLF body writes CRLF", "### A\r\n\r\nold\r\n\r\n### B\r\n", "A", "l1\nl2", "### A\r\n\r\nl1\r\nl2\r\n\r\n### B\r\n", true, nil},
		{"balanced fence in value is fine", "### A\n\nold\n\n### B\n", "A", "```\n### x\n```", "### A\n\n```\n### x\n```\n\n### B\n", true, nil},
		{"missing heading refused", "### A\n", "B", "x", "### A\n", false, ErrFieldMissing},
		{"duplicate heading refused", "### A\n\n1\n\n### A\n\n2\n", "A", "x", "### A\n\n1\n\n### A\n\n2\n", false, ErrFieldDuplicate},
		{"value with a heading refused", "### A\n\nold\n\n### B\n", "A", "x\n### C\ny", "### A\n\nold\n\n### B\n", false, ErrUnsafeValue},
		{"value with an open fence refused", "### A\n\nold\n\n### B\n", "A", "```\ncode", "### A\n\nold\n\n### B\n", false, ErrUnsafeValue},
		{"value that reads as _No response_ is fine", "### A\n\nold\n", "A", "*No response*", "### A\n\n*No response*\n", true, nil},
		{"value with an attachment refused", "### A\n\nold\n", "A", "x\n" + AttachmentBeginMarker("X") + "\n" + AttachmentEndMarker("X"), "### A\n\nold\n", false, ErrUnsafeValue},
		{
			"CVE tool link keeps the attachment",
			"### CVE tool link\n\n_No response_\n" + withAttachment("UNKNOWN") + "\n### Extra\n\nx\n",
			FieldCVETool, "https://cveprocess.apache.org/cve5/CVE-2026-9",
			"### CVE tool link\n\nhttps://cveprocess.apache.org/cve5/CVE-2026-9\n" + withAttachment("UNKNOWN") + "\n### Extra\n\nx\n",
			true, nil,
		},
		{
			"attachment right after the heading gets a blank line before it",
			"### CVE tool link\n" + strings.TrimPrefix(withAttachment("X"), "\n"),
			FieldCVETool, "link",
			"### CVE tool link\n\nlink\n\n" + strings.TrimPrefix(withAttachment("X"), "\n"),
			true, nil,
		},
		{
			"text after the attachment is replaced by the new value",
			"### CVE tool link\n\nold\n" + withAttachment("X") + "\nafter\n",
			FieldCVETool, "new",
			"### CVE tool link\n\nnew\n" + withAttachment("X") + "\n",
			true, nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ParseBody(tt.body)
			changed, err := b.Set(tt.field, tt.value)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Set error = %v, want %v", err, tt.wantErr)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("body after Set:\n got %q\nwant %q", got, tt.want)
			}
			if err == nil {
				if got, _ := b.Get(tt.field); got != readValue(tt.value) {
					t.Errorf("Get after Set = %q, want %q", got, readValue(tt.value))
				}
			}
		})
	}
}

func TestBodyAttachment(t *testing.T) {
	b := ParseBody(formBody + withAttachment("CVE-2026-1234"))
	cve, block, ok := b.Attachment()
	if !ok || cve != "CVE-2026-1234" || block != attachmentBlock {
		t.Fatalf("Attachment() = %q, %q, %v", cve, block, ok)
	}
	if _, _, ok := ParseBody(formBody).Attachment(); ok {
		t.Error("Attachment() found a region in a body without one")
	}
	// A legacy begin marker without its end marker runs to the end of its section.
	legacy := ParseBody("### CVE tool link\n\nlink\n\n" + AttachmentBeginMarker("X") + "\n\nold\n\n### CWE\n\nc\n")
	if cve, block, ok := legacy.Attachment(); !ok || cve != "X" || block != "old" {
		t.Errorf("legacy Attachment() = %q, %q, %v", cve, block, ok)
	}
}

func TestBodySetAttachment(t *testing.T) {
	region := func(cve, block string) string {
		return AttachmentBeginMarker(cve) + "\n\n" + block + "\n\n" + AttachmentEndMarker(cve) + "\n"
	}
	tests := []struct {
		name  string
		body  string
		cve   string
		block string
		want  string
	}{
		{
			"inserted after the CVE tool link value (last section)",
			"### A\n\na\n\n### CVE tool link\n\nlink\n",
			"CVE-1", "json",
			"### A\n\na\n\n### CVE tool link\n\nlink\n\n" + region("CVE-1", "json"),
		},
		{
			"inserted after the CVE tool link value (middle section)",
			"### CVE tool link\n\nlink\n\n### B\n\nb\n",
			"CVE-1", "json",
			"### CVE tool link\n\nlink\n\n" + region("CVE-1", "json") + "\n### B\n\nb\n",
		},
		{
			"replaces a block of another id (no second block)",
			"### CVE tool link\n\nlink\n\n" + region("UNKNOWN", "old") + "\n### B\n",
			"CVE-2", "new",
			"### CVE tool link\n\nlink\n\n" + region("CVE-2", "new") + "\n### B\n",
		},
		{
			"replaces the first of two blocks and drops the other",
			"### CVE tool link\n\nlink\n\n" + region("UNKNOWN", "old") + "\n" + region("CVE-1", "older") + "\n",
			"CVE-2", "new",
			"### CVE tool link\n\nlink\n\n" + region("CVE-2", "new") + "\n\n",
		},
		{
			"replaces a legacy block up to the end of its section",
			"### CVE tool link\n\nlink\n\n" + AttachmentBeginMarker("UNKNOWN") + "\n\nold\n",
			"", "new",
			"### CVE tool link\n\nlink\n\n" + region("UNKNOWN", "new"),
		},
		{
			"appended when there is no CVE tool link",
			"### A\n\na",
			"CVE-1", "json",
			"### A\n\na\n\n" + region("CVE-1", "json"),
		},
		{
			"markers in the block are tolerated",
			"### CVE tool link\n\nlink\n",
			"CVE-1", AttachmentBeginMarker("CVE-1") + "\n\njson\n\n" + AttachmentEndMarker("CVE-1") + "\n",
			"### CVE tool link\n\nlink\n\n" + region("CVE-1", "json"),
		},
		{
			"CRLF body",
			"### CVE tool link\r\n\r\nlink\r\n",
			"CVE-1", "a\nb",
			"### CVE tool link\r\n\r\nlink\r\n\r\n" + strings.ReplaceAll(region("CVE-1", "a\nb"), "\n", "\r\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ParseBody(tt.body)
			before := map[string]string{}
			for _, n := range b.Names() {
				before[n], _ = b.Get(n)
			}
			b.SetAttachment(tt.cve, tt.block)
			if got := b.String(); got != tt.want {
				t.Fatalf("body:\n got %q\nwant %q", got, tt.want)
			}
			cve, block, ok := b.Attachment()
			wantCVE := tt.cve
			if wantCVE == "" {
				wantCVE = AttachmentNoCVE
			}
			if !ok || cve != wantCVE || block != readBlock(stripAttachmentMarkers(readBlock(tt.block))) {
				t.Errorf("Attachment() = %q, %q, %v", cve, block, ok)
			}
			for n, v := range before {
				if got, _ := b.Get(n); got != v {
					t.Errorf("Get(%q) changed from %q to %q", n, v, got)
				}
			}
		})
	}
}

func TestRenderBodyValidates(t *testing.T) {
	body := RenderBody(map[string]string{
		FieldDescription: "Reporter text.\n\n```\n### not a field\n```",
		FieldSeverity:    "Unknown",
		"Not a field":    "ignored",
	}, "<!-- intake v1 key=mail:a@b.example -->\n")
	if err := ValidateRendered(body); err != nil {
		t.Fatalf("ValidateRendered: %v\n%s", err, body)
	}
	if !strings.HasPrefix(body, "<!-- intake v1 key=mail:a@b.example -->\n\n### The issue description\n\nReporter text.") {
		t.Errorf("unexpected start:\n%s", body)
	}
	if !strings.Contains(body, "### Short public summary for publish\n\n_No response_\n\n### Affected versions\n") {
		t.Errorf("empty field not rendered as _No response_:\n%s", body)
	}
	if !strings.HasSuffix(body, "### CVE tool link\n\n_No response_\n") {
		t.Errorf("unexpected end: %q", body[len(body)-40:])
	}
	b := ParseBody(body)
	for _, n := range FieldOrder {
		if _, err := b.Get(n); err != nil {
			t.Errorf("Get(%q): %v", n, err)
		}
	}
	if got, _ := b.Get(FieldSeverity); got != "Unknown" {
		t.Errorf("Severity = %q", got)
	}
	if strings.Contains(body, "ignored") {
		t.Error("a key outside FieldOrder was rendered")
	}
}

func TestValidateRenderedRejects(t *testing.T) {
	good := RenderBody(nil, "")
	tests := []struct {
		name string
		body string
		want string
	}{
		{"missing field", strings.Replace(good, "### CWE\n\n_No response_\n\n", "", 1), `heading "Severity", want "CWE"`},
		{"extra heading in a value", RenderBody(map[string]string{FieldDescription: "x\n### Severity\ny"}, ""), `heading "Severity", want "Short public summary for publish"`},
		{"swallowed by an open fence", RenderBody(map[string]string{FieldDescription: "```\ncode"}, ""), `missing "Short public summary for publish"`},
		{"extra trailing heading", good + "### More\n", `unexpected extra heading "More"`},
		{"heading in the preamble", RenderBody(nil, "### Pre"), `heading "Pre"`},
		{"attachment outside CVE tool link", RenderBody(map[string]string{FieldCWE: AttachmentBeginMarker("X") + "\n" + AttachmentEndMarker("X")}, ""), `field "CWE" holds a CVE-JSON attachment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRendered(tt.body)
			if !errors.Is(err, ErrBodyStructure) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ValidateRendered = %v, want an ErrBodyStructure naming %s", err, tt.want)
			}
		})
	}
	if err := ValidateRendered(good); err != nil {
		t.Errorf("ValidateRendered(empty render) = %v", err)
	}
}

func TestFieldOrderIsACopy(t *testing.T) {
	if len(FieldOrder) != 11 || FieldOrder[0] != FieldDescription || FieldOrder[10] != FieldCVETool {
		t.Fatalf("FieldOrder = %q", FieldOrder)
	}
	if &FieldOrder[0] == &fieldOrder()[0] {
		t.Error("FieldOrder shares storage with the renderer's list")
	}
}

// safeValue reports whether v can be written by Set without changing the body
// structure: no heading, fence or attachment-marker line.
func safeValue(v string) bool {
	for _, l := range strings.Split(v, "\n") {
		if isHeadingLine(l) || isFenceLine(l) || strings.Contains(l, "<!-- generate-cve-json") {
			return false
		}
	}
	return true
}

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{
		formBody,
		strings.ReplaceAll(formBody, "\n", "\r\n"),
		formBody + withAttachment("CVE-2026-1234"),
		"pre\n### A\n```\n### B\n~~~\n### C\n\n\n",
		"### A",
		"### CVE tool link\n\nlink\n\n" + AttachmentBeginMarker("X") + "\n\nold\n\n### CWE\n\nc\n",
		"",
	} {
		f.Add(s, "new value\n\nsecond paragraph")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		b := ParseBody(s)
		if got := b.String(); got != s {
			t.Fatalf("String() = %q, want %q", got, s)
		}
		if !safeValue(v) {
			return
		}
		names := b.Names()
		counts := map[string]int{}
		for _, n := range names {
			counts[n]++
		}
		for _, name := range names {
			b := ParseBody(s)
			before := map[string]string{}
			for _, n := range names {
				if counts[n] == 1 {
					before[n], _ = b.Get(n)
				}
			}
			_, err := b.Set(name, v)
			if counts[name] > 1 {
				if !errors.Is(err, ErrFieldDuplicate) {
					t.Fatalf("Set(%q) on a duplicate heading: err = %v", name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("Set(%q, %q) on %q: %v", name, v, s, err)
			}
			if got, err := b.Get(name); err != nil || got != readValue(v) {
				t.Fatalf("Get(%q) after Set = %q, %v; want %q", name, got, err, readValue(v))
			}
			for n, want := range before {
				if n == name {
					continue
				}
				if got, _ := b.Get(n); got != want {
					t.Fatalf("Set(%q) changed field %q from %q to %q", name, n, want, got)
				}
			}
			if !slices.Equal(b.Names(), names) {
				t.Fatalf("Set(%q) changed the headings: %q -> %q", name, names, b.Names())
			}
		}
	})
}
