package intake

import (
	"strings"
	"testing"
)

func TestIsBot(t *testing.T) {
	tests := []struct {
		in   string
		bot  bool
		rule string // substring
	}{
		{"dependabot[bot]", true, "[bot]"},
		{"renovate", true, "known bot/AI name \"renovate\""},
		{"GitHub Copilot", true, "copilot"},
		{"github-actions", true, "github-actions"},
		{"ChatGPT", true, "chatgpt"},
		{"Claude", true, "claude"},
		{"claude", true, "claude"},
		{"Claude Code", true, "claude"},
		{"Claude Dupont", false, ""},
		{"OpenAI Codex", true, "openai"},
		{"Acme Vulnerability-Scanner", true, "scanner"},
		{"Automated analysis by Acme", true, "automated"},
		{"ci-bot", true, "*-bot"},
		{"autofixbot", true, "*bot"},
		{"review-ai", true, "*-ai"},
		{"CodeAI", true, "*ai"},
		{"securityai", true, "*ai"},
		{"Kai", false, ""},
		{"kai", false, ""},
		{"Thai", false, ""},
		{"triage-agent", true, "*-agent"},
		{"sec-gpt", true, "gpt"},
		{"reviewgpt", true, "*gpt"},
		{"deepscanner", true, "*scanner*"},
		{"repo-scan", true, "*-scan"},
		{"automaton42", true, "*automat*"},
		{"noreply@github.com", true, "noreply"},
		{"no-reply@example.org", true, "no-reply"},
		{"donotreply@bank.example", true, "donotreply"},
		{"notifications@github.com", true, "notifications@"},
		{"security-alerts@vendor.example", true, "security-alerts@"},
		{"bot@x.example", true, "bot@"},
		{"MAILER-DAEMON@mx.example", true, "mailer-daemon@"},
		{"helper-bot@acme.example", true, "*-bot"},
		{"jane.doe@acme.example", false, ""},
		{"Jane Doe (Acme Security Labs)", false, ""},
		{"Wei Chen", false, ""},
		{"", false, ""},
	}
	for _, tc := range tests {
		bot, rule := IsBot(tc.in)
		if bot != tc.bot || !strings.Contains(rule, tc.rule) {
			t.Errorf("IsBot(%q) = %v, %q; want %v, ~%q", tc.in, bot, rule, tc.bot, tc.rule)
		}
	}
}
