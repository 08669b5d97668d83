// Package reply composes plain-text reply drafts to a reporter on the original
// mail thread, from a canned response used verbatim: the subject, threading
// headers, Cc of the security list, the idempotency key, and the checks that
// come before any draft (a service sender is never answered; a pending draft on
// the thread is surfaced, never shadowed). It plans drafts; it never creates or
// sends one (the executor creates drafts, nothing sends).
package reply

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Preview is a reply draft as the proposal shows it.
type Preview struct {
	Canned   string   `json:"canned,omitempty"`
	To       string   `json:"to"`
	Cc       []string `json:"cc,omitempty"`
	Subject  string   `json:"subject"`
	Body     string   `json:"body"`
	Attached bool     `json:"attached_to_thread"`
	Degraded string   `json:"degraded,omitempty"`
}

// Request is one reply to plan.
type Request struct {
	Thread lifecycle.Thread
	// To overrides the recipient (default: the root message's sender).
	To *lifecycle.Address
	// Canned is the response used verbatim.
	Canned projects.Canned
	// Values fill placeholders beyond the standard ones (REPORTER_NAME,
	// WINDOW_DAYS, PROJECT_NAME, PRODUCT_NAME, SECURITY_MODEL_URL, SECURITY_LIST).
	Values map[string]string
	// PullRequests fill PR_URL, PR_URLS, PR_AUTHOR and PR_DATE.
	PullRequests []lifecycle.PullRequest
	// Purpose prefixes the idempotency key: "<purpose>:<root message-id>".
	Purpose string
	// Extra is appended after the canned text (a separately strippable block).
	Extra string
}

// Compose plans the draft. It returns a nil spec and a note (and no error) when
// no draft must be made: the sender is a service address, a different pending
// draft sits on the thread, or the thread has no usable subject.
func Compose(ctx context.Context, mail lifecycle.Mail, cfg *projects.Config, r Request) (*Preview, *lifecycle.DraftSpec, string, error) {
	if mail == nil {
		return nil, nil, "no mail backend can create drafts: draft the reply by hand", nil
	}
	th := r.Thread
	root, ok := th.Root()
	if !ok {
		return nil, nil, "the thread has no message to reply to: reply by hand", nil
	}
	to := root.From
	if r.To != nil {
		to = *r.To
	}
	if IsServiceSender(to.Email, cfg) {
		return nil, nil, fmt.Sprintf("the sender %s is a service or list address: draft the reply to the real reporter by hand", to.Email), nil
	}
	key := r.Purpose + ":" + lifecycle.NormalizeMessageID(root.MessageID)
	existing, err := mail.ListDrafts(ctx, th.ID)
	if err != nil {
		return nil, nil, "", fmt.Errorf("listing drafts on thread %s: %w", th.ID, err)
	}
	for _, d := range existing {
		if d.Key != key {
			return nil, nil, fmt.Sprintf("a pending draft %s already exists on the thread: review or discard it first (drafts are never updated)", d.ID), nil
		}
	}
	name := to.Name
	if name == "" {
		name = strings.Split(to.Email, "@")[0]
	}
	values := map[string]string{
		"REPORTER_NAME":      OneLine(name),
		"WINDOW_DAYS":        fmt.Sprint(cfg.Disclosure.WindowDays),
		"PROJECT_NAME":       cfg.Project.Name,
		"PRODUCT_NAME":       cfg.Project.Name,
		"SECURITY_MODEL_URL": cfg.SecModel.URL,
		"SECURITY_LIST":      cfg.Lists.Security,
	}
	var urls, authors, dates []string
	for _, pr := range r.PullRequests {
		urls = append(urls, pr.URL)
		if !slices.Contains(authors, pr.Author) {
			authors = append(authors, pr.Author)
		}
		if pr.Merged {
			dates = append(dates, "merged on "+pr.MergedAt.UTC().Format("2006-01-02"))
		} else {
			dates = append(dates, "opened on "+pr.CreatedAt.UTC().Format("2006-01-02"))
		}
	}
	if len(urls) > 0 {
		values["PR_URL"], values["PR_URLS"] = strings.Join(urls, "\n"), strings.Join(urls, "\n")
		values["PR_AUTHOR"], values["PR_DATE"] = strings.Join(authors, ", "), strings.Join(dates, "; ")
	}
	for k, v := range r.Values {
		values[k] = v
	}
	cn := r.Canned
	used := map[string]string{}
	for _, ph := range cn.Placeholders {
		v, ok := values[ph]
		if !ok || v == "" {
			return nil, nil, "", fmt.Errorf("canned response %q needs placeholder %s, which this tool cannot fill; edit the canned response or reply by hand", cn.Name, ph)
		}
		used[ph] = v
	}
	text, err := cn.Render(used)
	if err != nil {
		return nil, nil, "", fmt.Errorf("rendering canned response %q: %w", cn.Name, err)
	}
	if r.Extra != "" {
		text = strings.TrimRight(text, "\n") + "\n\n" + r.Extra
	}
	var last lifecycle.Message
	var refs []string
	for _, m := range th.Messages {
		if !m.IsDraft && m.MessageID != "" {
			refs = append(refs, m.MessageID)
			last = m
		}
	}
	subj := Subject(root.Subject)
	if subj == "" {
		return nil, nil, "the thread has no usable subject: reply by hand", nil
	}
	req := lifecycle.DraftRequest{ThreadID: th.ID, To: []lifecycle.Address{to}, Cc: []lifecycle.Address{{Email: cfg.Lists.Security}},
		Subject: subj, Body: text, InReplyTo: last.MessageID, References: refs, Key: key}
	p := &Preview{Canned: cn.Name, To: FormatAddress(to), Cc: []string{cfg.Lists.Security}, Subject: subj, Body: text, Attached: true}
	return p, &lifecycle.DraftSpec{Request: req}, "", nil
}

// reSubject matches a subject that already is a reply: "Re: Re:" is never produced.
var reSubject = regexp.MustCompile(`(?i)^re:\s`)

// Subject is "Re: <root subject>", cleaned of invisible characters, on one
// line, never "Re: Re:"; "" when the root subject is empty.
func Subject(root string) string {
	s, _ := untrusted.Clean(root)
	s = OneLine(s)
	if s == "" {
		return ""
	}
	if !reSubject.MatchString(s) {
		s = "Re: " + s
	}
	return s
}

// IsServiceSender reports whether an address is a list, relay or robot that is
// never answered or credited as the reporter.
func IsServiceSender(email string, cfg *projects.Config) bool {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return true
	}
	l := cfg.Lists
	for _, a := range []string{l.Security, l.Private, l.Foundation, l.Users, l.Dev, l.Announce} {
		if a != "" && e == strings.ToLower(a) {
			return true
		}
	}
	local := strings.SplitN(e, "@", 2)[0]
	for _, p := range []string{"noreply", "no-reply", "donotreply", "notifications", "security-alerts", "mailer-daemon"} {
		if strings.Contains(local, p) {
			return true
		}
	}
	return false
}

// FormatAddress renders `Name <email>` (or the bare email).
func FormatAddress(a lifecycle.Address) string {
	if a.Name == "" {
		return a.Email
	}
	return fmt.Sprintf("%s <%s>", OneLine(a.Name), a.Email)
}

// OneLine collapses whitespace, newlines included.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
