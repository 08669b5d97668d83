package local

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/contract"
	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

var team = lifecycle.Address{Name: "Security Team", Email: "security@project.example.org"}

func seedRaw() [][]byte {
	var out [][]byte
	for _, m := range contract.MailSeed() {
		out = append(out, m.Raw())
	}
	return out
}

// snapshot hashes every file under dir by relative path.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = sha256.Sum256(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const threadA = "a1.root@reporter.example.com"

func TestMaildirNeverChangesMail(t *testing.T) {
	ctx := t.Context()
	dir := writeMaildir(t, seedRaw())
	before := snapshot(t, dir)
	m, err := OpenMaildir(dir, MaildirOptions{From: team})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.ListThreads(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ReadThread(ctx, threadA); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateDraft(ctx, lifecycle.DraftRequest{ThreadID: threadA, To: []lifecycle.Address{{Email: "rita@reporter.example.com"}},
		Subject: "Re: Path traversal in static handler", Body: "Thanks.", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	m.ThreadURL(threadA)
	after := snapshot(t, dir)
	if len(after) != len(before) {
		t.Fatalf("mailbox files: %d before, %d after", len(before), len(after))
	}
	for name, sum := range before {
		if after[name] != sum {
			t.Errorf("%s changed or moved", name)
		}
	}
	if m.DraftsDir() != filepath.Join(filepath.Dir(dir), "drafts") {
		t.Errorf("DraftsDir = %q, want beside the mailbox", m.DraftsDir())
	}
}

func TestMaildirDraftFile(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 3, 11, 9, 30, 0, 0, time.UTC)
	drafts := filepath.Join(t.TempDir(), "out")
	m, err := OpenMaildir(writeMaildir(t, seedRaw()), MaildirOptions{DraftsDir: drafts, From: team, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	req := lifecycle.DraftRequest{
		ThreadID: threadA,
		To:       []lifecycle.Address{{Name: "Rita Reporter", Email: "rita@reporter.example.com"}},
		Cc:       []lifecycle.Address{team},
		Subject:  "Re: Path traversal in static handler",
		Body:     "Thank you.\n",
		Key:      "receipt:mail:" + threadA,
	}
	d, err := m.CreateDraft(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(drafts, d.ID))
	if err != nil {
		t.Fatalf("draft id %q is not a file in the drafts directory: %v", d.ID, err)
	}
	text := string(raw)
	for _, want := range []string{
		"X-Vulnsteward-Draft-Key: receipt:mail:" + threadA,
		"In-Reply-To: <a3.reply@team.example.org>",
		"Content-Type: text/plain; charset=utf-8",
		"From: \"Security Team\" <security@project.example.org>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("draft file lacks %q:\n%s", want, text)
		}
	}
	parsed, err := mailmsg.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{threadA, "a2.reply@reporter.example.com", "a3.reply@team.example.org"}; !slices.Equal(parsed.References, want) {
		t.Errorf("References = %q, want %q", parsed.References, want)
	}
	if !strings.HasPrefix(d.ID, "20260311T093000Z-") || !strings.HasSuffix(d.ID, ".eml") {
		t.Errorf("draft id = %q", d.ID)
	}

	// The same key again returns the pending draft instead of writing a second one.
	again, err := m.CreateDraft(ctx, req)
	if err != nil || again.ID != d.ID {
		t.Errorf("CreateDraft with a pending key = %+v, %v; want %q", again, err, d.ID)
	}
	files, _ := os.ReadDir(drafts)
	if len(files) != 1 {
		t.Errorf("drafts directory holds %d files, want 1", len(files))
	}

	// The thread shows the draft after its mail, flagged.
	th, err := m.ReadThread(ctx, threadA)
	if err != nil {
		t.Fatal(err)
	}
	last := th.Messages[len(th.Messages)-1]
	if len(th.Messages) != 4 || !last.IsDraft || last.DraftKey != req.Key || last.ID != d.ID {
		t.Errorf("thread after drafting: %d messages, last %+v", len(th.Messages), last)
	}
	list, _ := m.ListThreads(ctx, time.Time{})
	for _, s := range list {
		if s.ID == threadA && s.MessageCount != 3 {
			t.Errorf("a draft counted in the thread listing: %+v", s)
		}
	}
}

func TestMaildirDraftThreadResolution(t *testing.T) {
	ctx := t.Context()
	m, err := OpenMaildir(writeMaildir(t, seedRaw()), MaildirOptions{From: team})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		inReplyTo  string
		references []string
		want       string
	}{
		{"in-reply-to a reply", "<c2.reply@TEAM.example.org>", nil, "c1.root@scanner.example.io"},
		{"references only", "", []string{"a1.root@reporter.example.com", "a2.reply@reporter.example.com"}, threadA},
		{"unknown parent", "gone@nowhere.example", []string{"gone-root@nowhere.example"}, ""},
	}
	for i, tc := range tests {
		d, err := m.CreateDraft(ctx, lifecycle.DraftRequest{
			To: []lifecycle.Address{{Email: "x@example.org"}}, Subject: "Re: x", Body: "b",
			InReplyTo: tc.inReplyTo, References: tc.references, Key: "k" + string(rune('0'+i)),
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if d.ThreadID != tc.want {
			t.Errorf("%s: ThreadID = %q, want %q", tc.name, d.ThreadID, tc.want)
		}
		listed, err := m.ListDrafts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range listed {
			if l.ID == d.ID && l.ThreadID != tc.want {
				t.Errorf("%s: listed ThreadID = %q, want %q", tc.name, l.ThreadID, tc.want)
			}
		}
	}
}

func TestMaildirThreadURL(t *testing.T) {
	dir := writeMaildir(t, seedRaw())
	m, err := OpenMaildir(dir, MaildirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(m.ThreadURL(threadA))
	if err != nil || u.Scheme != "file" {
		t.Fatalf("ThreadURL = %v, %v", u, err)
	}
	raw, err := os.ReadFile(filepath.FromSlash(u.Path))
	if err != nil || !strings.Contains(string(raw), "Message-ID: <a1.root@Reporter.Example.COM>") {
		t.Errorf("ThreadURL does not point at the root message: %v", err)
	}
	if got := m.ThreadURL("unknown@nowhere.example"); got != "" {
		t.Errorf("ThreadURL(unknown) = %q, want empty", got)
	}
}

func TestMaildirSeesChanges(t *testing.T) {
	ctx := t.Context()
	dir := writeMaildir(t, seedRaw())
	m, err := OpenMaildir(dir, MaildirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := func() map[string]int {
		list, err := m.ListThreads(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, s := range list {
			out[s.ID] = s.MessageCount
		}
		return out
	}
	if got := count(); len(got) != 3 {
		t.Fatalf("threads = %v", got)
	}
	// New mail delivered after a listing shows up in the next one.
	reply := contract.MailMessage{MessageID: "a4@reporter.example.com", InReplyTo: "a3.reply@team.example.org",
		From: "rita@reporter.example.com", Subject: "Re: Path traversal in static handler", Date: time.Date(2026, 3, 12, 8, 0, 0, 0, time.UTC), Body: "More."}
	if err := os.WriteFile(filepath.Join(dir, "new", "1800000000.M1P1.host"), reply.Raw(), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := count(); got[threadA] != 4 {
		t.Errorf("after delivery: %v, want thread A with 4 messages", got)
	}
	// A mail client moving a message to cur/ and flagging it keeps its id.
	before, _ := m.ReadThread(ctx, threadA)
	if err := os.Rename(filepath.Join(dir, "new", "1800000000.M1P1.host"), filepath.Join(dir, "cur", "1800000000.M1P1.host:2,S")); err != nil {
		t.Fatal(err)
	}
	after, err := m.ReadThread(ctx, threadA)
	if err != nil || len(after.Messages) != 4 || after.Messages[3].ID != before.Messages[3].ID || after.Messages[3].ID != "1800000000.M1P1.host" {
		t.Errorf("after the move: %+v, %v", after.Messages, err)
	}
	// Garbage in the mailbox is skipped, not fatal.
	if err := os.WriteFile(filepath.Join(dir, "new", "garbage"), []byte("\x00\x01 not mail"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := count(); len(got) != 3 {
		t.Errorf("with a garbage file: %v", got)
	}
}

func TestMaildirFaults(t *testing.T) {
	ctx := t.Context()
	req := lifecycle.DraftRequest{ThreadID: threadA, To: []lifecycle.Address{{Email: "r@example.org"}}, Subject: "Re: x", Body: "b", Key: "k"}
	tests := []struct {
		name      string
		fault     Fault
		wantFiles int
	}{
		{"before", Fault{Op: "CreateDraft", Call: 1}, 0},
		{"response lost", Fault{Op: "CreateDraft", Call: 1, After: true}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := OpenMaildir(writeMaildir(t, seedRaw()), MaildirOptions{Faults: NewFaults(tc.fault)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.CreateDraft(ctx, req); !errors.Is(err, ErrInjected) {
				t.Fatalf("err = %v, want ErrInjected", err)
			}
			ds, _ := m.ListDrafts(ctx, "")
			if len(ds) != tc.wantFiles {
				t.Errorf("drafts after the fault = %d, want %d", len(ds), tc.wantFiles)
			}
			// The retry the executor makes: checks by key, creates only if absent.
			d, err := m.CreateDraft(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if ds, _ := m.ListDrafts(ctx, threadA); len(ds) != 1 || ds[0].ID != d.ID {
				t.Errorf("after the retry: %+v", ds)
			}
		})
	}
}

func TestOpenMaildirNeedsMaildir(t *testing.T) {
	if _, err := OpenMaildir(t.TempDir(), MaildirOptions{}); err == nil {
		t.Errorf("OpenMaildir of a directory without new/ or cur/ succeeded")
	}
}

func TestSeedMaildir(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{"001-report.eml": "Message-ID: <1@x>\r\n\r\nhi", "002-reply.eml": "Message-ID: <2@x>\r\n\r\nho", "notes.txt": "not mail"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	box := filepath.Join(t.TempDir(), "mailbox")
	if err := SeedMaildir(src, box); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"001-report.eml", "002-reply.eml"} {
		if got, err := os.ReadFile(filepath.Join(box, "new", name)); err != nil || string(got) != files[name] {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(box, "new", "notes.txt")); err == nil {
		t.Errorf("a non-.eml file was copied")
	}
	// A client read one message (moved it to cur/); seeding again does not bring it back.
	if err := os.Rename(filepath.Join(box, "new", "001-report.eml"), filepath.Join(box, "cur", "001-report.eml:2,S")); err != nil {
		t.Fatal(err)
	}
	if err := SeedMaildir(src, box); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(box, "new", "001-report.eml")); err == nil {
		t.Errorf("seeding again duplicated a message that was moved to cur/")
	}
	m, err := OpenMaildir(box, MaildirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := m.ListThreads(t.Context(), time.Time{}); err != nil || len(list) != 2 {
		t.Errorf("seeded mailbox threads = %+v, %v", list, err)
	}
}

func TestMaildirConcurrentUse(t *testing.T) {
	ctx := t.Context()
	m, err := OpenMaildir(writeMaildir(t, seedRaw()), MaildirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = m.ListThreads(ctx, time.Time{})
			case 1:
				_, err = m.ReadThread(ctx, threadA)
			default:
				_, err = m.CreateDraft(ctx, lifecycle.DraftRequest{ThreadID: threadA, To: []lifecycle.Address{{Email: "r@example.org"}},
					Subject: "Re: x", Body: "b", Key: "same-key"})
			}
			done <- err
		}()
	}
	for i := 0; i < 20; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if ds, _ := m.ListDrafts(ctx, ""); len(ds) != 1 {
		t.Errorf("concurrent CreateDraft with one key made %d drafts, want 1", len(ds))
	}
}
