package textfold

import (
	"strings"
	"testing"
)

func TestSkeleton(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Hello World", "hello world"},
		{"ＣＶＥ－２０２６", "cve-2026"},           // fullwidth
		{"vulnеrability", "vulnerability"}, // Cyrillic е
		{"ΑDVISORY", "advisory"},           // Greek Alpha
		{"vul\u200bner\u00adabil\u2060ity", "vulnerability"},
		{"𝐞𝐱𝐩𝐥𝐨𝐢𝐭", "exploit"},             // mathematical bold
		{"vülnérabîlity", "vulnerability"}, // diacritics
		{"ﬁx", "fix"},                      // ligature
		{"CVE‐2026–1234", "cve-2026-1234"}, // hyphen, en dash
		{"٢٠٢٦", "2026"},                   // Arabic-Indic digits
		{"a\r\nb\rc", "a\nb\nc"},
		{"a\u00a0b\u3000c\td", "a b c d"},
		{"ᴠᴜʟɴ", "vuln"},                         // small capitals
		{"v\u0336u\u0336l\u0336n\u0336", "vuln"}, // combining strike-through
		{"Straße", "strasse"},
	} {
		if got := Build(tc.in).S; got != tc.want {
			t.Errorf("Build(%q).S = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestViews(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"vulner-\nability", "vulnerability"},
		{"vulner- \n  ability", "vulnerability"},
		{"well-known", "well-known"},
		{"v u l n e r a b l e", "vulnerable"},
		{"C.V.E-2026-1234", "cve-2026-1234"},
		{"x_s_s", "xss"},
		{"i g n o r e   p r e v i o u s", "ignore previous"},
		{"a b test", "a b test"}, // two single letters stay apart
		{"e.g. this", "e.g. this"},
	} {
		if got := Build(tc.in).JoinHyphenatedLines().CollapseSpacedLetters().S; got != tc.want {
			t.Errorf("view(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSpanMapsBack(t *testing.T) {
	in := "Fix: Ｖｕｌ\u200bｎ-\nerable CODE"
	v := Build(in).JoinHyphenatedLines()
	i := strings.Index(v.S, "vulnerable")
	if i < 0 {
		t.Fatalf("skeleton %q", v.S)
	}
	a, b := v.Span(i, i+len("vulnerable"))
	if got := in[a:b]; got != "Ｖｕｌ\u200bｎ-\nerable" {
		t.Fatalf("span %q", got)
	}
}

func TestWordBoundaries(t *testing.T) {
	v := Build("fetchCVE XSSFilter cve_id RCEvent")
	starts := map[string]bool{}
	for i := range len(v.S) {
		if v.WordStart(i) {
			j := i
			for j+1 < len(v.S) && !v.WordEnd(j) {
				j++
			}
			starts[v.S[i:j+1]] = true
		}
	}
	for _, w := range []string{"fetch", "cve", "xss", "filter", "id", "rc", "event"} {
		if !starts[w] {
			t.Errorf("word %q not found in %v", w, starts)
		}
	}
}
