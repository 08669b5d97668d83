package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/contract"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const (
	testTracker  = "example-org/example-security"
	testUpstream = "example-org/example"
)

// openTest opens a workspace in a temp dir, closed at the end of the test.
func openTest(t testing.TB, opts Options) *Workspace {
	t.Helper()
	if opts.TrackerRepo == "" {
		opts.TrackerRepo = testTracker
	}
	if opts.UpstreamRepo == "" {
		opts.UpstreamRepo = testUpstream
	}
	w, err := Open(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// setupFixture gives the workspace the contract fixture's labels, team and milestones.
func setupFixture(t testing.TB, w *Workspace, fx contract.Fixture) {
	t.Helper()
	ctx := context.Background()
	if err := w.DefineLabels(ctx, fx.Labels...); err != nil {
		t.Fatal(err)
	}
	if err := w.AddCollaborators(ctx, fx.Collaborators...); err != nil {
		t.Fatal(err)
	}
	if err := w.AddMilestones(ctx, fx.Milestones...); err != nil {
		t.Fatal(err)
	}
}

func TestTrackerContract(t *testing.T) {
	contract.TestTracker(t, func(t *testing.T) (lifecycle.Tracker, contract.Fixture) {
		fx := contract.StandardFixture()
		w := openTest(t, Options{BoardEnabled: true, BoardColumns: fx.BoardColumns})
		setupFixture(t, w, fx)
		return w.Tracker(), fx
	})
}

func TestTrackerContractNoBoard(t *testing.T) {
	contract.TestTracker(t, func(t *testing.T) (lifecycle.Tracker, contract.Fixture) {
		fx := contract.StandardFixture()
		fx.BoardColumns = nil
		w := openTest(t, Options{})
		setupFixture(t, w, fx)
		return w.Tracker(), fx
	})
}

// A fixed clock: every write has the same timestamp, so Version alone must
// tell writes apart.
func TestTrackerContractFixedClock(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	contract.TestTracker(t, func(t *testing.T) (lifecycle.Tracker, contract.Fixture) {
		fx := contract.StandardFixture()
		w := openTest(t, Options{BoardEnabled: true, BoardColumns: fx.BoardColumns, Now: func() time.Time { return now }})
		setupFixture(t, w, fx)
		return w.Tracker(), fx
	})
}

func TestUpstreamContract(t *testing.T) {
	contract.TestUpstream(t, func(t *testing.T, prs []lifecycle.PullRequest, rels []lifecycle.Release) lifecycle.Upstream {
		w := openTest(t, Options{})
		for _, pr := range prs {
			if err := w.AddPullRequest(t.Context(), pr); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range rels {
			if err := w.AddRelease(t.Context(), r); err != nil {
				t.Fatal(err)
			}
		}
		return w.Upstream()
	})
}

// writeMaildir creates a Maildir holding the messages in new/ and returns its path.
func writeMaildir(t testing.TB, msgs [][]byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "security")
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i, raw := range msgs {
		name := fmt.Sprintf("17000000%02d.M%dP1.host", i, i)
		if err := os.WriteFile(filepath.Join(dir, "new", name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMailContract(t *testing.T) {
	contract.TestMail(t, func(t *testing.T, seed [][]byte) lifecycle.Mail {
		m, err := OpenMaildir(writeMaildir(t, seed), MaildirOptions{
			From: lifecycle.Address{Name: "Security Team", Email: "security@project.example.org"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}
