package lifecycle

import (
	"strings"
	"unicode/utf8"
)

// NormalizeMessageID returns the canonical form of an RFC 5322 Message-ID used as
// the intake key: trimmed, angle brackets stripped, domain part lower-cased. The
// local part keeps its case (RFC 5322 treats it as case-sensitive).
func NormalizeMessageID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimPrefix(id, "<")
	id = strings.TrimSuffix(id, ">")
	id = strings.TrimSpace(id)
	if at := strings.LastIndexByte(id, '@'); at >= 0 {
		id = id[:at] + "@" + strings.ToLower(id[at+1:])
	}
	return id
}

// MailIntakeKey is the intake key of a tracker imported from mail.
func MailIntakeKey(rootMessageID string) string {
	return "mail:" + NormalizeMessageID(rootMessageID)
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
