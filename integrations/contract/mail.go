package contract

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// MailMessage describes one message of the mail seed; Raw renders it.
type MailMessage struct {
	MessageID  string // without angle brackets
	InReplyTo  string
	References []string
	From       string
	Subject    string
	Date       time.Time
	Body       string
}

// Raw renders the message as RFC 5322 bytes (CRLF line endings).
func (m MailMessage) Raw() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\n", m.From)
	b.WriteString("To: security@project.example.org\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", m.Subject)
	fmt.Fprintf(&b, "Date: %s\r\n", m.Date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", m.MessageID)
	if m.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", m.InReplyTo)
	}
	if len(m.References) > 0 {
		fmt.Fprintf(&b, "References: <%s>\r\n", strings.Join(m.References, "> <"))
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return []byte(b.String())
}

func day(d, hour int) time.Time { return time.Date(2026, 3, d, hour, 0, 0, 0, time.UTC) }

// MailSeed is the mailbox TestMail hands to newMail: three threads.
//
//	A: a1 (Mar 1) <- a2 (Mar 2) <- a3 (Mar 10)   the reporter's thread
//	B: b1 (Feb 1)                                 old, no replies
//	C: c1 (Mar 5) <- c2 (Mar 6)
//
// The messages are given out of order.
func MailSeed() []MailMessage {
	return []MailMessage{
		{MessageID: "a3.reply@team.example.org", InReplyTo: "a2.reply@Reporter.Example.COM",
			References: []string{"a1.root@Reporter.Example.COM", "a2.reply@Reporter.Example.COM"},
			From:       "Alice Sec <alice@team.example.org>", Subject: "Re: Path traversal in static handler",
			Date: day(10, 9), Body: "Thanks, we are looking into it.\n"},
		{MessageID: "b1.root@other.example.net", From: "Bob <bob@other.example.net>",
			Subject: "Question about TLS defaults", Date: time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC), Body: "Old question.\n"},
		{MessageID: "a1.root@Reporter.Example.COM", From: "Rita Reporter <rita@reporter.example.com>",
			Subject: "Path traversal in static handler", Date: day(1, 8),
			Body: "Hello,\n\nGET /static/..%2f..%2fetc/passwd returns the file.\n\nRita\n"},
		{MessageID: "c2.reply@team.example.org", InReplyTo: "c1.root@scanner.example.io",
			References: []string{"c1.root@scanner.example.io"}, From: "Alice Sec <alice@team.example.org>",
			Subject: "Re: Automated finding 42", Date: day(6, 10), Body: "Not a vulnerability.\n"},
		{MessageID: "a2.reply@Reporter.Example.COM", InReplyTo: "a1.root@Reporter.Example.COM",
			References: []string{"a1.root@Reporter.Example.COM"}, From: "Rita Reporter <rita@reporter.example.com>",
			Subject: "Re: Path traversal in static handler", Date: day(2, 8), Body: "Also affects 2.4.1.\n"},
		{MessageID: "c1.root@scanner.example.io", From: "Scanner <noreply@scanner.example.io>",
			Subject: "Automated finding 42", Date: day(5, 10), Body: "Finding 42.\n"},
	}
}

// TestMail runs the Mail contract. newMail returns a fresh mailbox holding
// exactly the seed messages (raw RFC 5322 bytes, see MailSeed) and no drafts;
// it is called once per subtest.
//
// What it checks: ListThreads lists threads with a message on or after since
// (inclusive), with root subject, sender and date, newest date and message count;
// ReadThread returns messages in chronological order with the root first and
// normalised Message-IDs, and wraps ErrNotFound for an unknown thread; a draft
// created on a thread carries its key and thread, is listed under that thread and
// in the global list and not under another thread, leaves the thread's mail as it
// was, and a caller that checks by key before creating never makes a duplicate.
func TestMail(t *testing.T, newMail func(t *testing.T, seed [][]byte) lifecycle.Mail) {
	t.Helper()
	var seed [][]byte
	for _, m := range MailSeed() {
		seed = append(seed, m.Raw())
	}
	tests := []struct {
		name string
		run  func(t *testing.T, m lifecycle.Mail)
	}{
		{"ListThreads", mailListThreads},
		{"ListWindow", mailListWindow},
		{"ReadThread", mailReadThread},
		{"Drafts", mailDrafts},
		{"DraftUnknownThread", mailDraftUnknownThread},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMail(t, slices.Clone(seed))
			if m.Kind() == "" {
				t.Errorf("Kind() is empty")
			}
			tc.run(t, m)
		})
	}
}

// threadsByRoot lists every thread and indexes it by root Message-ID.
func threadsByRoot(t *testing.T, m lifecycle.Mail) map[string]lifecycle.ThreadSummary {
	t.Helper()
	list := must(m.ListThreads(t.Context(), time.Time{}))(t)
	out := map[string]lifecycle.ThreadSummary{}
	for _, s := range list {
		out[s.RootMessageID] = s
	}
	return out
}

func mailListThreads(t *testing.T, m lifecycle.Mail) {
	byRoot := threadsByRoot(t, m)
	if len(byRoot) != 3 {
		t.Fatalf("ListThreads(zero) found %d threads by root %v, want 3", len(byRoot), slices.Sorted(maps.Keys(byRoot)))
	}
	a, ok := byRoot["a1.root@reporter.example.com"]
	if !ok {
		t.Fatalf("thread A not listed under its normalised root Message-ID; roots: %v", slices.Sorted(maps.Keys(byRoot)))
	}
	if a.ID == "" || a.Subject != "Path traversal in static handler" || a.From.Email != "rita@reporter.example.com" ||
		!a.Date.Equal(day(1, 8)) || !a.LastDate.Equal(day(10, 9)) || a.MessageCount != 3 {
		t.Errorf("thread A summary = %+v", a)
	}
	if c := byRoot["c1.root@scanner.example.io"]; c.MessageCount != 2 || !c.LastDate.Equal(day(6, 10)) {
		t.Errorf("thread C summary = %+v", c)
	}
}

func mailListWindow(t *testing.T, m lifecycle.Mail) {
	tests := []struct {
		name  string
		since time.Time
		want  []string // root Message-IDs
	}{
		{"everything", time.Time{}, []string{"a1.root@reporter.example.com", "b1.root@other.example.net", "c1.root@scanner.example.io"}},
		{"a reply inside the window lists its thread", day(7, 0), []string{"a1.root@reporter.example.com"}},
		{"since is inclusive", day(6, 10), []string{"a1.root@reporter.example.com", "c1.root@scanner.example.io"}},
		{"after the newest message", day(11, 0), nil},
	}
	for _, tc := range tests {
		var got []string
		for _, s := range must(m.ListThreads(t.Context(), tc.since))(t) {
			got = append(got, s.RootMessageID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ListThreads(%v) roots = %v, want %v", tc.name, tc.since, got, tc.want)
		}
	}
}

func mailReadThread(t *testing.T, m lifecycle.Mail) {
	a := threadsByRoot(t, m)["a1.root@reporter.example.com"]
	th := must(m.ReadThread(t.Context(), a.ID))(t)
	if th.ID != a.ID {
		t.Errorf("ReadThread(%q).ID = %q", a.ID, th.ID)
	}
	var ids []string
	for _, msg := range th.Messages {
		ids = append(ids, msg.MessageID)
	}
	want := []string{"a1.root@reporter.example.com", "a2.reply@reporter.example.com", "a3.reply@team.example.org"}
	if !slices.Equal(ids, want) {
		t.Errorf("thread A messages = %v, want %v (chronological)", ids, want)
	}
	root, ok := th.Root()
	if !ok || root.MessageID != want[0] || root.From.Email != "rita@reporter.example.com" ||
		!strings.Contains(root.Body, "etc/passwd") || !root.Date.Equal(day(1, 8)) {
		t.Errorf("root = %+v", root)
	}
	if th.Messages[2].InReplyTo != "a2.reply@reporter.example.com" {
		t.Errorf("a3 In-Reply-To = %q, want normalised a2", th.Messages[2].InReplyTo)
	}
	if _, err := m.ReadThread(t.Context(), "no-such-thread@nowhere.example"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("ReadThread(unknown): err = %v, want ErrNotFound", err)
	}
	if u := m.ThreadURL(a.ID); u != "" && !strings.Contains(u, "://") {
		t.Errorf("ThreadURL = %q, want a URL or empty", u)
	}
}

// ensureDraft is how a caller stays idempotent: look for the key first.
func ensureDraft(t *testing.T, m lifecycle.Mail, req lifecycle.DraftRequest) lifecycle.Draft {
	t.Helper()
	for _, d := range must(m.ListDrafts(t.Context(), req.ThreadID))(t) {
		if d.Key == req.Key {
			return d
		}
	}
	return must(m.CreateDraft(t.Context(), req))(t)
}

func mailDrafts(t *testing.T, m lifecycle.Mail) {
	ctx := t.Context()
	byRoot := threadsByRoot(t, m)
	a, c := byRoot["a1.root@reporter.example.com"], byRoot["c1.root@scanner.example.io"]
	if ds := must(m.ListDrafts(ctx, ""))(t); len(ds) != 0 {
		t.Fatalf("fresh mailbox has drafts: %+v", ds)
	}
	req := lifecycle.DraftRequest{
		ThreadID: a.ID,
		To:       []lifecycle.Address{{Name: "Rita Reporter", Email: "rita@reporter.example.com"}},
		Cc:       []lifecycle.Address{{Email: "security@project.example.org"}},
		Subject:  "Re: Path traversal in static handler",
		Body:     "Thank you for your report. We are looking into it.\n",
		Key:      "receipt:mail:a1.root@reporter.example.com",
	}
	d := ensureDraft(t, m, req)
	if d.ID == "" || d.Key != req.Key || d.ThreadID != a.ID || d.Subject != req.Subject {
		t.Errorf("CreateDraft = %+v; want key %q thread %q", d, req.Key, a.ID)
	}
	if again := ensureDraft(t, m, req); again.ID != d.ID {
		t.Errorf("second ensureDraft returned draft %q, want the pending %q", again.ID, d.ID)
	}
	count := func(threadID string) int {
		n := 0
		for _, x := range must(m.ListDrafts(ctx, threadID))(t) {
			if x.Key == req.Key {
				n++
				if x.ID != d.ID || x.ThreadID != a.ID {
					t.Errorf("listed draft = %+v, want id %q thread %q", x, d.ID, a.ID)
				}
			}
		}
		return n
	}
	if n := count(a.ID); n != 1 {
		t.Errorf("ListDrafts(thread A) has %d drafts with the key, want 1", n)
	}
	if n := count(""); n != 1 {
		t.Errorf("ListDrafts(all) has %d drafts with the key, want 1", n)
	}
	if n := count(c.ID); n != 0 {
		t.Errorf("ListDrafts(thread C) lists thread A's draft")
	}

	// A second draft on another thread, with its own key.
	req2 := req
	req2.ThreadID, req2.Key, req2.Subject = c.ID, "reply:c", "Re: Automated finding 42"
	d2 := ensureDraft(t, m, req2)
	if d2.ID == d.ID || d2.ThreadID != c.ID {
		t.Errorf("second draft = %+v", d2)
	}
	if all := must(m.ListDrafts(ctx, ""))(t); len(all) != 2 {
		t.Errorf("ListDrafts(all) = %d drafts, want 2", len(all))
	}

	// The thread's mail is unchanged: same root, same non-draft messages.
	th := must(m.ReadThread(ctx, a.ID))(t)
	var mail int
	for _, msg := range th.Messages {
		if !msg.IsDraft {
			mail++
		}
	}
	if root, _ := th.Root(); mail != 3 || root.MessageID != "a1.root@reporter.example.com" {
		t.Errorf("after drafting: %d non-draft messages, root %q", mail, root.MessageID)
	}
}

func mailDraftUnknownThread(t *testing.T, m lifecycle.Mail) {
	_, err := m.CreateDraft(t.Context(), lifecycle.DraftRequest{
		ThreadID: "no-such-thread@nowhere.example",
		To:       []lifecycle.Address{{Email: "rita@reporter.example.com"}},
		Subject:  "Re: nothing", Body: "x", Key: "k",
	})
	if !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("CreateDraft on an unknown thread: err = %v, want ErrNotFound", err)
	}
	if ds := must(m.ListDrafts(t.Context(), ""))(t); len(ds) != 0 {
		t.Errorf("a failed CreateDraft left drafts: %+v", ds)
	}
}
