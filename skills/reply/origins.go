package reply

import (
	"regexp"
	"slices"
	"strings"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// OriginsOf returns every primary reporter thread of a tracker for the mail
// backend of kind mailKind: OriginOf's origin first, then, after merges, the
// thread of each other reporter. A merged tracker records one line per
// reporter in the Security mailing list thread field and carries each merged
// report's intake block; every primary (non-relay) line or mail intake block
// whose thread is not already listed adds one origin. A tracker whose
// OriginOf path is not the mail path (a PR, a findings file, a scan, unknown)
// returns only that origin.
//
// Routing is per reporter thread: the first origin follows the tracker (its
// routing-mode marker), and every later one is relayed only when its own
// line in the thread field names a forwarder ("relayed by forwarder X", which
// import writes and a merge carries verbatim): Forwarder and Reporter are
// then read from that line.
func OriginsOf(body, mailKind string) (out []Origin) {
	first := OriginOf(body, mailKind)
	out = []Origin{first}
	if first.Path != PathMail || (first.ThreadID == "" && first.RootMessageID == "") {
		return out
	}
	seen := map[string]bool{}
	mark := func(o Origin) {
		if o.ThreadID != "" {
			seen["t:"+o.ThreadID] = true
		}
		if o.RootMessageID != "" {
			seen["r:"+lifecycle.NormalizeMessageID(o.RootMessageID)] = true
		}
	}
	known := func(o Origin) bool {
		return (o.ThreadID != "" && seen["t:"+o.ThreadID]) ||
			(o.RootMessageID != "" && seen["r:"+lifecycle.NormalizeMessageID(o.RootMessageID)])
	}
	mark(first)
	field, _ := lifecycle.ParseBody(body).Get(lifecycle.FieldThread)
	defer func() {
		for i := 1; i < len(out); i++ {
			out[i].Forwarder, out[i].Reporter = lineRouting(field, out[i])
			out[i].Relay = out[i].Forwarder != ""
		}
	}()
	for _, m := range lifecycle.ParseIntakeMetas(body) {
		if m.Source != "" && m.Source != "mail" {
			continue
		}
		for _, id := range m.ThreadIDs {
			if k, tid, ok := strings.Cut(id, ":"); ok && k == mailKind {
				o := Origin{Path: PathMail, ThreadID: tid, RootMessageID: strings.TrimPrefix(m.Key, "mail:"),
					Note: "thread recorded at import of a merged report"}
				if !known(o) {
					out = append(out, o)
					mark(o)
				}
				break
			}
		}
	}
	for _, line := range strings.Split(field, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || relayRE.MatchString(line) {
			continue
		}
		o := Origin{Path: PathMail}
		if m := rootIDRE.FindStringSubmatch(line); m != nil {
			o.RootMessageID = lifecycle.NormalizeMessageID(m[1])
		}
		switch m := threadSentinelRE.FindStringSubmatch(line); {
		case m != nil && (mailKind == "gmail") == strings.Contains(line, "Gmail thread"):
			o.ThreadID, o.Note = m[1], "a reporter's line of the Security mailing list thread field"
		case mailKind == "maildir" && o.RootMessageID != "":
			o.ThreadID, o.Note = o.RootMessageID, "thread of a reporter's root Message-ID in the Security mailing list thread field"
		case o.RootMessageID != "":
			o.Note = "a reporter's root Message-ID in the Security mailing list thread field"
		default:
			continue
		}
		if !known(o) {
			out = append(out, o)
			mark(o)
		}
	}
	return out
}

// mergedReporterRE reads the reporter of a merged thread line
// "<reporter> (reported …): <thread>".
var mergedReporterRE = regexp.MustCompile(`^(\S[^\n]*?) \(reported \d{4}-\d{2}-\d{2}[,)]`)

// lineRouting reads the forwarder and the reporter named on o's own line of
// the Security mailing list thread field: the line that holds o's thread id
// or root Message-ID. Both are "" when no line holds it.
func lineRouting(field string, o Origin) (forwarder, reporter string) {
	var keys []string // as a line writes them: `thread id`, <root Message-ID>
	if o.ThreadID != "" {
		keys = append(keys, strings.ToLower("`"+o.ThreadID+"`"))
	}
	if r := lifecycle.NormalizeMessageID(o.RootMessageID); r != "" {
		keys = append(keys, strings.ToLower("<"+r+">"))
	}
	for _, line := range strings.Split(field, "\n") {
		low := strings.ToLower(line)
		if !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(low, k) }) {
			continue
		}
		if m := threadAdapterRE.FindStringSubmatch(line); m != nil {
			forwarder = strings.TrimSuffix(m[1], ".")
		}
		if m := mergedReporterRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			reporter = OneLine(m[1])
		}
		return forwarder, reporter
	}
	return "", ""
}
