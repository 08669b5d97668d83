package escalate

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Rollup vocabulary of the escalation (spec/intake.md §16 "Recording").
const (
	// Action is the rollup action of both phases.
	Action = "Sync (Step 4 escalation)"
	// legacyPrefix starts the reference workflow's escalation comments from
	// before the rollup existed.
	legacyPrefix = "**Process-step escalation"
)

// EntryID is the rollup entry id of a phase: an escalation entry with it is
// never appended twice.
func EntryID(phase int) string { return "step4-escalation-phase" + strconv.Itoa(phase) }

// PhaseLine is the hidden line that dates a phase to the second.
func PhaseLine(phase int, at time.Time) string {
	return "<!-- escalation phase=" + strconv.Itoa(phase) + " at=" + at.UTC().Format(time.RFC3339) + " -->"
}

var (
	phaseLineRE = regexp.MustCompile(`<!-- escalation phase=(\d) at=(\S+) -->`)
	entryIDRE   = regexp.MustCompile(`^step4-escalation-phase(\d)$`)
	phase2RE    = regexp.MustCompile(`(?i)\bphase[\s-]*(2|two|ii)\b`)
)

// Record is an escalation found on a tracker.
type Record struct {
	Phase  int       `json:"phase"`
	At     time.Time `json:"at"`
	Source string    `json:"source" jsonschema:"vulnsteward rollup entry, legacy rollup entry or legacy comment"`
}

// Records finds every escalation recorded on a tracker: vulnsteward's rollup
// entries (by entry id, dated by their hidden line), other rollup entries
// whose action is the Step 4 escalation, and legacy comments. A record that
// does not say "phase 2" counts as phase 1.
func Records(comments []lifecycle.Comment, rollupPrefix string) []Record {
	var out []Record
	for _, c := range comments {
		if lifecycle.IsRollup(c.Body, rollupPrefix) {
			for _, e := range lifecycle.ParseRollup(c.Body) {
				if m := entryIDRE.FindStringSubmatch(e.ID); m != nil {
					phase, _ := strconv.Atoi(m[1])
					out = append(out, Record{Phase: phase, At: entryTime(e), Source: "vulnsteward rollup entry"})
					continue
				}
				if e.Parsed && strings.Contains(strings.ToLower(e.Action), "step 4 escalation") {
					out = append(out, Record{Phase: phaseOf(e.Body), At: entryTime(e), Source: "legacy rollup entry"})
				}
			}
			continue
		}
		if strings.HasPrefix(strings.TrimLeftFunc(c.Body, unicode.IsSpace), legacyPrefix) {
			out = append(out, Record{Phase: phaseOf(c.Body), At: c.CreatedAt, Source: "legacy comment"})
		}
	}
	return out
}

func phaseOf(body string) int {
	if phase2RE.MatchString(body) {
		return 2
	}
	return 1
}

func entryTime(e lifecycle.ParsedEntry) time.Time {
	if m := phaseLineRE.FindStringSubmatch(e.Body); m != nil {
		if t, err := time.Parse(time.RFC3339, m[2]); err == nil {
			return t
		}
	}
	t, _ := time.Parse("2006-01-02", e.Date)
	return t
}

// Latest returns the record of the highest phase (the latest of that phase).
func Latest(recs []Record) (Record, bool) {
	var best Record
	ok := false
	for _, r := range recs {
		if !ok || r.Phase > best.Phase || (r.Phase == best.Phase && r.At.After(best.At)) {
			best, ok = r, true
		}
	}
	return best, ok
}

// Phase1Subject is the subject of the phase-1 drafts to the lists.
func Phase1Subject(title string) string { return "Call for input: " + title }

// DraftKey is the key of a phase's draft to one audience of the tracker.
func DraftKey(phase int, audience string, is lifecycle.Issue) string {
	return fmt.Sprintf("escalation-phase%d-%s:%s#%d", phase, audience, is.Repo, is.Number)
}

// isPhase1Key reports whether key is the key of a phase-1 draft of the tracker
// (any audience).
func isPhase1Key(key string, is lifecycle.Issue) bool {
	return strings.HasPrefix(key, "escalation-phase1-") && strings.HasSuffix(key, fmt.Sprintf(":%s#%d", is.Repo, is.Number))
}

var replyPrefixRE = regexp.MustCompile(`(?i)^\s*(?:(?:re|fwd?|aw|sv|wg)\s*:|\[[^\]]*\])\s*`)

// baseSubject is a subject without its reply and forward prefixes and list tags.
func baseSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		t := replyPrefixRE.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// EscalationThreads finds the threads the phase-1 drafts to the lists started,
// once a human sent them (a pending draft has no replies): threads with mail
// since the phase whose messages carry a phase-1 draft key of the tracker, or
// whose subject is the phase-1 subject. Only threads whose subject matches or
// whose first message is from a team address are read. The note says why
// nothing could be read.
func EscalationThreads(ctx context.Context, mail lifecycle.Mail, cfg *projects.Config, is lifecycle.Issue, title string, since time.Time) ([]lifecycle.Thread, string) {
	if mail == nil {
		return nil, "no mail backend is configured: the phase-1 escalation threads were not read"
	}
	sums, err := mail.ListThreads(ctx, since)
	if err != nil {
		return nil, fmt.Sprintf("listing the mailbox for replies to phase 1 failed (%v): only the tracker and the reporter's thread were checked", err)
	}
	want := baseSubject(Phase1Subject(title))
	var out []lifecycle.Thread
	for _, s := range sums {
		subjectMatch := baseSubject(s.Subject) == want
		if !subjectMatch && !cfg.IsTeamEmail(s.From.Email) {
			continue
		}
		th, err := mail.ReadThread(ctx, s.ID)
		if err != nil {
			return out, fmt.Sprintf("reading thread %s for replies to phase 1 failed (%v): it was not checked", s.ID, err)
		}
		if subjectMatch || slices.ContainsFunc(th.Messages, func(m lifecycle.Message) bool { return !m.IsDraft && isPhase1Key(m.DraftKey, is) }) {
			out = append(out, th)
		}
	}
	return out, ""
}

// Response is the first sign of life after a phase: a comment on the tracker,
// a message from outside the team on the reporter's thread, or a reply by
// anyone on a thread the phase-1 drafts started.
type Response struct {
	Who  string    `json:"who"`
	At   time.Time `json:"at"`
	What string    `json:"what"`
}

// FirstResponse finds the first response after t, if any. On the escalation
// threads every message counts except drafts and what this server drafted
// (a draft key, or sent from the security list's own address): a team
// member's reply to the call for ideas is a response too.
func FirstResponse(t time.Time, comments []lifecycle.Comment, thread *lifecycle.Thread, escalation []lifecycle.Thread, cfg *projects.Config) (Response, bool) {
	var best Response
	found := false
	consider := func(r Response) {
		if !found || r.At.Before(best.At) {
			best, found = r, true
		}
	}
	for _, c := range comments {
		if !c.CreatedAt.After(t) || lifecycle.IsRollup(c.Body, cfg.Markers.RollupPrefix) || lifecycle.IsSkillAuthored(c.Body) {
			continue
		}
		consider(Response{Who: "@" + c.Author, At: c.CreatedAt, What: "comment " + c.URL})
	}
	if thread != nil {
		for _, m := range thread.Messages {
			if m.IsDraft || !m.Date.After(t) || cfg.IsTeamEmail(m.From.Email) {
				continue
			}
			consider(Response{Who: m.From.Email, At: m.Date, What: "mail on the reporter's thread"})
		}
	}
	for _, th := range escalation {
		to := "the lists"
		if root, ok := th.Root(); ok && len(root.To) > 0 {
			to = root.To[0].Email
		}
		for _, m := range th.Messages {
			if m.IsDraft || !m.Date.After(t) || m.DraftKey != "" || strings.EqualFold(m.From.Email, cfg.Lists.Security) {
				continue
			}
			consider(Response{Who: m.From.Email, At: m.Date, What: "reply on the phase-1 escalation thread to " + to})
		}
	}
	return best, found
}
