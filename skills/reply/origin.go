package reply

import (
	"regexp"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Path is how a tracker entered the tracker (spec/intake.md §2.2).
type Path string

const (
	PathMail     Path = "mail"     // imported from the security list: reply on its thread
	PathPR       Path = "pr"       // opened from a public PR: never contact the PR author
	PathMarkdown Path = "markdown" // internal audit finding: no reporter to contact
	PathScan     Path = "scan"     // scanner finding: no reporter to contact
	PathUnknown  Path = "unknown"  // indeterminate: ask the human
)

// Origin is where replies about a tracker go.
type Origin struct {
	Path Path `json:"path"`
	// ThreadID is the reply thread on the configured mail backend ("" if unknown).
	ThreadID string `json:"thread_id,omitempty"`
	// RootMessageID is the root Message-ID recorded on the tracker, if any.
	RootMessageID string `json:"root_message_id,omitempty"`
	// Relay is true when the only recorded thread is a relay (§3.6).
	Relay bool `json:"relay,omitempty"`
	// Note says how the thread was chosen, or what the human must decide.
	Note string `json:"note"`
	// Forwarder is the forwarder adapter a merged reporter's own thread line
	// names ("relayed by forwarder X"): that reporter's replies go through
	// the forwarder, whatever the rest of the tracker does. Set by OriginsOf
	// for the origins after the first only.
	Forwarder string `json:"forwarder,omitempty"`
	// Reporter is the reporter a merged thread line names ("Name (reported
	// …): …"), set by OriginsOf for the origins after the first only.
	Reporter string `json:"reporter,omitempty"`
}

var (
	threadSentinelRE = regexp.MustCompile("tracked privately on [^`\\n]*thread `([^`]+)`")
	rootIDRE         = regexp.MustCompile("Root Message-ID: `<?([^`>]+)>?`")
	urlRE            = regexp.MustCompile(`https?://\S+`)
	relayRE          = regexp.MustCompile(`(?i)\bvia (?:huntr\.com|ghsa|hackerone|bugcrowd|[a-z0-9.-]+)\b|asf-relayed|asf-security[ -]relay|relayed by|\bforward(?:er|ed by)\b|\brelay(?:ed)?\b|-class duplicate`)
)

// OriginOf decides the reply path and thread of a tracker for the mail backend
// of kind mailKind ("maildir", "gmail"): from the intake block the import wrote
// (exact, per backend), else from the Security mailing list thread field,
// preferring the primary (non-relay) line (spec/intake.md §3.6).
func OriginOf(body, mailKind string) Origin {
	for _, m := range lifecycle.ParseIntakeMetas(body) {
		switch m.Source {
		case "pr":
			return Origin{Path: PathPR, Note: "opened from a public PR: the PR author is never contacted"}
		case "markdown":
			return Origin{Path: PathMarkdown, Note: "imported from a findings file: no reporter to contact"}
		case "scan":
			return Origin{Path: PathScan, Note: "imported from scanner output: no reporter to contact"}
		}
		for _, id := range m.ThreadIDs {
			if k, tid, ok := strings.Cut(id, ":"); ok && k == mailKind {
				o := Origin{Path: PathMail, ThreadID: tid, RootMessageID: strings.TrimPrefix(m.Key, "mail:"), Note: "thread recorded at import"}
				if viaForwarder(body) {
					o.Relay, o.Note = true, "thread recorded at import; a forwarder relayed the report (via-forwarder mode): follow the relay drafting rules, replies go to the forwarder contact named in the import rollup entry"
				}
				return o
			}
		}
	}
	field, _ := lifecycle.ParseBody(body).Get(lifecycle.FieldThread)
	field = strings.TrimSpace(field)
	switch {
	case field == "":
		return Origin{Path: PathUnknown, Note: "the Security mailing list thread field is empty: ask the human for the reply thread, or close silently"}
	case strings.HasPrefix(field, "N/A — opened from public PR"), strings.HasPrefix(field, "N/A - opened from public PR"):
		return Origin{Path: PathPR, Note: "opened from a public PR: the PR author is never contacted"}
	case strings.HasPrefix(field, "N/A — imported from markdown file"), strings.HasPrefix(field, "N/A - imported from markdown file"):
		return Origin{Path: PathMarkdown, Note: "imported from a findings file: no reporter to contact"}
	case strings.HasPrefix(field, "N/A — imported from scanner output"), strings.HasPrefix(field, "N/A - imported from scanner output"):
		return Origin{Path: PathScan, Note: "imported from scanner output: no reporter to contact"}
	}
	o := Origin{Path: PathUnknown, Note: "no thread id in the Security mailing list thread field: ask the human"}
	var primary, relays []string
	for _, line := range strings.Split(field, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if relayRE.MatchString(line) {
			relays = append(relays, line)
		} else {
			primary = append(primary, line)
		}
	}
	lines := primary
	if len(primary) == 0 {
		if len(relays) > 1 {
			return Origin{Path: PathMail, Note: "every recorded thread is a relay: ask the human which thread to answer"}
		}
		lines, o.Relay = relays, true
	}
	joined := strings.Join(lines, "\n")
	if m := rootIDRE.FindStringSubmatch(field); m != nil {
		o.RootMessageID = lifecycle.NormalizeMessageID(m[1])
	}
	switch m := threadSentinelRE.FindStringSubmatch(joined); {
	case m != nil && (mailKind == "gmail") == strings.Contains(joined, "Gmail thread"):
		o.Path, o.ThreadID, o.Note = PathMail, m[1], "thread from the Security mailing list thread field"
	case mailKind == "maildir" && o.RootMessageID != "":
		o.Path, o.ThreadID, o.Note = PathMail, o.RootMessageID, "thread of the recorded root Message-ID"
	case urlRE.MatchString(joined):
		o.Path, o.Note = PathMail, "only an archive URL is recorded: find the thread by subject, or ask the human"
	}
	if o.Relay && o.ThreadID != "" {
		o.Note += "; the only recorded thread is a relay: follow the relay drafting rules"
	}
	return o
}

// viaForwarder reports whether the body preamble carries the routing-mode
// marker import writes for a relayed report (spec/intake.md §2.8, §17).
func viaForwarder(body string) bool {
	return strings.Contains(lifecycle.ParseBody(body).Preamble(), lifecycle.MarkerRoutingViaForwarder)
}
