package intake

import (
	"fmt"
	"strings"
	"unicode"
)

// The bot / AI credit rule of spec/intake.md §4.11.1. A finding credited to a
// tool is emitted later as a CVE "tool" credit, so the rule only decides the
// credit type; it never drops the name on the finder side.

// knownBots are stems and whole words that name a bot, a tool or an AI
// assistant (§4.11.1, verbatim).
var knownBots = map[string]bool{
	"dependabot": true, "renovate": true, "snyk-bot": true, "snyk": true,
	"copilot": true, "ghsa-probot": true, "github-actions": true,
	"mend-bot": true, "mend": true, "whitesource": true, "sonatype-lift": true,
	"lift-bot": true, "codecov": true, "mergify": true, "mergifyio": true,
	"allcontributors": true, "fossabot": true, "imgbotapp": true,
	"pre-commit-ci": true, "claude": true, "chatgpt": true, "gpt-bot": true,
	"gpt": true, "anthropic": true, "openai": true, "automated": true,
	"automation": true, "scanner": true, "auto-scanner": true,
	"vulnerability-scanner": true, "security-scanner": true, "sast": true,
	"dast": true,
}

// modelWords accompany an assistant's name when the name is also a personal
// first name ("Claude Code", "Claude (Anthropic)"), see ambiguousBots.
var modelWords = map[string]bool{
	"ai": true, "code": true, "opus": true, "sonnet": true, "haiku": true,
	"anthropic": true, "llm": true, "model": true, "assistant": true,
	"bot": true, "agent": true, "desktop": true,
}

// ambiguousBots are known-list words that are also common first names. As a
// whole word inside a multi-word name ("Claude Dupont") they are a person;
// alone, lower-case, or next to a model word they are the assistant. Crediting
// a person as a tool would misstate the CVE credit type, which is worse than
// asking: the receipt asks for the credit form anyway.
var ambiguousBots = map[string]bool{"claude": true, "mend": true}

// serviceLocalParts are address local parts (or prefixes) of senders that
// relay or notify; they are never a finder (§4.11, §4.11.1).
var (
	serviceLocalContains = []string{"noreply", "no-reply", "donotreply", "do-not-reply"}
	serviceLocalPrefixes = []string{"bot@", "security-alerts@", "notifications@", "mailer-daemon@"}
)

// IsBot reports whether a handle, name or address names a bot, a tool or an AI
// assistant under §4.11.1, and which rule matched (for the proposal line
// "credited as tool: <name> (matches bot policy — <rule>)").
//
// Handle patterns (*bot, *-ai, *agent, *gpt, *scanner*, *-scan, *automat*)
// apply only to single tokens (a login or an address local part): applied to a
// display name they would turn people called "Kai" or "Talbot" into tools.
func IsBot(s string) (bool, string) {
	s = strings.TrimSpace(stripInvisible(s))
	if s == "" {
		return false, ""
	}
	low := strings.ToLower(s)
	if strings.HasSuffix(low, "[bot]") {
		return true, "handle ends with [bot]"
	}
	if local, ok := addressLocalPart(low); ok {
		if rule := serviceAddressRule(low); rule != "" {
			return true, rule
		}
		if ok, rule := handleRule(local, strings.ToLower(local)); ok {
			return true, rule
		}
		return false, ""
	}
	if ok, rule := knownWordRule(s); ok {
		return true, rule
	}
	if !strings.ContainsAny(s, " \t") {
		return handleRule(s, low)
	}
	return false, ""
}

// addressLocalPart returns the local part when s is a bare address.
func addressLocalPart(low string) (string, bool) {
	at := strings.LastIndexByte(low, '@')
	if at <= 0 || at == len(low)-1 || strings.ContainsAny(low, " \t<>") {
		return "", false
	}
	return low[:at], true
}

// serviceAddressRule returns the address rule a service/relay address matches, "" if none.
func serviceAddressRule(lowAddr string) string {
	local, ok := addressLocalPart(lowAddr)
	if !ok {
		return ""
	}
	for _, c := range serviceLocalContains {
		if strings.Contains(local, c) {
			return fmt.Sprintf("address local part contains %q", c)
		}
	}
	for _, p := range serviceLocalPrefixes {
		if strings.HasPrefix(lowAddr, p) {
			return fmt.Sprintf("address starts with %q", p)
		}
	}
	return ""
}

// knownWordRule checks the stem and every whole word of a credit string
// against knownBots. Hyphenated words are checked whole and part by part, so
// "acme-security-scanner" and "github-actions" both match.
func knownWordRule(s string) (bool, string) {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_')
	})
	lowWords := make([]string, len(words))
	for i, w := range words {
		lowWords[i] = strings.ToLower(w)
	}
	for i, w := range lowWords {
		cands := []string{w}
		if strings.ContainsAny(w, "-_") {
			cands = append(cands, strings.FieldsFunc(w, func(r rune) bool { return r == '-' || r == '_' })...)
		}
		for _, c := range cands {
			if !knownBots[c] {
				continue
			}
			if ambiguousBots[c] && c == w && isPersonalNameUse(words, lowWords, i) {
				continue
			}
			return true, fmt.Sprintf("known bot/AI name %q", c)
		}
	}
	return false, ""
}

// isPersonalNameUse reports whether words[i] (an ambiguous known word) is used
// as a person's name: capitalised, in a multi-word name, with no model word
// next to it.
func isPersonalNameUse(words, lowWords []string, i int) bool {
	if len(words) < 2 {
		return false
	}
	if r := []rune(words[i]); len(r) == 0 || !unicode.IsUpper(r[0]) {
		return false
	}
	for _, w := range lowWords {
		if modelWords[w] {
			return false
		}
	}
	return true
}

// handleRule applies the §4.11.1 handle patterns to one token. orig keeps the
// case so a camel-case "CodeAI" is recognised.
func handleRule(orig, low string) (bool, string) {
	switch {
	case strings.Contains(low, "scanner"):
		return true, "handle matches *scanner*"
	case strings.Contains(low, "automat"):
		return true, "handle matches *automat*"
	case strings.HasSuffix(low, "-scan") || strings.HasSuffix(low, "_scan"):
		return true, "handle matches *-scan"
	}
	for _, suf := range []string{"bot", "agent", "gpt"} {
		if !strings.HasSuffix(low, suf) || len(low) == len(suf) {
			continue
		}
		stem := strings.TrimSuffix(low, suf)
		if strings.HasSuffix(stem, "-") || strings.HasSuffix(stem, "_") || strings.HasSuffix(stem, ".") {
			return true, "handle matches *-" + suf
		}
		return true, "handle matches *" + suf
	}
	if strings.HasSuffix(low, "ai") && len(low) > 2 {
		stem := strings.TrimSuffix(low, "ai")
		switch {
		case strings.HasSuffix(stem, "-") || strings.HasSuffix(stem, "_") || strings.HasSuffix(stem, "."):
			return true, "handle matches *-ai"
		case strings.HasSuffix(orig, "AI") && len(orig) > 2 && unicode.IsLower([]rune(orig)[len([]rune(orig))-3]):
			// camel case: "CodeAI", "scanAI"
			return true, "handle matches *ai"
		case len(stem) >= 4 && strings.IndexFunc(stem, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) < 0:
			// A stem of four or more letters ("openai", "securityai"); shorter
			// stems are mostly given names (Kai, Mai, Thai).
			return true, "handle matches *ai"
		}
	}
	return false, ""
}
