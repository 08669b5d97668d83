package intake

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// classify.go is the classification step (spec/intake.md §4.10): signals
// computed by rules from the root message, and a suggested class. The rules
// describe the shape of each class of mail (a scanner's banner and finding
// IDs, a beg-bounty's payment demand, a journalist's questions); none is a
// list of phrases from particular mails. The suggestion is advisory except for
// cve-tool-bookkeeping with a matching sender, and when in doubt it is Report:
// a wrong import is cheap to close, a wrong skip buries a vulnerability.

// Class is an intake class (§4.10). The string values are the reference's
// class names, carried over exactly.
type Class string

const (
	ClassReport       Class = "Report"
	ClassConverged    Class = "Report (disposition converged)"
	ClassBookkeeping  Class = "cve-tool-bookkeeping"
	ClassScanner      Class = "automated-scanner"
	ClassConsolidated Class = "consolidated-multi-issue"
	ClassMedia        Class = "media-request"
	ClassSpam         Class = "spam"
	ClassCrossThread  Class = "cross-thread-followup"
	ClassPublicFix    Class = "fix-already-public"
)

// AllClasses lists every class, in the order of the §4.10 table.
func AllClasses() []Class {
	return []Class{ClassReport, ClassConverged, ClassBookkeeping, ClassScanner, ClassConsolidated, ClassMedia, ClassSpam, ClassCrossThread, ClassPublicFix}
}

// ParseClass accepts a class name exactly as written in the spec, in any case.
func ParseClass(s string) (Class, error) {
	t := strings.TrimSpace(s)
	all := AllClasses()
	for _, c := range all {
		if strings.EqualFold(t, string(c)) {
			return c, nil
		}
	}
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = fmt.Sprintf("%q", string(c))
	}
	return "", fmt.Errorf("parse intake class %q: want one of %s", s, strings.Join(names, ", "))
}

// Imports reports whether the class becomes a tracker by default.
func (c Class) Imports() bool { return c == ClassReport || c == ClassConverged }

// Signal is one rule that fired, and the class it points at.
type Signal struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
	Points Class  `json:"points"`
}

// Suggestion is the suggested class with the signals behind it.
type Suggestion struct {
	Class   Class    `json:"class"`
	Signals []Signal `json:"signals"`
	// Final is true only for cve-tool-bookkeeping whose sender passed the
	// sender check: §4.10 lets that one be decided by the server.
	Final  bool     `json:"final"`
	Doubts []string `json:"doubts,omitempty"`
}

// Has reports whether a signal with the name fired.
func (s Suggestion) Has(name string) bool {
	for _, sig := range s.Signals {
		if sig.Name == name {
			return true
		}
	}
	return false
}

// Context is what classification knows about the project.
type Context struct {
	SecurityList       string   `json:"security_list"`
	FoundationSecurity string   `json:"foundation_security"`
	TeamEmails         []string `json:"team_emails"`
	Upstream           string   `json:"upstream"` // owner/name
	ProductNames       []string `json:"product_names"`
	HasBugBounty       bool     `json:"has_bug_bounty"`
	CVEToolURL         string   `json:"cve_tool_url"`
	KnownCVEs          []string `json:"known_cves"` // CVE ids already allocated on trackers
	TrackerRepo        string   `json:"tracker_repo"`
}

// Signal names. Tests and the proposal refer to them.
const (
	SigBookkeepingSubject = "bookkeeping-subject"
	SigBookkeepingState   = "bookkeeping-state-line"
	SigBookkeepingSender  = "bookkeeping-sender"
	SigGHSARelay          = "ghsa-relay"
	SigScannerFindingIDs  = "scanner-finding-ids"
	SigScannerPhrase      = "scanner-phrase"
	SigScannerBanner      = "scanner-banner"
	SigScannerMention     = "scanner-tool-mention"
	SigScannerFields      = "scanner-fields"
	SigSeverityTable      = "severity-table"
	SigCWEList            = "cwe-list"
	SigFileLineList       = "file-line-list"
	SigCVEList            = "cve-list"
	SigDependencyList     = "dependency-list"
	SigIssueHeadings      = "issue-headings"
	SigMultipleSubject    = "multiple-issues-subject"
	SigCryptoAddress      = "crypto-address"
	SigCryptoWords        = "crypto-words"
	SigPaymentDemand      = "payment-demand"
	SigExtortion          = "extortion"
	SigMarketing          = "marketing"
	SigNoSpecifics        = "no-project-specifics"
	SigMedia              = "media-language"
	SigKnownCVE           = "known-cve"
	SigTrackerRef         = "tracker-reference"
	SigFollowup           = "followup-language"
	SigUpstreamPR         = "upstream-pr-link"
	SigRepro              = "repro-steps"
	SigPoC                = "poc-code"
	SigImpact             = "impact-language"
	SigVersions           = "affected-versions"
	SigVulnClaim          = "vulnerability-claim"
	SigCodePointer        = "code-pointer"
	SigSecurityModel      = "security-model-argument"
	SigConverged          = "converged-disposition"
)

var (
	cveIDRE = regexp.MustCompile(`(?i)\bCVE-(\d{4})-(\d{4,7})\b`)

	// Bookkeeping subjects the CNA tool sends (§4.10), anywhere in the subject
	// so a list tag or "Re:" in front does not hide them.
	bookkeepingSubjectREs = []*regexp.Regexp{
		regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,}\s+reserved\s+for\b`),
		regexp.MustCompile(`(?i)\bComment\s+added\s+on\s+CVE-\d{4}-\d{4,}`),
		regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,}\b.{0,80}\bis\s+now\s+(READY|PUBLIC|PUBLISHED)\b`),
		regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,}\s*(:|-|–|is)?\s*REJECTED\b`),
	}
	cve5LinkRE   = regexp.MustCompile(`(?i)https?://\S+/cve5/CVE-\d{4}-\d{4,}`)
	cveStateRE   = regexp.MustCompile(`\b(DRAFT|REVIEW|READY|PUBLIC|PUBLISHED|REJECTED|RESERVED)\b|(?i)\bstate\b`)
	ghsaIDRE     = regexp.MustCompile(`(?i)\bGHSA(?:-[0-9a-z]{4}){3}\b`)
	ghsaRelaySRE = regexp.MustCompile(`^\s*\[([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)\]\s+.+\((GHSA(?:-[0-9a-zA-Z]{4}){3})\)\s*$`)

	// scanner signatures
	findingIDRE = regexp.MustCompile(`(?i)\bfinding[-_#]\s?(\d+)\b`)
	scanPhrase  = regexp.MustCompile(`(?i)\b(scan (completed|complete|finished|summary|results?|report|date|duration|started|target|id|policy)|scanned\s+(\d+\s+)?(files|targets|endpoints|lines|urls|hosts|images?|packages|dependencies)|total\s+(findings|issues|vulnerabilities|alerts)|findings\s+summary|summary\s+of\s+(findings|alerts)|(vulnerabilities|issues|findings|alerts)\s+(found|detected|identified)\s*:|\d+\s+(findings|vulnerabilities|alerts)\s+(were\s+)?(found|detected|identified|reported)|(found|detected|identified|reported)\s+\d+\s+(new\s+)?(vulnerabilities|issues|findings|alerts)|(automated|automatic|ai[- ]assisted|llm[- ]assisted|ai[- ]powered|llm[- ]powered|ai[- ]generated|machine[- ]generated)\s+(security\s+|code\s+)?(pipeline|analysis|audit|scan\w*|review|tool\w*|report|findings)|(not|never)\s+(been\s+)?(manually\s+)?(verified|validated|triaged|confirmed)\s+(these|them|the\s+(findings|results|issues))|(these|the)\s+(findings|results|issues)\s+(have|were)\s+not\s+(been\s+)?(manually\s+)?(verified|validated|confirmed))\b`)
	scanToolRE  = regexp.MustCompile(`(?i)\b(semgrep|trivy|codeql|snyk|dependabot|bandit|owasp zap|zap|nessus|grype|sonarqube|sonarcloud|checkmarx|fortify|veracode|gosec|brakeman|nuclei|burp suite|acunetix|nikto|qualys|openvas|anchore|pip-audit|npm audit|osv-scanner|horusec|coverity|whitesource|black duck|jfrog xray|gitleaks|trufflehog|detect-secrets|retire\.js|wapiti|arachni|govulncheck|dependency-check|psalm|phpstan|eslint-plugin-security|safety check)\b`)
	// A banner: the tool named with a version, or as the producer of the output.
	scanBannerRE   = regexp.MustCompile(`(?im)(\b(semgrep|trivy|codeql|snyk|bandit|owasp zap|zap|nessus|grype|sonarqube|checkmarx|fortify|veracode|gosec|brakeman|nuclei|burp suite|acunetix|nikto|qualys|openvas|anchore|pip-audit|osv-scanner|horusec|coverity|gitleaks|trufflehog|govulncheck|dependency-check|wapiti|arachni)\b[^\S\n]*(cli|oss|pro|professional|enterprise|scanner)?[^\S\n]*(v(ersion)?[^\S\n]*)?\d+\.\d+(\.\d+)?|\b(generated|produced|created|reported|detected|found)\s+(by|with|using)\s+(the\s+)?(semgrep|trivy|codeql|snyk|bandit|owasp zap|zap|nessus|grype|sonarqube|checkmarx|fortify|veracode|gosec|brakeman|nuclei|burp suite|acunetix|nikto|qualys|openvas|anchore|dependabot)\b|^\s*(tool|scanner|engine|analy[sz]er)\s*[:=]\s*\S+|\b(semgrep|trivy|codeql|snyk|bandit|owasp zap|zap|nessus|grype|sonarqube|checkmarx|fortify|veracode|gosec|brakeman|nuclei|burp suite|acunetix|nikto|qualys|openvas|anchore|pip-audit|npm audit|yarn audit|osv-scanner|dependency-check|govulncheck)\s+(scan(ning)?\s+)?(report|results|summary|output))`)
	scanFieldRE    = regexp.MustCompile(`(?im)^\s*[-*]?\s*(rule(\s*id)?|check[_ ]id|confidence|query(\s*id)?|plugin(\s*id)?|test[_ ]id|cwe|owasp|location|file|line|package|installed version|fixed version|fixed in|vulnerable version|cvss score|severity)\s*[:=]`)
	severityRowRE  = regexp.MustCompile(`(?im)^\s*\|.*\b(critical|high|medium|moderate|low|info(rmational)?)\b.*\|\s*$`)
	severityLineRE = regexp.MustCompile(`(?im)(^\s*[-*]?\s*(\*\*)?(severity|risk(\s+level)?|priority)(\*\*)?\s*[:=]\s*(\*\*)?\s*\[?(critical|high|medium|moderate|low|info(rmational)?)\b|^\s*[-*]?\s*\[?(critical|high|medium|moderate|low)\]?\s+(severity|risk)\b)`)
	// severityCountRE: a per-severity tally, "HIGH: 5, MEDIUM: 8" or "(4 moderate, 8 high)".
	severityCountRE = regexp.MustCompile(`(?i)\b(critical|high|medium|moderate|low)\s*[:=(|]\s*\d+\b.{0,40}\b(critical|high|medium|moderate|low)\s*[:=(|]\s*\d+|\b\d+\s+(critical|high|medium|moderate|low)\b.{0,30}\b\d+\s+(critical|high|medium|moderate|low)\b`)
	// dependencyRE: "package@version", the unit of a dependency-scan finding.
	dependencyRE = regexp.MustCompile(`(?i)\b[a-z][\w.-]*@\d+(?:\.\d+)+\b`)
	cweRE        = regexp.MustCompile(`(?i)\bCWE[-‐ ]?(\d{1,4})\b`)
	fileLineRE   = regexp.MustCompile(`(?i)\b[\w./-]+\.(py|go|java|js|mjs|ts|tsx|jsx|rb|php|c|h|cc|cpp|cs|rs|kt|scala|swift|ya?ml|json|xml|sh|tf|html?|vue|jinja2?|j2)(:\d+|#L\d+|,?\s+line\s+\d+)\b`)

	// per-issue headings (consolidated)
	issueHeadingREs = []*regexp.Regexp{
		regexp.MustCompile(`(?im)^[ \t]*#{1,6}[ \t]*(?:\d+[.)][ \t]*)?(?:issue|vulnerability|vuln|finding|bug|problem|flaw|weakness)[ \t]*(?:no\.?|#)?[ \t]*(\d+)\b`),
		regexp.MustCompile(`(?im)^[ \t]*(?:\*\*|__)?[ \t]*(?:issue|vulnerability|vuln|finding|bug|problem|flaw)[ \t]*(?:no\.?|#)?[ \t]*(\d+)[ \t]*(?:\*\*|__)?[ \t]*(?:[:.)\-–—]|$)`),
	}
	// severityTagRE: "[HIGH]", "[P2]", "[Critical]" in front of a numbered
	// item marks a finding, whatever the vulnerability is called.
	severityTagRE     = regexp.MustCompile(`(?i)^\[\s*(critical|high|medium|moderate|low|info(rmational)?|p[0-4]|sev[- ]?[0-4])\s*\]`)
	numberedItemRE    = regexp.MustCompile(`(?m)^[ \t]*(#{1,6}[ \t]*)?(\d{1,2})[.)][ \t]+(\*\*|__|\[[^\]\n]{1,20}\][ \t]*)?([^\n]{4,140})$`)
	vulnClassRE       = regexp.MustCompile(`(?i)\b(sql[- ]?injection|sqli|command injection|os command|code injection|(ldap|xpath|header|crlf|template|csv|log|html|nosql|expression|el)[- ]injection|injection|xss|cross[- ]site[- ]scripting|csrf|xsrf|cross[- ]site[- ]request[- ]forgery|ssrf|server[- ]side[- ]request[- ]forgery|rce|remote code execution|code execution|command execution|path traversal|directory traversal|traversal|lfi|rfi|file inclusion|xxe|xml external entit\w*|deserialization|unsafe deserialization|idor|insecure direct object|open redirect|denial[- ]of[- ]service|dos|redos|privilege escalation|(authentication|authorization|auth|access control|csrf|sandbox|permission)s?\s+bypass|bypass|information (disclosure|leak(age)?|exposure)|sensitive data exposure|(credential|secret|token|password|key)s?\s+(leak|exposure|disclosure)|hard-?coded (credentials?|secrets?|passwords?|keys?|tokens?)|clickjacking|prototype pollution|race condition|toctou|buffer overflow|heap overflow|integer overflow|use[- ]after[- ]free|memory corruption|out[- ]of[- ]bounds|null pointer|ssti|session fixation|weak (crypto\w*|cipher|hash\w*|random\w*)|insecure (default|configuration|permissions|storage|cookie|transport)|timing attack|missing (authentication|authorization|rate limit\w*|csrf|access control)|broken (access control|authentication)|arbitrary file (read|write|upload|deletion|access)|unrestricted (file )?upload|zip slip|symlink|mass assignment|cache poisoning|request smuggling|host header|cors misconfiguration|jwt|(user|account|username|email) enumeration|enumeration)\b`)
	vulnTitleStartRE  = regexp.MustCompile(`(?i)^(stored|reflected|dom[- ]based|blind|unauthenticated|authenticated|remote|local|server[- ]side|client[- ]side|arbitrary|insecure|missing|broken|improper|weak|hard-?coded|open|cross[- ]site|potential|possible|critical|high|medium|low|sensitive|unsafe|unrestricted|privilege|path|directory|sql|command|code|os|ldap|xml|xpath|template|prototype|race|denial|information|reflected/stored|[\[(]?(critical|high|medium|low)[\])]?[ :\-–—]+)*\s*` + `(sql[- ]?injection|sqli|command injection|code injection|\w+ injection|injection|xss|cross[- ]site|csrf|ssrf|server[- ]side request|rce|remote code|code execution|path traversal|directory traversal|traversal|lfi|rfi|file inclusion|xxe|deserialization|idor|open redirect|denial[- ]of[- ]service|dos|redos|privilege escalation|auth\w*\s+bypass|access control|bypass|information (disclosure|leak\w*|exposure)|hard-?coded|clickjacking|prototype pollution|race condition|buffer overflow|overflow|use[- ]after[- ]free|memory corruption|ssti|session fixation|weak|insecure|missing|broken|arbitrary file|unrestricted|zip slip|mass assignment|cache poisoning|request smuggling|jwt|timing attack|sensitive|(user|account|username) enumeration)`)
	multipleSubjectRE = regexp.MustCompile(`(?i)\b(multiple|several|various|numerous|\d+|two|three|four|five|six|seven|eight|nine|ten)\s+(security\s+)?(vulnerabilit(y|ies)|issues|findings|bugs|flaws|weaknesses)\b`)

	// spam
	btcBech32RE     = regexp.MustCompile(`(?i)\b(bc1|tb1)[02-9ac-hj-np-z]{25,87}\b`)
	base58AddrRE    = regexp.MustCompile(`\b[13T][1-9A-HJ-NP-Za-km-z]{25,34}\b`)
	ethAddrRE       = regexp.MustCompile(`\b0x[0-9a-fA-F]{40}\b`)
	cryptoWordRE    = regexp.MustCompile(`(?i)\b(usdt|usdc|bitcoin|btc|ethereum|monero|xmr|litecoin|ltc|crypto\s*(currency|wallet|address)|cryptocurrency|wallet\s+address|my\s+wallet|(btc|eth|usdt|crypto)\s+wallet|binance|trc-?20|erc-?20|bep-?20)\b`)
	paymentDemandRE = regexp.MustCompile(`(?i)(before\s+(i|we)\s+(share|disclose|send|provide|reveal|give|submit)|after\s+(the\s+|a\s+)?(payment|reward|bounty|compensation)|(in exchange|in return)\s+for\s+(the\s+)?(details|report|poc|information|disclosure|vulnerabilit)|(will|shall|would|can)\s+(share|disclose|send|provide|reveal|give)\s+(you\s+)?(the\s+)?(full\s+|complete\s+|technical\s+)?(details|poc|proof|report|steps|vulnerabilit\w*|information)[^.\n]{0,60}\b(after|once|upon|if|when)\b[^.\n]{0,40}\b(pay|paid|payment|reward|bounty|compensat|agree)|what\s+(is|are|would be)\s+(your|the)\s+(bounty|reward|payment|compensation)|how much\s+(will|would|do|can|could)\s+you\s+(pay|offer|reward)|(do|if|whether)\s+you\s+(offer|pay|provide|give|have)\s+(any\s+)?(a\s+)?(bug\s+)?(bounty|bounties|reward|rewards|compensation|payment)|(bounty|reward|payment|compensation)\s+(amount|first|in advance|upfront|up front)|expect\w*\s+(a\s+|an\s+|some\s+)?(monetary\s+)?(reward|bounty|compensation|payment)|eligible\s+for\s+(a\s+|an\s+)?(reward|bounty|compensation)|minimum\s+(reward|bounty|payment)|pay\s+(me|us)\b|(reward|bounty)\s+(of|worth)\s+\$?\d|send\s+(the\s+)?(payment|reward|bounty|funds))`)
	extortionRE     = regexp.MustCompile(`(?i)(or\s+(else\s+)?(i|we)\s+(will|shall)\s+(publish|disclose|release|leak|sell|go public|post)|(publish|disclose|release|sell|leak)\w*\s+(it|this|the (details|vulnerability|exploit))\s+(publicly\s+)?(unless|if you (don'?t|do not|fail))|within\s+(24|48|72)\s+hours)`)
	marketingRE     = regexp.MustCompile(`(?i)\b(seo\s+(services|agency|ranking|audit)|backlinks?|guest\s+post(ing)?|link\s+building|web\s+(design|development)\s+services|marketing\s+services|limited[- ]time\s+offer|increase\s+your\s+(traffic|sales|ranking|revenue)|lead\s+generation|our\s+agency|special\s+discount|free\s+(trial|quote|consultation))\b`)

	// media
	mediaStrongRE = regexp.MustCompile(`(?i)\b(journalist|reporter\s+(at|for|with)\s+[A-Z]|editor\s+(at|for|of)|correspondent|press\s+(inquiry|enquiry|request|office|contact)|media\s+(inquiry|enquiry|request)|podcast|interview|on\s+the\s+record|for\s+(a|an|my|our)\s+(article|story|piece|feature|newsletter|column|publication|documentary|episode)|(writing|working on|preparing|publishing)\s+(a|an)\s+(article|story|piece|feature|book|news)|comment\s+(for|on)\s+(a|an|the|our)\s+(story|article|piece)|(our|my)\s+(readers|publication|newspaper|magazine|outlet|newsroom)|press\s+release)\b`)
	mediaWeakRE   = regexp.MustCompile(`(?i)\b(blog\s*post|write-?up|conference|(give|giving|present|presenting|submit|submitted|accepted)\s+(a\s+|the\s+|my\s+|our\s+)?(talk|presentation|paper)|talk\s+(at|about)|presentation\s+(at|about)|disclosure\s+(timeline|date|schedule|policy)|(when|whether)\s+(will|would|can|do)\s+(you|the\s+project|the\s+team|it)\s+(be\s+)?(publish|disclos|announc|releas|make)\w*|(publish|publicly discuss|present|write about|blog about)\w*\s+(my|our|the)\s+(research|findings|work|results|write-?up)|research\s+paper|academic|our\s+paper|thesis|embargo|public\s+(statement|comment))\b`)

	// cross-thread
	followupRE   = regexp.MustCompile(`(?i)\b(follow(ing)?[- ]up|any\s+(update|news|progress)|status\s+(update|of)|(i|we)\s+(have\s+)?(previously\s+|originally\s+|already\s+|recently\s+)?(reported|submitted|disclosed|sent\s+(you|a report))|my\s+(earlier|previous|original|prior|last|first)\s+(report|email|e-mail|mail|message|submission)|(different|other|another|personal|work|new|old|alternate)\s+(e-?mail\s+)?(address|account|e-?mail)|regarding\s+(my|our)\s+report|as\s+(discussed|reported)\s+(earlier|before|previously))\b`)
	ownershipRE  = regexp.MustCompile(`(?i)\b((i|we)\s+(have\s+)?(previously\s+|originally\s+|already\s+|recently\s+)?(reported|submitted|disclosed)|my\s+(earlier|previous|original|prior|first)\s+(report|email|e-mail|mail|message|submission)|(different|other|another|personal|work|new|old|alternate)\s+(e-?mail\s+)?(address|account|e-?mail)|regarding\s+(my|our)\s+report)\b`)
	newVariantRE = regexp.MustCompile(`(?i)\b(bypass(es|ed)?\s+(of\s+)?(the\s+)?(fix|patch)|incomplete\s+fix|fix\s+(is|was)\s+incomplete|new\s+(variant|vector|issue|vulnerability)|another\s+(variant|vector|issue|vulnerability|way)|different\s+(issue|vulnerability|vector)|variant\s+of)\b`)

	// report evidence
	reproRE      = regexp.MustCompile(`(?im)(^[ \t#*_>]*(steps\s+to\s+reproduce|reproduction(\s+steps)?|to\s+reproduce|how\s+to\s+reproduce|repro(\s+steps)?|proof[\s-]+of[\s-]+concept|poc|exploit(ation)?(\s+steps)?|reproducer)\b|^[ \t]*(1|step\s*1)[.):][ \t]+(start|run|install|create|send|open|login|log\s+in|navigate|go\s+to|visit|set\s*up|configure|deploy|clone|execute|upload|submit|click|call|make|build|use|register|sign\s+in|launch|enable|add|save|request|enter|paste)\b)`)
	pocFenceRE   = regexp.MustCompile("(?m)^[ \t]*(```|~~~)")
	pocContentRE = regexp.MustCompile(`(?i)(\bcurl\s+-|\bcurl\s+['"]?https?://|\b(GET|POST|PUT|DELETE|PATCH)\s+/\S*\s+HTTP/\d|<script|javascript:|\bimport\s+requests\b|requests\.(get|post)\(|\bpython3?\s+-c\b|\bnc\s+-|\bwget\s+|onerror\s*=|\$\{jndi:|\.\./\.\./|%2e%2e|;\s*(id|whoami|cat\s+/etc/passwd)\b|' OR '1'='1|\bUNION\s+SELECT\b)`)
	// impactRE: an "Impact" section, a consequence verb phrase, or an actor
	// being allowed to do something.
	impactRE    = regexp.MustCompile(`(?im)(^[ \t#*_>]*impact\b|\b(allow|allows|allowing|enable|enables|enabling|let|lets|permit|permits|could|can|may|might|would)\b[^.\n]{0,80}\b(attacker|unauthenticated|unauthorized|malicious|remote\w*|arbitrary|privilege\w*|escalat\w*|execute|execution|read|write|access|bypass|inject\w*|leak\w*|disclos\w*|exfiltrat\w*|denial of service|crash|takeover|take over|hijack\w*|impersonat\w*|steal\w*|phish\w*|spoof\w*|forg(e|ery|ing)|tamper\w*|overwrite|delete|crack\w*|credentials?|secrets?|passwords?)\b|\b(allow|allows|allowing|let|lets|enable|enables|permit|permits)\s+(a|an|any|the|every|other)?\s*([\w-]+\s+){0,2}(user|users|attacker|attackers|adversary|anyone|visitor|account|client|author|tenant)s?\s+to\b)`)
	versionsRE  = regexp.MustCompile(`(?im)(^[ \t#*_>-]*(affected\s+versions?|versions?\s+affected|vulnerable\s+versions?|affects|tested\s+(on|with|against|versions?)|versions?\s+tested|product\s+versions?|versions?)\s*(\*\*|__)?\s*[:=\-–]|\b(affects?|affected|vulnerable|tested|reproduced|confirmed)\b[^.\n]{0,40}\b(version|release|v?\d+\.\d+))`)
	vulnClaimRE = regexp.MustCompile(`(?i)(\b(i|we)\s+(have\s+|recently\s+)?(found|discovered|identified|noticed|uncovered|detected|observed|came across)\b[^.\n]{0,80}\b(vulnerabilit\w*|issue|bug|flaw|weakness|problem|injection|xss|bypass|exploit\w*|leak\w*|traversal|ssrf|rce|csrf)|\bthere\s+is\s+(a|an)\s+([a-z-]+\s+){0,3}(vulnerability|security\s+(issue|bug|flaw|problem)|injection|xss)|\bis\s+vulnerable\s+to\b|\bvulnerability\s+(in|that|which|allowing|exists))`)
	secModelRE  = regexp.MustCompile(`(?i)\bsecurity[\s-]+model\b|\btrust(ed)?[\s-]+boundar(y|ies)\b|\bthreat[\s-]+model\b`)
	codeHintRE  = regexp.MustCompile(`(?i)(\b[A-Za-z_][\w.-]*/[\w./-]+\.(py|go|java|js|mjs|ts|tsx|jsx|rb|php|c|h|cc|cpp|cs|rs|kt|scala|ya?ml|html?|vue)\b|\b[A-Z][A-Za-z0-9_]*\.[a-z_][A-Za-z0-9_]*\(\)|\b[a-z_][\w]*\.[a-z_][\w]*\.[a-z_][\w.]*\(|\bdef\s+\w+\(|\bfunc\s+\w+\(|/api/v\d+/\S+|\b(endpoint|parameter|param|header|cookie|function|method|class|module|field|argument)\s+([` + "`" + `'"][\w./:-]+[` + "`" + `'"]|[A-Za-z]*[_./:][\w./:-]+|(?-i:[a-z]+[A-Z]\w*)))`)
	urlRE       = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'` + "`" + `]+`)
)

// features are the facts about a root message the class rules read.
type features struct {
	subject, body, text                               string
	repro, poc, impact, versions, vulnClaim, secModel bool
	code                                              bool
	productNamed                                      bool
	truncated                                         bool
	upstreamURL                                       bool
}

// newVulnEvidence is what a new vulnerability report carries and media, spam
// and follow-ups do not: steps, a proof of concept, or a pointer into code.
func (f features) newVulnEvidence() bool {
	return f.repro || f.poc || f.code || (f.vulnClaim && f.impact)
}

// projectSpecific is concrete technical content about this project. A product
// name alone is not: spam copies it from the list address or the website.
func (f features) projectSpecific() bool {
	return f.repro || f.poc || f.code || f.secModel || f.upstreamURL
}

func readFeatures(root lifecycle.Message, c Context) features {
	body, cut := headBytes(root.Body, maxAnalysedBytes)
	subject, _ := headBytes(root.Subject, 4<<10)
	f := features{subject: stripInvisible(subject), body: stripInvisible(body), truncated: cut}
	f.text = f.subject + "\n" + f.body
	f.repro = reproRE.MatchString(f.body)
	f.poc = pocContentRE.MatchString(f.body) || (pocFenceRE.MatchString(f.body) && f.repro)
	f.impact = impactRE.MatchString(f.body)
	f.versions = versionsRE.MatchString(f.body)
	f.vulnClaim = vulnClaimRE.MatchString(f.text)
	f.secModel = secModelRE.MatchString(f.body)
	f.code = codeHintRE.MatchString(withoutURLs(f.body))
	low := strings.ToLower(f.text)
	for _, p := range c.ProductNames {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" && containsWord(low, p) {
			f.productNamed = true
			break
		}
	}
	if up := strings.ToLower(strings.TrimSpace(c.Upstream)); up != "" {
		f.upstreamURL = strings.Contains(low, "github.com/"+up+"/")
	}
	return f
}

// containsWord reports whether needle occurs in s between non-word characters.
func containsWord(s, needle string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], needle)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(needle)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func withoutURLs(s string) string { return urlRE.ReplaceAllString(s, " ") }

// collector accumulates signals and doubts.
type collector struct {
	sigs   []Signal
	doubts []string
}

func (k *collector) add(name string, points Class, format string, args ...any) {
	k.sigs = append(k.sigs, Signal{Name: name, Detail: fmt.Sprintf(format, args...), Points: points})
}

func (k *collector) doubt(format string, args ...any) {
	k.doubts = append(k.doubts, fmt.Sprintf(format, args...))
}

// Suggest classifies a thread by its root message (and, for the converged
// check, its last messages). The rules, in order:
//
//   - cve-tool-bookkeeping: a CNA-tool subject (reserved for, Comment added on,
//     is now READY/PUBLIC/PUBLISHED, REJECTED) or a state-change line linking
//     <cve-tool>/cve5/CVE-…, from the list, the foundation address or a team
//     member. Final. From anyone else it is only a signal.
//   - GHSA relay: "[owner/repo] … (GHSA-…)" from notifications@github.com is a
//     Report with the GHSA ID as provenance.
//   - spam: a crypto address, a payment-for-details demand on a project
//     without a bounty, extortion or marketing, and nothing project-specific
//     (no steps, PoC, code pointer, upstream link, security-model argument).
//   - automated-scanner: machine signatures (finding IDs, "Scan completed",
//     a tool banner with a version, severity tables, CWE-per-line lists, many
//     file:line findings, CVE lists) scoring 3 or more, and no human steps or
//     security-model argument (or a score of 5 or more).
//   - consolidated-multi-issue: three or more per-issue headings.
//   - media-request: press, interview, talk, blog or disclosure-timing
//     questions with no new vulnerability evidence.
//   - cross-thread-followup: a known CVE or a tracker reference on a new
//     thread, from the reporter of it or with nothing new in it.
//   - otherwise Report, or Report (disposition converged) when the thread
//     shows it. A link to an upstream PR is a fix-already-public signal only.
func Suggest(thread lifecycle.Thread, c Context) Suggestion {
	root, ok := thread.Root()
	if !ok {
		return Suggestion{Class: ClassReport, Doubts: []string{"thread has no sent message to classify; defaulting to Report"}}
	}
	s := newSenders(c)
	f := readFeatures(root, c)
	k := &collector{}

	if sug, final := bookkeeping(root, f, c, s, k); final {
		return sug
	}
	ghsaRelay := ghsaRelaySignal(root, f, c, k)
	reportSignals(f, k)
	publicFixSignals(f, c, k)

	spam := spamSignals(f, c, k)
	scanner := scannerSignals(f, k)
	headings := headingSignals(f, k)
	media := mediaSignals(f, k)
	cross, ownership := crossThreadSignals(f, c, k)

	class := ClassReport
	switch {
	case ghsaRelay:
		// A GHSA advisory is written by a person through GitHub's form; its
		// shape is a report whatever it quotes.
	case spam:
		class = ClassSpam
	case scanner:
		class = ClassScanner
	case headings >= 3:
		class = ClassConsolidated
		k.doubt("%d per-issue headings: check the issues are unrelated before asking for one report per issue", headings)
	case cross && ownership:
		class = ClassCrossThread
	case media:
		class = ClassMedia
	case cross:
		class = ClassCrossThread
	}

	if f.truncated {
		k.doubt("the body is longer than %d KiB; only its beginning was analysed", maxAnalysedBytes>>10)
	}
	if s.isTeam(root.From) {
		k.doubt("root sender %s is on the security team: check whether this is a forwarded report or internal mail", root.From.Email)
	}
	if class == ClassReport {
		if ok, detail := converged(thread, s); ok {
			class = ClassConverged
			k.add(SigConverged, ClassConverged, "%s", detail)
		}
		reportDoubts(f, k)
	}
	return Suggestion{Class: class, Signals: k.sigs, Doubts: k.doubts}
}

// bookkeeping applies the CNA-tool rule. final is true when the class is decided.
func bookkeeping(root lifecycle.Message, f features, c Context, s senders, k *collector) (Suggestion, bool) {
	subj := false
	for _, re := range bookkeepingSubjectREs {
		if m := re.FindString(f.subject); m != "" {
			k.add(SigBookkeepingSubject, ClassBookkeeping, "subject %q", m)
			subj = true
			break
		}
	}
	state := false
	if tool := strings.TrimRight(strings.TrimSpace(c.CVEToolURL), "/"); tool != "" {
		low := strings.ToLower(f.body)
		if i := strings.Index(low, strings.ToLower(tool)+"/cve5/cve-"); i >= 0 && cveStateRE.MatchString(f.body) {
			state = true
		}
	} else if cve5LinkRE.MatchString(f.body) && cveStateRE.MatchString(f.body) {
		state = true
	}
	if state {
		k.add(SigBookkeepingState, ClassBookkeeping, "state-change line linking the CVE tool's cve5 record")
	}
	if !subj && !state {
		return Suggestion{}, false
	}
	switch {
	case s.isListOrFoundation(root.From):
		k.add(SigBookkeepingSender, ClassBookkeeping, "sender %s is the security list or the foundation security address", root.From.Email)
	case s.isTeam(root.From):
		k.add(SigBookkeepingSender, ClassBookkeeping, "sender %s is a security-team member", root.From.Email)
	default:
		k.doubt("CVE-tool-shaped mail from %s, who is neither the list, the foundation address nor a team member: not bookkeeping", root.From.Email)
		return Suggestion{}, false
	}
	return Suggestion{Class: ClassBookkeeping, Signals: k.sigs, Final: true, Doubts: k.doubts}, true
}

// ghsaRelaySignal recognises GitHub's advisory-notification shape.
func ghsaRelaySignal(root lifecycle.Message, f features, c Context, k *collector) bool {
	m := ghsaRelaySRE.FindStringSubmatch(f.subject)
	if m == nil || !strings.EqualFold(normEmail(root.From.Email), "notifications@github.com") {
		return false
	}
	k.add(SigGHSARelay, ClassReport, "GitHub advisory relay for %s: %s (provenance and dedup key)", m[1], m[2])
	if c.Upstream != "" && !strings.EqualFold(m[1], c.Upstream) && !strings.EqualFold(m[1], c.TrackerRepo) {
		k.doubt("GHSA relay names repository %s, not the upstream %s", m[1], c.Upstream)
	}
	return true
}

func reportSignals(f features, k *collector) {
	if f.repro {
		k.add(SigRepro, ClassReport, "reproduction steps or a proof-of-concept section")
	}
	if f.poc {
		k.add(SigPoC, ClassReport, "proof-of-concept code or request")
	}
	if f.impact {
		k.add(SigImpact, ClassReport, "impact statement")
	}
	if f.versions {
		k.add(SigVersions, ClassReport, "states affected or tested versions")
	}
	if f.vulnClaim {
		k.add(SigVulnClaim, ClassReport, "claims a vulnerability")
	}
	if f.code {
		k.add(SigCodePointer, ClassReport, "points into code (file, function, endpoint or parameter)")
	}
	if f.secModel {
		k.add(SigSecurityModel, ClassReport, "argues with the security model or a trust boundary")
	}
}

// publicFixSignals is §4.9 signal 1: the reporter linked an upstream PR. Only
// a signal: the "filed because of this report?" check needs the PR's author
// and dates, which the caller reads.
func publicFixSignals(f features, c Context, k *collector) {
	for _, pr := range upstreamPRs(f.body, c.Upstream) {
		k.add(SigUpstreamPR, ClassPublicFix, "links %s: run the fix-already-public check (§4.9)", pr)
	}
}

func spamSignals(f features, c Context, k *collector) bool {
	crypto := false
	for _, a := range cryptoAddresses(f.body) {
		k.add(SigCryptoAddress, ClassSpam, "crypto address %s", a)
		crypto = true
	}
	if m := cryptoWordRE.FindString(f.text); m != "" {
		k.add(SigCryptoWords, ClassSpam, "mentions %q", m)
	}
	demand := false
	if m := paymentDemandRE.FindString(f.text); m != "" {
		if c.HasBugBounty {
			k.add(SigPaymentDemand, ClassReport, "asks about payment (%q); the project has a bug bounty, so not a spam signal", m)
		} else {
			k.add(SigPaymentDemand, ClassSpam, "payment/bounty demand %q on a project without a bug bounty", m)
			demand = true
		}
	}
	extortion := false
	if m := extortionRE.FindString(f.text); m != "" {
		k.add(SigExtortion, ClassSpam, "pressure or extortion %q", m)
		extortion = true
	}
	marketing := false
	if m := marketingRE.FindString(f.text); m != "" {
		k.add(SigMarketing, ClassSpam, "marketing %q", m)
		marketing = true
	}
	if !(crypto || demand || extortion || marketing) {
		return false
	}
	if f.projectSpecific() {
		k.doubt("spam-like signals (payment, crypto or pressure) in a mail with concrete technical content: treated as a report")
		return false
	}
	if f.productNamed {
		k.add(SigNoSpecifics, ClassSpam, "names the product but has no steps, PoC, code pointer or upstream link")
	} else {
		k.add(SigNoSpecifics, ClassSpam, "nothing project-specific: no product name, steps, PoC, code pointer or upstream link")
	}
	return true
}

// cryptoAddresses finds wallet addresses. Base58 shapes also match random
// tokens, so they count only with upper case, lower case and digits mixed.
func cryptoAddresses(s string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range btcBech32RE.FindAllString(s, -1) {
		add(a)
	}
	for _, a := range ethAddrRE.FindAllString(s, -1) {
		add(a)
	}
	for _, a := range base58AddrRE.FindAllString(s, -1) {
		if strings.ContainsAny(a, "123456789") && strings.IndexFunc(a, isUpperASCII) >= 0 && strings.IndexFunc(a, isLowerASCII) >= 0 {
			add(a)
		}
	}
	return out
}

func isUpperASCII(r rune) bool { return r >= 'A' && r <= 'Z' }
func isLowerASCII(r rune) bool { return r >= 'a' && r <= 'z' }

func scannerSignals(f features, k *collector) bool {
	score := 0
	ids := distinct(findingIDRE.FindAllStringSubmatch(f.text, -1), 1)
	if len(ids) > 0 {
		w := 1
		if len(ids) >= 2 {
			w = 2
		}
		score += w
		k.add(SigScannerFindingIDs, ClassScanner, "%d finding identifier(s) (FINDING-n)", len(ids))
	}
	if m := scanPhrase.FindString(f.text); m != "" {
		score += 2
		k.add(SigScannerPhrase, ClassScanner, "scanner report phrase %q", m)
	}
	if m := scanBannerRE.FindString(f.text); m != "" {
		score += 2
		k.add(SigScannerBanner, ClassScanner, "tool banner %q", strings.TrimSpace(m))
	} else if m := scanToolRE.FindString(f.text); m != "" {
		k.add(SigScannerMention, ClassReport, "mentions the tool %q without a banner: a person using a tool", m)
	}
	if n := len(scanFieldRE.FindAllString(f.body, -1)); n >= 4 {
		score++
		k.add(SigScannerFields, ClassScanner, "%d machine field lines (rule, confidence, location…)", n)
	}
	rows := len(severityRowRE.FindAllString(f.body, -1))
	lines := len(severityLineRE.FindAllString(f.body, -1))
	if rows >= 2 || lines >= 3 || severityCountRE.MatchString(f.body) {
		score++
		k.add(SigSeverityTable, ClassScanner, "severity table or per-finding severities (%d rows, %d lines)", rows, lines)
	}
	cweLines := 0
	for _, l := range strings.Split(f.body, "\n") {
		if cweRE.MatchString(l) {
			cweLines++
		}
	}
	if cwes := distinct(cweRE.FindAllStringSubmatch(f.body, -1), 1); cweLines >= 3 && len(cwes) >= 2 {
		score++
		k.add(SigCWEList, ClassScanner, "%d lines with CWE ids (%d distinct)", cweLines, len(cwes))
	}
	if fl := distinct(fileLineRE.FindAllStringSubmatch(f.body, -1), 0); len(fl) >= 5 {
		score++
		k.add(SigFileLineList, ClassScanner, "%d distinct file:line locations", len(fl))
	}
	if deps := distinct(dependencyRE.FindAllStringSubmatch(withoutURLs(f.body), -1), 0); len(deps) >= 3 {
		score++
		k.add(SigDependencyList, ClassScanner, "%d package@version entries (dependency scan)", len(deps))
	}
	if cves := distinct(cveIDRE.FindAllStringSubmatch(f.body, -1), 0); len(cves) >= 5 {
		score++
		k.add(SigCVEList, ClassScanner, "%d distinct CVE ids (dependency or image scan)", len(cves))
	}
	human := f.repro || f.secModel
	switch {
	case score >= 5:
		return true
	case score >= 3 && !human:
		return true
	case score >= 3:
		k.doubt("scanner-shaped output (score %d) with human reproduction steps or a security-model argument: treated as a report", score)
	}
	return false
}

// distinct returns the distinct values of submatch group g, case-insensitively.
func distinct(ms [][]string, g int) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		v := strings.ToLower(m[g])
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// headingSignals counts per-issue headings: "Issue 1", "## Vulnerability 2",
// "**Finding 3:**", and numbered items that read as a vulnerability title
// ("2. Stored XSS in the dashboard", "3. [HIGH] SSRF via …"). A numbered
// reproduction step ("1. Send a request…") does not start with a
// vulnerability class, so it does not count.
func headingSignals(f features, k *collector) int {
	nums := map[string]bool{}
	for _, re := range issueHeadingREs {
		for _, m := range re.FindAllStringSubmatch(f.body, -1) {
			nums["issue "+m[1]] = true
		}
	}
	items := map[string]bool{}
	classes := map[string]bool{}
	for _, m := range numberedItemRE.FindAllStringSubmatch(f.body, -1) {
		text := strings.Trim(m[4], "*_ \t")
		heading := m[1] != "" || m[3] != ""
		tagged := severityTagRE.MatchString(m[3])
		if !tagged && !vulnTitleStartRE.MatchString(text) && !(heading && vulnClassRE.MatchString(text)) {
			continue
		}
		items[m[2]] = true
		if c := vulnClassRE.FindString(text); c != "" {
			classes[strings.ToLower(c)] = true
		}
	}
	n := len(nums)
	if len(items) > n {
		n = len(items)
	}
	if n > 0 {
		k.add(SigIssueHeadings, ClassConsolidated, "%d per-issue heading(s) (%d numbered vulnerability titles, %d distinct classes)", n, len(items), len(classes))
	}
	if m := multipleSubjectRE.FindString(f.subject); m != "" {
		k.add(SigMultipleSubject, ClassConsolidated, "subject announces %q", m)
		if n < 3 {
			k.doubt("subject announces several issues (%q) but the body has %d per-issue heading(s)", m, n)
		}
	}
	return n
}

func mediaSignals(f features, k *collector) bool {
	strong := mediaStrongRE.FindAllString(f.text, -1)
	weak := mediaWeakRE.FindAllString(f.text, -1)
	if len(strong) == 0 && len(weak) == 0 {
		return false
	}
	cues := append(append([]string{}, strong...), weak...)
	k.add(SigMedia, ClassMedia, "press, talk or disclosure-timing language: %s", quoteList(cues, 4))
	if !(len(strong) >= 1 || len(weak) >= 2) {
		return false
	}
	if f.newVulnEvidence() {
		k.doubt("media or disclosure language in a mail that also carries new vulnerability evidence: treated as a report")
		return false
	}
	return true
}

func quoteList(xs []string, n int) string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		x = strings.ToLower(strings.TrimSpace(x))
		if seen[x] || len(out) == n {
			continue
		}
		seen[x] = true
		out = append(out, fmt.Sprintf("%q", x))
	}
	return strings.Join(out, ", ")
}

// crossThreadSignals finds references to work the project already tracks: a
// CVE allocated on a tracker, or the tracker itself. cross says the rule
// holds; ownership says the sender presents it as their own earlier report.
func crossThreadSignals(f features, c Context, k *collector) (cross, ownership bool) {
	ref := false
	known := map[string]bool{}
	for _, id := range c.KnownCVEs {
		known[strings.ToUpper(strings.TrimSpace(id))] = true
	}
	for _, m := range distinct(cveIDRE.FindAllStringSubmatch(f.text, -1), 0) {
		if id := strings.ToUpper(m); known[id] {
			k.add(SigKnownCVE, ClassCrossThread, "mentions %s, already allocated on a tracker", id)
			ref = true
		}
	}
	for _, r := range trackerRefs(f.text, c.TrackerRepo) {
		k.add(SigTrackerRef, ClassCrossThread, "references tracker issue %s", r)
		ref = true
	}
	if !ref {
		return false, false
	}
	if m := followupRE.FindString(f.text); m != "" {
		k.add(SigFollowup, ClassCrossThread, "follow-up language %q", m)
	}
	ownership = ownershipRE.MatchString(f.text)
	if newVariantRE.MatchString(f.text) && f.newVulnEvidence() {
		k.doubt("references a tracked issue but describes a new variant or a fix bypass with evidence: treated as a report; check for a duplicate")
		return false, false
	}
	if ownership || !f.newVulnEvidence() {
		return true, ownership
	}
	k.doubt("references a tracked issue and carries new vulnerability evidence: treated as a report; check for a duplicate")
	return false, false
}

// trackerRefs finds "<tracker>#N" and tracker issue URLs.
func trackerRefs(s, tracker string) []string {
	tracker = strings.TrimSpace(tracker)
	if tracker == "" {
		return nil
	}
	q := regexp.QuoteMeta(tracker)
	re := regexp.MustCompile(`(?i)(?:https?://github\.com/` + q + `/(?:issues|pull)/(\d+)|\b` + q + `#(\d+)\b)`)
	seen := map[string]bool{}
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		n := m[1] + m[2]
		if !seen[n] {
			seen[n] = true
			out = append(out, tracker+"#"+n)
		}
	}
	return out
}

// upstreamPRs returns the canonical URLs of upstream pull requests linked in s.
func upstreamPRs(s, upstream string) []string {
	upstream = strings.TrimSpace(upstream)
	if upstream == "" {
		return nil
	}
	re := regexp.MustCompile(`(?i)https?://(?:www\.)?github\.com/` + regexp.QuoteMeta(upstream) + `/pull/(\d+)`)
	seen := map[string]bool{}
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, "https://github.com/"+upstream+"/pull/"+m[1])
		}
	}
	return out
}

// reportDoubts are notes for a Report the triager should see inline.
func reportDoubts(f features, k *collector) {
	if !f.repro && !f.poc && !f.vulnClaim && !f.impact {
		k.doubt("no reproduction, proof of concept, vulnerability claim or impact found: Report by default (when in doubt, Report)")
	}
}
