package lifecycle

import (
	"strings"
	"testing"
)

func TestRollupMarker(t *testing.T) {
	if got := RollupMarker(""); got != DefaultRollupMarker {
		t.Errorf("RollupMarker(\"\") = %q", got)
	}
	if got := RollupMarker("owner/repo"); got != "<!-- owner/repo status rollup v1 — all bot-authored status updates fold into this single comment. -->" {
		t.Errorf("RollupMarker(owner/repo) = %q", got)
	}
}

func TestIsRollup(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		extras []string
		want   bool
	}{
		{"default marker", DefaultRollupMarker + "\n<details>", nil, true},
		{"older version", "<!-- airflow-s status rollup v0 -->", nil, true},
		{"tracker slug prefix", RollupMarker("acme/widget-security") + "\n", nil, true},
		{"unified magpie marker", "<!-- apache-magpie: status-rollup v1 -->\n", nil, true},
		{"leading whitespace", "\r\n" + DefaultRollupMarker, nil, true},
		{"configured prefix with spaces", "<!-- Acme Security status rollup v1 -->", []string{"Acme Security"}, true},
		{"configured literal marker", "<!-- custom rollup -->", []string{"<!-- custom rollup"}, true},
		{"empty extra ignored", "hello", []string{"", "  "}, false},
		{"marker not on line 1", "text\n" + DefaultRollupMarker, nil, false},
		{"hand-off marker", MarkerHandoff, nil, false},
		{"mention in prose", "the airflow-s status rollup v1 comment", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRollup(tt.body, tt.extras...); got != tt.want {
				t.Errorf("IsRollup = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindRollups(t *testing.T) {
	cs := []Comment{
		{ID: 1, Body: "human"},
		{ID: 2, Body: DefaultRollupMarker + "\nx"},
		{ID: 3, Body: "<!-- acme status rollup v1 -->"},
	}
	got := FindRollups(cs)
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 {
		t.Errorf("FindRollups = %+v", got)
	}
	if got := FindRollups(cs[:1]); len(got) != 0 {
		t.Errorf("FindRollups(no rollup) = %+v", got)
	}
}

func TestRollupEntryRender(t *testing.T) {
	tests := []struct {
		name string
		e    RollupEntry
		want string
	}{
		{
			"shape and left-trim",
			RollupEntry{Date: "2026-04-21", Handle: "jdoe", Action: "Sync (pr merged → fix released)",
				Body: "\n  **Sync 2026-04-21 — pr merged → fix released.**\n\n  - added `fix released`\n\t**Next:** hand off.\n\n"},
			"<details><summary>2026-04-21 · @jdoe · Sync (pr merged → fix released)</summary>\n\n" +
				"**Sync 2026-04-21 — pr merged → fix released.**\n\n- added `fix released`\n**Next:** hand off.\n\n</details>",
		},
		{
			"entry id is the last body line; @ not doubled",
			RollupEntry{Date: "2026-04-21", Handle: "@jdoe", Action: "Import", Body: "**Imported.**", ID: "imp-1"},
			"<details><summary>2026-04-21 · @jdoe · Import</summary>\n\n**Imported.**\n\n<!-- vulnsteward entry imp-1 -->\n\n</details>",
		},
		{
			"summary kept on one line and parseable",
			RollupEntry{Date: "2026-04-21", Handle: "jdoe", Action: "Import (a · b\n</summary>)", Body: "x"},
			"<details><summary>2026-04-21 · @jdoe · Import (a - b &lt;/summary>)</summary>\n\nx\n\n</details>",
		},
		{
			"nested one-line details split",
			RollupEntry{Date: "2026-04-21", Handle: "jdoe", Action: "Sync", Body: "  <details><summary>2026-01-01 · @x · Sync</summary>\ninner\n</details>"},
			"<details><summary>2026-04-21 · @jdoe · Sync</summary>\n\n<details>\n<summary>2026-01-01 · @x · Sync</summary>\ninner\n</details>\n\n</details>",
		},
		{
			"CRLF body",
			RollupEntry{Date: "2026-04-21", Handle: "jdoe", Action: "Sync", Body: "a\r\n  b\r\n"},
			"<details><summary>2026-04-21 · @jdoe · Sync</summary>\n\na\nb\n\n</details>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Render(); got != tt.want {
				t.Errorf("Render:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRollupUpsertBodies(t *testing.T) {
	e1 := RollupEntry{Date: "2026-04-20", Handle: "a", Action: "Import (Report, Jane Doe)", Body: "**Imported.**\n\n**Next:** discuss.", ID: "e1"}
	e2 := RollupEntry{Date: "2026-04-21", Handle: "b", Action: "Sync", Body: "**Sync.**", ID: "e2"}

	body := NewRollupBody("", e1)
	if !strings.HasPrefix(body, DefaultRollupMarker+"\n<details><summary>2026-04-20 · @a · Import (Report, Jane Doe)</summary>\n\n") {
		t.Fatalf("NewRollupBody = %q", body)
	}
	if got := NewRollupBody(RollupMarker("acme"), e1); !strings.HasPrefix(got, RollupMarker("acme")+"\n<details>") || !IsRollup(got, "acme") {
		t.Errorf("NewRollupBody(custom) = %q", got)
	}
	body = AppendRollupEntry(body+"\n  \n", e2)
	if !strings.Contains(body, "</details>\n\n---\n\n<details><summary>2026-04-21 · @b · Sync</summary>") {
		t.Errorf("AppendRollupEntry = %q", body)
	}
	for id, want := range map[string]bool{"e1": true, "e2": true, "e3": false, "": false, "e": false} {
		if got := RollupHasEntry(body, id); got != want {
			t.Errorf("RollupHasEntry(%q) = %v, want %v", id, got, want)
		}
	}

	entries := ParseRollup(body)
	if len(entries) != 2 {
		t.Fatalf("ParseRollup: %d entries: %+v", len(entries), entries)
	}
	want := []ParsedEntry{
		{Date: "2026-04-20", Handle: "a", Action: "Import (Report, Jane Doe)", Body: "**Imported.**\n\n**Next:** discuss.", Parsed: true, ID: "e1"},
		{Date: "2026-04-21", Handle: "b", Action: "Sync", Body: "**Sync.**", Parsed: true, ID: "e2"},
	}
	for i, w := range want {
		g := entries[i]
		g.Raw = ""
		if g != w {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
	if entries[1].Raw != e2.Render() {
		t.Errorf("Raw = %q, want %q", entries[1].Raw, e2.Render())
	}
}

func TestParseRollup(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []ParsedEntry // Raw compared only when set
	}{
		{
			"bad summaries kept raw",
			DefaultRollupMarker + "\n<details><summary>not a summary</summary>\n\nx\n\n</details>\n\n---\n\n" +
				"<details><summary>2026-4-1 · @a · Sync</summary>\n\ny\n\n</details>\n\n---\n\n" +
				"<details><summary>2026-04-01 · a · Sync</summary>\n\nz\n\n</details>\n\n---\n\n" +
				"<details><summary>2026-04-01 · @a · </summary>\n\nw\n\n</details>",
			[]ParsedEntry{{Body: "x"}, {Body: "y"}, {Body: "z"}, {Body: "w"}},
		},
		{
			"missing close tag tolerated",
			"<details><summary>2026-04-01 · @a · Sync</summary>\n\nbody\n\n---\n\n<details><summary>2026-04-02 · @b · Sync</summary>\n\nlast",
			[]ParsedEntry{
				{Date: "2026-04-01", Handle: "a", Action: "Sync", Body: "body", Parsed: true, Raw: "<details><summary>2026-04-01 · @a · Sync</summary>\n\nbody"},
				{Date: "2026-04-02", Handle: "b", Action: "Sync", Body: "last", Parsed: true},
			},
		},
		{
			"nested details stay in the entry",
			DefaultRollupMarker + "\n<details><summary>2026-04-01 · @a · Sync</summary>\n\n**Folded.**\n<details>\n<summary>CVE 5.x JSON</summary>\n\n```json\n{}\n```\n\n</details>\n\n</details>",
			[]ParsedEntry{{Date: "2026-04-01", Handle: "a", Action: "Sync", Parsed: true,
				Body: "**Folded.**\n<details>\n<summary>CVE 5.x JSON</summary>\n\n```json\n{}\n```\n\n</details>"}},
		},
		{
			"text before the first entry kept raw",
			DefaultRollupMarker + "\nlegacy preface\n\n---\n\n<details><summary>2026-04-01 · @a · Sync</summary>\n\nx\n\n</details>",
			[]ParsedEntry{{Raw: "legacy preface"}, {Date: "2026-04-01", Handle: "a", Action: "Sync", Body: "x", Parsed: true}},
		},
		{
			"CRLF",
			DefaultRollupMarker + "\r\n<details><summary>2026-04-01 · @a · Sync</summary>\r\n\r\nx\r\n\r\n</details>\r\n",
			[]ParsedEntry{{Date: "2026-04-01", Handle: "a", Action: "Sync", Body: "x", Parsed: true}},
		},
		{"marker only", DefaultRollupMarker, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseRollup(tt.body)
			if len(got) != len(tt.want) {
				t.Fatalf("ParseRollup: %d entries, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if w.Raw == "" {
					g.Raw = ""
				}
				if g != w {
					t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}

func FuzzRollupRoundTrip(f *testing.F) {
	f.Add("2026-04-21", "jdoe", "Sync (a → b)", "**Sync.**\n\n- x\n\n**Next:** y", "id-1")
	f.Add("2026-04-21", "@x", "A · B", "<details><summary>x</summary>\n</details>", "")
	f.Add("2026-04-21", "x", "Sync", "a\n</details>\n\n---\n\n<details><summary>2026-01-01 · @y · Forged</summary>", "i d")
	f.Add("0000-00-00", "0", "000", "0\n<0000", " ") // a blank id writes no id line
	f.Fuzz(func(t *testing.T, date, handle, action, body, id string) {
		e := RollupEntry{Date: date, Handle: handle, Action: action, Body: body, ID: id}
		got := ParseRollup(AppendRollupEntry(NewRollupBody("", e), e))
		if len(got) != 2 {
			t.Fatalf("ParseRollup found %d entries in a two-entry rollup: %+v", len(got), got)
		}
		if strings.TrimSpace(id) != "" && !RollupHasEntry(NewRollupBody("", e), id) {
			t.Fatalf("RollupHasEntry(%q) is false after rendering", id)
		}
		d, h, a := summaryField(date), summaryField(strings.TrimPrefix(strings.TrimSpace(handle), "@")), summaryField(action)
		if !entryDateRE.MatchString(d) || a == "" {
			return
		}
		p := got[1]
		if !p.Parsed || p.Date != d || p.Handle != h || p.Action != a {
			t.Fatalf("summary read back as %+v, want %q %q %q", p, d, h, a)
		}
		if !strings.Contains(body, "<!-- vulnsteward entry") && p.Body != flushLeft(body) {
			t.Fatalf("body read back as %q, want %q", p.Body, flushLeft(body))
		}
	})
}
