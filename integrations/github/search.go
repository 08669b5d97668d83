package github

import (
	"strings"
	"unicode"
)

// GitHub's search syntax lets a keyword change a query's scope (repo:, org:,
// is:, in:, label:, a leading "-", OR/AND/NOT, quotes). Callers of this package
// pass terms, never query strings; every term goes through searchPhrase, and the
// scope qualifiers are added here, server-side.

// maxPhraseLen keeps a query under GitHub's 256-character limit with room for
// the qualifiers and several phrases.
const maxPhraseLen = 120

// searchPhrase turns one caller term into a quoted phrase, or "" when nothing
// searchable is left. It drops qualifier-looking tokens (word:...), boolean
// operators and negation, keeps letters, digits and . _ - @ / # + (everything
// else becomes a space, which GitHub's tokenizer treats alike), and cuts the
// phrase at a token boundary.
func searchPhrase(term string) string {
	var words []string
	for _, w := range strings.Fields(term) {
		w = strings.TrimLeft(w, "-+!")
		if isQualifier(w) || w == "OR" || w == "AND" || w == "NOT" {
			continue
		}
		w = strings.Map(func(r rune) rune {
			switch {
			case unicode.IsLetter(r), unicode.IsDigit(r):
				return r
			case strings.ContainsRune("._-@/#+", r):
				return r
			}
			return ' '
		}, w)
		words = append(words, strings.Fields(w)...)
	}
	var b strings.Builder
	for _, w := range words {
		if b.Len() > 0 && b.Len()+1+len(w) > maxPhraseLen {
			break
		}
		if len(w) > maxPhraseLen {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return ""
	}
	return `"` + b.String() + `"`
}

// isQualifier reports whether a token looks like a search qualifier: a word of
// letters, "_" or "-" followed by a colon ("repo:x", "in:body", "is:pr").
func isQualifier(w string) bool {
	name, _, ok := strings.Cut(w, ":")
	if !ok || name == "" {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// issueQuery builds a search query scoped to one repository.
// kind is "issue" or "pr"; in is "" or a search field list ("body", "title,body");
// state is "", "open", "closed" or "merged".
func issueQuery(repo, kind, in, state string, terms []string) (query string, phrases int) {
	parts := []string{"repo:" + repo, "is:" + kind}
	if state != "" {
		parts = append(parts, "is:"+state)
	}
	if in != "" {
		parts = append(parts, "in:"+in)
	}
	for _, t := range terms {
		if p := searchPhrase(t); p != "" {
			parts = append(parts, p)
			phrases++
		}
	}
	return strings.Join(parts, " "), phrases
}

// intakeKeySearchTerm is the part of an intake key worth searching for: the
// message-id of "mail:<message-id>", the reference of "pr:owner/repo#N", and so
// on. The exact key is checked on the bodies afterwards.
func intakeKeySearchTerm(key string) string {
	if _, rest, ok := strings.Cut(key, ":"); ok && rest != "" {
		return rest
	}
	return key
}
