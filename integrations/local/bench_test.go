package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/contract"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// benchMaildir writes threads×perThread messages (a root and a chain of replies)
// into a new Maildir and returns it with the thread ids.
func benchMaildir(b *testing.B, threads, perThread int) (string, []string) {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "security")
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			b.Fatal(err)
		}
	}
	body := strings.Repeat("The request handler resolves the path after the check, so an encoded dot-dot escapes.\n", 10)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]string, 0, threads)
	n := 0
	for th := 0; th < threads; th++ {
		root := fmt.Sprintf("root-%d@reporter.example.org", th)
		ids = append(ids, root)
		var refs []string
		for i := 0; i < perThread; i++ {
			m := contract.MailMessage{
				MessageID: root, From: fmt.Sprintf("Reporter %d <r%d@reporter.example.org>", th, th),
				Subject: fmt.Sprintf("Report %d", th), Date: start.Add(time.Duration(th)*time.Hour + time.Duration(i)*time.Minute),
				Body: body,
			}
			if i > 0 {
				m.MessageID = fmt.Sprintf("reply-%d-%d@team.example.org", th, i)
				m.InReplyTo, m.References = refs[len(refs)-1], refs
				m.Subject = "Re: " + m.Subject
			}
			refs = append(refs, m.MessageID)
			sub := "cur"
			name := fmt.Sprintf("%d.M%dP%d.bench:2,S", 1700000000+n, n, th)
			if n%10 == 0 {
				sub, name = "new", fmt.Sprintf("%d.M%dP%d.bench", 1700000000+n, n, th)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, name), m.Raw(), 0o600); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	return dir, ids
}

// BenchmarkMaildirList10k: 10,000 messages in 2,000 threads; one operation is a
// ListThreads plus ReadThread of 100 threads.
//   - cold: a new Maildir each time (every file parsed);
//   - warm: the same Maildir, mailbox unchanged (index reused);
//   - delivery: one new message delivered before each operation (rescan of the
//     directories, only the new file parsed).
func BenchmarkMaildirList10k(b *testing.B) {
	dir, ids := benchMaildir(b, 2000, 5)
	ctx := context.Background()
	op := func(b *testing.B, m *Maildir) {
		list, err := m.ListThreads(ctx, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		if len(list) < 2000 {
			b.Fatalf("listed %d threads, want 2000", len(list))
		}
		for i := 0; i < 100; i++ {
			th, err := m.ReadThread(ctx, ids[(i*19)%len(ids)])
			if err != nil {
				b.Fatal(err)
			}
			if len(th.Messages) < 5 {
				b.Fatalf("thread %s has %d messages", th.ID, len(th.Messages))
			}
		}
	}
	open := func(b *testing.B) *Maildir {
		m, err := OpenMaildir(dir, MaildirOptions{})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			op(b, open(b))
		}
	})
	b.Run("warm", func(b *testing.B) {
		m := open(b)
		op(b, m)
		time.Sleep(50 * time.Millisecond) // leave the racy-mtime window of the last write
		op(b, m)
		for b.Loop() {
			op(b, m)
		}
	})
	b.Run("delivery", func(b *testing.B) {
		m := open(b)
		op(b, m)
		i := 0
		for b.Loop() {
			msg := contract.MailMessage{MessageID: fmt.Sprintf("late-%d@x.example", i), InReplyTo: ids[i%len(ids)],
				From: "r@x.example", Subject: "Re: late", Date: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Body: "late"}
			if err := os.WriteFile(filepath.Join(dir, "new", fmt.Sprintf("1800000000.late%d.bench", i)), msg.Raw(), 0o600); err != nil {
				b.Fatal(err)
			}
			i++
			op(b, m)
		}
	})
}

// BenchmarkTrackerFindByIntakeKey1k: FindByIntakeKey over 1,000 trackers, each
// with a ~2 KB body carrying its intake block.
func BenchmarkTrackerFindByIntakeKey1k(b *testing.B) {
	ctx := context.Background()
	w := openTest(b, Options{})
	seed := &Seed{ReferenceTime: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Labels: []string{"security issue", "needs triage"}}
	filler := strings.Repeat("### The issue description\n\nA long description of the report and its impact.\n", 25)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = lifecycle.MailIntakeKey(fmt.Sprintf("<report-%d@reporter.example.org>", i))
		meta := lifecycle.IntakeMeta{Key: keys[i], Source: "mail", Reporter: "r@reporter.example.org"}
		seed.Issues = append(seed.Issues, SeedIssue{
			Title: fmt.Sprintf("Report %d", i), Body: meta.Comment() + "\n" + filler,
			Labels: []string{"security issue", "needs triage"}, Author: "alice", Created: seed.ReferenceTime.Add(-time.Duration(i) * time.Hour),
		})
	}
	if err := w.ApplySeed(ctx, seed); err != nil {
		b.Fatal(err)
	}
	tr := w.Tracker()
	i := 0
	for b.Loop() {
		got, err := tr.FindByIntakeKey(ctx, keys[(i*37)%len(keys)])
		if err != nil || len(got) != 1 {
			b.Fatalf("FindByIntakeKey = %d issues, %v", len(got), err)
		}
		i++
	}
}
