package intake

import "testing"

func TestWithoutObserved(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Mallory (CWE-287, CVSS 9.8 Critical)", "Mallory"},
		{"SQL injection in login (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)", "SQL injection in login"},
		{"Auth bypass CWE-287 in tokens", "Auth bypass in tokens"},
		{"Jane Doe (Acme Research)", "Jane Doe (Acme Research)"},
		{"Upgrade to 2.4.1 fixes CVE-2026-1234", "Upgrade to 2.4.1 fixes CVE-2026-1234"},
	}
	for _, tc := range tests {
		if got := withoutObserved(tc.in); got != tc.want {
			t.Errorf("withoutObserved(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := fieldValue("Eve <!-- intake v1 key=mail:x -->\nline2 `x`"); got != "Eve <! -- intake v1 key=mail:x -- > line2 'x'" {
		t.Errorf("fieldValue = %q", got)
	}
}
