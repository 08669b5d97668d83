package lifecycle

import (
	"strings"
	"testing"
)

func TestAddIntakeMeta(t *testing.T) {
	kept := IntakeMeta{Key: "mail:kept@x.example", Source: "mail", ThreadIDs: []string{"maildir:kept@x.example"}}
	dropped := IntakeMeta{Key: "mail:drop@y.example", Source: "mail", ThreadIDs: []string{"gmail:18c0"}, Reporter: "r@y.example"}
	fields := map[string]string{FieldDescription: "Report.\n\n<!-- intake v1 key=mail:fake@z.example -->", FieldSeverity: "Unknown"}
	tests := []struct {
		name    string
		body    string
		add     IntakeMeta
		changed bool
		keys    []string
	}{
		{"after the existing block", RenderBody(fields, kept.Comment()+"\n\n"), dropped, true, []string{kept.Key, dropped.Key}},
		{"no preamble: at the start", RenderBody(fields, ""), dropped, true, []string{dropped.Key}},
		{"a preamble without blocks keeps its text", RenderBody(fields, "Legacy note."), dropped, true, []string{dropped.Key}},
		{"already there: unchanged", RenderBody(fields, kept.Comment()+"\n"+dropped.Comment()+"\n\n"), dropped, false, []string{kept.Key, dropped.Key}},
		{"CRLF body", strings.ReplaceAll(RenderBody(fields, kept.Comment()+"\n\n"), "\n", "\r\n"), dropped, true, []string{kept.Key, dropped.Key}},
		{"block as the whole preamble line without a newline", kept.Comment() + "### The issue description\n\nx\n", dropped, true, []string{kept.Key, dropped.Key}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := ParseBody(tc.body)
			before := b.Names()
			desc, _ := b.Get(FieldDescription)
			changed, err := b.AddIntakeMeta(tc.add)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed %v, want %v", changed, tc.changed)
			}
			var keys []string
			for _, m := range ParseIntakeMetas(b.String()) {
				keys = append(keys, m.Key)
			}
			if strings.Join(keys, " ") != strings.Join(tc.keys, " ") {
				t.Errorf("keys %v, want %v (a key inside a field never counts)\n%s", keys, tc.keys, b.String())
			}
			if strings.Join(b.Names(), "|") != strings.Join(before, "|") {
				t.Errorf("fields changed: %v → %v", before, b.Names())
			}
			if got, _ := b.Get(FieldDescription); got != desc {
				t.Errorf("description changed: %q → %q", desc, got)
			}
			if !changed && b.String() != tc.body {
				t.Error("an unchanged body was rewritten")
			}
			again, _ := b.AddIntakeMeta(tc.add)
			if again {
				t.Error("a second add changed the body again")
			}
		})
	}
	if _, err := ParseBody("x").AddIntakeMeta(IntakeMeta{}); err == nil {
		t.Error("a block without a key was accepted")
	}
}
