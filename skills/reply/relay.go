package reply

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Link is one external reference shown on its own line in a relayed draft.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

var innerSalutationRE = regexp.MustCompile(`(?i)^(?:hello|hi|dear|good (?:morning|afternoon|evening))\b`)

// AddressingBlock wraps text meant for the reporter into the relay drafting
// shape (spec/intake.md §5.6): a short note to the forwarder, every external
// reference on its own line near the top, then the reporter-facing text in
// the reporter's voice between "---" lines, paste-ready, and a sign-off. The
// inner text is never changed: a salutation and the project signature are
// added only when it has none. Names are used as given (first word); a name
// holding an address counts as none.
func AddressingBlock(forwarder, reporter lifecycle.Address, links []Link, inner, project, sender string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hi %s,\n\n", firstName(forwarder.Name, "there"))
	for _, l := range links {
		if l.Label != "" {
			fmt.Fprintf(&b, "%s: %s\n", OneLine(l.Label), l.URL)
		} else {
			b.WriteString(l.URL + "\n")
		}
	}
	if len(links) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("About the report you relayed to us: the reply for the reporter is between the lines below, ready to paste.\n\n---\n")
	inner = strings.TrimSpace(inner)
	if !innerSalutationRE.MatchString(inner) {
		fmt.Fprintf(&b, "Hello %s,\n\n", firstName(reporter.Name, "there"))
	}
	b.WriteString(inner)
	if !strings.Contains(strings.ToLower(lastLines(inner, 3)), "security team") {
		fmt.Fprintf(&b, "\n\nThe %s security team", project)
	}
	b.WriteString("\n---\n\nThanks,\n")
	b.WriteString(sender)
	return b.String()
}

func firstName(name, fallback string) string {
	f := strings.Fields(name)
	if len(f) == 0 || strings.Contains(name, "@") {
		return fallback
	}
	return f[0]
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// Forwarder is the relay a tracker in via-forwarder mode was imported
// through, as later replies need it (spec/intake.md §5.6, §17).
type Forwarder struct {
	// Adapter is the [[forwarders]] name recorded at import ("" if none is).
	Adapter string
	// Contact is who relayed drafts go to (Email "" when unknown).
	Contact lifecycle.Address
	// Note says where the contact came from, or why there is none.
	Note string
}

var (
	relayAdapterRE  = regexp.MustCompile("Relayed via forwarder `([^`]+)`")
	threadAdapterRE = regexp.MustCompile(`relayed by forwarder ([A-Za-z0-9._-]+)`)
	relayContactRE  = regexp.MustCompile(`reporter-facing drafts go to ([^;\n]+?)(?:;|\.\s*$|\.\n|$)`)
)

// ForwarderOf finds the forwarder of a relayed tracker: the adapter named in
// the import's rollup line ("Relayed via forwarder `X`") or the thread field
// ("relayed by forwarder X"), its first parsable contact in the configuration,
// else the contact the import's rollup line recorded. texts are the tracker's
// comment bodies (the rollup among them).
func ForwarderOf(body string, texts []string, cfg *projects.Config) Forwarder {
	return forwarderNamed("", body, texts, cfg)
}

// ForwarderOfOrigin is the forwarder of one reporter thread: the adapter its
// own thread line names (Origin.Forwarder, a merged relayed report), else the
// tracker's (ForwarderOf). The contact recorded at import is used only from a
// rollup line naming the same adapter.
func ForwarderOfOrigin(o Origin, body string, texts []string, cfg *projects.Config) Forwarder {
	return forwarderNamed(o.Forwarder, body, texts, cfg)
}

func forwarderNamed(adapter, body string, texts []string, cfg *projects.Config) Forwarder {
	f := Forwarder{Adapter: adapter}
	var recorded string
	for _, t := range texts {
		if m := relayAdapterRE.FindStringSubmatch(t); m != nil && (adapter == "" || strings.EqualFold(m[1], adapter)) {
			f.Adapter = m[1]
			for _, line := range strings.Split(t, "\n") {
				if strings.Contains(line, m[0]) {
					if c := relayContactRE.FindStringSubmatch(line); c != nil {
						recorded = strings.TrimSpace(c[1])
					}
				}
			}
			break
		}
	}
	if f.Adapter == "" {
		field, _ := lifecycle.ParseBody(body).Get(lifecycle.FieldThread)
		if m := threadAdapterRE.FindStringSubmatch(field); m != nil {
			f.Adapter = strings.TrimSuffix(m[1], ".")
		}
	}
	if cfg != nil && f.Adapter != "" {
		for _, a := range cfg.Forwarders {
			if !strings.EqualFold(a.Name, f.Adapter) {
				continue
			}
			for _, c := range a.Contacts {
				if addr, err := mail.ParseAddress(c); err == nil {
					f.Contact, f.Note = lifecycle.Address{Name: addr.Name, Email: addr.Address}, "contact of forwarder "+a.Name+" in the configuration"
					return f
				}
			}
		}
	}
	if recorded != "" {
		if addr, err := mail.ParseAddress(recorded); err == nil {
			f.Contact, f.Note = lifecycle.Address{Name: addr.Name, Email: addr.Address}, "forwarder contact recorded at import"
			return f
		}
	}
	switch f.Adapter {
	case "":
		f.Note = "the tracker does not name its forwarder (no \"Relayed via forwarder\" rollup line, no \"relayed by forwarder\" in the thread field)"
	default:
		f.Note = fmt.Sprintf("forwarder %s has no usable contact in the configuration", f.Adapter)
	}
	return f
}
