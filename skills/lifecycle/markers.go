package lifecycle

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The marker registry (spec/release.md §1.5, spec/intake.md §2.8). Markers are
// load-bearing and byte-exact: trackers already run by the reference workflow
// carry them, and both tools must recognise each other's comments. They are
// anchored on "v1"; do not bump one without a schema change.
const (
	// SkillMarkerPrefix starts every skill-authored standalone comment.
	SkillMarkerPrefix = "<!-- apache-magpie: "
	// VulnstewardMarkerPrefix starts the hidden markers only vulnsteward writes
	// (the rollup entry-id line).
	VulnstewardMarkerPrefix = "<!-- vulnsteward"

	MarkerHandoff             = "<!-- apache-magpie: release-manager-handoff v1 -->"
	MarkerPublicationReady    = "<!-- apache-magpie: release-manager-publication-ready v1 -->"
	MarkerWrapUp              = "<!-- apache-magpie: release-manager-wrap-up v1 -->"
	MarkerFillFields          = "<!-- apache-magpie: remediation-developer-fill-fields v1 -->"
	MarkerDisclosureOverdue   = "<!-- apache-magpie: disclosure-overdue v1 -->"
	MarkerRoutingViaForwarder = "<!-- apache-magpie: routing-mode via-forwarder -->"

	// MarkerRejection is line 1 of each rejections-ledger comment (LedgerEntry).
	MarkerRejection = "<!-- rejection v1 -->"
	// MarkerRejectionBackfillPrefix starts the one-time ledger backfill comment;
	// RejectionBackfillMarker writes the whole line.
	MarkerRejectionBackfillPrefix = "<!-- rejection-backfill v1 count: "

	// TriageProposalHeadline starts a triage-proposal comment (spec/intake.md §9.7);
	// TriageProposalDisposition reads its class.
	TriageProposalHeadline = "**Triage proposal**"
	// MarkerTriageProposalPrefix starts the hidden marker line vulnsteward
	// writes as the LAST line of its triage-proposal comment (TriageProposalMeta).
	// The comment itself starts with TriageProposalHeadline, as the reference
	// workflow's readers expect, so the marker cannot be the first line; the
	// executor finds the comment by CommentSpec.Tag instead.
	MarkerTriageProposalPrefix = "<!-- triage-proposal v1"
)

// RejectionBackfillMarker is the marker of the historical backfill comment.
func RejectionBackfillMarker(count int) string {
	return MarkerRejectionBackfillPrefix + strconv.Itoa(count) + " -->"
}

// CommentHasMarker reports whether a comment's first line is, or starts with,
// the marker (leading whitespace tolerated). Templates are rendered from the
// marker line on (spec/release.md §12 item 12), so a marker anywhere else does
// not count.
func CommentHasMarker(body, marker string) bool {
	marker = strings.TrimSpace(marker)
	if marker == "" {
		return false
	}
	return strings.HasPrefix(strings.TrimLeftFunc(body, unicode.IsSpace), marker)
}

// IsSkillAuthored reports whether a comment was written by the workflow rather
// than a person: it starts with "<!-- apache-magpie: ", a vulnsteward marker, a
// status-rollup marker (spec/release.md §12 item 11: the reference misses the
// rollup here) or a rejections-ledger marker. The bulk pre-flight classifier
// treats such a last comment as bot activity.
func IsSkillAuthored(body string) bool {
	t := strings.TrimLeftFunc(body, unicode.IsSpace)
	return strings.HasPrefix(t, SkillMarkerPrefix) ||
		strings.HasPrefix(t, VulnstewardMarkerPrefix) ||
		strings.HasPrefix(t, MarkerRejection) ||
		strings.HasPrefix(t, MarkerRejectionBackfillPrefix) ||
		IsRollup(t)
}

var triageDispositionRE = regexp.MustCompile(`\*\*Proposed disposition: ([^*\n]+?)\.\*\*`)

// TriageProposalDisposition reads the class of a triage-proposal comment: one
// that starts with "**Triage proposal**" and carries
// "**Proposed disposition: <CLASS>.**". When the comment carries vulnsteward's
// hidden triage-proposal marker, the class is the marker's (exact, and the
// newest one after a re-triage kept earlier proposals in the comment).
// ok is false for any other comment.
func TriageProposalDisposition(body string) (class string, ok bool) {
	if !strings.HasPrefix(strings.TrimLeftFunc(body, unicode.IsSpace), TriageProposalHeadline) {
		return "", false
	}
	if meta, ok := ParseTriageProposalMarker(body); ok && meta.Class != "" {
		return meta.Class, true
	}
	m := triageDispositionRE.FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return strings.TrimSpace(m[1]), true
}

// legacyPrefixes are the starts of the status comments the reference posted
// before the rollup existed, with the rollup action each folds into
// (spec/release.md §3.5). Checked in order; case-sensitive.
var legacyPrefixes = []struct{ prefix, action string }{
	{"**Sync ", "Sync"},
	{"**Status update", "Sync"},
	{"**Merged ", "Merge"},
	{"**Closing as duplicate", "Merge (dropped)"},
	{"**Split for scope clarity", "Sync (scope split)"},
	{"**Imported on ", "Import"},
	{"**Process-step escalation", "Sync (Step 4 escalation)"},
	{"**Allocated CVE", "CVE allocated"},
	{"**CVE allocated", "CVE allocated"},
	{"Sync status (", "Sync"},
	{"Status update", "Sync"},
}

var (
	legacySyncDateRE = regexp.MustCompile(`^Sync \d{4}-\d{2}-\d{2}`)
	legacyTells      = []string{
		"security-issue-sync skill",
		"re-triage",
		"Reporter notification still pending",
		"Outstanding — Step ",
	}
)

// legacyHeadRunes is how much of a comment the prefix and content-tell rules look at.
const legacyHeadRunes = 500

// IsFoldableLegacy reports whether a comment has the shape of a legacy
// bot-authored status comment that the sync folds into the rollup
// (spec/release.md §3.5), and the rollup action to fold it under. It checks the
// content rules only: the caller must also check that the author is on the
// security-team roster (collaborators) and never fold anyone else's comment.
//
// Rules: not a rollup and not a marker comment; the left-trimmed start of the
// first ~500 characters matches a legacy prefix (**Sync , **Status update,
// **Merged , **Closing as duplicate, **Split for scope clarity, **Imported on ,
// **Process-step escalation, **Allocated CVE, **CVE allocated, Sync status (,
// Sync YYYY-MM-DD, Status update), or those 500 characters contain a content
// tell (security-issue-sync skill, re-triage, Reporter notification still
// pending, Outstanding — Step ), or the comment embeds a generate-cve-json
// attachment anywhere. The tells are confined to the head of the comment
// because a tell deep inside a long human comment ("… needs a re-triage") is
// discussion, and folding deletes the original. The action falls back to "Sync".
func IsFoldableLegacy(body string) (action string, ok bool) {
	t := strings.TrimLeftFunc(lf(body), unicode.IsSpace)
	if t == "" || IsRollup(t) || strings.HasPrefix(t, SkillMarkerPrefix) || strings.HasPrefix(t, VulnstewardMarkerPrefix) {
		return "", false
	}
	head := truncateRunes(t, legacyHeadRunes)
	for _, p := range legacyPrefixes {
		if strings.HasPrefix(head, p.prefix) {
			return p.action, true
		}
	}
	if legacySyncDateRE.MatchString(head) {
		return "Sync", true
	}
	for _, tell := range legacyTells {
		if strings.Contains(head, tell) {
			return "Sync", true
		}
	}
	if strings.Contains(t, "<!-- generate-cve-json: cve=") {
		return "Sync", true
	}
	return "", false
}

// LedgerEntry is one rejections-ledger comment (spec/intake.md §2.7):
//
//	<!-- rejection v1 -->
//	date: <YYYY-MM-DD>
//	reporter: <reporter email or display name>
//	canned: <canned-response slug>
//	thread: <archive URL or Gmail threadId>
//	summary: <one-line disposition>
//
// Each value is put on one line (whitespace runs, newlines included, become one
// space) so a value can never add a key of its own.
func LedgerEntry(date, reporter, canned, thread, summary string) string {
	one := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return MarkerRejection + "\n" +
		"date: " + one(date) + "\n" +
		"reporter: " + one(reporter) + "\n" +
		"canned: " + one(canned) + "\n" +
		"thread: " + one(thread) + "\n" +
		"summary: " + one(summary)
}

// TriageProposalMeta is the hidden marker line of a vulnsteward triage proposal
// (spec/intake.md §18 item 13):
//
//	<!-- triage-proposal v1 class=INVALID at=2026-11-24T09:00:00Z by=mara-lindqvist -->
//
// Class is the newest proposed disposition, At the time its section was
// proposed (comments created after it are new to a re-triage), By the operator
// who proposed it.
type TriageProposalMeta struct {
	Class string
	At    time.Time
	By    string
}

// Marker renders the marker line.
func (m TriageProposalMeta) Marker() string {
	var b strings.Builder
	b.WriteString(MarkerTriageProposalPrefix)
	b.WriteString(" class=" + metaValue(m.Class))
	if !m.At.IsZero() {
		b.WriteString(" at=" + m.At.UTC().Format(time.RFC3339))
	}
	if m.By != "" {
		b.WriteString(" by=" + metaValue(strings.TrimPrefix(m.By, "@")))
	}
	b.WriteString(" -->")
	return b.String()
}

var triageMarkerRE = regexp.MustCompile(`(?m)^[ \t]*<!-- triage-proposal v1 ([^\n]*?) ?-->[ \t\r]*$`)

// ParseTriageProposalMarker reads the last triage-proposal marker line of a comment.
func ParseTriageProposalMarker(body string) (TriageProposalMeta, bool) {
	all := triageMarkerRE.FindAllStringSubmatch(body, -1)
	if len(all) == 0 {
		return TriageProposalMeta{}, false
	}
	var m TriageProposalMeta
	for _, kv := range strings.Fields(all[len(all)-1][1]) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "class":
			m.Class = v
		case "at":
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				m.At = t
			}
		case "by":
			m.By = v
		}
	}
	return m, true
}

// CommentHasTag reports whether a line of the comment starts with tag (leading
// blanks tolerated). It finds comments whose hidden marker cannot be the first
// line (CommentSpec.Tag).
func CommentHasTag(body, tag string) bool {
	tag = strings.TrimSpace(tag)
	if tag == "" {
		return false
	}
	for _, l := range strings.Split(lf(body), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), tag) {
			return true
		}
	}
	return false
}
