package intake

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// analyze.go reads a thread the way a triager does: who wrote each message
// (the security team, the reporter side, a service), what a reply says once
// the quoted text is cut away, and the two thread-level rules built on that:
// the already-answered filter (spec/intake.md §4.6 with §18.8) and the
// converged-disposition check (§4.10).

// silenceDays is the reporter silence §4.6 requires before a canned-answered
// thread is dropped.
const silenceDays = 7

// convergedWindow is how many of the newest messages §4.10 reads for the
// converged-disposition check.
const convergedWindow = 5

// cannedSnippetRunes is how much of a reply's opening §4.6 compares with the
// canned cues ("first ~300 chars of its snippet").
const cannedSnippetRunes = 300

// stripInvisible removes format characters (zero-width, bidi controls, BOM,
// soft hyphen, tag characters), variation selectors and control characters
// other than newline and tab. Hidden characters must not split a phrase so
// that a rule misses it, nor reach a title.
func stripInvisible(s string) string {
	if strings.IndexFunc(s, isInvisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, s)
}

func isInvisible(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r == '\r':
		return true
	case unicode.Is(unicode.Cf, r), unicode.IsControl(r):
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, r == 0x034F:
		return true
	}
	return false
}

// normText is the form phrase rules compare: invisible characters removed,
// lower case, every run of non-letters/digits one space. "out-of-scope" and
// "out of scope" compare equal; so do "project's" and "project’s".
func normText(s string) string {
	s = stripInvisible(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// maxAnalysedBytes bounds how much of a body the classification rules read.
// Signals sit at the top of a mail; the bound keeps a multi-megabyte hostile
// body from stalling a mailbox scan.
const maxAnalysedBytes = 64 << 10

// maxExtractBytes bounds how much of a body key extraction reads (the
// description itself is always the whole body).
const maxExtractBytes = 256 << 10

// headBytes returns at most n bytes of s, cut on a rune boundary, and whether it cut.
func headBytes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// firstRunes returns at most n runes of s.
func firstRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

var (
	// attributionLineRE is the line a mail client puts above quoted text
	// ("On Mon, 1 Jan 2024, Jane <j@x> wrote:", "Am … schrieb:", "Le … a écrit :").
	attributionLineRE = regexp.MustCompile(`(?i)(wrote|schrieb|a écrit|escribió|scrisse|skrev|napisał|escreveu|schreef)\s*:\s*$`)
	originalMsgRE     = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(original message|forwarded message|ursprüngliche nachricht)\s*-{2,}|_{10,})\s*$`)
	salutationRE      = regexp.MustCompile(`(?i)^\s*(hi|hello|hey|dear|greetings|good (morning|afternoon|evening)|hallo|bonjour|hola)\b[^\n]{0,60}$`)
)

// replyText is what a reply adds: its lines up to the quoted original, without
// quoted lines or the signature. Rules about replies must not fire on the text
// they quote.
func replyText(body string) string {
	lines := strings.Split(strings.ReplaceAll(stripInvisible(body), "\r", ""), "\n")
	var out []string
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "--" || originalMsgRE.MatchString(l) {
			break
		}
		if attributionLineRE.MatchString(t) {
			// A wrapped attribution line starts on the previous line ("On …,\nJane wrote:").
			if i > 0 && len(out) > 0 && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "On ") {
				out = out[:len(out)-1]
			}
			break
		}
		if strings.HasPrefix(t, ">") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// dropSalutation removes a leading greeting line ("Hi Jane,"), so a canned
// opening compares with the sentence after it.
func dropSalutation(s string) string {
	s = strings.TrimSpace(s)
	first, rest, found := strings.Cut(s, "\n")
	if found && salutationRE.MatchString(first) {
		return strings.TrimSpace(rest)
	}
	return s
}

// senders classifies From: addresses.
type senders struct {
	team        map[string]bool
	list        string
	foundation  string
	hasTeamList bool
}

func newSenders(c Context) senders {
	s := senders{team: map[string]bool{}, list: normEmail(c.SecurityList), foundation: normEmail(c.FoundationSecurity)}
	for _, e := range c.TeamEmails {
		if e = normEmail(e); e != "" {
			s.team[e] = true
		}
	}
	s.hasTeamList = len(s.team) > 0
	return s
}

func normEmail(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
}

func (s senders) isTeam(a lifecycle.Address) bool { return s.team[normEmail(a.Email)] }

func (s senders) isListOrFoundation(a lifecycle.Address) bool {
	e := normEmail(a.Email)
	return e != "" && (e == s.list || e == s.foundation)
}

// isTeamMessage: a roster member wrote it, or it was sent from a draft this
// server made (the X-Vulnsteward-Draft-Key header survives sending), which is
// the team's whatever address it went out from (§18.8).
func (s senders) isTeamMessage(m lifecycle.Message) bool {
	return s.isTeam(m.From) || strings.TrimSpace(m.DraftKey) != ""
}

// sentMessages drops unsent drafts: a draft is not a reply anyone has read.
func sentMessages(t lifecycle.Thread) []lifecycle.Message {
	out := make([]lifecycle.Message, 0, len(t.Messages))
	for _, m := range t.Messages {
		if !m.IsDraft {
			out = append(out, m)
		}
	}
	return out
}

// cannedPhrases are the structural cues of a canned disposition (§4.6 rule 2),
// in normText form.
var cannedPhrases = []string{
	"we cannot accept it", "we can not accept it", "we can t accept it",
	"we cannot review it", "we can not review it", "we can t review it",
	"we do not consider this a vulnerability", "we don t consider this a vulnerability",
	"we do not consider this a security issue", "we don t consider this a security issue",
	"we do not consider this to be a vulnerability", "we do not consider this to be a security issue",
	"per the project s security model", "per the projects security model", "per our security model",
	"documented in our security model",
	"this is by design", "this is expected behaviour", "this is expected behavior",
	"explicitly out of scope", "out of scope",
	"regular contribution process",
	// the deny-list warning about accounts that repeatedly send non-qualifying reports
	"deny list", "denylist", "block list", "blocklist",
	"repeatedly send", "repeatedly sending", "repeatedly submit", "non qualifying reports",
}

// placeholderRE is the canned-response placeholder shape (§4.13).
var placeholderRE = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b`)

// cannedOpening is one canned response's opening, ready to compare.
type cannedOpening struct {
	index int
	text  string         // as given, for the reason line
	re    *regexp.Regexp // normalised, placeholders as wildcards, anchored at the start
	words []string       // literal words, for the shingle comparison
}

// minOpeningLetters: an opening with less literal text than this ("Hello
// REPORTER_NAME,") would match every reply.
const minOpeningLetters = 24

// compileOpenings prepares the canned openings: the first non-greeting line of
// each, normalised, with SCREAMING_SNAKE_CASE placeholders as wildcards.
func compileOpenings(openings []string) []cannedOpening {
	var out []cannedOpening
	for i, o := range openings {
		// The reply side is compared on its first cannedSnippetRunes runes,
		// so a longer opening could never match; the cap also bounds the
		// pattern built from it.
		line := firstRunes(firstContentLine(dropSalutation(o)), cannedSnippetRunes)
		if line == "" {
			continue
		}
		var pat strings.Builder
		pat.WriteString("^")
		literal := 0
		var words []string
		last := 0
		for _, loc := range placeholderRE.FindAllStringIndex(line, -1) {
			chunk := normText(line[last:loc[0]])
			literal += len(chunk)
			words = append(words, strings.Fields(chunk)...)
			if chunk != "" {
				pat.WriteString(regexp.QuoteMeta(chunk) + " ?")
			}
			pat.WriteString(`(?:[^ ]+ ?){0,8}`) // normText leaves words separated by single spaces
			last = loc[1]
		}
		chunk := normText(line[last:])
		literal += len(chunk)
		words = append(words, strings.Fields(chunk)...)
		pat.WriteString(regexp.QuoteMeta(chunk))
		if literal < minOpeningLetters {
			continue
		}
		re, err := regexp.Compile(pat.String())
		if err != nil { // cannot happen: every literal is quoted
			continue
		}
		out = append(out, cannedOpening{index: i, text: line, re: re, words: words})
	}
	return out
}

func firstContentLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			return t
		}
	}
	return ""
}

// cannedCue says why a team reply is structurally a canned disposition, ""
// when it is not. The opening comparison is an exact normalised prefix with
// placeholders as wildcards, else word-shingle similarity (an edited greeting
// or a typo fixed by hand still matches); the phrase list covers replies
// written from memory.
func cannedCue(body string, openings []cannedOpening) string {
	reply := replyText(body)
	if reply == "" {
		return "" // quote-only or cut-off: ambiguous, keep
	}
	opening := normText(firstRunes(dropSalutation(reply), cannedSnippetRunes))
	if opening == "" {
		return ""
	}
	for _, o := range openings {
		if o.re.MatchString(opening) || shingleSimilar(o.words, strings.Fields(opening)) {
			return fmt.Sprintf("canned opening %d %q", o.index+1, firstRunes(o.text, 60))
		}
	}
	padded := " " + opening + " "
	for _, p := range cannedPhrases {
		if strings.Contains(padded, " "+p+" ") {
			return fmt.Sprintf("canned phrase %q", p)
		}
	}
	return ""
}

// shingleSimilar compares word 3-shingles of a canned opening with the reply's
// opening of the same length; 80% Jaccard similarity counts as the same text.
func shingleSimilar(canned, reply []string) bool {
	const k, threshold = 3, 0.8
	if len(canned) < 6 || len(reply) < k {
		return false
	}
	if n := len(canned) + len(canned)/5; len(reply) > n {
		reply = reply[:n]
	}
	a, b := shingles(canned, k), shingles(reply, k)
	inter := 0
	for s := range a {
		if b[s] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	return union > 0 && float64(inter)/float64(union) >= threshold
}

func shingles(words []string, k int) map[string]bool {
	out := map[string]bool{}
	for i := 0; i+k <= len(words); i++ {
		out[strings.Join(words[i:i+k], " ")] = true
	}
	return out
}

var (
	ackRE      = regexp.MustCompile(`(?i)\b(thanks?|thank you|thx|ty|cheers|understood|understand|got it|makes sense|fair enough|noted|ok(ay)?|sure|appreciate[sd]?|acknowledged?|agreed?|sounds good|works for me|no problem|lgtm|looks good|perfect|great|all good|fine)\b`)
	pushbackRE = regexp.MustCompile(`(?i)\b(but|however|disagree|don'?t agree|do not agree|not convinced|reconsider|still (think|believe|consider|affect|vulnerable|reproduc|work)|respectfully|incorrect|wrong|mistaken|not by design|not expected|i (think|believe)|in my (view|opinion)|escalate|appeal|although|nevertheless)\b`)
)

// ackMaxRunes: an acknowledgement is short; a long reply argues or adds.
const ackMaxRunes = 400

// isAck reports whether a reply is a short acknowledgement: nothing (a
// reaction, a quote-only reply) or a thank-you with no question and no pushback.
func isAck(body string) bool {
	r := replyText(body)
	if r == "" {
		return true
	}
	if len([]rune(r)) > ackMaxRunes || strings.ContainsAny(r, "?？") || pushbackRE.MatchString(r) {
		return false
	}
	return ackRE.MatchString(r)
}

// AlreadyAnswered is the §4.6 filter: it reports whether a thread with no
// tracker was already closed on-thread by the team, with the recap reason
// either way. Dropped only when all hold:
//
//  1. a non-root message is the team's (roster address, or sent from a draft
//     this server made);
//  2. a team reply is structurally canned: its opening matches one of
//     cannedOpenings (the opening lines of the project's canned responses,
//     placeholders as wildcards; pass the negative ones, not the receipt) or
//     one of the §4.6 cue phrases. A clarifying question is not canned;
//  3. after it, the reporter side said nothing, acknowledged briefly, or
//     pushed back and the team answered again with a canned reply and the
//     reporter did not write again; and the reporter's last message (the root
//     when they never wrote again) is at least seven days before now.
//
// A thread with only reporter messages is never dropped, nor one whose reply
// cannot be judged (empty, quote-only). now is the caller's clock.
func AlreadyAnswered(thread lifecycle.Thread, c Context, cannedOpenings []string, now time.Time) (dropped bool, reason string) {
	msgs := sentMessages(thread)
	if len(msgs) == 0 {
		return false, "kept: thread has no sent message"
	}
	s := newSenders(c)
	openings := compileOpenings(cannedOpenings)

	canned, cue, teamReplied := -1, "", false
	for i := 1; i < len(msgs); i++ {
		if !s.isTeamMessage(msgs[i]) {
			continue
		}
		teamReplied = true
		if cue = cannedCue(msgs[i].Body, openings); cue != "" {
			canned = i
			break
		}
	}
	switch {
	case !teamReplied:
		return false, "kept: only reporter-side messages, never dropped"
	case canned < 0:
		return false, "kept: the team replied but not with a canned disposition (a question or a technical answer keeps the correspondence open)"
	}

	// Walk the trail after the canned reply. open names what is outstanding.
	open := ""
	for _, m := range msgs[canned+1:] {
		if s.isTeamMessage(m) {
			switch {
			case cannedCue(m.Body, openings) != "":
				open = ""
			case isAck(m.Body):
				// a team "you're welcome" changes nothing
			default:
				open = fmt.Sprintf("the team wrote again on %s without a canned reply (open correspondence)", m.Date.Format(time.DateOnly))
			}
			continue
		}
		if isAck(m.Body) {
			open = ""
		} else {
			open = fmt.Sprintf("reporter pushback on %s is unanswered", m.Date.Format(time.DateOnly))
		}
	}
	if open != "" {
		return false, "kept: " + open
	}

	lastReporter := msgs[0]
	for _, m := range msgs {
		if !s.isTeamMessage(m) {
			lastReporter = m
		}
	}
	silence := now.Sub(lastReporter.Date)
	days := int(silence.Hours() / 24)
	if silence < silenceDays*24*time.Hour {
		return false, fmt.Sprintf("kept: reporter's last message was %d day(s) ago (%s); %d days of silence are required", days, lastReporter.Date.Format(time.DateOnly), silenceDays)
	}
	t := msgs[canned]
	return true, fmt.Sprintf("answered on %s by %s with a canned disposition (%s); reporter silent %d days since %s",
		t.Date.Format(time.DateOnly), addressLabel(t.From), cue, days, lastReporter.Date.Format(time.DateOnly))
}

func addressLabel(a lifecycle.Address) string {
	switch {
	case a.Name != "" && a.Email != "":
		return fmt.Sprintf("%s <%s>", a.Name, a.Email)
	case a.Email != "":
		return a.Email
	}
	return a.Name
}

// dispositionRE recognises a substantive team disposition (§4.10 converged):
// a fix PR being opened, options laid out, a docs clarification, a decision.
var dispositionRE = regexp.MustCompile(`(?i)\b(` +
	`(we|i)\s*('ll|'re going to| will| are going to| plan to| intend to| have| 've)\s+(open|opened|create|created|submit|submitted|prepare|prepared|send|raise|raised|file|filed|push|pushed|merge|merged|land|landed)\s+(a\s+|the\s+)?(fix|pr|pull request|patch|change|commit)` +
	`|open(ing|ed)\s+(a\s+)?(fix\s+)?(pr|pull request|patch)` +
	`|fix (pr|pull request)|the fix (is|will be|has been|was)|will be fixed in|(is|was|has been) fixed in` +
	`|(we|i)\s*('ll| will)\s+(fix|address|patch|harden|document|clarify|update)` +
	`|(update|clarify|improve|amend|extend|document)\w*\s+(the\s+|our\s+)?(docs|documentation|security model)` +
	`|options?\s+(1|2|a|b|one|two)\b|two options|a few options|we could either|we propose|our proposal|proposed (fix|change|approach)` +
	`|we('ve| have)?\s+decided|we (consider|treat|will treat|'ll treat|handle|will handle)\s+(this|it)\s+as|as a hardening|defen[cs]e[- ]in[- ]depth` +
	`)\b`)

// commitmentRE is the part of a disposition that commits the team to a change.
var commitmentRE = regexp.MustCompile(`(?i)\b(` +
	`(we|i)\s*('ll|'re going to| will| are going to| plan to| intend to| have| 've)\s+(open|opened|create|created|submit|submitted|prepare|prepared|raise|raised|push|pushed|merge|merged|land|landed)\s+(a\s+|the\s+)?(fix|pr|pull request|patch)` +
	`|open(ing|ed)\s+(a\s+)?(fix\s+)?(pr|pull request|patch)|will be fixed in|(we|i)\s*('ll| will)\s+(fix|patch|mask|harden|document|clarify)` +
	`|(update|clarify|amend|extend)\w*\s+(the\s+|our\s+)?(docs|documentation)` +
	`)\b`)

// reporterAckRE is an acknowledgement of a disposition; isAck also requires
// no question and no pushback.
var reporterAckRE = regexp.MustCompile(`(?i)\b(thanks?|thank you|sounds good|sounds great|agreed?|i agree|makes sense|works for me|fine (with|by) me|happy with|ok(ay)? with|no objection|understood|perfect|great|lgtm|looks good|that works|good plan|appreciate)\b`)

// converged reports whether the last messages of the thread show a team
// disposition the reporter acknowledged with nothing outstanding (§4.10).
// The detail names the exact messages, for the rollup note.
func converged(thread lifecycle.Thread, s senders) (bool, string) {
	msgs := sentMessages(thread)
	if len(msgs) < 3 || !s.hasTeamList && !anyDraftKey(msgs) {
		return false, ""
	}
	start := len(msgs) - convergedWindow
	if start < 1 {
		start = 1 // the root is the report, never the disposition
	}
	disp := -1
	for i := start; i < len(msgs); i++ {
		m := msgs[i]
		if !s.isTeamMessage(m) {
			continue
		}
		r := replyText(m.Body)
		// A commitment (fix, PR, docs, options) is substantive even when the
		// reply also cites the security model; a bare decision wrapped in a
		// canned cue is the already-answered path, not a convergence.
		if commitmentRE.MatchString(r) || dispositionRE.MatchString(r) && cannedCue(m.Body, nil) == "" {
			disp = i
		}
	}
	if disp < 0 {
		return false, ""
	}
	ack := -1
	for i := disp + 1; i < len(msgs); i++ {
		m := msgs[i]
		r := replyText(m.Body)
		outstanding := strings.ContainsAny(r, "?？") || pushbackRE.MatchString(r)
		if s.isTeamMessage(m) {
			if outstanding {
				return false, "" // the team asked something after the disposition
			}
			continue
		}
		if outstanding || len([]rune(r)) > ackMaxRunes || !reporterAckRE.MatchString(r) {
			return false, ""
		}
		ack = i
	}
	if ack < 0 {
		return false, ""
	}
	d, a := msgs[disp], msgs[ack]
	return true, fmt.Sprintf("disposition by %s on %s (Message-ID %s), acknowledged by %s on %s (Message-ID %s)",
		addressLabel(d.From), d.Date.Format(time.DateOnly), d.MessageID,
		addressLabel(a.From), a.Date.Format(time.DateOnly), a.MessageID)
}

func anyDraftKey(msgs []lifecycle.Message) bool {
	for _, m := range msgs {
		if m.DraftKey != "" {
			return true
		}
	}
	return false
}
