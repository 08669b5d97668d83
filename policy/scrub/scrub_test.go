package scrub

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var testRules = Rules{
	TrackerRepo:   "example-org/widget-security",
	Terms:         []string{"pickle loader", "XCom backend"},
	OtherProjects: []string{"Superset", "Tomcat", "ActiveMQ", "Spark"},
	CNAURLs:       []string{"https://cveprocess.example.org/cve5/"},
	ReporterNames: []string{"Jane Q. Researcher <jane@research.example>", "@h4ckerh4ndle"},
}

// leakCorpus: every text must produce a hit of the named rule.
var leakCorpus = []struct {
	rule, text string
}{
	// CVE and GHSA ids.
	{RuleCVEID, "Fix CVE-2026-12345 in the parser"},
	{RuleCVEID, "see cve-2026-1234"},
	{RuleCVEID, "C.V.E-2026-1234"},
	{RuleCVEID, "CVE 2026 1234"},
	{RuleCVEID, "CVE_2026_4567 regression test"},
	{RuleCVEID, "ＣＶＥ－２０２６－１２３４"},
	{RuleCVEID, "СVЕ-2026-1234"}, // Cyrillic С and Е
	{RuleCVEID, "CVE\u200b-2026-\u200d1234"},
	{RuleCVEID, "C V E - 2 0 2 6 - 1 2 3 4"},
	{RuleCVEID, "CVE‑2026–1234"}, // non-breaking hyphen, en dash
	{RuleCVE, "Backport the CVE fix"},
	{RuleCVE, "add cve_id column"},
	{RuleCVE, "func fetchCVE() error"},
	{RuleCVE, "list all CVEs"},
	{RuleCVE, "c v e"},
	{RuleGHSA, "Refs GHSA-abcd-efgh-jkmn"},
	{RuleGHSA, "the GHSA is drafted"},
	// Security wording.
	{RuleSecurityWording, "Fix a vulnerability in the upload handler"},
	{RuleSecurityWording, "VULNERABLE DEPENDENCY"},
	{RuleSecurityWording, "vulnerabilities found"},
	{RuleSecurityWording, "v u l n e r a b i l i t y"},
	{RuleSecurityWording, "vulner-\nability in the parser"},
	{RuleSecurityWording, "vul\u00adner\u00adabil\u00adity"},
	{RuleSecurityWording, "vul ner abil ity"},
	{RuleSecurityWording, "vuln.er.ab.il.ity"},
	{RuleSecurityWording, "vulnеrability"},        // Cyrillic е
	{RuleSecurityWording, "ѵulnerability"},        // Cyrillic izhitsa
	{RuleSecurityWording, "ｖｕｌｎｅｒａｂｌｅ"},           // fullwidth
	{RuleSecurityWording, "𝐯𝐮𝐥𝐧𝐞𝐫𝐚𝐛𝐥𝐞 code path"}, // mathematical bold
	{RuleSecurityWording, "vu1n3rab1e"},
	{RuleSecurityWording, "vuln3r4bility"},
	{RuleSecurityWording, "vülnérâbility"},
	{RuleSecurityWording, "This is a security fix for the uploader."},
	{RuleSecurityWording, "security-fix branch"},
	{RuleSecurityWording, "security_fix_2026"},
	{RuleSecurityWording, "securityFix()"},
	{RuleSecurityWording, "Address security\nissue in the importer"},
	{RuleSecurityWording, "Addresses a SECURITY ISSUE"},
	{RuleSecurityWording, "s3cur1ty f1x"},
	{RuleSecurityWording, "security-related fix"},
	{RuleSecurityWording, "Publish the advisory"},
	{RuleSecurityWording, "4dv1s0ry"},
	{RuleSecurityWording, "mail security@example.org"},
	{RuleSecurityWording, "security (at) example.org"},
	{RuleSecurityWording, "not exploitable anymore"},
	{RuleSecurityWording, "an attacker could read files"},
	{RuleSecurityWording, "3xpl0it chain"},
	{RuleSecurityWording, "embargoed until release"},
	{RuleSecurityWording, "a zero-day in the parser"},
	{RuleSecurityWording, "reported via HackerOne"},
	{RuleSecurityWording, "Thanks to the security team"},
	// Attack classes.
	{RuleAttackClass, "prevent SQL injection in filters"},
	{RuleAttackClass, "sql_injection_test.py"},
	{RuleAttackClass, "SqlInjectionTest"},
	{RuleAttackClass, "fix XSS in the graph view"},
	{RuleAttackClass, "x s s in the graph view"},
	{RuleAttackClass, "XSSFilter"},
	{RuleAttackClass, "csrf token was not checked"},
	{RuleAttackClass, "block SSRF via redirects"},
	{RuleAttackClass, "RCE via templates"},
	{RuleAttackClass, "remote code execution"},
	{RuleAttackClass, "arbitrary code execution"},
	{RuleAttackClass, "Path Traversal in static files"},
	{RuleAttackClass, "path-traversal"},
	{RuleAttackClass, "directory\ntraversal"},
	{RuleAttackClass, "privilege escalation for viewers"},
	{RuleAttackClass, "auth bypass on login"},
	{RuleAttackClass, "authentication bypass"},
	{RuleAttackClass, "authorization-bypass"},
	{RuleAttackClass, "insecure deserialization of task args"},
	{RuleAttackClass, "buffer overflow"},
	{RuleAttackClass, "heap overflow in decoder"},
	{RuleAttackClass, "use-after-free"},
	{RuleAttackClass, "UseAfterFree"},
	{RuleAttackClass, "cross-site scripting"},
	{RuleAttackClass, "server side request forgery"},
	{RuleAttackClass, "open redirect on login"},
	{RuleAttackClass, "arbitrary file read"},
	{RuleAttackClass, "p4th tr4v3rs4l"},
	{RuleAttackClass, "denial of service with large payloads"},
	{RuleAttackClass, "XXE in the XML importer"},
	// CWE and CVSS.
	{RuleCWE, "maps to CWE-79"},
	{RuleCWE, "cwe 22"},
	{RuleCVSS, "CVSS 9.8"},
	{RuleCVSS, "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
	// Tracker.
	{RuleTracker, "See example-org/widget-security#42"},
	{RuleTracker, "https://github.com/example-org/widget-security/issues/42"},
	{RuleTracker, "EXAMPLE-ORG/Widget-Security"},
	{RuleTracker, "widget-security#7"},
	{RuleTracker, "widget-security #7"},
	{RuleTracker, "example-org/widget_security"},
	// CNA tool.
	{RuleCNAURL, "record at https://cveprocess.example.org/cve5/CVE-2026-1"},
	{RuleCNAURL, "cveprocess[.]example[.]org"},
	// Terms.
	{RuleTerm, "harden the pickle loader"},
	{RuleTerm, "pickle_loader.py"},
	{RuleTerm, "PickleLoader"},
	{RuleTerm, "XCom backend"},
	{RuleTerm, "p1ckl3 l0ad3r"},
	// Other projects.
	{RuleOtherProject, "same as the Superset fix"},
	{RuleOtherProject, "like tomcat does"},
	{RuleOtherProject, "ActiveMQ"},
	{RuleOtherProject, "Apache Spark"},
	{RuleCrossProject, "also reported against another project"},
	{RuleCrossProject, "other Apache projects are affected"},
	// Reporters.
	{RuleReporter, "Thanks Jane Q. Researcher for the report"},
	{RuleReporter, "Reported-by: jane@research.example"},
	{RuleReporter, "credit @h4ckerh4ndle"},
	{RuleReporter, "JaneQResearcher"},
}

// cleanCorpus: ordinary commit messages and PR bodies that must pass.
var cleanCorpus = []string{
	"Fix flaky test in scheduler job runner",
	"Bump golang.org/x/net from 0.20.0 to 0.21.0",
	"Refactor auth middleware to use context values",
	"Add secure defaults for cookie settings",
	"Update the issue tracker link in CONTRIBUTING.md",
	"Please advise on the naming of the new flag.",
	"Improve error message when the config file is missing",
	"Handle empty responses from the API gracefully",
	"Use dependency injection for the storage backend",
	"Speed up tree traversal in the DAG parser",
	"Release 2.7.3rc3 and update changelog",
	"Validate input lengths before writing to the buffer",
	"Escape HTML in task instance notes",
	"Sanitize file names on upload",
	"Add a timeout to outgoing HTTP requests",
	"Reject redirects to other hosts when fetching remote logs",
	"Only allow admins to change connection settings",
	"Check permissions before returning DAG source",
	"Improve security. Fix the flaky test afterwards.",
	"Tighten security headers; add a test for the CSP header",
	"docs: explain how to report problems via the mailing list",
	"Move recvec helper into the vector package",
	"Advisor role can now view dashboards",
	"commit 3f2a9c1e5b7d and tag v1.2.3",
	"Merge pull request #1234 from someone/feature-branch",
	"Fix typo in README (thanks @contributor)",
	"Parse ISO 8601 dates with offsets",
	"Cache compiled templates between renders",
	"Lower the default number of workers to 4",
	"Update the Security.md policy link",
	"Add integration tests for the OAuth flow",
	"Deprecate the old login endpoint in favour of /auth/login",
	"Use a constant-time comparison for API keys",
	"Limit the size of uploaded files to 10 MB",
	"Ensure that the session cookie is marked HttpOnly",
	"Remove unused imports",
	"Avoid panic on nil pointer when the DAG has no tasks",
	"Exploring options for the new scheduler",
	"Fix the issue with zero days in the retention policy",
	"Allow overriding the default timezone",
	"Add support for Python 3.13",
	"Resolves #4411: plural handling in i18n",
	"The widget secure-storage option now defaults to on",
	"Sparkline chart renders correctly on Safari",
}

// evasionCorpus: more leak variants (any rule may fire).
var evasionCorpus = []string{
	"Patch CVE‑2025‑31337 before the 3.1 release",
	"fix for cve 2025 0042",
	"Closes GHSA-2x3v-8m9q-wq4p",
	"This prevents a potential exploit via crafted headers",
	"Prevent S.Q.L. injection in the search endpoint",
	"Sanitise input to stop X-S-S in comments",
	"fixes stored xss",
	"Stored cross site scripting in the markdown renderer",
	"reflected X S S",
	"remote code exec through pickle",
	"Fix RCE in the template engine",
	"block priv esc via role update",
	"Fix authz bypass in the REST API",
	"bypass of authentication when token is empty",
	"Harden against directory-traversal",
	"prevent ../ path traversal attacks",
	"SSRF protection for webhooks",
	"Fix heap-buffer-overflow in the decoder",
	"fix use after free in the connection pool",
	"Vulnerability: unauthenticated users could trigger jobs",
	"VuLnErAbIlItY in login",
	"vulnerabi-\r\nlity",
	"vulnerab&shy;ility",
	"CVE&#45;2026&#45;1234",
	"vul<b></b>nerable code",
	"vul**ner**able",
	"v.u.l.n.e.r.a.b.l.e",
	"V_U_L_N_E_R_A_B_L_E",
	"ѵսlnеrаbіlіtу",
	"𝓿𝓾𝓵𝓷𝓮𝓻𝓪𝓫𝓵𝓮",
	"ⓥⓤⓛⓝⓔⓡⓐⓑⓛⓔ",
	"vuln3rab!l!ty",
	"Sec-urity fix for the uploader",
	"A security\nfix for the uploader",
	"Security-Fix: sanitize filenames",
	"SECURITY PATCH",
	"Backport security patches to 2.x",
	"This is a security issue reported privately",
	"privately reported by a researcher",
	"thanks to the reporter for the responsible disclosure",
	"prepare the security release",
	"will publish the advisory after release",
	"Security Advisory follows",
	"Send details to security@project.org",
	"embargo lifts on Tuesday",
	"exploitable by any authenticated user",
	"an attacker can craft a payload",
	"malicious DAG authors could read secrets",
	"a specially crafted request crashes the server",
	"CWE-22",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"severity per CVSS v3 is 9.8",
	"Fixes example-org/widget-security#12",
	"see https://github.com/example-org/widget-security/issues/12",
	"ref: widget-security#12",
	"draft at cveprocess.example.org",
	"Also reported against Superset",
	"same issue as in apache tomcat",
	"Credit: Jane Q. Researcher",
	"thanks jane q researcher",
	"JANE Q RESEARCHER",
	"insecure deserialisation in the XCom backend",
	"denial-of-service via deeply nested JSON",
	"ReDoS in the cron parser",
	"XXE when parsing XML configs",
	"open-redirect after login",
	"IDOR on the connections endpoint",
	"Fix CSRF on the logout form",
	"session fixation on login",
	"account takeover via password reset",
	"Fix information disclosure in logs",
	"zero day",
	"0day fix",
	"OSV-2026-123",
	"PYSEC-2026-42",
	"GO-2026-1234",
	"cve",
	"CVE-YYYY-NNNNN placeholder",
	"Fix XSSvulnerability",
	"Hotfix: RCE",
	"c\u0336v\u0336e\u0336-2026-1234",
	"🇨🇻🇪-2026-1234",
}

// moreClean: more ordinary engineering text that must pass, including
// near misses (advisory locks, zero days, counter overflow).
var moreClean = []string{
	"Use advisory locks to serialize migrations",
	"Add pagination to the task instance list",
	"Fix race condition in the scheduler heartbeat",
	"Bump pytest from 7.4.0 to 8.0.0",
	"Refactor: split the config loader into smaller functions",
	"docs: clarify how to set up the development environment",
	"Make the CLI output deterministic for tests",
	"Handle timezone-aware datetimes in the serializer",
	"Don't retry on 4xx responses",
	"Log a warning when the queue is full",
	"Use a bounded buffer for streaming logs",
	"Improve performance of DAG parsing by caching imports",
	"Remove deprecated `execution_date` argument",
	"Add type hints to the hooks module",
	"ci: run tests on Python 3.12",
	"Fix off-by-one error in the pagination helper",
	"Validate the cron expression before saving",
	"Raise a clear error for invalid connection URIs",
	"Escape user-provided labels in the graph view",
	"Restrict file permissions of generated config to 0600",
	"Check that the user has edit permission before pausing a DAG",
	"Normalize paths before reading static files",
	"Limit recursion depth when parsing nested JSON",
	"Use parameterized queries in the metadata DB helper",
	"Reject URLs with non-http schemes in the webhook hook",
	"Set SameSite=Lax on the session cookie",
	"Require authentication for the /health/details endpoint",
	"Stop logging request headers at debug level",
	"Rotate the signing key on restart",
	"Add Content-Security-Policy header",
	"Make token comparison constant-time",
	"This commit updates the issue template",
	"Please review and let me know if you'd advise a different approach",
	"Fixes #4821",
	"Fix issue where the UI froze on large logs",
	"Address review comments",
	"Secure the defaults of the example config",
	"The advisor module computes resource recommendations",
	"Rename `cvec` to `cvector`",
	"Update recovery docs for the scheduler",
	"Improve exception handling in the executor",
	"Revert \"Add retries to the S3 hook\"",
	"Upgrade Flask-AppBuilder to 4.5.0",
	"Support for Spanish locale (es) and Catalan (ca)",
	"Fix typo: 'recieve' -> 'receive'",
	"Test: add a case for empty DAG folders",
	"Bump version to 3.0.0rc3",
	"Move the exploratory notebooks to docs/examples",
	"Drop support for Postgres 11",
	"feat(ui): dark mode for the grid view",
	"chore: tidy imports",
	"Document the new `allowed_hosts` setting",
	"Fix crash when the log file is deleted during streaming",
	"Add retry with exponential backoff to the HTTP client",
	"Prevent the worker from picking up paused DAGs",
	"Return 404 instead of 500 for missing variables",
	"Cap the maximum upload size at 10 MB by default",
	"Escape special characters in Slack notifications",
	"Handle a nil pointer in the config merge",
	"Migrate from setup.py to pyproject.toml",
	"Add `--dry-run` flag to the db clean command",
	"Disallow redirects to external hosts in the login flow",
	"Explain XCom size limits in the docs",
	"The GHC compiler version was bumped",
	"Fix the secret masking of connection passwords in logs",
	"Improve the issue and PR templates",
	"Use defusedxml for parsing",
	"Fix counter overflow in the metrics exporter",
	"Ignore the cache directory in .gitignore",
}

func TestCheckPublicEvasions(t *testing.T) {
	for _, text := range evasionCorpus {
		hits := CheckPublic(text, testRules)
		if len(hits) == 0 {
			t.Errorf("leak not caught: %q (skeleton %q)", text, Normalize(text))
		}
		for _, h := range hits {
			checkHit(t, text, h)
		}
	}
	for _, text := range moreClean {
		if hits := CheckPublic(text, testRules); len(hits) != 0 {
			t.Errorf("clean text flagged: %q\n  %+v", text, hits)
		}
	}
}

func TestCheckPublicLeaks(t *testing.T) {
	if len(leakCorpus) < 60 {
		t.Fatalf("leak corpus has %d cases, want at least 60", len(leakCorpus))
	}
	for _, tc := range leakCorpus {
		t.Run(tc.rule+"/"+tc.text, func(t *testing.T) {
			hits := CheckPublic(tc.text, testRules)
			found := false
			for _, h := range hits {
				checkHit(t, tc.text, h)
				if h.Rule == tc.rule {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s hit; got %+v (skeleton %q)", tc.rule, hits, Normalize(tc.text))
			}
		})
	}
}

func TestCheckPublicClean(t *testing.T) {
	if len(cleanCorpus) < 30 {
		t.Fatalf("clean corpus has %d cases, want at least 30", len(cleanCorpus))
	}
	for _, text := range cleanCorpus {
		if hits := CheckPublic(text, testRules); len(hits) != 0 {
			t.Errorf("clean text flagged: %q\n  %+v", text, hits)
		}
	}
}

func checkHit(t *testing.T, text string, h Hit) {
	t.Helper()
	if h.Offset < 0 || h.Offset+len(h.Match) > len(text) || text[h.Offset:h.Offset+len(h.Match)] != h.Match || h.Match == "" {
		t.Errorf("hit %+v does not point into %q", h, text)
	}
}

func TestCheckPublicOffsetsAndOrder(t *testing.T) {
	text := "Ｆｉｘ: the vul\u200bnerability (CVE-2026-1234) in example-org/widget-security#3."
	hits := CheckPublic(text, testRules)
	want := []struct{ rule, match string }{
		{RuleSecurityWording, "vul\u200bnerability"},
		{RuleCVEID, "CVE-2026-1234"},
		{RuleTracker, "example-org/widget-security#3"},
	}
	if len(hits) != len(want) {
		t.Fatalf("hits %+v", hits)
	}
	for i, w := range want {
		if hits[i].Rule != w.rule || hits[i].Match != w.match {
			t.Errorf("hit %d = %+v, want %s %q", i, hits[i], w.rule, w.match)
		}
		checkHit(t, text, hits[i])
		if i > 0 && hits[i].Offset < hits[i-1].Offset {
			t.Error("hits not sorted")
		}
	}
}

func TestAllowCVE(t *testing.T) {
	text := "Fixes CVE-2026-1234 (GHSA-abcd-efgh-jkmn), a path traversal."
	hits := CheckPublic(text, Rules{AllowCVE: true})
	for _, h := range hits {
		if h.Rule == RuleCVEID || h.Rule == RuleCVE || h.Rule == RuleGHSA {
			t.Errorf("AllowCVE still reports %+v", h)
		}
	}
	if len(hits) != 1 || hits[0].Rule != RuleAttackClass {
		t.Errorf("wording must stay checked: %+v", hits)
	}
}

func TestCheckReporter(t *testing.T) {
	rules := ReporterRules{
		CNAURLs:         []string{"https://cveprocess.example.org/cve5/"},
		PrivateListURLs: []string{"https://lists.example.org/list.html?security@widget.example.org"},
		OtherReporters:  []string{"Alice Other", "bob@finder.example"},
		ReporterCVSS:    []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "9.8"},
		ReporterCWE:     []string{"CWE-22: Improper Limitation of a Pathname to a Restricted Directory"},
	}
	for _, tc := range []struct {
		name, text string
		rule       string // "" means clean
	}{
		{"cna url", "Your record: https://cveprocess.example.org/cve5/CVE-2026-1", RuleCNAURL},
		{"private list url", "see https://lists.example.org/list.html?security@widget.example.org", RulePrivateList},
		{"private list thread", "https://lists.example.org/thread/abc?security%40widget.example.org", RulePrivateList},
		{"other reporter name", "Alice Other reported the same thing", RuleOtherReporter},
		{"other reporter email", "cc bob@finder.example", RuleOtherReporter},
		{"vector echoed", "We scored it CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.", RuleReporterCVSS},
		{"vector reordered", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/A:H/I:H", RuleReporterCVSS},
		{"score echoed", "We agree with the CVSS score of 9.8.", RuleReporterCVSS},
		{"cwe echoed", "This is CWE-22.", RuleReporterCWE},
		{"cwe name echoed", "an improper limitation of a pathname to a restricted directory", RuleReporterCWE},
		{"version number is not a score", "Fixed in 9.8 and later.", ""},
		{"other cwe is fine", "Tracked as CWE-79.", ""},
		{"public archive url is fine", "Advisory: https://lists.example.org/thread/xyz", ""},
		{"plain reply", "Thank you for your report. CVE-2026-1234 was allocated; the fix ships in 2.7.3.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := CheckReporter(tc.text, rules)
			for _, h := range hits {
				checkHit(t, tc.text, h)
			}
			if tc.rule == "" {
				if len(hits) != 0 {
					t.Fatalf("clean draft flagged: %+v", hits)
				}
				return
			}
			for _, h := range hits {
				if h.Rule == tc.rule {
					return
				}
			}
			t.Fatalf("no %s hit in %+v", tc.rule, hits)
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"VulnЕrab\u200bility": "vulnerability",
		"v-u-l-n":             "vuln",
		"ＣＶＥ":                 "cve",
		"Fix\r\nit":           "fix\nit",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCheckPublic(f *testing.F) {
	for _, tc := range leakCorpus {
		f.Add(tc.text)
	}
	for _, s := range cleanCorpus {
		f.Add(s)
	}
	f.Add("\xff\xfe C\u0301VE-２０２６-1234 ﬁx")
	f.Fuzz(func(t *testing.T, text string) {
		for _, hits := range [][]Hit{
			CheckPublic(text, testRules),
			CheckReporter(text, ReporterRules{CNAURLs: testRules.CNAURLs, OtherReporters: []string{"Alice"}, ReporterCVSS: []string{"9.8 AV:N/AC:L/PR:N/UI:N"}, ReporterCWE: []string{"CWE-79"}}),
		} {
			for i, h := range hits {
				if h.Offset < 0 || h.Offset+len(h.Match) > len(text) || text[h.Offset:h.Offset+len(h.Match)] != h.Match {
					t.Fatalf("hit %+v out of range for %q", h, text)
				}
				if i > 0 && h.Offset < hits[i-1].Offset {
					t.Fatalf("hits not sorted: %+v", hits)
				}
			}
		}
		if n := Normalize(text); !utf8.ValidString(n) && utf8.ValidString(text) {
			t.Fatalf("Normalize produced invalid UTF-8 from %q", text)
		}
		_ = strings.ToLower(text)
	})
}
