// Package textfold builds the matching skeleton that the policy packages share:
// text with invisible characters removed, compatibility forms and diacritics
// folded, Latin look-alikes from other scripts mapped to Latin, and lower case,
// where every byte still knows which bytes of the original text it came from.
//
// It owns the character classes (invisible, bidi control, tag, look-alike) so
// that policy/scrub and policy/untrusted agree on them. It decides nothing: it
// reports no hits and must not hold any word list.
package textfold

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// IsBidiControl reports whether r is an explicit bidirectional embedding,
// override or isolate (the "Trojan Source" characters). LRM, RLM and ALM are
// marks, not controls, and are excluded: right-to-left text uses them.
func IsBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// IsTag reports whether r is in the Unicode tag block (U+E0000–U+E007F), whose
// characters are invisible and can spell out hidden ASCII.
func IsTag(r rune) bool { return r >= 0xE0000 && r <= 0xE007F }

// IsVariationSelector reports whether r is a variation selector. A run of them
// after one visible character can smuggle hidden bytes.
func IsVariationSelector(r rune) bool {
	return (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0xE0100 && r <= 0xE01EF) || (r >= 0x180B && r <= 0x180D) || r == 0x180F
}

// IsInvisible reports whether r renders as nothing: format characters (Cf:
// zero-width space/joiners, bidi controls, word joiner, BOM, soft hyphen, tag
// characters, …), variation selectors, the combining grapheme joiner and the
// Hangul fillers that render blank.
func IsInvisible(r rune) bool {
	switch {
	case unicode.Is(unicode.Cf, r):
		return true
	case IsVariationSelector(r), IsTag(r):
		return true
	case r == 0x034F, r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0, r == 0x17B4, r == 0x17B5:
		return true
	}
	return false
}

// confusable maps characters of other scripts (and Latin variants) that look
// like a basic Latin letter to that letter. Case is kept: an upper-case Cyrillic
// letter maps to the Latin capital it resembles, which may differ from what its
// lower-case form resembles (Н looks like H, н does not look like h to
// everyone, but η looks like n).
var confusable = map[rune]rune{
	// Cyrillic capitals.
	'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'Н': 'H', 'І': 'I', 'Ј': 'J', 'К': 'K',
	'М': 'M', 'О': 'O', 'Р': 'P', 'Ѕ': 'S', 'Т': 'T', 'Х': 'X', 'У': 'Y', 'Ү': 'Y',
	'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'I', 'Ԁ': 'D', 'Ѵ': 'V', 'Ζ': 'Z',
	// Cyrillic small letters.
	'а': 'a', 'с': 'c', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'ӏ': 'l', 'о': 'o',
	'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'у': 'y', 'х': 'x', 'ԝ': 'w', 'ԁ': 'd', 'ү': 'y',
	'ѵ': 'v', 'ѡ': 'w', 'г': 'r', 'к': 'k', 'м': 'm', 'т': 't', 'ь': 'b', 'п': 'n',
	// Greek capitals.
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M',
	'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'Ϲ': 'C',
	// Greek small letters.
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'υ': 'u', 'χ': 'x',
	'τ': 't', 'ε': 'e', 'γ': 'y', 'η': 'n', 'ϲ': 'c', 'ϳ': 'j', 'ω': 'w', 'σ': 'o',
	// Armenian.
	'օ': 'o', 'ս': 'u', 'հ': 'h', 'ո': 'n', 'ց': 'g', 'զ': 'q', 'Ս': 'U', 'Օ': 'O',
	// Latin variants and small capitals.
	'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɡ': 'g', 'ɩ': 'i', 'ℯ': 'e', '℮': 'e',
	'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ꜰ': 'f', 'ɢ': 'g', 'ʜ': 'h',
	'ɪ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p',
	'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z',
}

// Confusable returns the basic Latin letter r looks like, if r is a known
// look-alike from another script (or a Latin variant such as a small capital).
func Confusable(r rune) (rune, bool) {
	c, ok := confusable[r]
	return c, ok
}

// FoldRune returns the skeleton of one character: compatibility-decomposed,
// diacritics dropped, look-alikes mapped to Latin, digits of any script mapped
// to ASCII, lower case. It returns "" for characters that carry no letter
// (a lone combining mark).
func FoldRune(r rune) string {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return string(r)
	}
	if c, ok := confusable[r]; ok {
		return string(unicode.ToLower(c))
	}
	if r >= 0x1F1E6 && r <= 0x1F1FF { // regional indicator symbols read as letters
		return string('a' + (r - 0x1F1E6))
	}
	var b strings.Builder
	for _, d := range norm.NFKD.String(string(r)) {
		switch {
		case unicode.Is(unicode.Mn, d), unicode.Is(unicode.Me, d), IsInvisible(d):
			continue
		case d == 'ß':
			b.WriteString("ss")
			continue
		}
		if c, ok := confusable[d]; ok {
			d = c
		}
		if unicode.IsDigit(d) && d >= utf8.RuneSelf {
			d = '0' + digitValue(d)
		}
		b.WriteRune(unicode.ToLower(d))
	}
	return b.String()
}

// digitValue returns the value of a decimal digit of any script: decimal digit
// blocks are runs of ten consecutive code points starting at zero.
func digitValue(r rune) rune {
	v := rune(0)
	for v < 9 && unicode.IsDigit(r-v-1) {
		v++
	}
	return v
}

// View is a skeleton of a text. S is what matchers run on; each byte of S
// records the byte range of the original character it came from and whether
// that character was upper case (for camelCase word boundaries).
type View struct {
	S     string
	start []int
	end   []int
	upper []bool
}

// Build returns the base skeleton of text: HTML character references
// ("&shy;", "&#45;") decoded; invisible characters, control characters and
// invalid bytes dropped; CR LF and lone CR as LF; every horizontal space as
// ' '; every dash as '-'; everything else through FoldRune.
func Build(text string) *View {
	v := &View{}
	var s []byte
	cache := map[rune]string{}
	emit := func(str string, start, end int, up bool) {
		for i := 0; i < len(str); i++ {
			s = append(s, str[i])
			v.start = append(v.start, start)
			v.end = append(v.end, end)
			v.upper = append(v.upper, up)
		}
	}
	one := func(r rune, start, end int, next byte) {
		switch {
		case r == utf8.RuneError:
			return
		case r == '\r':
			if next != '\n' {
				emit("\n", start, end, false)
			}
		case r == '\n', r == '\v', r == '\f', r == 0x85, r == 0x2028, r == 0x2029:
			emit("\n", start, end, false)
		case r == '\t', unicode.Is(unicode.Zs, r):
			emit(" ", start, end, false)
		case IsInvisible(r), unicode.IsControl(r):
			return
		case r != '-' && (unicode.Is(unicode.Pd, r) || r == 0x2212 || r == 0xFE63 || r == 0xFF0D):
			emit("-", start, end, false)
		default:
			up := unicode.IsUpper(r) || unicode.IsTitle(r)
			if r < utf8.RuneSelf {
				emit(FoldRune(r), start, end, up)
				return
			}
			f, ok := cache[r]
			if !ok {
				f = FoldRune(r)
				cache[r] = f
			}
			emit(f, start, end, up)
		}
	}
	for i := 0; i < len(text); {
		if text[i] == '&' {
			if n := entityLen(text[i:]); n > 0 {
				if dec := html.UnescapeString(text[i : i+n]); dec != text[i:i+n] {
					for _, r := range dec {
						one(r, i, i+n, 0)
					}
					i += n
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		var next byte
		if i+size < len(text) {
			next = text[i+size]
		}
		one(r, i, i+size, next)
		i += size
	}
	v.S = string(s)
	return v
}

// entityLen returns the length of the HTML character reference at the start
// of s ("&amp;", "&#45;", "&#x2d;"), or 0.
func entityLen(s string) int {
	i := 1
	if i < len(s) && s[i] == '#' {
		i++
		hex := i < len(s) && (s[i] == 'x' || s[i] == 'X')
		if hex {
			i++
		}
		from := i
		for i < len(s) && i-from < 7 && (('0' <= s[i] && s[i] <= '9') || (hex && strings.IndexByte("abcdefABCDEF", s[i]) >= 0)) {
			i++
		}
		if i == from {
			return 0
		}
	} else {
		from := i
		for i < len(s) && i-from < 32 && (('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') || ('0' <= s[i] && s[i] <= '9')) {
			i++
		}
		if i-from < 2 {
			return 0
		}
	}
	if i < len(s) && s[i] == ';' {
		return i + 1
	}
	return 0
}

// StripTags drops HTML tags ("<b>", "</span>", "<br/>"), which render as
// nothing and can split a word ("vul<b></b>nerable").
func (v *View) StripTags() *View {
	s := v.S
	keep := allTrue(len(s))
	changed := false
	for i := 0; i < len(s); i++ {
		if s[i] != '<' || i+1 >= len(s) {
			continue
		}
		j := i + 1
		if s[j] == '/' {
			j++
		}
		if j >= len(s) || s[j] < 'a' || s[j] > 'z' {
			continue
		}
		k := j
		for k < len(s) && k-i < 256 && s[k] != '>' && s[k] != '<' && s[k] != '\n' {
			k++
		}
		if k >= len(s) || s[k] != '>' {
			continue
		}
		for m := i; m <= k; m++ {
			keep[m] = false
		}
		changed = true
		i = k
	}
	if !changed {
		return v
	}
	return v.Keep(keep)
}

// Span returns the original byte range [start, end) that the view bytes
// [a, b) came from. It requires 0 <= a < b <= len(v.S).
func (v *View) Span(a, b int) (int, int) {
	return v.start[a], v.end[b-1]
}

// Upper reports whether view byte i came from an upper-case character.
func (v *View) Upper(i int) bool { return v.upper[i] }

// Keep returns a view with only the bytes whose keep flag is true.
func (v *View) Keep(keep []bool) *View {
	out := &View{}
	var s []byte
	for i := 0; i < len(v.S); i++ {
		if !keep[i] {
			continue
		}
		s = append(s, v.S[i])
		out.start = append(out.start, v.start[i])
		out.end = append(out.end, v.end[i])
		out.upper = append(out.upper, v.upper[i])
	}
	out.S = string(s)
	return out
}

// IsAlnum reports whether a skeleton byte belongs to a word: an ASCII letter or
// digit, or any byte of a non-ASCII character left after folding.
func IsAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c >= utf8.RuneSelf
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || c >= utf8.RuneSelf }

// JoinHyphenatedLines removes a hyphen followed by a line break between two
// letters ("vulner-\nability"), which typesetting and line wrapping insert.
func (v *View) JoinHyphenatedLines() *View {
	s := v.S
	keep := allTrue(len(s))
	changed := false
	for i := 1; i < len(s); i++ {
		if s[i] != '-' || !isLetter(s[i-1]) {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j >= len(s) || s[j] != '\n' {
			continue
		}
		j++
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j >= len(s) || !isLetter(s[j]) {
			continue
		}
		for k := i; k < j; k++ {
			keep[k] = false
		}
		changed = true
		i = j - 1
	}
	if !changed {
		return v
	}
	return v.Keep(keep)
}

// spacingSeparator reports whether c may separate the letters of a word that
// was spelled out one character at a time ("v u l n", "C.V.E", "x_s_s").
func spacingSeparator(c byte) bool {
	switch c {
	case ' ', '.', '_', '-', '*', '/', ',', '+', '|', '~', '\'', ':', '\n', '`', '"':
		return true
	}
	return false
}

// CollapseSpacedLetters joins runs of at least three single characters that
// are separated by short separator runs ("v u l n e r a b l e" becomes
// "vulnerable", "C.V.E-2026" becomes "cve-2026" once joined with the number).
// Words of two or more characters are never joined, so ordinary prose keeps
// its word boundaries.
func (v *View) CollapseSpacedLetters() *View {
	s := v.S
	n := len(s)
	single := func(i int) bool { // s[i] is a one-character word
		if i >= n || s[i] >= utf8.RuneSelf || !IsAlnum(s[i]) {
			return false
		}
		return (i == 0 || !IsAlnum(s[i-1])) && (i+1 >= n || !IsAlnum(s[i+1]))
	}
	keep := allTrue(n)
	changed := false
	for i := 0; i < n; i++ {
		if !single(i) {
			continue
		}
		chain := []int{i}
		j := i
		for {
			k := j + 1
			newlines := 0
			for k < n && k-j-1 < 3 && spacingSeparator(s[k]) {
				if s[k] == '\n' {
					newlines++
				}
				k++
			}
			if k == j+1 || newlines > 1 || !single(k) {
				break
			}
			chain = append(chain, k)
			j = k
		}
		if len(chain) >= 3 {
			// Letters are joined; a gap wider than the narrowest one in the
			// chain separates words ("i g n o r e   p r e v i o u s") and
			// keeps one byte.
			minGap := n
			for c := 1; c < len(chain); c++ {
				minGap = min(minGap, chain[c]-chain[c-1]-1)
			}
			for c := 1; c < len(chain); c++ {
				from := chain[c-1] + 1
				if chain[c]-from > minGap {
					from++
				}
				for k := from; k < chain[c]; k++ {
					keep[k] = false
				}
			}
			// "S.Q.L. injection": the dot after the last letter of a dotted
			// abbreviation belongs to it.
			last := chain[len(chain)-1]
			if allDots(s, chain) && last+1 < n && s[last+1] == '.' {
				keep[last+1] = false
			}
			changed = true
		}
		i = chain[len(chain)-1]
	}
	if !changed {
		return v
	}
	return v.Keep(keep)
}

// allDots reports whether every separator of a chain is a single dot.
func allDots(s string, chain []int) bool {
	for c := 1; c < len(chain); c++ {
		if chain[c]-chain[c-1] != 2 || s[chain[c-1]+1] != '.' {
			return false
		}
	}
	return true
}

func allTrue(n int) []bool {
	b := make([]bool, n)
	for i := range b {
		b[i] = true
	}
	return b
}

// WordStart reports whether view byte i begins a word: it is a word byte and
// the byte before is not, or the original text changes case there as in
// camelCase ("fetchCVE", "XSSFilter"). Letters next to digits do not end a
// word, so leetspeak stays one word.
func (v *View) WordStart(i int) bool {
	s := v.S
	if i < 0 || i >= len(s) || !IsAlnum(s[i]) {
		return false
	}
	return i == 0 || !IsAlnum(s[i-1]) || v.camel(i)
}

// WordEnd reports whether view byte i is the last byte of a word.
func (v *View) WordEnd(i int) bool {
	s := v.S
	if i < 0 || i >= len(s) || !IsAlnum(s[i]) {
		return false
	}
	return i == len(s)-1 || !IsAlnum(s[i+1]) || v.camel(i+1)
}

// camel reports a case boundary between bytes j-1 and j: lower to upper
// ("fetchCVE"), or the last capital of an acronym before a capitalised word
// ("XSSFilter": between S and F).
func (v *View) camel(j int) bool {
	s := v.S
	if j <= 0 || j >= len(s) || !isLetter(s[j-1]) || !isLetter(s[j]) {
		return false
	}
	if v.start[j-1] == v.start[j] { // bytes of one original character
		return false
	}
	if !v.upper[j-1] && v.upper[j] {
		return true
	}
	// An acronym followed by a capitalised word; a single lower-case letter
	// after an acronym is a plural ("CVEs"), not a word.
	return v.upper[j-1] && v.upper[j] && j+2 < len(s) && isLetter(s[j+1]) && !v.upper[j+1] && v.start[j+1] != v.start[j] &&
		isLetter(s[j+2])
}
