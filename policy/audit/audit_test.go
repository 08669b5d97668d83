package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordAndRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "audit")
	path := filepath.Join(dir, "audit.jsonl")
	l, err := Open(path, "cookie-value-123")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	records := []Record{
		{Time: when, Tool: "triage_apply", PlanID: "p1", ActionID: "a1", Kind: "add_labels", Target: "org/tracker#12", Audience: "private-tracker", Status: "done", Summary: "add label\nvalid", Operator: "@alice"},
		{Tool: "fix_apply", Status: "refused", Summary: "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 and cookie-value-123 in text"},
	}
	for _, r := range records {
		if err := l.Record(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d records", len(got))
	}
	if !got[0].Time.Equal(when) || got[0].Summary != "add label\nvalid" || got[0].Operator != "@alice" || got[0].Target != "org/tracker#12" {
		t.Errorf("first record %+v", got[0])
	}
	if got[1].Time.IsZero() {
		t.Error("zero time not filled in")
	}
	if strings.Contains(got[1].Summary, "ghp_") || strings.Contains(got[1].Summary, "cookie-value-123") {
		t.Errorf("secret in audit log: %q", got[1].Summary)
	}
	raw, _ := os.ReadFile(path)
	if lines := strings.Count(string(raw), "\n"); lines != 2 {
		t.Errorf("%d lines, want one per record", lines)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %#o", fi.Mode().Perm())
		}
		if di, _ := os.Stat(dir); di.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %#o", di.Mode().Perm())
		}
	}
}

func TestRecordErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		rec  Record
		want string
	}{
		{"cancelled", ctx, Record{Tool: "x"}, "canceled"},
		{"no tool", context.Background(), Record{Status: "done"}, "tool is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.Record(tc.ctx, tc.rec); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(context.Background(), Record{Tool: "x"}); err == nil {
		t.Fatal("record after close accepted")
	}
	if recs, _ := Read(path); len(recs) != 0 {
		t.Fatalf("refused records were written: %+v", recs)
	}
}

func TestOpenTightensPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits")
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %#o after open", fi.Mode().Perm())
	}
}

func TestConcurrentRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l1, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := Open(path) // a second handle appends to the same file
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := l1
			if i%2 == 1 {
				l = l2
			}
			if err := l.Record(context.Background(), Record{Tool: "sync_apply", ActionID: fmt.Sprint(i), Summary: strings.Repeat("x", 500)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l1.Close()
	l2.Close()
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.ActionID] = true
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("%d records, %d distinct, want %d", len(got), len(seen), n)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	if recs, err := Read(filepath.Join(dir, "missing.jsonl")); err != nil || recs != nil {
		t.Fatalf("missing file: %v %v", recs, err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"tool":"a"}`+"\n\n"+`{"tool":`), 0o600)
	recs, err := Read(bad)
	if err == nil || !strings.Contains(err.Error(), "line 3") || len(recs) != 1 {
		t.Fatalf("damaged log: %v %v", recs, err)
	}
}
