package intake

import (
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// extract.go is field extraction (spec/intake.md §4.11) and the keys the
// related-tracker search reads (§4.7): every value is taken from the root
// message by rules, and the reporter's own scoring is observed, never copied.

// Credit rules, as shown in the proposal next to the credit.
const (
	CreditRuleAttribution  = "attribution line"
	CreditRuleDisplayName  = "From display name"
	CreditRuleLocalPart    = "From address local part"
	CreditRuleServiceBody  = "service sender: taken from body"
	CreditRuleServiceNone  = "service sender: no reporter named in body"
	creditRuleBotPrefix    = "bot policy: "
	maxCreditRunes         = 200
	defaultCodeExtensions  = ".py,.go,.java,.js,.ts"
	maxVersionLookbackWord = 3
)

// Extracted is what import pre-fills from a root message.
type Extracted struct {
	Title           string `json:"title"`
	OriginalSubject string `json:"original_subject"`
	// Description is the root body verbatim; the caller sanitises it (§4.15.1).
	Description string `json:"description"`
	// AffectedVersions is bare: "2.9.0, 2.9.3" or ">= 2.6.0, < 2.10.2"; "" when
	// the mail states none (never inferred from "latest").
	AffectedVersions string `json:"affected_versions"`
	Credit           string `json:"credit"`
	// CreditRule says where Credit came from: "attribution line", "From
	// display name", "From address local part", "bot policy: <rule>",
	// "service sender: taken from body", "service sender: no reporter named in body".
	CreditRule   string `json:"credit_rule"`
	CreditIsTool bool   `json:"credit_is_tool"`
	// CreditNote says why a credit line of the report was not used: an
	// attribution line (or display name) that reads as instructions to an
	// agent is never a credit ("" when nothing was refused).
	CreditNote    string `json:"credit_note,omitempty"`
	ReporterEmail string `json:"reporter_email"`
	// ReporterCVSS and ReporterCWE are what the reporter claimed: observed
	// state for the proposal, never copied into Severity or CWE (§14.5).
	ReporterCVSS   []string `json:"reporter_cvss,omitempty"`
	ReporterCWE    []string `json:"reporter_cwe,omitempty"`
	GHSAIDs        []string `json:"ghsa_ids,omitempty"`
	CodePointers   []string `json:"code_pointers,omitempty"` // most specific first
	UpstreamPRs    []string `json:"upstream_prs,omitempty"`
	VersionStrings []string `json:"version_strings,omitempty"`
	URLs           []string `json:"urls,omitempty"`
}

// ExtractContext is the project configuration extraction reads.
type ExtractContext struct {
	ProductNames       []string
	SubjectPrefixStrip []string
	// CodeExtensions name the source files code pointers may end in
	// (default .py, .go, .java, .js, .ts).
	CodeExtensions []string
	Upstream       string // owner/name
	// ServiceAddresses are relay addresses that are never credited besides
	// the noreply/notifications shapes: the security list, the foundation
	// security address, other list addresses.
	ServiceAddresses []string
}

// Extract pre-fills the §4.11 values from the root message.
func Extract(root lifecycle.Message, c ExtractContext) Extracted {
	body := root.Body
	head, _ := headBytes(body, maxExtractBytes)
	clean := stripInvisible(head)
	ex := Extracted{
		Title:           CleanSubject(root.Subject, c.SubjectPrefixStrip, c.ProductNames),
		OriginalSubject: root.Subject,
		Description:     body,
		GHSAIDs:         ghsaIDs(clean),
		UpstreamPRs:     upstreamPRs(clean, c.Upstream),
		URLs:            urls(clean),
		ReporterCWE:     reporterCWEs(clean),
		ReporterCVSS:    reporterCVSS(clean),
	}
	ex.CodePointers = codePointers(clean, c.ProductNames, c.CodeExtensions)
	ex.AffectedVersions, ex.VersionStrings = affectedVersions(clean, c.ProductNames)
	ex.Credit, ex.CreditRule, ex.CreditIsTool, ex.ReporterEmail, ex.CreditNote = credit(root, clean, c)
	return ex
}

// ---- credit ----

var (
	// attributionLabelRE: "Credit: …", "Credits - …", "**Reported by:** …", "Finder: …".
	attributionLabelRE = regexp.MustCompile(`(?im)^[ \t>*_-]*(?:\*\*|__)?[ \t]*(credits?|credit to|discovered by|found by|reported by|identified by|discovered and reported by|found and reported by|reporter|finder|researcher|acknowledg(?:e)?ments?)[ \t]*(?:\*\*|__)?[ \t]*[:\-–—][ \t]*(?:\*\*|__)?[ \t]*([^\n]+?)[ \t]*$`)
	// attributionLeadRE: a line that starts "Discovered by Jane Doe (Acme)".
	attributionLeadRE = regexp.MustCompile(`(?im)^[ \t>*_-]*(?:discovered|found|reported|identified)(?:\s+and\s+reported)?\s+by\s+([^\n]+?)[ \t]*$`)
	// attributionSentenceRE: "This vulnerability was discovered and reported by Jane Doe of Acme."
	attributionSentenceRE = regexp.MustCompile(`(?i)\b(?:discovered|found|identified)\s+and\s+reported\s+by\s+([^\n]+?)(?:\.(?:\s|$)|$)`)
	// creditAsRE: "Please credit me as Jane Doe (Acme)".
	creditAsRE = regexp.MustCompile(`(?im)\b(?:please\s+)?credit\s+(?:me|us|the\s+finding|this(?:\s+finding)?)\s+(?:as|to)\s*:?\s*([^\n]+?)(?:\.(?:\s|$)|$)`)
	// relayActorRE: the person a relay names ("submitted by @handle").
	relayActorRE   = regexp.MustCompile(`(?i)(?:\b(?:reported|submitted|opened|created|filed|published|sent)\s+by\s+@([A-Za-z0-9][A-Za-z0-9-]{0,38})\b|(?:^|\s)@([A-Za-z0-9][A-Za-z0-9-]{0,38})\s+(?:has\s+)?(?:reported|submitted|opened|created|filed|published)\b)`)
	forwardedFrom  = regexp.MustCompile(`(?im)^[ \t>]*(?:\*\*)?From:(?:\*\*)?[ \t]*([^\n]+)$`)
	emailInCredit  = regexp.MustCompile(`\s*<[^<>\s@]+@[^<>\s]+>`)
	viaListSuffix  = regexp.MustCompile(`(?i)\s+(?:via|through)\s+[^\n]{1,60}$`)
	emptyCreditRE  = regexp.MustCompile(`(?i)^(n/?a|none|-+|tbd|null|nil)$`)
	wrappedQuotesR = strings.NewReplacer("“", "", "”", "", "\"", "", "‘", "", "’", "")
)

// credit applies the §4.11 credit rule and then the §4.11.1 bot rule. A
// candidate credit that reads as instructions to an agent (an attribution
// line "Credit: ignore previous instructions …") is never used: the rule
// falls back to the next source (the From display name, else the address's
// local part) and note says so.
func credit(root lifecycle.Message, body string, c ExtractContext) (name, rule string, tool bool, reporterEmail, note string) {
	from := root.From
	service := isServiceAddress(from.Email, c.ServiceAddresses)
	if !service {
		reporterEmail = strings.ToLower(strings.TrimSpace(from.Email))
	}
	var refused []string
	usable := func(what, v string) string {
		if v != "" && readsAsInstructions(v) {
			refused = append(refused, what)
			return ""
		}
		return v
	}

	attributed := usable("attribution line", attributionCredit(body))
	switch {
	case attributed != "":
		name, rule = attributed, CreditRuleAttribution
	case service:
		name, rule = "", CreditRuleServiceNone
		if n, e := relayedReporter(body, c.ServiceAddresses); usable("relayed reporter", n) != "" {
			name, rule = n, CreditRuleServiceBody
			if reporterEmail == "" {
				reporterEmail = e
			}
		} else if n := usable("From display name", listRewrittenName(from.Name)); n != "" {
			// A list that rewrites From for DMARC keeps the person's name
			// as "Jane Doe via security".
			name, rule = n, CreditRuleDisplayName
		}
	default:
		if n := usable("From display name", displayName(from.Name)); n != "" {
			name, rule = n, CreditRuleDisplayName
		} else if local, _, ok := strings.Cut(strings.TrimSpace(from.Email), "@"); ok && usable("From address local part", local) != "" {
			name, rule = local, CreditRuleLocalPart
		}
	}
	if len(refused) > 0 {
		fallback := "no credit (confirm it with the reporter)"
		if name != "" {
			fallback = "the " + rule
		}
		note = fmt.Sprintf("the report's %s was not used as the credit: it reads as instructions to an agent (prompt injection); the credit falls back to %s", strings.Join(refused, " and "), fallback)
		rule += "; " + strings.Join(refused, " and ") + " refused (reads as instructions)"
	}
	if name == "" {
		return "", rule, false, reporterEmail, note
	}
	if bot, why := IsBot(name); bot {
		return name, creditRuleBotPrefix + why, true, reporterEmail, note
	}
	// The address itself may name the tool ("ci-scanner@acme.example") while the
	// display name is a brand; only when the credit came from the From header.
	if strings.HasPrefix(rule, CreditRuleDisplayName) || strings.HasPrefix(rule, CreditRuleLocalPart) {
		if bot, why := IsBot(from.Email); bot {
			return name, creditRuleBotPrefix + why, true, reporterEmail, note
		}
	}
	return name, rule, false, reporterEmail, note
}

// readsAsInstructions reports whether a would-be credit (or a display name)
// trips the injection detector: such a line is data, never a name to publish.
// A directive rule matching one word only ("AutoTriage", a brand) is a name,
// not an instruction; hidden-text and look-alike findings always count.
func readsAsInstructions(v string) bool {
	for _, f := range untrusted.DetectInjection(v) {
		if !oneWordDirective(f) {
			return true
		}
	}
	return false
}

func oneWordDirective(f untrusted.Finding) bool {
	switch f.Rule {
	case untrusted.RuleOverride, untrusted.RuleRoleChange, untrusted.RuleSystemPrompt, untrusted.RuleAddressesAgent,
		untrusted.RuleWorkflowBypass, untrusted.RuleCVEDecision, untrusted.RuleStateChange, untrusted.RuleRunCommand,
		untrusted.RuleExfiltration, untrusted.RuleAuthorityClaim, untrusted.RuleVerbatim, untrusted.RuleRemoteDirective:
		return len(strings.Fields(f.Match)) <= 1
	}
	return false
}

// attributionCredit is an explicit attribution in the body, copied as
// written (affiliation kept), "" if none.
func attributionCredit(body string) string {
	for _, re := range []*regexp.Regexp{attributionLabelRE, attributionLeadRE, attributionSentenceRE, creditAsRE} {
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			if v := cleanCredit(m[len(m)-1]); v != "" {
				return v
			}
		}
	}
	return ""
}

// cleanCredit trims markup around a credit value; it keeps the words as
// written, including affiliation, but drops an e-mail address in angle
// brackets (personal data the public credit does not need).
func cleanCredit(v string) string {
	v = emailInCredit.ReplaceAllString(v, "")
	v = strings.TrimSpace(wrappedQuotesR.Replace(v))
	v = strings.Trim(v, "*_` \t")
	v = strings.TrimRight(v, ".;, \t")
	v = strings.Join(strings.Fields(v), " ")
	if v == "" || emptyCreditRE.MatchString(v) {
		return ""
	}
	if r := []rune(v); len(r) > maxCreditRunes {
		v = strings.TrimSpace(string(r[:maxCreditRunes]))
	}
	return v
}

// relayedReporter finds the original reporter in a relayed mail: a named
// actor ("submitted by @handle") or the From: line of a forwarded message.
func relayedReporter(body string, serviceAddrs []string) (name, email string) {
	if m := relayActorRE.FindStringSubmatch(body); m != nil {
		return "@" + m[1] + m[2], ""
	}
	for _, m := range forwardedFrom.FindAllStringSubmatch(body, -1) {
		a, err := mail.ParseAddress(strings.TrimSpace(m[1]))
		if err != nil || isServiceAddress(a.Address, serviceAddrs) {
			continue
		}
		if n := displayName(a.Name); n != "" {
			return n, strings.ToLower(a.Address)
		}
		if local, _, ok := strings.Cut(a.Address, "@"); ok && local != "" {
			return local, strings.ToLower(a.Address)
		}
	}
	return "", ""
}

// isServiceAddress: a relay or notification sender, never a finder.
func isServiceAddress(addr string, serviceAddrs []string) bool {
	a := normEmail(addr)
	if a == "" {
		return false
	}
	for _, s := range serviceAddrs {
		if normEmail(s) == a {
			return true
		}
	}
	return serviceAddressRule(a) != ""
}

// displayName cleans a From display name; "" when it is empty or an address.
func displayName(n string) string {
	n = strings.TrimSpace(stripInvisible(wrappedQuotesR.Replace(n)))
	if n == "" || strings.Contains(n, "@") {
		return ""
	}
	if i := viaListSuffix.FindStringIndex(n); i != nil && i[0] > 0 {
		n = strings.TrimSpace(n[:i[0]])
	}
	n = strings.TrimSpace(strings.Trim(n, "'"))
	return strings.Join(strings.Fields(n), " ")
}

// listRewrittenName returns the person's name of a "Jane Doe via security"
// display name, "" for any other shape.
func listRewrittenName(n string) string {
	n = strings.TrimSpace(stripInvisible(wrappedQuotesR.Replace(n)))
	if !viaListSuffix.MatchString(n) {
		return ""
	}
	return displayName(n)
}

// ---- keys: GHSA, URLs, PRs, code pointers ----

func ghsaIDs(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range ghsaIDRE.FindAllString(s, -1) {
		id := "GHSA" + strings.ToLower(m[4:])
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// urls returns the http(s) URLs in s, without trailing punctuation or an
// unbalanced closing bracket (markdown links, prose).
func urls(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range urlRE.FindAllString(s, -1) {
		u = trimURL(u)
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

func trimURL(u string) string {
	for {
		n := len(u)
		u = strings.TrimRight(u, ".,;:!?*_'\"")
		for _, p := range [][2]string{{"(", ")"}, {"[", "]"}, {"{", "}"}} {
			if strings.HasSuffix(u, p[1]) && strings.Count(u, p[0]) < strings.Count(u, p[1]) {
				u = u[:len(u)-1]
			}
		}
		if len(u) == n {
			return u
		}
	}
}

var (
	classMethodRE = regexp.MustCompile(`\b[A-Z][A-Za-z0-9_]*(?:\.[a-z_][A-Za-z0-9_]*)+\(\)`)
	blobURLRE     = regexp.MustCompile(`(?i)^https?://(?:www\.)?github\.com/[^/\s]+/[^/\s]+/(?:blob|tree)/[^/\s]+/([^\s#?]+)(#L\d+(?:-L\d+)?)?`)
)

// codePointers extracts §4.7 key 2: Class.method() names, source paths with
// a configured extension (with a :line when given), dotted module paths under
// a product name, and paths in GitHub blob URLs. Most specific first
// (deepest path, longest name), as the search takes the first two or three.
func codePointers(s string, products, exts []string) []string {
	type ptr struct {
		v     string
		depth int
		pos   int
	}
	var ps []ptr
	seen := map[string]bool{}
	add := func(v string, pos int) {
		v = strings.TrimRight(v, ".,;:")
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		ps = append(ps, ptr{v: v, depth: strings.Count(v, "/") + strings.Count(v, "."), pos: pos})
	}
	for i, u := range urls(s) {
		if m := blobURLRE.FindStringSubmatch(u); m != nil {
			add(m[1], i)
		}
	}
	text := withoutURLs(s)
	for _, loc := range classMethodRE.FindAllStringIndex(text, -1) {
		add(text[loc[0]:loc[1]], loc[0])
	}
	if re := pathRE(exts); re != nil {
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			add(text[m[2]:m[3]], m[2])
		}
	}
	for _, p := range products {
		id := strings.ToLower(strings.Join(strings.Fields(p), ""))
		if id == "" || strings.IndexFunc(id, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') }) >= 0 {
			continue
		}
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(id) + `(?:\.[a-z_][A-Za-z0-9_]*){2,}\b`)
		for _, loc := range re.FindAllStringIndex(text, -1) {
			add(text[loc[0]:loc[1]], loc[0])
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].depth != ps[j].depth {
			return ps[i].depth > ps[j].depth
		}
		if len(ps[i].v) != len(ps[j].v) {
			return len(ps[i].v) > len(ps[j].v)
		}
		return ps[i].pos < ps[j].pos
	})
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.v
	}
	return out
}

// pathRE matches source paths: at least one directory, a configured
// extension, an optional :line or #Lline.
func pathRE(exts []string) *regexp.Regexp {
	if len(exts) == 0 {
		exts = strings.Split(defaultCodeExtensions, ",")
	}
	var alts []string
	for _, e := range exts {
		e = strings.TrimPrefix(strings.TrimSpace(e), ".")
		if e != "" {
			alts = append(alts, regexp.QuoteMeta(e))
		}
	}
	if len(alts) == 0 {
		return nil
	}
	return regexp.MustCompile(`(?:^|[^\w./-])((?:\.{0,2}/)?[A-Za-z_][\w.-]*(?:/[\w.-]+)*/[\w.-]+\.(?:` + strings.Join(alts, "|") + `)(?::\d+|#L\d+)?)\b`)
}

// ---- reporter scoring (observed only) ----

var (
	cvssVectorRE = regexp.MustCompile(`\bCVSS:[2-4]\.\d/[A-Z]{1,3}:[A-Z](?:/[A-Z]{1,3}:[A-Z])+|\bAV:[NALP]/AC:[LHM]/[A-Za-z:/]+`)
	cvssScoreRE  = regexp.MustCompile(`(?i)\bCVSS(?:\s*v?[234](?:\.\d)?)?(?:\s+base)?(?:\s+score)?\s*[:=]?\s*(?:of\s+)?\d{1,2}\.\d\b(?:\s*/\s*10(?:\.0)?)?(?:\s*\(?(?:critical|high|medium|low|none)\)?)?`)
	sevLabelRE   = regexp.MustCompile(`(?im)^[ \t>*_-]*(?:\*\*|__)?(severity|risk|risk rating|impact rating|criticality|priority)(?:\*\*|__)?[ \t]*[:=\-][ \t]*(?:\*\*|__)?(critical|high|medium|moderate|low|important|informational)\b`)
)

// reporterCVSS lists the reporter's CVSS vectors, scores and severity labels,
// as written, for the proposal's observed state.
func reporterCVSS(s string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.Join(strings.Fields(strings.TrimSpace(v)), " ")
		if v != "" && !seen[strings.ToLower(v)] {
			seen[strings.ToLower(v)] = true
			out = append(out, v)
		}
	}
	for _, m := range cvssVectorRE.FindAllString(s, -1) {
		add(m)
	}
	// Scores are read with the vectors blanked: "CVSS:3.1/…" is not a 3.1 score.
	for _, m := range cvssScoreRE.FindAllString(cvssVectorRE.ReplaceAllString(s, " "), -1) {
		add(m)
	}
	for _, m := range sevLabelRE.FindAllStringSubmatch(s, -1) {
		add(strings.ToLower(m[1]) + ": " + m[2])
	}
	return out
}

func reporterCWEs(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range cweRE.FindAllStringSubmatch(s, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			continue
		}
		id := "CWE-" + strconv.Itoa(n)
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ---- affected versions ----
//
// §4.11: the versions or range the reporter states, bare ("2.9.0, 2.9.3" or
// ">= 2.6.0, < 2.10.2"), never prefixed with the product, never inferred
// from "latest". A labelled line ("Affected versions: …", "<Product>
// version: …", a "### Affected versions" heading) wins; otherwise sentences
// that say what is affected or was tested. Versions bound to something else
// ("Python 3.11", "Ubuntu 22.04", "CVSS 9.8", "fixed in 2.10.2") are skipped.

var (
	versionLabelRE   = regexp.MustCompile(`(?im)^[ \t>*_-]*(?:\*\*|__)?[ \t]*(affected(?:[ \t]+(?:versions?|releases?|product[ \t]+versions?))?|versions?[ \t]+affected|vulnerable[ \t]+versions?|affects|tested[ \t]+(?:on|with|against|in|versions?)|versions?[ \t]+tested|(?:product|software)[ \t]+versions?|versions?|([\w.-]+)[ \t]+versions?)[ \t]*(?:\*\*|__)?[ \t]*[:=][ \t]*(?:\*\*|__)?[ \t]*([^\n]*)$`)
	versionHeadRE    = regexp.MustCompile(`(?im)^[ \t]*#{1,6}[ \t]*(affected[ \t]+versions?|versions?[ \t]+affected|vulnerable[ \t]+versions?|versions?|tested[ \t]+versions?)[ \t]*:?[ \t]*$`)
	versionTriggerRE = regexp.MustCompile(`(?i)\b(affect\w*|vulnerable|tested|reproduc\w*|confirmed|present|introduced|exists?|verified|running|versions?|releases?)\b`)
	// versionTokRE tokenises a version expression: operators, then versions.
	versionTokRE = regexp.MustCompile(`(?i)(>=|=>|≥|<=|=<|≤|==|>|<|\bbetween\b|\bup\s+to\s+and\s+including\b|\bup\s+to\b|\bprior\s+to\b|\bbefore\b|\bbelow\b|\b(?:earlier|older|lower|less)\s+than\b|\b(?:newer|later|greater|higher)\s+than\b|\bsince\b|\bstarting\s+(?:from|with|at)\b|\bfrom\b|\bthrough\b|\bthru\b|\buntil\b|\btill\b|\bto\b|\b(?:and|or)\s+(?:later|newer|above|higher|greater|up|onwards?)\b|\bonwards?\b|\b(?:and|or)\s+(?:earlier|older|below|lower|before|prior)\b|\band\b|\.\.|[-–—]|\bv?\d+(?:\.(?:\d+|x|\*)){1,3}(?:-?(?:rc|beta|alpha|dev|post|pre|b|a)\.?\d*)?\+?)`)
	// versionOnlyRE is the version alternative of versionTokRE alone.
	versionOnlyRE = regexp.MustCompile(`(?i)\bv?\d+(?:\.(?:\d+|x|\*)){1,3}(?:-?(?:rc|beta|alpha|dev|post|pre|b|a)\.?\d*)?\+?`)
	fixedInRE     = regexp.MustCompile(`(?i)\b(fixed|patched|resolved|addressed|upgrade|upgrading|update|updating|bump|bumped|released|fix)\s+(in|to|with|by)\s+(version\s+|release\s+|v)?$`)
	firstNumRE    = regexp.MustCompile(`^\d+`)
)

// neutralVersionWords may stand between a version and the word that says
// whose version it is.
var neutralVersionWords = map[string]bool{
	"on": true, "in": true, "with": true, "and": true, "or": true, "to": true, "from": true,
	"since": true, "before": true, "after": true, "through": true, "thru": true, "until": true,
	"till": true, "between": true, "than": true, "including": true, "prior": true, "below": true,
	"above": true, "up": true, "at": true, "of": true, "is": true, "are": true, "was": true,
	"were": true, "version": true, "versions": true, "ver": true, "v": true, "release": true,
	"releases": true, "tag": true, "tags": true, "branch": true, "build": true, "affected": true,
	"affects": true, "affect": true, "vulnerable": true, "tested": true, "confirmed": true,
	"reproduced": true, "latest": true, "stable": true, "current": true, "all": true, "both": true,
	"the": true, "a": true, "an": true, "e": true, "g": true, "eg": true, "i": true, "ie": true,
	"image": true, "images": true, "also": true, "only": true, "still": true, "even": true,
	"later": true, "earlier": true, "newer": true, "older": true, "lower": true, "higher": true,
	"starting": true, "be": true, "been": true, "installed": true,
	"running": true, "deployed": true, "default": true, "official": true, "our": true, "my": true,
	"against": true, "for": true, "as": true, "like": true, "such": true,
}

// foreignVersionWords name runtimes, systems, libraries and scores whose
// version numbers are not the product's.
var foreignVersionWords = map[string]bool{
	"python": true, "py": true, "java": true, "jdk": true, "jre": true, "openjdk": true, "node": true,
	"nodejs": true, "npm": true, "yarn": true, "go": true, "golang": true, "ruby": true, "rails": true,
	"php": true, "perl": true, "rust": true, "rustc": true, "cargo": true, "gcc": true, "clang": true,
	"llvm": true, "ubuntu": true, "debian": true, "centos": true, "rhel": true, "fedora": true,
	"alpine": true, "macos": true, "osx": true, "mac": true, "windows": true, "win": true, "ios": true,
	"android": true, "linux": true, "kernel": true, "chrome": true, "chromium": true, "firefox": true,
	"safari": true, "edge": true, "opera": true, "browser": true, "docker": true, "podman": true,
	"kubernetes": true, "k8s": true, "helm": true, "postgres": true, "postgresql": true, "mysql": true,
	"mariadb": true, "redis": true, "sqlite": true, "mongodb": true, "mongo": true, "nginx": true,
	"httpd": true, "tomcat": true, "jetty": true, "spring": true, "django": true, "flask": true,
	"fastapi": true, "react": true, "angular": true, "vue": true, "jquery": true, "bootstrap": true,
	"openssl": true, "glibc": true, "bash": true, "curl": true, "wget": true, "git": true, "pip": true,
	"setuptools": true, "celery": true, "sqlalchemy": true, "tls": true, "ssl": true, "http": true,
	"https": true, "tcp": true, "ip": true, "ipv": true, "oauth": true, "saml": true, "cvss": true,
	"score": true, "scored": true, "rated": true, "rating": true, "cwe": true, "rfc": true, "iso": true,
	"utf": true, "es": true, "ecmascript": true, "html": true, "css": true, "json": true, "xml": true,
	"yaml": true, "sdk": true, "jvm": true, "dotnet": true, "net": true, "powershell": true,
	"xcode": true, "vscode": true, "intellij": true, "burp": true, "sqlmap": true, "nmap": true,
	"semgrep": true, "trivy": true, "codeql": true, "snyk": true, "bandit": true, "zap": true,
	"nuclei": true, "grype": true, "werkzeug": true, "gunicorn": true, "uvicorn": true, "jinja": true,
	"jinja2": true, "pydantic": true, "numpy": true, "pandas": true, "requests": true, "urllib3": true,
	"boto3": true, "aws": true, "terraform": true, "ansible": true, "selenium": true,
	"playwright": true, "electron": true, "wordpress": true, "cpython": true, "pypy": true,
	"graalvm": true, "jakarta": true, "servlet": true, "log4j": true, "struts": true, "severity": true,
}

// affectedVersions returns the bare affected-versions value and every
// version string that belongs to the product (for the related search).
func affectedVersions(body string, products []string) (string, []string) {
	prod := productWords(products)
	all := allVersions(body, prod)
	for _, value := range labelledVersionValues(body, prod) {
		if v := parseVersionExpr(value, prod); v != "" {
			return v, all
		}
	}
	// A sentence says what is affected when it has a trigger word or names
	// the product with a version ("Start Larkspur 2.10.1").
	productVersionRE := productVersionPattern(prod)
	var lists, cons []string
	for _, sentence := range versionSentences(outsideFences(body)) {
		if !versionTriggerRE.MatchString(sentence) && (productVersionRE == nil || !productVersionRE.MatchString(sentence)) {
			continue
		}
		l, c := versionExpr(sentence, prod)
		lists, cons = appendNew(lists, l...), appendNew(cons, c...)
	}
	return joinVersionExpr(lists, cons), all
}

// labelledVersionValues returns the values of "Affected versions:"-style lines
// and of the lines under an "Affected versions" heading, in order.
func labelledVersionValues(body string, prod map[string]bool) []string {
	var out []string
	for _, m := range versionLabelRE.FindAllStringSubmatch(body, -1) {
		if owner := strings.ToLower(m[2]); owner != "" && !prod[owner] && !neutralVersionWords[owner] {
			continue // "Python version: 3.11"
		}
		out = append(out, m[3])
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if !versionHeadRE.MatchString(l) {
			continue
		}
		var val []string
		for _, next := range lines[i+1:] {
			t := strings.TrimSpace(next)
			if t == "" && len(val) == 0 {
				continue
			}
			if t == "" || strings.HasPrefix(t, "#") || len(val) == 3 {
				break
			}
			val = append(val, t)
		}
		out = append(out, strings.Join(val, ", "))
	}
	return out
}

// versionSentences splits prose into lines and sentences without splitting
// inside version numbers.
func versionSentences(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		start := 0
		for i := 0; i < len(line); i++ {
			if (line[i] == '.' || line[i] == '!' || line[i] == '?' || line[i] == ';') && (i+1 == len(line) || line[i+1] == ' ') {
				out = append(out, line[start:i])
				start = i + 1
			}
		}
		out = append(out, line[start:])
	}
	return out
}

// outsideFences blanks fenced code: a dependency pin in a PoC names other
// libraries' versions.
func outsideFences(s string) string {
	lines := strings.Split(s, "\n")
	in := false
	for i, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			in = !in
			lines[i] = ""
			continue
		}
		if in {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// productVersionPattern matches a product word followed by a version.
func productVersionPattern(prod map[string]bool) *regexp.Regexp {
	if len(prod) == 0 {
		return nil
	}
	words := make([]string, 0, len(prod))
	for w := range prod {
		words = append(words, regexp.QuoteMeta(w))
	}
	sort.Strings(words) // deterministic pattern
	return regexp.MustCompile(`(?i)\b(?:` + strings.Join(words, "|") + `)[\s-]+v?\d+\.\d+`)
}

func productWords(products []string) map[string]bool {
	out := map[string]bool{}
	for _, p := range products {
		f := strings.Fields(strings.ToLower(p))
		if len(f) == 0 {
			continue
		}
		out[f[len(f)-1]] = true
		out[strings.Join(f, "-")] = true
	}
	return out
}

type vtok struct {
	kind int
	v    string
}

const (
	tVer = iota
	tGE
	tGT
	tLE
	tLT
	tEQ
	tSep   // to, through, until, ..
	tDash  // a dash: a range separator only between two versions
	tBetw  // between
	tLater // "and later"
	tEarly // "and earlier"
	tAnd
)

func parseVersionExpr(s string, prod map[string]bool) string {
	l, c := versionExpr(s, prod)
	return joinVersionExpr(l, c)
}

// joinVersionExpr prefers a stated range over the versions listed beside it: the
// spec's value is "2.9.0, 2.9.3" or ">= 2.6.0, < 2.10.2", and a report that says
// "tested on 2.3.0 and 2.4.1, so every version from 2.3.0 to 2.4.1" states the range.
func joinVersionExpr(lists, cons []string) string {
	if len(cons) > 0 {
		return strings.Join(cons, ", ")
	}
	return strings.Join(lists, ", ")
}

// versionExpr reads one statement: bare versions go to lists, bounds to cons.
func versionExpr(s string, prod map[string]bool) (lists, cons []string) {
	toks := versionTokens(s, prod)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func(k int) (vtok, bool) {
			if i+k < len(toks) {
				return toks[i+k], true
			}
			return vtok{}, false
		}
		n1, ok1 := next(1)
		n2, ok2 := next(2)
		n3, ok3 := next(3)
		switch t.kind {
		case tBetw:
			if ok1 && n1.kind == tVer && ok2 && (n2.kind == tAnd || n2.kind == tSep || n2.kind == tDash) && ok3 && n3.kind == tVer {
				cons = appendNew(cons, ">= "+n1.v, "<= "+n3.v)
				i += 3
			}
		case tGE, tGT, tLE, tLT, tEQ:
			if ok1 && n1.kind == tVer {
				switch t.kind {
				case tEQ:
					lists = appendNew(lists, n1.v)
				default:
					cons = appendNew(cons, map[int]string{tGE: ">=", tGT: ">", tLE: "<=", tLT: "<"}[t.kind]+" "+n1.v)
				}
				i++
			}
		case tSep:
			if ok1 && n1.kind == tVer {
				cons = appendNew(cons, "<= "+n1.v)
				i++
			}
		case tVer:
			switch {
			case ok1 && (n1.kind == tSep || n1.kind == tDash) && ok2 && n2.kind == tVer:
				cons = appendNew(cons, ">= "+t.v, "<= "+n2.v)
				i += 2
			case ok1 && n1.kind == tLater:
				cons = appendNew(cons, ">= "+t.v)
				i++
			case ok1 && n1.kind == tEarly:
				cons = appendNew(cons, "<= "+t.v)
				i++
			case strings.HasSuffix(t.v, "+"):
				cons = appendNew(cons, ">= "+strings.TrimSuffix(t.v, "+"))
			default:
				lists = appendNew(lists, t.v)
			}
		}
	}
	return lists, cons
}

// versionTokens tokenises s, keeping only versions that belong to the product.
func versionTokens(s string, prod map[string]bool) []vtok {
	var toks []vtok
	for _, loc := range versionTokRE.FindAllStringIndex(s, -1) {
		raw := s[loc[0]:loc[1]]
		low := strings.ToLower(strings.Join(strings.Fields(raw), " "))
		var t vtok
		switch {
		case low[0] >= '0' && low[0] <= '9' || low[0] == 'v' && len(low) > 1 && low[1] >= '0' && low[1] <= '9':
			v, ok := productVersion(s, loc[0], loc[1], prod)
			if !ok {
				// a foreign version breaks a range: "Python 3.11 to 2.9" is nothing
				toks = append(toks, vtok{kind: tAnd})
				continue
			}
			t = vtok{kind: tVer, v: v}
		case low == ">=" || low == "=>" || low == "≥" || low == "since" || strings.HasPrefix(low, "starting") || low == "from":
			t.kind = tGE
		case low == ">" || strings.HasSuffix(low, " than") && (strings.HasPrefix(low, "newer") || strings.HasPrefix(low, "later") || strings.HasPrefix(low, "greater") || strings.HasPrefix(low, "higher")):
			t.kind = tGT
		case low == "<=" || low == "=<" || low == "≤" || strings.HasPrefix(low, "up to"):
			t.kind = tLE
		case low == "<" || low == "before" || low == "below" || low == "prior to" || strings.HasSuffix(low, " than"):
			t.kind = tLT
		case low == "==":
			t.kind = tEQ
		case low == "between":
			t.kind = tBetw
		case low == "through" || low == "thru" || low == "until" || low == "till" || low == "to" || low == "..":
			t.kind = tSep
		case low == "-" || low == "–" || low == "—":
			t.kind = tDash
		case strings.HasPrefix(low, "onward") || (strings.HasPrefix(low, "and ") || strings.HasPrefix(low, "or ")) && isLaterWord(low):
			t.kind = tLater
		case strings.HasPrefix(low, "and ") || strings.HasPrefix(low, "or "):
			t.kind = tEarly
		default:
			t.kind = tAnd
		}
		toks = append(toks, t)
	}
	return toks
}

func isLaterWord(low string) bool {
	for _, w := range []string{"later", "newer", "above", "higher", "greater", "up", "onward"} {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

// productVersion checks a version candidate at s[start:end]: whole token,
// not an IP address, a score or a "fixed in" version, and not bound to a
// foreign name. It returns the version without a leading "v".
func productVersion(s string, start, end int, prod map[string]bool) (string, bool) {
	v := s[start:end]
	pinned := false // "pkg==2.9.0", "pkg@2.9.0": the version of whatever is named right before
	if start > 0 {
		switch b := s[start-1]; {
		case isWordByte(b) || b == '.' || b == '/':
			return "", false
		case b == '@' || b == '=':
			pinned = true
		}
	}
	if end < len(s) {
		rest := s[end:]
		if b := rest[0]; isWordByte(b) || b == '/' || b == '%' || b == '.' && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' {
			return "", false
		}
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V")
	if looksLikeIP(v) {
		return "", false
	}
	if fixedInRE.MatchString(s[max(0, start-40):start]) {
		return "", false
	}
	words := strings.FieldsFunc(s[max(0, start-60):start], func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_')
	})
	if pinned {
		if len(words) == 0 {
			return v, true
		}
		lw := strings.ToLower(words[len(words)-1])
		return v, prod[lw] || anyPart(lw, prod) || neutralVersionWords[lw]
	}
	checked := 0
	for i := len(words) - 1; i >= 0 && checked < maxVersionLookbackWord; i-- {
		w := words[i]
		lw := strings.ToLower(w)
		if firstNumRE.MatchString(lw) {
			return v, true // part of a list of versions
		}
		if neutralVersionWords[lw] {
			checked++
			continue
		}
		if prod[lw] || anyPart(lw, prod) {
			return v, true
		}
		if foreignVersionWords[lw] || anyPart(lw, foreignVersionWords) {
			return "", false
		}
		if len(prod) > 0 && unicode.IsUpper([]rune(w)[0]) {
			return "", false // another named thing: "Kafka 3.6.0"
		}
		return v, true
	}
	return v, true
}

func anyPart(w string, set map[string]bool) bool {
	if !strings.ContainsAny(w, "-_") {
		return false
	}
	for _, p := range strings.FieldsFunc(w, func(r rune) bool { return r == '-' || r == '_' }) {
		if set[p] {
			return true
		}
	}
	return false
}

func looksLikeIP(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// allVersions lists every version in the body that belongs to the product.
func allVersions(body string, prod map[string]bool) []string {
	var out []string
	text := withoutURLs(body)
	for _, loc := range versionOnlyRE.FindAllStringIndex(text, -1) {
		if v, ok := productVersion(text, loc[0], loc[1], prod); ok {
			out = appendNew(out, strings.TrimSuffix(v, "+"))
		}
	}
	return out
}

func appendNew(xs []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, x := range xs {
			if x == v {
				found = true
				break
			}
		}
		if !found {
			xs = append(xs, v)
		}
	}
	return xs
}
