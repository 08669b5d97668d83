package intake

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanSubject(t *testing.T) {
	strip := []string{"[SECURITY]", "[Security Report]", "Foundation Larkspur:"}
	products := []string{"Larkspur", "Apache Larkspur"}
	tests := []struct{ in, want string }{
		{"Re: Fwd: [SECURITY] XSS in the grid view", "XSS in the grid view"},
		{"RE: FW: re: Re[2]: SSRF via connection test", "SSRF via connection test"},
		{"AW: WG: [Security Report] SSRF über den Endpunkt", "SSRF über den Endpunkt"},
		{"SV: VS: Antw: TR: RV: RES: ENC: Odp: YNT: path traversal", "path traversal"},
		{"回复：转发: 日志下载路径遍历", "日志下载路径遍历"},
		{"Ответ: XSS в интерфейсе", "XSS в интерфейсе"},
		{"CVE candidate - Template injection in params", "Template injection in params"},
		{"Apache Larkspur: Open redirect on login", "Open redirect on login"},
		{"Larkspur 2.10.1: Open redirect on login", "Open redirect on login"},
		{"Foundation Larkspur: token leak", "token leak"},
		{"Larkspur scheduler crash on malformed DAG", "Larkspur scheduler crash on malformed DAG"},
		{"[larkspur/larkspur] RCE via pickle (GHSA-4x5m-7q2v-p9c3)", "RCE via pickle (GHSA-4x5m-7q2v-p9c3)"},
		{"SQL injection in search (CVSS 9.8)", "SQL injection in search"},
		{"SQL injection in search - CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "SQL injection in search"},
		{"SQL injection in search CVSS 9.8 Critical", "SQL injection in search"},
		{"SQL injection in search [HIGH]", "SQL injection in search"},
		{"(Authenticated) SSRF in HTTP hook", "(Authenticated) SSRF in HTTP hook"},
		{"(SECURITY) SSRF in HTTP hook", "SSRF in HTTP hook"},
		{"Security Issue: CSRF on pause toggle", "CSRF on pause toggle"},
		{"#1 XSS in notes", "1 XSS in notes"},
		{"### injected heading", "injected heading"},
		{"XSS\u200b in\u202e notes\r\nBcc: x", "XSS in notes Bcc: x"},
		{"[SECURITY]", "[SECURITY]"},
		{"Re:", ""},
		{"  spaced    out\ttitle  ", "spaced out title"},
	}
	for _, tc := range tests {
		if got := CleanSubject(tc.in, strip, products); got != tc.want {
			t.Errorf("CleanSubject(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCleanSubjectCapsAndNeverAddsProduct(t *testing.T) {
	long := "Re: " + strings.Repeat("very long subject words ", 20)
	got := CleanSubject(long, nil, []string{"Larkspur"})
	if n := utf8.RuneCountInString(got); n > maxTitleRunes {
		t.Errorf("title has %d runes", n)
	}
	if !strings.HasSuffix(got, "words…") {
		t.Errorf("title not cut on a word boundary: %q", got)
	}
	if strings.Contains(CleanSubject("XSS in notes", nil, []string{"Larkspur"}), "Larkspur") {
		t.Error("product added")
	}
}

func TestCVETitle(t *testing.T) {
	cfg := CVETitleConfig{ProjectNames: []string{"Apache Larkspur"}, ProductNames: []string{"Larkspur"}}
	tests := []struct {
		in, want string
		warn     bool
	}{
		{"[Security Report] Apache Larkspur 2.10.1: SQL injection in the DAG run search", "SQL injection in the DAG run search", false},
		{"(Important) Larkspur: Open redirect on the login page", "Open redirect on the login page", false},
		{"Security Vulnerability - stored XSS in task notes", "Stored XSS in task notes", false},
		{"Apache Larkspur 2.9 [SECURITY] template injection in DAG params", "Template injection in DAG params", false},
		{"Path traversal in log download in Apache Larkspur", "Path traversal in log download", false},
		{"Path traversal in log download (Larkspur 2.10.1)", "Path traversal in log download", false},
		{"RCE via pickle deserialization (GHSA-4x5m-7q2v-p9c3).", "RCE via pickle deserialization", false},
		{"SSRF in the HTTP hook [HUNTR-1234-abcd]", "SSRF in the HTTP hook", false},
		{"SSRF in the HTTP hook (ZDRES-99)", "SSRF in the HTTP hook", false},
		{"Missing authorization on pools API (split from #42)", "Missing authorization on pools API", false},
		{"xss in   grid view.  ", "Xss in grid view", false},
		{"Apache Larkspur: XSS", "XSS", true},
		{"[Security] Apache Larkspur", "[Security] Apache Larkspur", true},
	}
	for _, tc := range tests {
		got, warnings := CVETitle(tc.in, cfg)
		if got != tc.want {
			t.Errorf("CVETitle(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if (len(warnings) > 0) != tc.warn {
			t.Errorf("CVETitle(%q) warnings = %q, want warning %v", tc.in, warnings, tc.warn)
		}
	}
	got, _ := CVETitle("Bug [ACME-12]", CVETitleConfig{ExternalIDPrefixes: []string{"ACME"}})
	if got != "Bug" {
		t.Errorf("configured external id prefix not stripped: %q", got)
	}
}
