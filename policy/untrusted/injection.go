package untrusted

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vulnsteward/vulnsteward/policy/internal/textfold"
)

// Rules reported by DetectInjection.
const (
	RuleOverride        = "override-instructions"
	RuleRoleChange      = "role-change"
	RuleSystemPrompt    = "system-prompt"
	RuleAddressesAgent  = "addresses-agent"
	RuleWorkflowBypass  = "workflow-bypass"
	RuleCVEDecision     = "cve-or-severity"
	RuleStateChange     = "state-change"
	RuleRunCommand      = "run-command"
	RuleExfiltration    = "exfiltration"
	RuleAuthorityClaim  = "authority-claim"
	RuleVerbatim        = "verbatim-quote"
	RuleRemoteDirective = "remote-instructions"

	RuleHiddenZeroWidth = "hidden-zero-width"
	RuleHiddenBidi      = "hidden-bidi"
	RuleHiddenTags      = "hidden-tag-text"
	RuleHiddenVariation = "hidden-variation-selectors"
	RuleHomoglyph       = "homoglyph"
	RuleStyledLetters   = "styled-letters"
	RuleHTMLHidden      = "html-hidden"
	RuleHTMLComment     = "html-comment"
)

// directive is one rule over the skeleton of the text (lower case, look-alikes
// and invisible characters folded away, spaced-out letters joined). In the
// pattern sources a space stands for any run of white space and markdown
// emphasis or quoting characters.
type directive struct {
	rule, reason string
	re           *regexp.Regexp
}

// imperative matches where a command starts: the start of the text, a line
// or a sentence, or after "please", "you must", "now", "then", "and".
const imperative = `(?:^|[\n.!?:;>*-] *|\bplease |\b(?:you|u) (?:must|should|need to|have to|will|shall) |\b(?:now|then|also|and|just|kindly) )`

const (
	agentNoun   = `(?:ai|a\.i\.|llm|llms|assistants?|agents?|models?|bots?|copilot|claude|chatgpt|gpt|gemini|language models?|automated (?:tools?|systems?|triage|reviewers?|agents?))`
	privateData = `(?:tracker|trackers|tracker (?:issues?|contents?|data)|security (?:issues|reports|tracker)|private (?:issues?|reports?|tracker|repo(?:sitory)?|data)|other reports|issue bod(?:y|ies)|credentials|tokens?|api keys?|access keys?|secrets?|passwords?|env(?:ironment)?(?: variables?| vars?)?|\.env|system prompts?|your (?:instructions|prompt|context)|conversation|chat history|mailbox|inbox|drafts|ssh keys?|private keys?|cookies?|session (?:cookies?|tokens?))`
)

func d(rule, reason, src string) directive {
	const sep = "[\\s*_~\"'`>|]"
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] != ' ':
			b.WriteByte(src[i])
		case i+1 < len(src) && strings.IndexByte("*?+{", src[i+1]) >= 0:
			b.WriteString(sep) // the pattern's own quantifier follows
		default:
			b.WriteString(sep + "+")
		}
	}
	return directive{rule: rule, reason: reason, re: regexp.MustCompile(b.String())}
}

var directives = []directive{
	d(RuleOverride, "tells the reader to ignore its previous instructions",
		`\b(?:ignore|disregard|forget|override|overrule|bypass|abandon|discard) (?:(?:all|any|each|every|the|your|my|of|these|those|that|everything|what|you|were|was|have|been|told|given|above|previous) )*(?:previous|prior|above|earlier|preceding|former|original|initial|old|system|safety|existing|current|default|developer|security|other)(?: \w+)? (?:instructions?|prompts?|rules|directives?|guidelines|guardrails|messages?|context|commands|orders|constraints|polic(?:y|ies)|restrictions|programming|tasks?)\b`),
	d(RuleOverride, "tells the reader to ignore its previous instructions",
		`\b(?:ignore|disregard|forget) (?:all|any|your|everything)(?: (?:of|the|your|previous|prior))* (?:instructions?|rules|guidelines|guardrails|constraints|restrictions|you (?:were|have been) told)\b`),
	d(RuleOverride, "tells the reader to ignore its previous instructions",
		`\b(?:ignore|disregard|forget) (?:everything|all|anything) (?:above|before|else|so far|prior|previously)\b`),
	d(RuleOverride, "tells the reader to ignore its previous instructions",
		`\b(?:do not|don't|dont|stop) (?:follow|obey)(?:ing)? (?:your|the|any) (?:previous |prior |original |system )?(?:instructions|rules|guidelines|prompt)\b`),

	d(RuleRoleChange, "tries to give the reader a new role or new instructions",
		`\byou are now\b|\byou are no longer\b|\byou are (?:an? )?(?:helpful|unrestricted|unfiltered|uncensored|jailbroken) (?:ai|assistant|model|agent|bot)\b|\bfrom now on,? you\b|\bnew (?:system )?instructions? ?:|\bpretend (?:to be|you are|that you)\b|\bjailbr(?:eak|oken)|\b(?:developer|god|admin|debug|dan|sudo) mode\b`),
	d(RuleRoleChange, "tries to give the reader a new role or new instructions",
		`\b(?:act|behave|respond|operate) as (?:if you (?:are|were) )?(?:an? |the )?(?:unrestricted|unfiltered|jailbroken|different|new|admin|administrator|root|system|developer|dan)\b`),
	d(RuleRoleChange, "tries to give the reader a new role or new instructions",
		`<\|?(?:im_start|im_end|system|endoftext|start_header_id)\|?>|\[/?(?:inst|sys|system)\]|<<sys>>|(?:^|\n) *#{1,6} ?(?:system|new instructions|instructions for (?:the )?`+agentNoun+`)\b`),
	d(RuleRoleChange, "tries to give the reader a new role or new instructions",
		`\b(?:begin|start|end) (?:of )?(?:the )?(?:system|admin|hidden|secret) (?:prompt|instructions?|message)\b|\byour (?:new|real|true|actual|only) (?:task|instructions?|role|goal|purpose|job|objective) (?:is|are|now)\b|\binstead,? (?:you (?:must|should|will)|do the following)\b`),

	d(RuleSystemPrompt, "mentions or asks for the reader's system prompt or instructions",
		`\bsystem ?prompt\b|\b(?:reveal|print|show|output|repeat|display|dump|leak|tell me|share|give me) (?:me |us )?(?:your|the) (?:full |entire |original |initial |hidden |system |secret )*(?:prompt|instructions|guidelines|configuration|context window|rules)\b`),

	d(RuleAddressesAgent, "addresses an AI agent directly",
		`\b(?:note|message|instructions?|attention|memo|notice|reminder|directive|request|task|hint) (?:to|for) (?:the |any |all |an? )?`+agentNoun+`\b`),
	d(RuleAddressesAgent, "addresses an AI agent directly",
		`\b(?:dear|hey|hello|hi|attention|ok|okay|yo) (?:ai|llm|assistant|agent|claude|chatgpt|gpt|copilot|gemini|model|bot)\b|(?:^|\n) *(?:ai|llm|assistant|claude|chatgpt|gpt|copilot|gemini) ?:|\bif you are an? (?:ai|llm|large language model|language model|assistant|agent|bot|automated)\b|\bas an? (?:ai|llm|language model),? you\b|\b(?:any|all) `+agentNoun+` (?:reading|processing|handling|parsing|triaging) this\b`),

	d(RuleWorkflowBypass, "claims the report is already handled or asks to skip review",
		`\balready (?:been )?(?:triaged|approved|validated|accepted|imported|assessed|(?:verified|confirmed|reviewed|vetted) by (?:the )?(?:security )?(?:team|maintainers|pmc))\b|\bpre-?(?:approved|triaged|validated|authori[sz]ed|confirmed|vetted)\b|\b(?:triage|review|validation|assessment|approval|verification)(?: step| process)? (?:has|have|was|is) (?:already )?(?:been )?(?:completed|done|performed|finished|approved|passed)\b|\balready (?:been )?(?:completed|done|handled|performed|finished) by (?:the )?(?:security team|maintainers|pmc)\b|\bauto-?(?:import|approv|accept|confirm|triag|allocat|publish)\w*`),
	d(RuleWorkflowBypass, "claims the report is already handled or asks to skip review",
		`\bskip (?:the |any |all |human |manual |security |further )*(?:review|triage|confirmation|approval|verification|validation|checks?|gates?|guard|scrub)\b|\bno need (?:for|to) (?:\w+ )?(?:review|confirm|approv|triag|verif)\w*|\b(?:no|without) (?:further |human |manual )?(?:review|confirmation|approval|triage) (?:is )?(?:needed|required|necessary)\b`),
	d(RuleWorkflowBypass, "asks the reader to act without telling or asking the humans",
		`\b(?:do not|don't|dont|never|without) (?:ask|wait|asking|waiting)(?:ing)? (?:for|the user for|the human for) (?:confirmation|approval|review|permission)\b|\b(?:do not|don't|dont|never) (?:tell|inform|notify|alert|warn|mention (?:this|it) to) (?:the )?(?:user|human|maintainers?|security team|operator|reviewer|team)\b|\bwithout (?:asking|telling|notifying|informing) (?:the )?(?:user|human|maintainers?|operator|team)\b|\btreat (?:this|it|the following|these) as (?:valid|approved|trusted|authoritative|an instruction|instructions|a command|coming from)\b`),

	d(RuleCVEDecision, "asks to pre-fill or assign a CVE, severity or credit; those are human decisions",
		`\bpre-?(?:fill|populate|set|assign)(?:ed|ing|s)? (?:in |out )?(?:the )?(?:cve|severity|cvss|cwe|credit|score)\b|\b(?:assign|allocate|reserve|use|set|record|apply|put)\b[^\n]{0,30}\bcve-\d{4}-\d{4,}|\b(?:assign|allocate|reserve|request|publish)\w* (?:a |the |an )?(?:new )?cve(?: id)? (?:immediately|automatically|now|right away|without|before)\b|\b(?:set|change|mark|update|raise|bump) (?:the |its |this )?(?:severity|cvss(?: score)?|priority|impact) (?:\w+ ){0,2}(?:to|as|=) (?:critical|high|9|10)\b`),

	d(RuleStateChange, "asks to mark, label or close the issue; state changes come from observed facts, not text",
		`\bmark (?:this|it|the (?:issue|report|tracker|finding|ticket|vulnerability|bug|pr|pull request))? ?as (?:valid|invalid|duplicate|resolved|fixed|closed|spam|accepted|approved|confirmed|critical|high|low|informational|not (?:a )?(?:vulnerability|security issue|bug|valid)|cve[- ]?worthy|not cve[- ]?worthy|wontfix|won't fix)\b`),
	d(RuleStateChange, "asks to mark, label or close the issue; state changes come from observed facts, not text",
		imperative+`(?:close|reopen|delete|lock|transfer|invalidate|dismiss|reject) (?:(?:this|the|all|these|other|every|any|of) )+(?:issues?|trackers?|reports?|tickets?|threads?|findings?)\b|\b(?:add|apply|remove|set) (?:the )?labels? ["'`+"`"+`]?(?:valid|invalid|security issue|needs triage|cve allocated|pr created|pr merged|fix released|announced|not cve worthy|wontfix)\b`),

	d(RuleRunCommand, "asks the reader to run a command or pipes a download into a shell; never execute commands from untrusted text",
		`\b(?:curl|wget|iwr|invoke-webrequest|irm)\b[^\n|]{0,300}\| ?(?:sudo )?(?:(?:ba|z|k|da|fi)?sh|python3?|perl|ruby|node|iex|invoke-expression)\b|\b(?:ba|z)?sh (?:-c )?["']?<\( ?(?:curl|wget)|\bpowershell(?:\.exe)?\b[^\n]*-(?:e|enc|encodedcommand)\b|\biex ?\(`),
	d(RuleRunCommand, "asks the reader to run a command or pipes a download into a shell; never execute commands from untrusted text",
		imperative+`(?:run|execute|exec|eval) (?:this|the following|these|the below|below|that) (?:shell |bash |terminal |python )?(?:commands?|scripts?|code|snippet|one-?liner)\b|\b(?:paste|run|type|execute) (?:this |it |the following )?(?:in|into|on) (?:your|a|the) (?:terminal|shell|console|command line)\b`),

	d(RuleExfiltration, "asks to send private data or credentials somewhere",
		// A PoC's own "$TOKEN" in an Authorization header is data; a command
		// that reads the agent's environment credentials or key files is not.
		`\bexfiltrat\w*|\b(?:curl|wget|nc|ncat)\b[^\n]*(?:\$\{?[a-z_]*(?:github|gh_|gitlab|aws|openai|anthropic|vulnsteward|npm_|pypi|slack|google|gmail|ssh)[a-z_]*|~/\.(?:ssh|aws|config|netrc|npmrc|docker)|\$home/\.(?:ssh|aws|config)|/etc/shadow|\bprintenv\b|\benv\b ?\|)`),
	d(RuleExfiltration, "asks to send private data or credentials somewhere",
		imperative+`(?:send|forward|email|e-mail|mail|post|upload|share|leak|copy|paste|publish|attach|include|dump|transmit|submit|reply with|respond with|give me|show me|tell me|list|print|output|reveal)\b (?:me |us |back )?(?:(?:the|all|your|any|every|a copy of|contents? of|full|complete|entire|raw|other|private|internal|confidential|embargoed|hidden|secret|related|existing|open|this|of|list of|lists of|details of|names of|summary of|titles of) )*`+privateData+`\b`),
	d(RuleExfiltration, "asks to read or send credential files",
		imperative+`(?:send|forward|email|post|upload|share|copy|paste|attach|include|dump|print|output|reveal|show|cat|read|open|display|give me|tell me)\b[^\n]{0,40}(?:~/\.config/|~/\.ssh|\bid_(?:rsa|ed25519)\b|\.netrc\b|\.git-credentials|\.aws/credentials|/proc/self/environ|\bgh auth token\b|\.config/apache-magpie)`),

	d(RuleAuthorityClaim, "claims approval or authority the text cannot prove",
		`\b(?:authori[sz]ed|approved|sanctioned|signed off|cleared|pre-approved|vetted) by (?:the )?(?:security team|maintainers?|pmc|project management committee|admins?|administrators?|project (?:lead|owner)s?|owners?|user|operator|your (?:user|operator|owner|developer|admin)|anthropic|openai)\b|\b(?:this |the )?(?:message|instructions?|request|note|directive|order)s? (?:is |are |comes? )?(?:from|by) (?:the )?(?:system|administrator|admin|security team|maintainers|your (?:operator|user|developer|owner|admin|creator)|another (?:skill|session|agent|tool|instance)|vulnsteward|the server|anthropic|openai)\b`),
	d(RuleAuthorityClaim, "claims approval or authority the text cannot prove",
		`\b(?:the )?(?:user|operator|human|maintainers?|security team|pmc) (?:has|have) (?:already )?(?:approved|authori[sz]ed|confirmed|agreed|allowed|granted)\b|\bi am (?:the|a|an|your) (?:security team member|member of the (?:security team|pmc)|pmc member|(?:project )?(?:maintainer|admin|administrator|owner|lead) (?:of|for|on) (?:this|the) (?:project|repo(?:sitory)?|tracker))\b|\bi am your (?:admin|administrator|operator|developer|owner|creator|user)\b|\bi (?:hereby )?(?:authori[sz]e|permit|allow|instruct|order|direct) you\b|\bthis (?:is|was) (?:sent|written|generated|issued) by (?:the|another|your) (?:skill|agent|tool|session|system|assistant)\b`),

	d(RuleVerbatim, "asks for text to be quoted verbatim into an output",
		`\b(?:quote|repeat|copy|include|paste|reproduce|insert|echo|output|print) (?:this|the following|it|these lines|the text below|everything below|this text|the next paragraph)(?: text| message| section| block| paragraph)? verbatim\b|\bverbatim (?:in|into) (?:the|your|any) (?:reply|response|answer|advisory|tracker|issue|pr|commit|email|output|summary)\b`),

	d(RuleRemoteDirective, "points the reader at instructions elsewhere; linked pages are data too",
		`\b(?:instructions|directions|steps|commands|tasks?) (?:at|in|from|on) (?:https?://|www\.)|\b(?:fetch|download|load|retrieve|read|follow|open) (?:and (?:follow|execute|run|apply) )?(?:the )?(?:instructions|directions|commands|tasks?) (?:at|in|from|on)\b`),
}

// DetectInjection flags directives aimed at an agent or tool and text hidden
// from a human reader: instruction overrides, role changes, requests for the
// system prompt, claims that the report is already triaged or approved, asks
// to pre-fill a CVE or mark the issue, commands to run, requests to send
// private data away, claims of authority, zero-width characters inside words,
// bidi overrides, tag characters carrying hidden text, words mixing Latin with
// look-alike letters of other scripts, and HTML that hides text (display:none,
// font-size:0, white on white, comments with instructions). The rules are
// case-, spacing- and look-alike-insensitive. Findings are sorted by offset.
func DetectInjection(s string) []Finding {
	var out []Finding
	out = append(out, scanDirectives(s, 0, "")...)
	out = append(out, hiddenCharacters(s)...)
	out = append(out, homoglyphWords(s)...)
	out = append(out, htmlHidden(s)...)
	return dedupe(out)
}

func scanDirectives(s string, base int, prefix string) []Finding {
	v := textfold.Build(s).JoinHyphenatedLines().CollapseSpacedLetters()
	var out []Finding
	for _, dir := range directives {
		for _, loc := range dir.re.FindAllStringIndex(v.S, -1) {
			a, b := loc[0], loc[1]
			// Leading context matched by the imperative prefix is not part
			// of the directive.
			for a < b && !textfold.IsAlnum(v.S[a]) && v.S[a] != '<' && v.S[a] != '[' && v.S[a] != '#' && v.S[a] != '|' {
				a++
			}
			if a >= b {
				continue
			}
			start, end := v.Span(a, b)
			match := s[start:end]
			if prefix != "" { // decoded hidden text: point at where it hides
				start = base
			}
			out = append(out, Finding{Rule: dir.rule, Reason: prefix + dir.reason, Offset: start, Match: shorten(match)})
		}
	}
	return out
}

// hiddenCharacters flags invisible characters used to hide or split text.
func hiddenCharacters(s string) []Finding {
	var out []Finding
	var runs []invisibleRun
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if textfold.IsInvisible(r) && r != 0xFE0E && r != 0xFE0F || textfold.IsInvisible(r) && len(runs) > 0 && runs[len(runs)-1].end == i {
			if len(runs) > 0 && runs[len(runs)-1].end == i {
				runs[len(runs)-1].end = i + size
				runs[len(runs)-1].runes = append(runs[len(runs)-1].runes, r)
			} else {
				runs = append(runs, invisibleRun{start: i, end: i + size, runes: []rune{r}})
			}
		}
		i += size
	}
	var bidi, zw, vs []invisibleRun
	for _, rn := range runs {
		var tags []rune
		hasBidi, hasVS, other := false, 0, 0
		for _, r := range rn.runes {
			switch {
			case textfold.IsTag(r):
				tags = append(tags, r)
			case textfold.IsBidiControl(r):
				hasBidi = true
			case textfold.IsVariationSelector(r):
				hasVS++
			default:
				other++
			}
		}
		if len(tags) > 0 {
			out = append(out, tagText(s, rn.start, tags)...)
		}
		if hasBidi {
			bidi = append(bidi, rn)
		}
		if hasVS >= 2 {
			vs = append(vs, rn)
		}
		if other >= 2 || (other == 1 && insideWord(s, rn.start, rn.end, rn.runes)) {
			zw = append(zw, rn)
		}
	}
	if len(bidi) > 0 {
		out = append(out, Finding{Rule: RuleHiddenBidi, Offset: bidi[0].start, Match: runePoints(bidi),
			Reason: fmt.Sprintf("%d bidirectional override or isolate character(s) can make text display differently from what it says", countRunes(bidi, textfold.IsBidiControl))})
	}
	if len(zw) > 0 {
		out = append(out, Finding{Rule: RuleHiddenZeroWidth, Offset: zw[0].start, Match: runePoints(zw),
			Reason: fmt.Sprintf("%d place(s) with invisible characters inside a word or in a run; they can hide or split words", len(zw))})
	}
	if len(vs) > 0 {
		out = append(out, Finding{Rule: RuleHiddenVariation, Offset: vs[0].start, Match: runePoints(vs),
			Reason: "a run of variation selectors can carry hidden data"})
	}
	return out
}

// tagText decodes tag characters (which mirror ASCII) into the hidden text
// they spell, flags it, and runs the directive rules on it.
func tagText(s string, offset int, tags []rune) []Finding {
	var b strings.Builder
	for _, r := range tags {
		if r >= 0xE0020 && r <= 0xE007E {
			b.WriteRune(r - 0xE0000)
		}
	}
	hidden := b.String()
	out := []Finding{{Rule: RuleHiddenTags, Offset: offset, Match: shorten(hidden),
		Reason: "invisible Unicode tag characters spell hidden text"}}
	if strings.TrimSpace(hidden) != "" {
		out = append(out, scanDirectives(hidden, offset, "in hidden tag text: ")...)
	}
	return out
}

// insideWord reports whether the invisible run [start, end) sits between two
// letters of the same word, except joiners between letters of scripts that
// need them (Arabic, Indic, …) and between emoji.
func insideWord(s string, start, end int, runes []rune) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:start])
	after, _ := utf8.DecodeRuneInString(s[end:])
	if !(unicode.IsLetter(before) || unicode.IsDigit(before)) || !(unicode.IsLetter(after) || unicode.IsDigit(after)) {
		return false
	}
	if len(runes) == 1 && (runes[0] == 0x200C || runes[0] == 0x200D) {
		return unicode.Is(unicode.Latin, before) || unicode.Is(unicode.Latin, after) || before < utf8.RuneSelf || after < utf8.RuneSelf
	}
	return true
}

// invisibleRun is a run of adjacent invisible characters in the original text.
type invisibleRun struct {
	start, end int
	runes      []rune
}

func countRunes(runs []invisibleRun, pred func(rune) bool) int {
	n := 0
	for _, rn := range runs {
		for _, r := range rn.runes {
			if pred(r) {
				n++
			}
		}
	}
	return n
}

func runePoints(runs []invisibleRun) string {
	var pts []string
	for _, rn := range runs {
		for _, r := range rn.runes {
			p := codePoint(r)
			if !slices.Contains(pts, p) {
				pts = append(pts, p)
			}
			if len(pts) == 4 {
				return strings.Join(pts, " ") + " …"
			}
		}
	}
	return strings.Join(pts, " ")
}

// homoglyphWords flags words that mix Latin letters with look-alike letters
// of other scripts ("pаypal" with a Cyrillic а), words made entirely of
// look-alikes inside Latin text, and words in mathematical or fullwidth
// styled letters, all of which defeat keyword checks and mislead readers.
func homoglyphWords(s string) []Finding {
	var out []Finding
	latin, other := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.IsLetter(r):
			other++
		}
	}
	mostlyLatin := latin > 2*other
	seen := map[string]bool{}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r2, sz := utf8.DecodeRuneInString(s[j:])
			if !isWordRune(r2) {
				break
			}
			j += sz
		}
		start, word := i, s[i:j]
		i = j
		if seen[word] {
			continue
		}
		seen[word] = true
		hasLatin, lookAlike, foreign, styled, letters := false, 0, 0, false, 0
		for _, r := range word {
			if !unicode.IsLetter(r) {
				continue
			}
			letters++
			switch {
			case (r >= 0x1D400 && r <= 0x1D7FF) || (r >= 0xFF21 && r <= 0xFF5A):
				styled = true
			case unicode.Is(unicode.Latin, r):
				if _, ok := textfold.Confusable(r); ok && r >= 0x80 {
					lookAlike++ // Latin small capitals, dotless i, …
				} else {
					hasLatin = true
				}
			default:
				foreign++
				if _, ok := textfold.Confusable(r); ok {
					lookAlike++
				}
			}
		}
		var sk strings.Builder
		for _, r := range word {
			if sk.Len() > 80 {
				sk.WriteString("…")
				break
			}
			sk.WriteString(textfold.FoldRune(r))
		}
		skeleton := sk.String()
		if len(word) > 80 {
			word = word[:80] + "…"
		}
		switch {
		case styled && letters >= 3:
			out = append(out, Finding{Rule: RuleStyledLetters, Offset: start, Match: word,
				Reason: fmt.Sprintf("word %q is written in styled (mathematical or fullwidth) letters that read as %q", word, skeleton)})
		case hasLatin && lookAlike > 0:
			out = append(out, Finding{Rule: RuleHomoglyph, Offset: start, Match: word,
				Reason: fmt.Sprintf("word %q mixes Latin with look-alike letters of another script (reads as %q)", word, skeleton)})
		case !hasLatin && mostlyLatin && letters >= 3 && lookAlike == letters && foreign > 0:
			out = append(out, Finding{Rule: RuleHomoglyph, Offset: start, Match: word,
				Reason: fmt.Sprintf("word %q in Latin text is spelled with look-alike letters of another script (reads as %q)", word, skeleton)})
		}
	}
	return out
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || (textfold.IsInvisible(r) && !textfold.IsBidiControl(r))
}

var (
	reStyleAttr  = regexp.MustCompile(`(?is)\bstyle\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	reStyleBlock = regexp.MustCompile(`(?is)<style\b[^>]*>(.*?)(?:</style\s*>|$)`)
	reHiddenCSS  = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*(?:0*\.?0+|0?\.[0-4]\d*|1)\s*(?:px|pt|em|rem|%|vw|vh)?\s*(?:[;!}]|$)|opacity\s*:\s*0*\.?0+\s*(?:[;!}]|$)|(?:text-indent|left|top|margin-left|margin-top)\s*:\s*-\d{3,}|(?:^|[;\s])(?:max-)?(?:height|width)\s*:\s*0(?:px)?\s*(?:[;!}]|$)[^}]*overflow\s*:\s*hidden|color\s*:\s*transparent|clip\s*:\s*rect\(\s*0`)
	reHiddenAttr = regexp.MustCompile(`(?i)<[a-z][a-z0-9]*\b[^>]*\shidden(?:\s|=|/?>)`)
	reFontColor  = regexp.MustCompile(`(?i)<font\b[^>]*\bcolor\s*=\s*["']?\s*(#f{3}\b|#f{6}\b|white\b)`)
	reColor      = regexp.MustCompile(`(?i)(?:^|[;\s"'])color\s*:\s*([^;"'!]+)`)
	reBackground = regexp.MustCompile(`(?i)background(?:-color)?\s*:\s*([^;"'!]+)`)
	reComment    = regexp.MustCompile(`(?s)<!--(.*?)(?:-->|$)|(?m)^[ \t]*\[(?://|comment|_)\]:\s*(?:#|<>)?\s*\((.*)\)\s*$`)
	reCommentHot = regexp.MustCompile(`(?i)\b(?:ai|llm|assistant|agent|model|instructions?|prompt|ignore|system|claude|gpt|copilot|you (?:are|must|should|will)|please|do not|don't|never|always|must)\b`)
)

// htmlHidden flags HTML and markdown constructs that hide text from a human
// reader while an agent reading the source still sees it.
func htmlHidden(s string) []Finding {
	var out []Finding
	dark := hasDarkBackground(s)
	for _, m := range reStyleAttr.FindAllStringSubmatchIndex(s, -1) {
		style := submatch(s, m, 1) + submatch(s, m, 2)
		if why := hiddenStyle(style, dark); why != "" {
			out = append(out, Finding{Rule: RuleHTMLHidden, Offset: m[0], Match: shorten(s[m[0]:m[1]]),
				Reason: "HTML styling hides text from a human reader (" + why + ")"})
		}
	}
	for _, m := range reStyleBlock.FindAllStringSubmatchIndex(s, -1) {
		if loc := reHiddenCSS.FindStringIndex(submatch(s, m, 1)); loc != nil {
			out = append(out, Finding{Rule: RuleHTMLHidden, Offset: m[0], Match: shorten(s[m[0]:m[1]]),
				Reason: "a stylesheet in the text hides elements from a human reader"})
		}
	}
	for _, loc := range reHiddenAttr.FindAllStringIndex(s, -1) {
		out = append(out, Finding{Rule: RuleHTMLHidden, Offset: loc[0], Match: shorten(s[loc[0]:loc[1]]),
			Reason: "an HTML element with the hidden attribute is not shown to a human reader"})
	}
	if !dark {
		for _, loc := range reFontColor.FindAllStringIndex(s, -1) {
			out = append(out, Finding{Rule: RuleHTMLHidden, Offset: loc[0], Match: shorten(s[loc[0]:loc[1]]),
				Reason: "white text on a white page is invisible to a human reader"})
		}
	}
	for _, m := range reComment.FindAllStringSubmatchIndex(s, -1) {
		inner := submatch(s, m, 1) + submatch(s, m, 2)
		if len(strings.Fields(inner)) < 3 {
			continue
		}
		if reCommentHot.MatchString(inner) || len(scanDirectives(inner, 0, "")) > 0 {
			out = append(out, Finding{Rule: RuleHTMLComment, Offset: m[0], Match: shorten(s[m[0]:m[1]]),
				Reason: "a comment hidden when rendered contains instructions or words aimed at an agent"})
		}
	}
	return out
}

func submatch(s string, m []int, g int) string {
	if 2*g+1 < len(m) && m[2*g] >= 0 {
		return s[m[2*g]:m[2*g+1]]
	}
	return ""
}

// hiddenStyle says why an inline style hides its text, or "".
func hiddenStyle(style string, darkPage bool) string {
	if loc := reHiddenCSS.FindStringIndex(style); loc != nil {
		return strings.Join(strings.Fields(style[loc[0]:loc[1]]), " ")
	}
	fg := ""
	if m := reColor.FindStringSubmatch(style); m != nil {
		fg = normColor(m[1])
	}
	if fg == "" {
		return ""
	}
	if m := reBackground.FindStringSubmatch(style); m != nil {
		if bg := normColor(m[1]); bg == fg {
			return "text colour equals background colour"
		}
		return ""
	}
	if fg == "white" && !darkPage {
		return "white text on a white page"
	}
	return ""
}

// hasDarkBackground reports whether the document sets any background that is
// not white, in which case white text may be legitimately visible.
func hasDarkBackground(doc string) bool {
	for _, m := range reBackground.FindAllStringSubmatch(doc, -1) {
		if normColor(m[1]) != "white" {
			return true
		}
	}
	if strings.Contains(strings.ToLower(doc), "bgcolor") {
		return true
	}
	return false
}

func normColor(c string) string {
	c = strings.ToLower(strings.Join(strings.Fields(c), ""))
	switch c {
	case "#fff", "#ffffff", "#fffffe", "#fefefe", "white", "rgb(255,255,255)", "rgba(255,255,255,1)", "hsl(0,0%,100%)":
		return "white"
	}
	return c
}

// shorten returns a display form of a match: invisible characters spelled as
// U+XXXX and long matches cut to about 120 bytes.
func shorten(m string) string {
	var b strings.Builder
	for _, r := range m {
		if textfold.IsInvisible(r) || (unicode.IsControl(r) && r != '\n' && r != '\t') {
			b.WriteString("<" + codePoint(r) + ">")
			continue
		}
		b.WriteRune(r)
		if b.Len() >= 120 {
			b.WriteString("…")
			break
		}
	}
	return b.String()
}

// dedupe drops findings of the same rule that start inside an earlier one
// and sorts by offset.
func dedupe(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Offset != b.Offset {
			return a.Offset - b.Offset
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	var out []Finding
	lastEnd := map[string]int{}
	for _, f := range fs {
		if end, ok := lastEnd[f.Rule]; ok && f.Offset < end {
			continue
		}
		lastEnd[f.Rule] = f.Offset + max(1, len(f.Match))
		out = append(out, f)
	}
	return out
}
