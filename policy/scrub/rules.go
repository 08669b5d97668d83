package scrub

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Pattern sources for view C are written as they read after folding: lower
// case, no separators ("pathtraversal" matches "Path Traversal",
// "path_traversal", "path-\ntraversal" and "PathTraversal").

// securityWords are the security-framing words and phrases (spec/release.md
// §5.7: vulnerability, security fix, advisory, exploit, and the broader signal
// list). Each alternative is a whole word unless it is listed in stems.
var securityWords = []string{
	`security(?:related|relevant|sensitive)?(?:fix(?:es|ed|ing)?|issues?|bugs?|flaws?|patch(?:es|ed)?|advisor(?:y|ies)|holes?|problems?|vulnerabilit(?:y|ies)|risks?|weakness(?:es)?|defects?|incidents?|releases?|bulletins?|notices?|concerns?|implications?|researchers?|teams?|reports?|disclosures?|exposures?|impact|loopholes?|breach(?:es)?|errata|mitigations?)`,
	`(?:responsible|coordinated|vulnerability)disclosures?`,
	`attackers?`,
	`malicious(?:ly)?`,
	`speciallycrafted`,
	`(?:privately|responsibly)(?:reported|disclosed)`,
	`bugbount(?:y|ies)`,
	`hackerone|huntr|bugcrowd|intigriti|zerodayinitiative`,
}

// securityStems match anywhere in a word, whatever follows ("vulnerable",
// "vulnerabilities", "unexploitable", "embargoed", "XSSvulnerability").
var securityStems = []string{`vulnerab`, `exploit`, `embargo`, `exfiltrat`}

// attackClasses are named attack classes (spec/release.md §5.7 keyword and
// signal lists, with their common synonyms).
var attackClasses = []string{
	// injection
	`(?:sql|nosql|ldap|xpath|os|oscommand|command|shell|code|template|servertemplate|crlf|header|hostheader|log|html|script|xml|email|prompt|expression|el|ognl|formula|csv)injections?`,
	`injection(?:attacks?|vulnerabilit(?:y|ies)|flaws?)`,
	`crosssite(?:scripting|requestforgery|scriptinginclusion)`,
	`(?:serverside|crosssite)?requestforger(?:y|ies)`,
	`(?:remote|arbitrary|unauthenticated)(?:code|command|shell)exec(?:ution)?`,
	`arbitrary(?:file|command|sql|class|object|javascript|js|script)(?:read|reads|write|writes|access|upload|uploads|deletion|inclusion|download|overwrite|execution|injection|loading|instantiation)`,
	`(?:local|remote)fileinclusion`,
	`(?:path|directory|dir)traversals?`, `zipslip`,
	`privilegeescalations?`, `privesc|privilegeesc`, `(?:escalation|elevation)ofprivileges?`, `escalat(?:e|es|ed|ing)privileges?`,
	`(?:auth|authentication|authorization|authorisation|accesscontrol|permission|permissions|acl|csrf|sandbox|login|2fa|mfa|otp|signature|certificate|tls|ssl|samesite|cors|rbac|authz|authn|waf|filter|csp|validation|saniti[sz]er|allowlist|whitelist|blocklist|blacklist)bypass(?:es|ed|ing)?`,
	`bypass(?:es|ed|ing)?(?:of)?(?:the)?(?:authentication|authorization|authorisation|accesscontrol|permissionchecks?|sandbox|auth)`,
	`(?:insecure|unsafe)deseriali[sz]ations?`, `deseriali[sz]ationofuntrusted`,
	`(?:stack|heap)?bufferoverflows?`, `heapoverflows?`, `bufferoverruns?`, `(?:heap|memory)corruptions?`,
	`outofbounds(?:read|write|access)`, `useafterfrees?`, `doublefrees?`, `typeconfusions?`,
	`sessionfixations?`, `sessionhijack(?:ing)?`, `clickjacking`, `openredirects?`, `(?:http)?requestsmuggling`,
	`cachepoisoning`, `dnsrebinding`, `timingattacks?`, `sidechannelattacks?`, `replayattacks?`, `maninthemiddle`,
	`denialofservice`, `dosattacks?`, `redos`, `zipbombs?`, `billionlaughs`, `xmlbombs?`, `xmlexternalentit(?:y|ies)`, `prototypepollution`,
	`sandboxescapes?`, `containerescapes?`, `informationdisclosures?`, `informationleak(?:s|age)?`, `sensitivedataexposure`,
	`hardcoded(?:credentials?|passwords?|secrets?)`, `credentialleaks?`, `informationexposures?`,
	`accounttakeovers?`, `bruteforceattacks?`, `credentialstuffing`, `passwordspraying`,
}

// Short words matched as whole words on the skeleton without joining, so
// that "box ssh" never reads as "xss".
var (
	shortAttack   = `rce|xss|csrf|xsrf|ssrf|xxe|sqli|idor|ssti|mitm`
	shortSecurity = `vulns?`
)

// builtinMatchers are the rules that need no configuration.
var builtinMatchers = func() []matcher {
	var ms []matcher
	add := func(rule, pat string, v view, start, end, leet bool) {
		if leet {
			pat = leetify(pat)
		}
		re := regexp.MustCompile(`(?:` + pat + `)`)
		re.Longest()
		ms = append(ms, matcher{rule: rule, re: re, view: v, start: start, end: end, leet: leet, stem: v == viewC && !end})
	}
	// token is a short word that must be one whole word of its own: "idor"
	// is not found in "EventIDOrSession".
	token := func(rule, pat string) {
		re := regexp.MustCompile(`(?:` + pat + `)`)
		re.Longest()
		ms = append(ms, matcher{rule: rule, re: re, view: viewA, start: true, end: true, oneWord: true})
	}
	add(RuleSecurityWording, strings.Join(securityWords, "|"), viewC, true, true, true)
	// "advisory", except the database term "advisory lock".
	add(RuleSecurityWording, `advisor(?:y|ies)`, viewC, true, true, true)
	ms[len(ms)-1].check = func(t *target, _, b int) bool { return !nextWordIs(t, b, "lock") }
	add(RuleSecurityWording, strings.Join(securityStems, "|"), viewC, false, false, true)
	token(RuleSecurityWording, shortSecurity)
	add(RuleSecurityWording, `(?:zero|0)(?:-?days?| day)`, viewA, true, true, false)
	add(RuleSecurityWording, `s[e3]curity ?(?:@|\(at\)|\[at\]|\{at\})`, viewA, true, false, false)
	add(RuleAttackClass, strings.Join(attackClasses, "|"), viewC, true, true, true)
	token(RuleAttackClass, shortAttack)
	add(RuleCVEID, `cv[e3][^a-z0-9\n]{0,3}\d{4}[^a-z0-9\n]{0,3}\d{3,}`, viewA, true, true, false)
	token(RuleCVE, `cves?`)
	add(RuleGHSA, `ghsa(?:[^a-z0-9\n]{0,3}[a-z0-9]{4}){3}`, viewA, true, true, false)
	token(RuleGHSA, `ghsas?`)
	add(RuleVulnID, `(?:osv|pysec|rustsec|gsd|go)-\d{4}-\d+|zdi-(?:\d{2}|can)-\d{3,}|snyk-[a-z]{2,}-[a-z0-9]`, viewA, true, false, false)
	add(RuleCWE, `cwe[^a-z0-9\n]{0,3}\d{1,4}`, viewA, true, true, false)
	token(RuleCWE, `cwes?`)
	token(RuleCVSS, `cvss`)
	add(RuleCVSS, `cvssv?\d(?:\.\d)?`, viewA, true, true, false)
	add(RuleCVSS, `av:[nalp]/ac:[lh]/`, viewA, true, false, false)
	add(RuleCrossProject, `alsoreportedagainst|other(?:apache|asf)projects?|sisterprojects?|same(?:finder|reporter|researcher)(?:has)?also|crossproject`, viewC, true, true, false)
	return ms
}()

// trackerMatchers match the tracker repository: "owner/name" (and so every
// URL containing it) and "name#N".
func trackerMatchers(repo string) matchers {
	repo = strings.TrimSpace(repo)
	if i := strings.Index(repo, "://"); i >= 0 {
		repo = repo[i+3:]
	}
	repo = strings.TrimPrefix(strings.TrimPrefix(repo, "www."), "github.com/")
	repo = strings.TrimSuffix(strings.Trim(repo, "/"), ".git")
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		owner, name = "", repo
	}
	name = strings.Trim(name, "/")
	if len(lettersOnly(Normalize(name))) < 2 {
		return nil
	}
	namePat := repoPart(name)
	notBefore := func(t *target, a, _ int) bool {
		return a == 0 || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789_.-", rune(t.a.S[a-1]))
	}
	notAfter := func(t *target, _, b int) bool {
		return b >= len(t.a.S) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789_-", rune(t.a.S[b]))
	}
	var ms matchers
	if owner != "" {
		ms = append(ms, matcher{rule: RuleTracker, view: viewA,
			re:    regexp.MustCompile(repoPart(owner) + ` *(?:/|%2f) *` + namePat + `(?: *# *\d+)?`),
			check: func(t *target, a, b int) bool { return notBefore(t, a, b) && notAfter(t, a, b) }})
	}
	ms = append(ms, matcher{rule: RuleTracker, view: viewA,
		re: regexp.MustCompile(namePat + ` *# *\d+`),
		check: func(t *target, a, b int) bool {
			return a == 0 || t.a.S[a-1] == '/' || notBefore(t, a, b)
		}})
	return ms
}

// repoPart is a pattern for a repository owner or name in which '-', '_'
// and '.' stand for each other.
func repoPart(s string) string {
	s = Normalize(s)
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' {
			b.WriteString(`[-_.]`)
			continue
		}
		b.WriteString(regexp.QuoteMeta(string(r)))
	}
	return b.String()
}

// sharedHosts serve far more than one tool; on them a configured URL matches
// by host and path, elsewhere by host alone.
var sharedHosts = []string{"github.com", "gitlab.com", "google.com", "groups.google.com", "lists.apache.org", "apache.org", "bitbucket.org", "sourceforge.net"}

// dotPattern matches a dot, including defanged forms ("[.]", "(dot)").
const dotPattern = `(?:\.|\[\.\]|\(\.\)| ?[\[(]dot[\])] ?| dot )`

// urlMatchers match configured URLs. With hostOnly, a URL on a host of its
// own matches by host (any page of a CNA tool is private); otherwise, and on
// shared hosts, by host and path prefix. An entry with no dot or slash is
// matched as a word.
func urlMatchers(rule string, entries []string, hostOnly bool) matchers {
	var ms matchers
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !strings.ContainsAny(e, "./") {
			ms = append(ms, wordMatchers(rule, []string{e})...)
			continue
		}
		n := Normalize(e)
		if i := strings.Index(n, "://"); i >= 0 {
			n = n[i+3:]
		}
		n = strings.TrimPrefix(n, "www.")
		host, path, _ := strings.Cut(n, "/")
		path = strings.TrimRight(path, "/")
		if host == "" {
			continue
		}
		pat := strings.ReplaceAll(regexp.QuoteMeta(host), `\.`, dotPattern)
		if path != "" && (!hostOnly || slices.Contains(sharedHosts, host)) {
			pat += `/` + strings.ReplaceAll(regexp.QuoteMeta(path), `\.`, dotPattern)
		}
		ms = append(ms, matcher{rule: rule, view: viewA, re: regexp.MustCompile(pat),
			check: func(t *target, a, b int) bool {
				before := a == 0 || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-", rune(t.a.S[a-1]))
				after := b >= len(t.a.S) || path != "" || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-", rune(t.a.S[b]))
				return before && after
			}})
	}
	return ms
}

// wordMatchers match configured words and phrases as whole words on the
// joined view, with leetspeak for words of five or more letters. Entries that
// are addresses or URLs are matched literally.
func wordMatchers(rule string, words []string) matchers {
	var ms matchers
	for _, w := range words {
		w = strings.TrimSpace(w)
		if strings.Contains(w, "@") || strings.Contains(w, "://") {
			ms = append(ms, literalMatcher(rule, w))
			continue
		}
		f := Normalize(w)
		if len(lettersOnly(f)) < 2 {
			continue
		}
		ms = append(ms, wordMatcher(rule, f, true))
	}
	return ms
}

// wordMatcher matches folded (a skeleton with spaces) as whole words on the
// joined view. Its words may be separated by nothing or by a dot, which the
// joined view keeps before a space ("Jane Q. Doe").
func wordMatcher(rule, folded string, allowLeet bool) matcher {
	var parts []string
	for _, w := range strings.FieldsFunc(folded, func(r rune) bool { return r < 0x80 && !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
		parts = append(parts, regexp.QuoteMeta(w))
	}
	pat := strings.Join(parts, `\.?`)
	leet := allowLeet && len(lettersOnly(folded)) >= 5
	if leet {
		pat = leetify(pat)
	}
	return matcher{rule: rule, view: viewC, re: regexp.MustCompile(pat), start: true, end: true, leet: leet}
}

func literalMatcher(rule, s string) matcher {
	n := strings.TrimPrefix(strings.TrimSpace(Normalize(s)), "@")
	pat := strings.ReplaceAll(regexp.QuoteMeta(n), `\.`, dotPattern)
	return matcher{rule: rule, view: viewA, re: regexp.MustCompile(pat),
		check: func(t *target, a, b int) bool {
			return (a == 0 || !wordish(t.a.S[a-1])) && (b >= len(t.a.S) || !wordish(t.a.S[b]))
		}}
}

var reEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// nameMatchers match people: "Jane Doe <jane@example.com> (Example Corp)"
// gives the name as whole words and the address literally. Single-word names
// shorter than three letters are skipped: they would match everywhere.
func nameMatchers(rule string, names []string) matchers {
	var ms matchers
	for _, n := range names {
		for _, email := range reEmail.FindAllString(n, -1) {
			ms = append(ms, literalMatcher(rule, email))
		}
		n = reEmail.ReplaceAllString(n, "")
		if i := strings.IndexAny(n, "(<["); i >= 0 {
			n = n[:i]
		}
		n = strings.TrimPrefix(strings.TrimSpace(n), "@")
		f := Normalize(n)
		if len(lettersOnly(f)) < 3 {
			continue
		}
		ms = append(ms, wordMatcher(rule, f, true))
	}
	return ms
}

// lettersOnly keeps the word bytes of a skeleton.
func lettersOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c >= 0x80 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

var (
	reURL        = regexp.MustCompile(`(?:https?://|www\.)[^\s<>"')\]]+`)
	reCVSSVector = regexp.MustCompile(`(?:cvss: ?\d(?:\.\d)? ?/ ?)?(?:[a-z]{1,3} ?: ?[a-z]{1,2} ?/ ?){3,}[a-z]{1,3} ?: ?[a-z]{1,2}`)
	reMetric     = regexp.MustCompile(`([a-z]{1,3}) ?: ?([a-z]{1,2})`)
	reScore      = regexp.MustCompile(`\b(10(?:\.0)?|\d\.\d)\b`)
	reScoreWords = regexp.MustCompile(`cvss|score|severity|rated|rating|base`)
	reCWEID      = regexp.MustCompile(`cwe[^a-z0-9\n]{0,3}0*(\d+)`)
	reCWEName    = regexp.MustCompile(`cwe[^a-z0-9\n]{0,3}\d+\s*[:\-–—]\s*(.+)$`)
)

// listAddressInURL flags URLs that carry the address of a private list named
// in a configured private-list URL (a thread link on the archive host).
func listAddressInURL(t *target, entries []string) []Hit {
	var addrs []string
	for _, e := range entries {
		for _, a := range reEmail.FindAllString(Normalize(e), -1) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	var out []Hit
	for _, loc := range reURL.FindAllStringIndex(t.a.S, -1) {
		u := t.a.S[loc[0]:loc[1]]
		u = strings.ReplaceAll(strings.ReplaceAll(u, "%40", "@"), "%2540", "@")
		for _, a := range addrs {
			if strings.Contains(u, a) {
				start, end := t.a.Span(loc[0], loc[1])
				out = append(out, Hit{Rule: RulePrivateList, Match: t.text[start:end], Offset: start})
				break
			}
		}
	}
	return out
}

// metricSet is a CVSS vector as its sorted metrics, without the version
// prefix, so that order and spacing do not matter.
func metricSet(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "/"); i >= 0 && strings.HasPrefix(v, "cvss") {
		v = v[i+1:]
	}
	var ms []string
	for _, m := range reMetric.FindAllStringSubmatch(v, -1) {
		ms = append(ms, m[1]+":"+m[2])
	}
	slices.Sort(ms)
	return strings.Join(ms, "/")
}

// reporterCVSS flags the reporter's own CVSS vector (same metrics in any
// order) and their score when it appears next to a scoring word.
func reporterCVSS(t *target, entries []string) []Hit {
	var out []Hit
	for _, e := range entries {
		n := Normalize(e)
		if vec := reCVSSVector.FindString(n); vec != "" {
			want := metricSet(vec)
			for _, loc := range reCVSSVector.FindAllStringIndex(t.a.S, -1) {
				if metricSet(t.a.S[loc[0]:loc[1]]) == want {
					start, end := t.a.Span(loc[0], loc[1])
					out = append(out, Hit{Rule: RuleReporterCVSS, Match: t.text[start:end], Offset: start})
				}
			}
			n = strings.Replace(n, vec, " ", 1)
		}
		for _, sm := range reScore.FindAllString(n, -1) {
			want, err := strconv.ParseFloat(sm, 64)
			if err != nil {
				continue
			}
			for _, loc := range reScore.FindAllStringIndex(t.a.S, -1) {
				got, err := strconv.ParseFloat(t.a.S[loc[0]:loc[1]], 64)
				if err != nil || got != want {
					continue
				}
				lo, hi := max(0, loc[0]-40), min(len(t.a.S), loc[1]+40)
				if !reScoreWords.MatchString(t.a.S[lo:hi]) {
					continue
				}
				start, end := t.a.Span(loc[0], loc[1])
				out = append(out, Hit{Rule: RuleReporterCVSS, Match: t.text[start:end], Offset: start})
			}
		}
	}
	return out
}

// reporterCWE flags the reporter's CWE ids ("CWE-79", "cwe 79") and, when
// the entry names the weakness, that name.
func reporterCWE(t *target, entries []string) []Hit {
	var out []Hit
	for _, e := range entries {
		n := strings.TrimSpace(Normalize(e))
		id := ""
		if m := reCWEID.FindStringSubmatch(n); m != nil {
			id = m[1]
		} else if _, err := strconv.Atoi(n); err == nil {
			id = strings.TrimLeft(n, "0")
		}
		if id != "" {
			re := regexp.MustCompile(`cwe[^a-z0-9\n]{0,3}0*` + id)
			out = append(out, matcher{rule: RuleReporterCWE, view: viewA, re: re, start: true,
				check: func(t *target, _, b int) bool { return b >= len(t.a.S) || t.a.S[b] < '0' || t.a.S[b] > '9' }}.find(t)...)
		}
		if m := reCWEName.FindStringSubmatch(n); m != nil {
			if len(lettersOnly(m[1])) >= 10 {
				out = append(out, wordMatcher(RuleReporterCWE, m[1], false).find(t)...)
			}
		}
	}
	return out
}

// nextWordIs reports whether the word after skeleton byte b starts with
// prefix ("advisory lock", "advisory locks").
func nextWordIs(t *target, b int, prefix string) bool {
	s := t.a.S
	for b < len(s) && !wordish(s[b]) && s[b] != '\n' && b < len(s) {
		b++
	}
	return strings.HasPrefix(s[b:], prefix)
}
