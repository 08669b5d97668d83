package gmail_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/gmail"
	"github.com/vulnsteward/vulnsteward/integrations/gmail/fakegmail"
	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const (
	listDomain = "security.example.org"
	listAddr   = "security@example.org"
)

// mailOpts describes one seeded message.
type mailOpts struct {
	from, subject, date, msgID, inReplyTo string
	onList                                bool
	extraHeaders                          string
	body                                  string // full body part incl. its own headers when multipart
	contentType                           string
}

func rawMail(o mailOpts) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", o.from, listAddr, o.subject, o.date, o.msgID)
	if o.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", o.inReplyTo, o.inReplyTo)
	}
	if o.onList {
		fmt.Fprintf(&b, "List-Id: <%s>\r\n", listDomain)
	}
	b.WriteString(o.extraHeaders)
	ct := o.contentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n", ct)
	body := o.body
	if body == "" {
		body = "Report body.\r\n"
	}
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

func newMailbox(t *testing.T, f *fakegmail.Server) *gmail.Mailbox {
	t.Helper()
	mb, err := gmail.New(context.Background(), gmail.Config{
		SecurityListDomain: listDomain,
		SecurityList:       listAddr,
		ExcludeFrom:        []string{"tracker-noreply@example.org"},
		Endpoint:           f.URL(),
		From:               lifecycle.Address{Name: "Example Security", Email: listAddr},
	}, http.DefaultClient)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return mb
}

func TestQuery(t *testing.T) {
	f := fakegmail.New()
	defer f.Close()
	mb := newMailbox(t, f)
	got := mb.Query(time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC))
	want := "list:security.example.org -from:tracker-noreply@example.org -from:noreply@github.com -from:security-noreply@github.com after:2026/03/02"
	if got != want {
		t.Errorf("Query =\n %q, want\n %q", got, want)
	}
	if strings.Contains(got, "notifications@github.com") {
		t.Error("notifications@github.com must not be excluded")
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name   string
		cfg    gmail.Config
		client *http.Client
		errSub string
	}{
		{"no client", gmail.Config{SecurityListDomain: listDomain}, nil, "no HTTP client"},
		{"no domain", gmail.Config{}, http.DefaultClient, "security list domain"},
		{"query injection in domain", gmail.Config{SecurityListDomain: "a.org OR in:anywhere"}, http.DefaultClient, "not a single word"},
		{"notifications excluded", gmail.Config{SecurityListDomain: listDomain, ExcludeFrom: []string{"Notifications@GitHub.com"}}, http.DefaultClient, "must not be excluded"},
		{"sender with space", gmail.Config{SecurityListDomain: listDomain, ExcludeFrom: []string{"a@b.org x"}}, http.DefaultClient, "not a single address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gmail.New(context.Background(), tt.cfg, tt.client)
			if err == nil || !strings.Contains(err.Error(), tt.errSub) {
				t.Fatalf("err = %v, want %q", err, tt.errSub)
			}
		})
	}
}

func TestListThreads(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		seed    func(f *fakegmail.Server) []string // returns thread ids expected, in order
		pageCap int
	}{
		{
			name: "window, exclusions and summary",
			seed: func(f *fakegmail.Server) []string {
				root := f.AddMessage(rawMail(mailOpts{from: "Rép <rep@example.net>", subject: "=?utf-8?q?Faille_XSS?=", date: "Wed, 4 Mar 2026 10:00:00 +0000", msgID: "root1@Example.NET", onList: true}), "")
				f.AddMessage(rawMail(mailOpts{from: listAddr, subject: "Re: Faille XSS", date: "Thu, 5 Mar 2026 10:00:00 +0000", msgID: "reply1@example.org", inReplyTo: "root1@example.net", onList: true}), root)
				ghsa := f.AddMessage(rawMail(mailOpts{from: "GitHub <notifications@github.com>", subject: "GHSA relay", date: "Tue, 3 Mar 2026 09:00:00 +0000", msgID: "ghsa@github.com", onList: true}), "")
				f.AddMessage(rawMail(mailOpts{from: "noreply@github.com", subject: "bot", date: "Wed, 4 Mar 2026 09:00:00 +0000", msgID: "bot@github.com", onList: true}), "")
				f.AddMessage(rawMail(mailOpts{from: "security-noreply@github.com", subject: "bot2", date: "Wed, 4 Mar 2026 09:00:00 +0000", msgID: "bot2@github.com", onList: true}), "")
				f.AddMessage(rawMail(mailOpts{from: "tracker-noreply@example.org", subject: "mirror", date: "Wed, 4 Mar 2026 09:00:00 +0000", msgID: "mirror@example.org", onList: true}), "")
				f.AddMessage(rawMail(mailOpts{from: "rep@example.net", subject: "not on the list", date: "Wed, 4 Mar 2026 09:00:00 +0000", msgID: "off@example.net"}), "")
				f.AddMessage(rawMail(mailOpts{from: "rep@example.net", subject: "old", date: "Mon, 5 Jan 2026 09:00:00 +0000", msgID: "old@example.net", onList: true}), "")
				// Inside the query's day of slack, outside the window: filtered client-side.
				f.AddMessage(rawMail(mailOpts{from: "rep@example.net", subject: "slack", date: "Mon, 2 Mar 2026 20:00:00 +0000", msgID: "slack@example.net", onList: true}), "")
				return []string{root, ghsa}
			},
		},
		{
			name:    "paging through every page",
			pageCap: 2,
			seed: func(f *fakegmail.Server) []string {
				var ids []string
				for i := 0; i < 7; i++ {
					ids = append(ids, f.AddMessage(rawMail(mailOpts{
						from: "rep@example.net", subject: fmt.Sprintf("report %d", i),
						date: fmt.Sprintf("Wed, 4 Mar 2026 %02d:00:00 +0000", 10+i), msgID: fmt.Sprintf("p%d@example.net", i), onList: true,
					}), ""))
				}
				slices.Reverse(ids) // newest first
				return ids
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakegmail.New()
			defer f.Close()
			f.SetMaxPageSize(tt.pageCap)
			want := tt.seed(f)
			mb := newMailbox(t, f)
			got, err := mb.ListThreads(ctx, since)
			if err != nil {
				t.Fatalf("ListThreads: %v", err)
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("threads = %v, want %v", ids, want)
			}
		})
	}
}

func TestListThreadsSummary(t *testing.T) {
	f := fakegmail.New()
	defer f.Close()
	root := f.AddMessage(rawMail(mailOpts{from: "=?iso-8859-1?q?Andr=E9?= <andre@example.net>", subject: "=?utf-8?q?Faille_XSS?=", date: "Wed, 4 Mar 2026 10:00:00 +0000", msgID: "root1@Example.NET", onList: true}), "")
	f.AddMessage(rawMail(mailOpts{from: listAddr, subject: "Re: Faille XSS", date: "Thu, 5 Mar 2026 11:00:00 +0000", msgID: "reply1@example.org", inReplyTo: "root1@example.net", onList: true}), root)
	mb := newMailbox(t, f)
	if _, err := mb.CreateDraft(context.Background(), lifecycle.DraftRequest{ThreadID: root, To: []lifecycle.Address{{Email: "andre@example.net"}}, Subject: "Re: Faille XSS", Body: "x", InReplyTo: "reply1@example.org", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	got, err := mb.ListThreads(context.Background(), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 1 {
		t.Fatalf("ListThreads = %+v, %v", got, err)
	}
	want := lifecycle.ThreadSummary{
		ID: root, Subject: "Faille XSS", From: lifecycle.Address{Name: "André", Email: "andre@example.net"},
		Date: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), LastDate: time.Date(2026, 3, 5, 11, 0, 0, 0, time.UTC),
		RootMessageID: "root1@example.net", MessageCount: 2,
	}
	s := got[0]
	if s.ID != want.ID || s.Subject != want.Subject || s.From != want.From || !s.Date.Equal(want.Date) ||
		!s.LastDate.Equal(want.LastDate) || s.RootMessageID != want.RootMessageID || s.MessageCount != want.MessageCount {
		t.Errorf("summary = %+v\nwant %+v", s, want)
	}
}

func TestReadThread(t *testing.T) {
	f := fakegmail.New()
	defer f.Close()
	root := f.AddMessage(rawMail(mailOpts{
		from: "rep@example.net", subject: "multipart", date: "Wed, 4 Mar 2026 10:00:00 +0000", msgID: "m1@example.net", onList: true,
		contentType: `multipart/mixed; boundary="outer"`,
		body: "--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\n" +
			"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 PoC: curl =\nhttp://x/\n" +
			"--inner\nContent-Type: text/html\n\n<p>html</p>\n--inner--\n" +
			"--outer\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=poc.bin\nContent-Transfer-Encoding: base64\n\nAAEC\n--outer--\n",
	}), "")
	// Seeded after, but arrived before the Latin-1 reply: order follows arrival.
	f.AddMessage(rawMail(mailOpts{
		from: "other@example.net", subject: "Re: multipart", date: "Thu, 5 Mar 2026 10:00:00 +0000", msgID: "m3@example.net", inReplyTo: "m2@example.net",
		contentType: "text/html; charset=utf-8", body: "<div>Thanks<br>again &amp; bye</div>",
	}), root)
	f.AddMessage(append(rawMail(mailOpts{
		from: "rep@example.net", subject: "Re: multipart", date: "Wed, 4 Mar 2026 12:00:00 +0000", msgID: "m2@example.net", inReplyTo: "m1@example.net",
		contentType: "text/plain; charset=ISO-8859-1", body: "\n",
	}), []byte("r\xe9sum\xe9 attach\xe9\r\n")...), root)

	mb := newMailbox(t, f)
	th, err := mb.ReadThread(context.Background(), root)
	if err != nil {
		t.Fatalf("ReadThread: %v", err)
	}
	if th.ID != root || len(th.Messages) != 3 {
		t.Fatalf("thread %q with %d messages", th.ID, len(th.Messages))
	}
	tests := []struct {
		msgID, body string
	}{
		{"m1@example.net", "Café PoC: curl http://x/"}, // the line break before a boundary belongs to it
		{"m2@example.net", "\nrésumé attaché\n"},
		{"m3@example.net", "Thanks\nagain & bye"},
	}
	for i, tt := range tests {
		m := th.Messages[i]
		if m.MessageID != tt.msgID || m.Body != tt.body || m.IsDraft || m.ID == "" {
			t.Errorf("message %d = id %q msgid %q body %q draft %v; want msgid %q body %q", i, m.ID, m.MessageID, m.Body, m.IsDraft, tt.msgID, tt.body)
		}
	}
	if th.Messages[1].InReplyTo != "m1@example.net" {
		t.Errorf("InReplyTo = %q", th.Messages[1].InReplyTo)
	}
}

func TestDrafts(t *testing.T) {
	ctx := context.Background()
	reporter := lifecycle.Address{Name: "Rép Orter", Email: "rep@example.net"}
	tests := []struct {
		name          string
		req           func(root string) lifecycle.DraftRequest
		wantErr       error
		wantAttached  bool   // draft lands in the root thread
		wantCc        string // substring of the Cc header
		noCcDuplicate bool
	}{
		{
			name: "attached, security list added to Cc",
			req: func(root string) lifecycle.DraftRequest {
				return lifecycle.DraftRequest{ThreadID: root, To: []lifecycle.Address{reporter}, Subject: "Re: XSS in admin", Body: "Thanks,\nwe are on it.\n", InReplyTo: "root@example.net", References: []string{"root@example.net"}, Key: "receipt:root@example.net"}
			},
			wantAttached: true,
			wantCc:       "Cc: <" + listAddr + ">",
		},
		{
			name: "attached, given Cc kept and the list not duplicated",
			req: func(root string) lifecycle.DraftRequest {
				return lifecycle.DraftRequest{ThreadID: root, To: []lifecycle.Address{reporter}, Cc: []lifecycle.Address{{Name: "PMC", Email: "pmc@example.org"}, {Email: "Security@Example.org"}}, Subject: "Re: XSS in admin", Body: "b", InReplyTo: "root@example.net", Key: "k2"}
			},
			wantAttached:  true,
			wantCc:        `Cc: "PMC" <pmc@example.org>, <Security@Example.org>`,
			noCcDuplicate: true,
		},
		{
			name: "unattached: subject and threading headers only",
			req: func(string) lifecycle.DraftRequest {
				return lifecycle.DraftRequest{To: []lifecycle.Address{reporter}, Subject: "Re: XSS in admin", Body: "b", InReplyTo: "root@example.net", Key: "k3"}
			},
			wantCc: "Cc: <" + listAddr + ">",
		},
		{
			name: "header injection refused before any request",
			req: func(root string) lifecycle.DraftRequest {
				return lifecycle.DraftRequest{ThreadID: root, To: []lifecycle.Address{reporter}, Subject: "Re: XSS\r\nBcc: evil@example.com", Body: "b", Key: "k4"}
			},
			wantErr: mailmsg.ErrInvalidDraft,
		},
		{
			name: "unknown thread is ErrNotFound",
			req: func(string) lifecycle.DraftRequest {
				return lifecycle.DraftRequest{ThreadID: "deadbeef", To: []lifecycle.Address{reporter}, Subject: "Re: XSS in admin", Body: "b", Key: "k5"}
			},
			wantErr: lifecycle.ErrNotFound,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakegmail.New()
			defer f.Close()
			root := f.AddMessage(rawMail(mailOpts{from: "rep@example.net", subject: "XSS in admin", date: "Wed, 4 Mar 2026 10:00:00 +0000", msgID: "root@example.net", onList: true}), "")
			other := f.AddMessage(rawMail(mailOpts{from: "x@example.net", subject: "other", date: "Wed, 4 Mar 2026 11:00:00 +0000", msgID: "other@example.net", onList: true}), "")
			mb := newMailbox(t, f)
			// A pre-existing draft on another thread, to check filtering.
			if _, err := mb.CreateDraft(ctx, lifecycle.DraftRequest{ThreadID: other, To: []lifecycle.Address{{Email: "x@example.net"}}, Subject: "Re: other", Body: "o", Key: "other-key"}); err != nil {
				t.Fatal(err)
			}
			before := f.Requests()
			req := tt.req(root)
			d, err := mb.CreateDraft(ctx, req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr == mailmsg.ErrInvalidDraft && f.Requests() != before {
					t.Error("a request was made for a refused draft")
				}
				if len(f.Drafts()) != 1 {
					t.Errorf("drafts = %d, want only the pre-existing one", len(f.Drafts()))
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateDraft: %v", err)
			}
			if d.ID == "" || d.Key != req.Key || d.Subject != req.Subject || !slices.Equal(d.To, req.To) {
				t.Errorf("draft = %+v", d)
			}
			if (d.ThreadID == root) != tt.wantAttached {
				t.Errorf("draft thread = %q, root %q, want attached %v", d.ThreadID, root, tt.wantAttached)
			}
			stored := f.Drafts()[1]
			raw := string(stored.Raw)
			if !strings.Contains(raw, tt.wantCc+"\r\n") {
				t.Errorf("Cc header: want %q in\n%s", tt.wantCc, raw)
			}
			if tt.noCcDuplicate && strings.Count(strings.ToLower(raw), strings.ToLower(listAddr)) != 2 { // From + Cc
				t.Errorf("security list duplicated:\n%s", raw)
			}
			if !strings.Contains(raw, "Content-Type: text/plain; charset=utf-8\r\n") || strings.Contains(raw, "text/html") {
				t.Errorf("draft is not plain text only:\n%s", raw)
			}
			if !strings.Contains(raw, "In-Reply-To: <root@example.net>\r\n") {
				t.Errorf("In-Reply-To missing:\n%s", raw)
			}

			// Listing by thread and globally; the key round-trips.
			all, err := mb.ListDrafts(ctx, "")
			if err != nil || len(all) != 2 {
				t.Fatalf("ListDrafts(all) = %+v, %v", all, err)
			}
			onThread, err := mb.ListDrafts(ctx, d.ThreadID)
			if err != nil || len(onThread) != 1 {
				t.Fatalf("ListDrafts(%s) = %+v, %v", d.ThreadID, onThread, err)
			}
			got := onThread[0]
			if got.ID != d.ID || got.Key != req.Key || got.Subject != req.Subject || got.ThreadID != d.ThreadID || !slices.Equal(got.To, req.To) {
				t.Errorf("listed draft = %+v, created %+v", got, d)
			}
			// The draft shows in the thread, marked as such.
			th, err := mb.ReadThread(ctx, d.ThreadID)
			if err != nil {
				t.Fatal(err)
			}
			last := th.Messages[len(th.Messages)-1]
			if !last.IsDraft || last.DraftKey != req.Key || last.Body != req.Body {
				t.Errorf("draft in thread = %+v", last)
			}
			if r, ok := th.Root(); tt.wantAttached && (!ok || r.MessageID != "root@example.net") {
				t.Errorf("root = %+v", r)
			}
		})
	}
}

func TestDraftSubjectMismatchLeavesThread(t *testing.T) {
	f := fakegmail.New()
	defer f.Close()
	root := f.AddMessage(rawMail(mailOpts{from: "rep@example.net", subject: "XSS in admin", date: "Wed, 4 Mar 2026 10:00:00 +0000", msgID: "root@example.net", onList: true}), "")
	mb := newMailbox(t, f)
	d, err := mb.CreateDraft(context.Background(), lifecycle.DraftRequest{ThreadID: root, To: []lifecycle.Address{{Email: "rep@example.net"}}, Subject: "Re: something else", Body: "b", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if d.ThreadID == root || d.ThreadID == "" {
		t.Errorf("draft thread = %q: the reported thread must be where Gmail put it", d.ThreadID)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		failMethod   string
		failPath     string
		status       int
		call         func(mb *gmail.Mailbox, root string) error
		wantNotFound bool
		wantSub      string
	}{
		{"read unknown thread", "", "", 0, func(mb *gmail.Mailbox, _ string) error { _, err := mb.ReadThread(ctx, "0123abcd"); return err }, true, "read thread (thread 0123abcd)"},
		{"read thread 500", http.MethodGet, "/threads/", 500, func(mb *gmail.Mailbox, root string) error { _, err := mb.ReadThread(ctx, root); return err }, false, "read thread"},
		{"list 503", http.MethodGet, "/threads", 503, func(mb *gmail.Mailbox, _ string) error { _, err := mb.ListThreads(ctx, since); return err }, false, "list threads"},
		{"metadata 404 during list", http.MethodGet, "/threads/", 404, func(mb *gmail.Mailbox, _ string) error { _, err := mb.ListThreads(ctx, since); return err }, true, "read thread metadata"},
		{"drafts list 500", http.MethodGet, "/drafts", 500, func(mb *gmail.Mailbox, root string) error { _, err := mb.ListDrafts(ctx, root); return err }, false, "list drafts"},
		{"drafts create 403", http.MethodPost, "/drafts", 403, func(mb *gmail.Mailbox, root string) error {
			_, err := mb.CreateDraft(ctx, lifecycle.DraftRequest{ThreadID: root, To: []lifecycle.Address{{Email: "rep@example.net"}}, Subject: "Re: XSS in admin", Body: "b", Key: "k"})
			return err
		}, false, "create draft (thread "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fakegmail.New()
			defer f.Close()
			root := f.AddMessage(rawMail(mailOpts{from: "rep@example.net", subject: "XSS in admin", date: "Wed, 4 Mar 2026 10:00:00 +0000", msgID: "root@example.net", onList: true}), "")
			mb := newMailbox(t, f)
			if tt.status != 0 {
				f.FailNext(tt.failMethod, tt.failPath, tt.status)
			}
			before := f.Requests()
			err := tt.call(mb, root)
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, lifecycle.ErrNotFound) != tt.wantNotFound {
				t.Errorf("errors.Is(ErrNotFound) = %v, want %v: %v", !tt.wantNotFound, tt.wantNotFound, err)
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("err = %q, want it to name %q", err, tt.wantSub)
			}
			if tt.status != 0 && f.Requests()-before > 2 {
				t.Errorf("%d requests: failures must not be retried", f.Requests()-before)
			}
			if len(f.Drafts()) != 0 {
				t.Errorf("a draft was stored despite the failure")
			}
		})
	}
}

func TestKindAndURL(t *testing.T) {
	f := fakegmail.New()
	defer f.Close()
	mb := newMailbox(t, f)
	if mb.Kind() != "gmail" {
		t.Errorf("Kind = %q", mb.Kind())
	}
	if got := mb.ThreadURL("18f00abc"); got != "https://mail.google.com/mail/u/0/#all/18f00abc" {
		t.Errorf("ThreadURL = %q", got)
	}
	if mb.ThreadURL("") != "" {
		t.Error("ThreadURL of empty id is not empty")
	}
}
