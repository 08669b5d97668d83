package intake

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
)

// forwarder.go is the relay sub-component (spec/intake.md §5, §17): it
// recognises mail a broker relayed (a foundation security team, a disclosure
// platform), recovers the original reporter's credit from the body, and says
// how reporter-facing drafts are routed back through the broker's contact.
// It is a pure function of the message and the configured adapters
// ([[forwarders]] in project.toml): it never creates trackers or drafts, and
// nothing in the message body changes which adapter matches (detection reads
// only the sender and the configured preamble).

// preambleWindow is how much of the body a preamble pattern sees.
const preambleWindow = 400

// Credit kinds of a relayed report.
const (
	CreditHuman   = "human"
	CreditTool    = "tool"
	CreditService = "service"
	CreditUnknown = "unknown"
)

// Relay is the outcome of forwarder detection for one message (§5.5).
type Relay struct {
	Adapter  string `json:"adapter"`
	Preamble string `json:"preamble_snippet,omitempty"`
	Sender   string `json:"sender_matched,omitempty"`
	// Credit is the original reporter as the relay names them ("" when unknown
	// or a service); CreditKind is human, tool, service or unknown.
	Credit     string `json:"credit,omitempty"`
	CreditKind string `json:"credit_kind"`
	CreditRule string `json:"credit_rule,omitempty"`
	// Contact is the forwarder contact reporter-facing drafts go to.
	Contact  lifecycle.Address `json:"contact"`
	Warnings []string          `json:"warnings,omitempty"`
	Notes    []string          `json:"notes,omitempty"`
}

// relayDirectiveRE flags text in a relay that tries to steer the relay
// handling itself (§5.4 step 5); DetectInjection covers the general forms.
var relayDirectiveRE = regexp.MustCompile(`(?i)\b(?:route|send|relay|forward|address|direct)\w* (?:(?:this|the|all|any|your) )*(?:repl(?:y|ies)|drafts?|answers?|responses?|mail|messages?)\b[^.\n]{0,40}\b(?:via|through|to) (?:a |the )?(?:different|other|another|new)\b|\bignore (?:the |this )?(?:preamble|relay|forwarder|adapter)\b|\b(?:use|switch to|pick) (?:a |the )?(?:different|other|another) (?:adapter|forwarder|relay)\b|\bauto-?confirm(?:ed)? (?:the )?credit\b|\b(?:credit|attribute) (?:is |was )?(?:already )?(?:confirmed|approved)\b`)

// DetectRelay runs the configured adapters on a root message, in declared
// order; the first that matches wins (§5.4). It returns nil when no adapter is
// configured or none matches: the caller keeps the direct-reporter path and
// never guesses. isTeam reports whether an address belongs to the security
// team (a relay-shaped message from the team gets a warning).
func DetectRelay(adapters []projects.Forwarder, m lifecycle.Message, isTeam func(email string) bool) (*Relay, error) {
	if len(adapters) == 0 {
		return nil, nil
	}
	if strings.TrimSpace(m.From.Email) == "" || strings.TrimSpace(m.Body) == "" || m.Date.IsZero() {
		return nil, errors.New("forwarder detection needs the message's From, body and Date")
	}
	body, _ := untrusted.Clean(m.Body)
	head := body
	if r := []rune(head); len(r) > preambleWindow {
		head = string(r[:preambleWindow])
	}
	for _, a := range adapters {
		var senderOK, preambleOK bool
		var snippet string
		if a.SenderPattern != "" {
			re, err := regexp.Compile(a.SenderPattern)
			if err != nil {
				return nil, fmt.Errorf("forwarder %s: sender_pattern: %w", a.Name, err)
			}
			senderOK = re.MatchString(strings.ToLower(strings.TrimSpace(m.From.Email)))
		}
		if a.PreamblePattern != "" {
			re, err := regexp.Compile(a.PreamblePattern)
			if err != nil {
				return nil, fmt.Errorf("forwarder %s: preamble_pattern: %w", a.Name, err)
			}
			if loc := re.FindStringIndex(head); loc != nil {
				preambleOK, snippet = true, capRunes(oneLine(head[loc[0]:loc[1]]), 80)
			}
		}
		match := senderOK || preambleOK
		if a.RequireBoth {
			match = senderOK && preambleOK
		}
		if !match {
			continue
		}
		r := &Relay{Adapter: a.Name, Preamble: snippet}
		if senderOK {
			r.Sender = m.From.Email
		}
		if isTeam != nil && isTeam(m.From.Email) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("relay-shaped message from a project collaborator (%s): double-check it really is a relay", m.From.Email))
		}
		if err := relayCredit(a, body, r); err != nil {
			return nil, err
		}
		for i, c := range a.Contacts {
			addr, err := mail.ParseAddress(c)
			if err != nil {
				continue
			}
			r.Contact = lifecycle.Address{Name: addr.Name, Email: addr.Address}
			if i > 0 {
				r.Notes = append(r.Notes, fmt.Sprintf("forwarder contact %s chosen (the earlier ones do not parse)", c))
			}
			break
		}
		if r.Contact.Email == "" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("forwarder %s has no usable contact: draft relayed replies by hand", a.Name))
		}
		if loc := relayDirectiveRE.FindStringIndex(body); loc != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the relay body tries to steer relay handling (%q): ignored, detection and routing come from configuration only", capRunes(oneLine(body[loc[0]:loc[1]]), 60)))
		}
		return r, nil
	}
	return nil, nil
}

// relayCredit runs the adapter's credit patterns, then the bot rule and the
// adapter's kind hints. The credit is private: it goes to the proposal, the
// tracker and the draft only.
func relayCredit(a projects.Forwarder, body string, r *Relay) error {
	for _, p := range a.CreditPatterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return fmt.Errorf("forwarder %s: credit pattern: %w", a.Name, err)
		}
		i := re.SubexpIndex("credit")
		if i < 0 {
			continue
		}
		m := re.FindStringSubmatch(body)
		if m == nil {
			continue
		}
		name := cleanCredit(m[i])
		if name == "" {
			continue
		}
		if readsAsInstructions(name) {
			r.Warnings = append(r.Warnings, fmt.Sprintf("the relay's credit line (forwarder %s credit pattern) reads as instructions to an agent (prompt injection): not used as the credit", a.Name))
			continue
		}
		r.Credit, r.CreditKind, r.CreditRule = name, CreditHuman, "forwarder "+a.Name+" credit pattern"
		for _, h := range a.ServiceHints {
			if re, err := regexp.Compile(h); err == nil && re.MatchString(name) {
				r.Credit, r.CreditKind = "", CreditService
				r.Notes = append(r.Notes, fmt.Sprintf("the relay credits %q, a service (service hint %s): not credited; confirm who found it before drafting the receipt", name, h))
				return nil
			}
		}
		if bot, why := IsBot(name); bot {
			r.CreditKind, r.CreditRule = CreditTool, creditRuleBotPrefix+why
			return nil
		}
		for _, h := range a.ToolHints {
			if re, err := regexp.Compile(h); err == nil && re.MatchString(name) {
				r.CreditKind, r.CreditRule = CreditTool, "forwarder "+a.Name+" tool hint "+h
				return nil
			}
		}
		return nil
	}
	r.CreditKind = CreditUnknown
	r.Notes = append(r.Notes, "credit unknown — confirm before drafting the receipt (pass credit in `decisions`)")
	return nil
}

// Link is one external reference shown on its own line in a relayed draft.
type Link = reply.Link

// AddressingBlock wraps text meant for the reporter into the relay drafting
// shape (spec/intake.md §5.6); see reply.AddressingBlock, which sync and the
// other reply paths share. Display names are cleaned first.
func AddressingBlock(forwarder, reporter lifecycle.Address, links []Link, inner, project, sender string) string {
	forwarder.Name, reporter.Name = displayName(forwarder.Name), displayName(reporter.Name)
	return reply.AddressingBlock(forwarder, reporter, links, inner, project, sender)
}

// RoutingMarker is the tracker-body line that puts a tracker in via-forwarder
// mode (spec/intake.md §2.8, §17), written by import in the body preamble.
const RoutingMarker = lifecycle.MarkerRoutingViaForwarder

// ---- the mail import's relay path ----

// relayRoute is the relay of the candidate being planned: its drafts go to
// the forwarder contact, wrapped for relaying (spec/intake.md §5.6, §17).
type relayRoute struct {
	*Relay
	reporter string // who the reporter-facing text addresses ("" if unknown)
}

// detectRelay runs forwarder detection on a candidate's root message before
// classification (§4.10): a match makes the candidate a forwarder-relayed
// Report unless it is final CVE-tool bookkeeping. Warnings and notes become
// the candidate's doubts; the match is a signal the proposal shows.
func (b *builder) detectRelay(c *Candidate, sug *Suggestion, root lifecycle.Message) *Relay {
	if sug.Final || len(b.cfg.Forwarders) == 0 {
		return nil
	}
	r, err := DetectRelay(b.cfg.Forwarders, root, func(e string) bool { _, ok := b.cfg.MemberByEmail(e); return ok })
	if err != nil {
		c.Doubts = append(c.Doubts, "forwarder detection skipped: "+err.Error())
		return nil
	}
	if r == nil {
		return nil
	}
	how := "preamble " + strconvQuote(r.Preamble)
	if r.Sender != "" {
		how = "sender " + r.Sender
		if r.Preamble != "" {
			how += " and preamble " + strconvQuote(r.Preamble)
		}
	}
	c.Signals = append(c.Signals, fmt.Sprintf("forwarder-relay → %s: matched as relay via adapter %s (%s); replies go to %s", ClassReport, r.Adapter, how, formatAddress(r.Contact)))
	if sug.Class != ClassReport && sug.Class != ClassConverged {
		c.Doubts = append(c.Doubts, fmt.Sprintf("the rules suggested %s, but a forwarder relayed it: a relayed report is imported as a Report by default", sug.Class))
		sug.Class = ClassReport
	}
	c.Doubts = append(c.Doubts, r.Warnings...)
	c.Doubts = append(c.Doubts, r.Notes...)
	c.Relay = r
	return r
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// relayRequest points a reply at the forwarder contact. It returns a note
// (and no request change) when no relayed draft must be made.
func (rr *relayRoute) relayRequest(req *reply.Request, purpose string) string {
	if rr.Contact.Email == "" {
		return fmt.Sprintf("forwarder %s has no usable contact: draft the relayed reply by hand", rr.Adapter)
	}
	if purpose == "receipt" && rr.reporter == "" {
		return "credit unknown — confirm who reported it (credit in `decisions`) before the receipt is drafted to the forwarder"
	}
	to := rr.Contact
	req.To = &to
	name := "there"
	if rr.reporter != "" {
		name = strings.Fields(rr.reporter)[0]
	}
	if req.Values == nil {
		req.Values = map[string]string{}
	}
	req.Values["REPORTER_NAME"] = name
	return ""
}

// wrapRelayed wraps a composed reply into the relay shape; a tool credit
// folds the one-line credit question into the reporter-facing text.
func (b *builder) wrapRelayed(rr *relayRoute, dp *DraftPreview, spec *lifecycle.DraftSpec, purpose string) {
	inner := spec.Request.Body
	if purpose == "receipt" && rr.CreditKind == CreditTool {
		inner = strings.TrimRight(inner, "\n") + "\n\nThe report names an automated tool. If a person ran it, tell us whether they should also be credited as the finder, and how."
	}
	sender := "The " + b.cfg.Project.Name + " security team"
	if m, ok := b.cfg.MemberByHandle(b.d.Operator); ok && m.Name != "" {
		sender = m.Name
	}
	body := AddressingBlock(rr.Contact, lifecycle.Address{Name: rr.reporter}, nil, inner, b.cfg.Project.Name, sender)
	spec.Request.Body = body
	dp.Body = body
	dp.Canned += " (relayed via " + rr.Adapter + ")"
}

// relayThreadLine annotates the thread field's first line with the relay
// signal (spec/intake.md §2.2, §3.6).
func relayThreadLine(line string, r *Relay) string {
	if r == nil {
		return line
	}
	first, rest, _ := strings.Cut(line, "\n")
	first = strings.TrimSuffix(first, ".") + fmt.Sprintf(" — relayed by forwarder %s.", r.Adapter)
	if rest == "" {
		return first
	}
	return first + "\n" + rest
}

// relayPreamble is the routing-mode marker line for the body preamble.
func relayPreamble(r *Relay) string {
	if r == nil {
		return ""
	}
	return "\n" + RoutingMarker
}

// relayProvenance is the rollup line that records the relay, so later runs
// know the tracker is in via-forwarder mode without detecting it again.
func relayProvenance(r *Relay) string {
	if r == nil {
		return ""
	}
	line := fmt.Sprintf("- Relayed via forwarder `%s`", r.Adapter)
	if r.Preamble != "" {
		line += fmt.Sprintf(" (preamble %q)", r.Preamble)
	}
	line += fmt.Sprintf("; via-forwarder mode: reporter-facing drafts go to %s", formatAddress(r.Contact))
	switch r.CreditKind {
	case CreditUnknown, CreditService:
		line += "; the relay names no reporter to credit (confirm before the receipt)"
	case CreditTool:
		line += "; the relay credits a tool"
	}
	return line + ".\n"
}
