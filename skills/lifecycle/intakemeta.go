package lifecycle

import (
	"regexp"
	"sort"
	"strings"
)

// IntakeMeta is the hidden machine-readable block an on-ramp writes into the
// tracker body, so a thread is recognised as imported by its root Message-ID
// (never by a mailbox-specific thread id), on every backend:
//
//	<!-- intake v1 key=mail:abc@example.org source=mail thread-ids=maildir:abc@example.org reporter=a@b.example -->
//
// Values never contain spaces; the block is one line.
type IntakeMeta struct {
	Key       string   // "mail:<message-id>", "pr:<owner/repo>#N", "md:<sha256>#<i>", "scan:<id>/<finding>"
	Source    string   // mail, pr, markdown, scan
	ThreadIDs []string // "<backend>:<thread id>"
	Reporter  string   // reporter email, lower-cased
}

var intakeMetaRE = regexp.MustCompile(`<!-- intake v1 ([^\n]*?) ?-->`)

// Comment renders the block.
func (m IntakeMeta) Comment() string {
	var b strings.Builder
	b.WriteString("<!-- intake v1 key=")
	b.WriteString(metaValue(m.Key))
	if m.Source != "" {
		b.WriteString(" source=" + metaValue(m.Source))
	}
	if len(m.ThreadIDs) > 0 {
		ids := make([]string, len(m.ThreadIDs))
		for i, id := range m.ThreadIDs {
			ids[i] = metaValue(id)
		}
		sort.Strings(ids)
		b.WriteString(" thread-ids=" + strings.Join(ids, ","))
	}
	if m.Reporter != "" {
		b.WriteString(" reporter=" + metaValue(strings.ToLower(m.Reporter)))
	}
	b.WriteString(" -->")
	return b.String()
}

// metaValue keeps a value on one token: no spaces, no comment terminator.
func metaValue(s string) string {
	s = strings.Join(strings.Fields(s), "_")
	s = strings.ReplaceAll(s, "-->", "--")
	s = strings.ReplaceAll(s, ",", "%2C")
	return s
}

// ParseIntakeMetas returns every intake block in the body's preamble (a merged
// tracker carries several). Blocks anywhere else are ignored: field values hold
// reporter text, and a reporter must never be able to claim another thread's
// intake key (which would hide that report as "already imported").
func ParseIntakeMetas(body string) []IntakeMeta {
	var out []IntakeMeta
	for _, m := range intakeMetaRE.FindAllStringSubmatch(ParseBody(body).Preamble(), -1) {
		var meta IntakeMeta
		for _, kv := range strings.Fields(m[1]) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			switch k {
			case "key":
				meta.Key = v
			case "source":
				meta.Source = v
			case "thread-ids":
				meta.ThreadIDs = strings.Split(v, ",")
			case "reporter":
				meta.Reporter = v
			}
		}
		if meta.Key != "" {
			out = append(out, meta)
		}
	}
	return out
}

// BodyHasIntakeKey reports whether the body carries an intake block with the key.
func BodyHasIntakeKey(body, key string) bool {
	for _, m := range ParseIntakeMetas(body) {
		if m.Key == key {
			return true
		}
	}
	return false
}
