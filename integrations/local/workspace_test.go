package local

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	opts := Options{TrackerRepo: testTracker, UpstreamRepo: testUpstream}
	w, err := Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := w.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(migrations))
	}
	if err := w.DefineLabels(ctx, "needs triage"); err != nil {
		t.Fatal(err)
	}
	is, err := w.Tracker().CreateIssue(ctx, lifecycle.NewIssue{Title: "kept", Labels: []string{"needs triage"}})
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := w.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := w.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	w.Close()

	w, err = Open(ctx, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.Tracker().GetIssue(ctx, is.Number)
	if err != nil || got.Title != "kept" || got.Version != is.Version {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	// A database from a newer program is refused, not downgraded.
	if _, err := w.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if _, err := Open(ctx, dir, opts); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: err = %v", err)
	}
}

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no tracker", Options{}, "tracker repo"},
		{"tracker not owner/name", Options{TrackerRepo: "justname"}, "tracker repo"},
		{"bad upstream", Options{TrackerRepo: "a/b", UpstreamRepo: "a/b/c"}, "upstream repo"},
	}
	for _, tc := range tests {
		_, err := Open(t.Context(), t.TempDir(), tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestTrackerGitHubShapes(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	w := openTest(t, Options{Operator: "steward-bot", Now: func() time.Time { return now }})
	if err := w.DefineLabels(ctx, "needs triage", "Security Issue"); err != nil {
		t.Fatal(err)
	}
	tr := w.Tracker()
	a, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: "one", Labels: []string{"security issue"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Number != 1 || b.Number != 2 {
		t.Errorf("numbers = %d, %d; want 1, 2", a.Number, b.Number)
	}
	if a.URL != "https://github.com/example-org/example-security/issues/1" {
		t.Errorf("URL = %q", a.URL)
	}
	if len(a.Labels) != 1 || a.Labels[0] != "Security Issue" {
		t.Errorf("labels = %q, want the repository's spelling [Security Issue]", a.Labels)
	}
	if a.Author != "steward-bot" || !a.CreatedAt.Equal(now) || !strings.HasPrefix(a.Version, "v") {
		t.Errorf("issue = %+v", a)
	}
	c, err := tr.CreateComment(ctx, 1, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID <= 1000000 || c.URL != fmt.Sprintf("%s#issuecomment-%d", a.URL, c.ID) || c.Author != "steward-bot" {
		t.Errorf("comment = %+v", c)
	}
	if _, err := tr.EditLabels(ctx, 1, []string{"needs triage"}, []string{"needs triage"}); err == nil {
		t.Errorf("adding and removing the same label in one call succeeded")
	}
	if _, err := tr.CloseIssue(ctx, 1, "won't fix"); err == nil {
		t.Errorf("closing with an unknown reason succeeded")
	}
	if got, err := tr.CloseIssue(ctx, 1, "not planned"); err != nil || got.StateReason != "not_planned" {
		t.Errorf("CloseIssue(\"not planned\") = %q, %v", got.StateReason, err)
	}
	if _, err := tr.SetAssignees(ctx, 1, []string{"stranger"}); err == nil || !strings.Contains(err.Error(), "stranger") {
		t.Errorf("assigning a non-collaborator: err = %v", err)
	}
	if _, err := tr.SetMilestone(ctx, 1, "9.9.9"); err == nil || !strings.Contains(err.Error(), "9.9.9") {
		t.Errorf("unknown milestone: err = %v", err)
	}
	if _, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: "  "}); err == nil {
		t.Errorf("an issue without a title was created")
	}
}

func TestTrackerNoOpWritesKeepVersion(t *testing.T) {
	ctx := t.Context()
	w := openTest(t, Options{})
	if err := w.DefineLabels(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	tr := w.Tracker()
	is, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: "t", Body: "body", Labels: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	noops := []struct {
		name string
		call func() error
	}{
		{"same body", func() error { _, err := tr.SetBody(ctx, 1, "body"); return err }},
		{"label already there", func() error { _, err := tr.EditLabels(ctx, 1, []string{"A"}, nil); return err }},
		{"absent label removed", func() error { _, err := tr.EditLabels(ctx, 1, nil, []string{"b"}); return err }},
		{"reopen an open issue", func() error { _, err := tr.ReopenIssue(ctx, 1); return err }},
		{"no milestone to none", func() error { _, err := tr.SetMilestone(ctx, 1, ""); return err }},
	}
	for _, tc := range noops {
		if err := tc.call(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if v, _ := tr.Version(ctx, 1); v != is.Version {
			t.Errorf("%s changed Version %s -> %s", tc.name, is.Version, v)
		}
	}
}

func TestTrackerConcurrentCreates(t *testing.T) {
	ctx := t.Context()
	w := openTest(t, Options{})
	tr := w.Tracker()
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: fmt.Sprintf("issue %d", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := tr.ListIssues(ctx, lifecycle.IssueFilter{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, is := range all {
		seen[is.Number] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			t.Errorf("issue #%d missing; numbers must be 1..%d", i, n)
		}
	}
}

func TestFaults(t *testing.T) {
	// Each case runs: CreateIssue, SetBody, GetIssue, CreateIssue, CreateIssue and
	// expects the second CreateIssue (the third write) to fail.
	tests := []struct {
		name    string
		fault   Fault
		written bool // the failing call still wrote its issue
		wantErr error
	}{
		{"before the write", Fault{Op: "CreateIssue", Call: 2}, false, ErrInjected},
		{"response lost", Fault{Op: "CreateIssue", Call: 2, After: true}, true, ErrInjected},
		{"custom error", Fault{Op: "CreateIssue", Call: 2, Err: context.DeadlineExceeded}, false, context.DeadlineExceeded},
		{"nth write of any kind", Fault{Op: AnyWrite, Call: 3}, false, ErrInjected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			w := openTest(t, Options{Faults: NewFaults(tc.fault)})
			tr := w.Tracker()
			var errs []error
			create := func(title string) {
				_, err := tr.CreateIssue(ctx, lifecycle.NewIssue{Title: title})
				errs = append(errs, err)
			}
			create("first")
			if _, err := tr.SetBody(ctx, 1, "edited"); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.GetIssue(ctx, 1); err != nil {
				t.Fatal(err)
			}
			create("second")
			create("third")
			if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], tc.wantErr) {
				t.Fatalf("errors = %v; want only the second CreateIssue to fail with %v", errs, tc.wantErr)
			}
			all, err := tr.ListIssues(ctx, lifecycle.IssueFilter{State: "all"})
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, is := range all {
				titles = append(titles, is.Title)
			}
			want := 2
			if tc.written {
				want = 3
			}
			if len(all) != want {
				t.Errorf("issues = %q, want %d", titles, want)
			}
		})
	}
}

func TestFaultsCountReadsAndNil(t *testing.T) {
	var none *Faults
	if b, a := none.begin("GetIssue", false); b != nil || a != nil || none.Calls("GetIssue") != 0 {
		t.Fatalf("nil Faults injected something")
	}
	f := NewFaults(Fault{Op: "GetIssue", Call: 2})
	w := openTest(t, Options{Faults: f})
	tr := w.Tracker()
	if _, err := tr.CreateIssue(t.Context(), lifecycle.NewIssue{Title: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.GetIssue(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.GetIssue(t.Context(), 1); !errors.Is(err, ErrInjected) {
		t.Errorf("second GetIssue: err = %v, want ErrInjected", err)
	}
	if f.Calls("GetIssue") != 2 || f.Calls(AnyWrite) != 1 {
		t.Errorf("calls: GetIssue %d, writes %d", f.Calls("GetIssue"), f.Calls(AnyWrite))
	}
}

func TestCNATransitions(t *testing.T) {
	ctx := t.Context()
	const id = "CVE-2026-12345"
	tests := []struct {
		name    string
		do      func(c lifecycle.CNA) (lifecycle.CVERecord, error)
		want    string // resulting state; "" means an error is expected
		wantErr error
	}{
		{"missing", func(c lifecycle.CNA) (lifecycle.CVERecord, error) { return c.GetRecord(ctx, id) }, "", lifecycle.ErrNotFound},
		{"publish missing", func(c lifecycle.CNA) (lifecycle.CVERecord, error) { return c.Publish(ctx, id) }, "", lifecycle.ErrNotFound},
		{"create", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, JSON: []byte(`{"a":1}`)})
		}, StateDraft, nil},
		{"skip to READY", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, State: StateReady})
		}, "", nil},
		{"publish a draft", func(c lifecycle.CNA) (lifecycle.CVERecord, error) { return c.Publish(ctx, id) }, "", nil},
		{"to REVIEW", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, State: StateReview})
		}, StateReview, nil},
		{"PUBLIC by update", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, State: StatePublic})
		}, "", nil},
		{"invalid JSON", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, JSON: []byte(`{`)})
		}, "", nil},
		{"to READY", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, State: StateReady})
		}, StateReady, nil},
		{"publish", func(c lifecycle.CNA) (lifecycle.CVERecord, error) { return c.Publish(ctx, id) }, StatePublic, nil},
		{"publish again", func(c lifecycle.CNA) (lifecycle.CVERecord, error) { return c.Publish(ctx, id) }, StatePublic, nil},
		{"back to DRAFT", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, State: StateDraft})
		}, "", nil},
		{"update public JSON", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: id, JSON: []byte(`{"a":2}`)})
		}, StatePublic, nil},
		{"not a CVE id", func(c lifecycle.CNA) (lifecycle.CVERecord, error) {
			return c.UpdateRecord(ctx, lifecycle.CVERecord{ID: "GHSA-xxxx"})
		}, "", nil},
	}
	w := openTest(t, Options{})
	c := w.CNA()
	for _, tc := range tests { // in order: each step starts where the last one left the record
		rec, err := tc.do(c)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: succeeded (%+v), want an error", tc.name, rec)
		case tc.want == "" && tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.wantErr)
		case tc.want != "" && (err != nil || rec.State != tc.want):
			t.Errorf("%s: state %q, err %v; want %s", tc.name, rec.State, err, tc.want)
		}
	}
	rec, err := c.GetRecord(ctx, strings.ToLower(id))
	if err != nil || string(rec.JSON) != `{"a":2}` || rec.State != StatePublic {
		t.Errorf("final record = %+v, %v", rec, err)
	}
}

func TestArchive(t *testing.T) {
	ctx := t.Context()
	w := openTest(t, Options{})
	a := w.Archive()
	if _, err := a.FindThreadURL(ctx, "announce@example.org", "<adv-1@example.org>"); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("unseeded archive: err = %v, want ErrNotFound", err)
	}
	const url = "https://lists.example.org/thread/abc123?announce@example.org"
	if err := w.AddArchiveURL(ctx, "announce@example.org", "<adv-1@EXAMPLE.org>", url); err != nil {
		t.Fatal(err)
	}
	got, err := a.FindThreadURL(ctx, "Announce@example.org", "adv-1@example.org")
	if err != nil || got != url {
		t.Errorf("FindThreadURL = %q, %v; want %q", got, err, url)
	}
}
