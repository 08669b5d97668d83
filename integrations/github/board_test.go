package github_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const (
	opResolve   = "GraphQL query repositoryOwner"
	opItems     = "GraphQL query repository"
	opAdd       = "GraphQL mutation addProjectV2ItemById"
	opUpdate    = "GraphQL mutation updateProjectV2ItemFieldValue"
	opArchive   = "GraphQL mutation archiveProjectV2Item"
	opUnarchive = "GraphQL mutation unarchiveProjectV2Item"
	opGetIssue  = "GET /repos/{owner}/{repo}/issues/{issue_number}"
)

type boardState struct {
	column            string
	archived, onBoard bool
}

func TestMoveToColumn(t *testing.T) {
	tests := []struct {
		name string
		// setup puts the issue (number n) on the board or not.
		setup  func(f *fakegithub.Server, n int)
		moves  []string
		want   boardState
		counts map[string]int // requests for all the moves together
	}{
		{"orphan: not on the board yet", func(*fakegithub.Server, int) {}, []string{"Needs triage"},
			boardState{"Needs triage", false, true}, map[string]int{opGetIssue: 1, opAdd: 1, opUpdate: 1}},
		{"auto-added without a status", func(f *fakegithub.Server, n int) { f.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "", false) },
			[]string{"Needs triage"}, boardState{"Needs triage", false, true}, map[string]int{opGetIssue: 1, opAdd: 1, opUpdate: 1}},
		{"idempotent: the same move twice", func(*fakegithub.Server, int) {}, []string{"Assessed", "Assessed"},
			boardState{"Assessed", false, true}, map[string]int{opGetIssue: 1, opAdd: 2, opUpdate: 2}},
		{"from one column to another, name case-insensitive", func(f *fakegithub.Server, n int) {
			f.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "Needs triage", false)
		}, []string{"cve ALLOCATED"}, boardState{"CVE allocated", false, true}, map[string]int{opGetIssue: 1, opAdd: 1, opUpdate: 1}},
		{"archived item is unarchived by a move", func(f *fakegithub.Server, n int) {
			f.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "Announced", true)
		}, []string{"Needs triage"}, boardState{"Needs triage", false, true}, map[string]int{opGetIssue: 1, opAdd: 1, opUnarchive: 1, opUpdate: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Labels: []string{"security issue"}})
			tc.setup(e.fake, n)
			for _, col := range tc.moves {
				if err := e.client.Tracker().MoveToColumn(ctx(t), n, col); err != nil {
					t.Fatal(err)
				}
			}
			var got boardState
			got.column, got.archived, got.onBoard = e.fake.BoardStatus(boardOwner, boardNumber, trackerRepo, n)
			if got != tc.want {
				t.Fatalf("board = %+v, want %+v", got, tc.want)
			}
			if counts := e.client.Counter().Counts(); !equalCounts(counts, tc.counts) {
				t.Fatalf("requests = %v, want %v", counts, tc.counts)
			}
			item, err := e.client.Tracker().BoardItem(ctx(t), n)
			if err != nil || item != (lifecycle.BoardItem{Column: tc.want.column, Archived: tc.want.archived, OnBoard: true}) {
				t.Fatalf("BoardItem = %+v, %v", item, err)
			}
		})
	}
}

func TestMoveToColumnAfterColumnsAreEdited(t *testing.T) {
	e := newEnv(t)
	n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t"})
	if err := e.client.Tracker().MoveToColumn(ctx(t), n, "Needs triage"); err != nil {
		t.Fatal(err)
	}
	oldID := e.fake.OptionID(boardOwner, boardNumber, "Assessed")
	// Someone edits the column list in the UI: every option id changes.
	e.fake.SetColumns(boardOwner, boardNumber, append([]string{"Inbox"}, columns...)...)
	if e.fake.OptionID(boardOwner, boardNumber, "Assessed") == oldID {
		t.Fatal("fake did not regenerate option ids")
	}
	e.client.Counter().Reset()
	if err := e.client.Tracker().MoveToColumn(ctx(t), n, "Assessed"); err != nil {
		t.Fatalf("move after the edit: %v", err)
	}
	if col, _, _ := e.fake.BoardStatus(boardOwner, boardNumber, trackerRepo, n); col != "Assessed" {
		t.Fatalf("column = %q", col)
	}
	want := map[string]int{opAdd: 2, opUpdate: 2, opResolve: 1}
	if counts := e.client.Counter().Counts(); !equalCounts(counts, want) {
		t.Fatalf("requests = %v, want %v (one failed update, one re-introspection, one retry)", counts, want)
	}

	t.Run("a new column is found by re-introspection", func(t *testing.T) {
		if err := e.client.Tracker().MoveToColumn(ctx(t), n, "Inbox"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an unknown column is an error naming the columns", func(t *testing.T) {
		err := e.client.Tracker().MoveToColumn(ctx(t), n, "Done")
		if !errors.Is(err, lifecycle.ErrNotFound) || !strings.Contains(err.Error(), `"Needs triage"`) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestArchiveBoardItem(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fakegithub.Server, n int)
		want   boardState
		counts map[string]int
	}{
		{"on the board", func(f *fakegithub.Server, n int) {
			f.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "Needs triage", false)
		},
			boardState{"Needs triage", true, true}, map[string]int{opItems: 1, opArchive: 1}},
		{"already archived: nothing to do", func(f *fakegithub.Server, n int) {
			f.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "Announced", true)
		}, boardState{"Announced", true, true}, map[string]int{opItems: 1}},
		{"not on the board: skipped, not an error", func(*fakegithub.Server, int) {},
			boardState{}, map[string]int{opItems: 1}},
		{"on another board only", func(f *fakegithub.Server, n int) {
			f.AddProject(boardOwner, 9, "Todo")
			f.AddBoardItem(boardOwner, 9, trackerRepo, n, "Todo", false)
		}, boardState{}, map[string]int{opItems: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t"})
			tc.setup(e.fake, n)
			if err := e.client.Tracker().ArchiveBoardItem(ctx(t), n); err != nil {
				t.Fatal(err)
			}
			var got boardState
			got.column, got.archived, got.onBoard = e.fake.BoardStatus(boardOwner, boardNumber, trackerRepo, n)
			if got != tc.want {
				t.Fatalf("board = %+v, want %+v", got, tc.want)
			}
			if counts := e.client.Counter().Counts(); !equalCounts(counts, tc.counts) {
				t.Fatalf("requests = %v, want %v", counts, tc.counts)
			}
		})
	}
}

func TestBoardItemOffBoardAndPaging(t *testing.T) {
	e := newEnv(t)
	n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t"})
	item, err := e.client.Tracker().BoardItem(ctx(t), n)
	if err != nil || item != (lifecycle.BoardItem{}) {
		t.Fatalf("off board: %+v, %v", item, err)
	}
	// 120 other boards carry the issue: ours is found on the second page.
	for i := 100; i < 220; i++ {
		e.fake.AddProject(boardOwner, i, "Todo")
		e.fake.AddBoardItem(boardOwner, i, trackerRepo, n, "Todo", false)
	}
	e.fake.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "PR merged", false)
	item, err = e.client.Tracker().BoardItem(ctx(t), n)
	if err != nil || item != (lifecycle.BoardItem{Column: "PR merged", OnBoard: true}) {
		t.Fatalf("paged: %+v, %v", item, err)
	}
	if _, err := e.client.Tracker().BoardItem(ctx(t), 999); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Fatalf("missing issue: %v", err)
	}
}

func TestBoardConfiguration(t *testing.T) {
	t.Run("disabled board declines with ErrUnsupported", func(t *testing.T) {
		e := newEnv(t, withoutBoard())
		tr := e.client.Tracker()
		n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t"})
		_, err1 := tr.BoardItem(ctx(t), n)
		err2 := tr.MoveToColumn(ctx(t), n, "Needs triage")
		err3 := tr.ArchiveBoardItem(ctx(t), n)
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, lifecycle.ErrUnsupported) {
				t.Fatalf("err = %v, want ErrUnsupported", err)
			}
		}
		if e.client.Counter().Total() != 0 {
			t.Fatalf("requests sent: %v", e.client.Counter().Counts())
		}
	})

	for _, tc := range []struct {
		name    string
		board   github.BoardConfig
		setup   func(f *fakegithub.Server)
		wantErr string
	}{
		{"user-owned project", github.BoardConfig{Enabled: true, Owner: "carol", Number: 1},
			func(f *fakegithub.Server) { f.AddUser("carol"); f.AddProject("carol", 1, "Needs triage") }, ""},
		{"custom status field name is looked up by name", github.BoardConfig{Enabled: true, Owner: boardOwner, Number: boardNumber, StatusField: "status"},
			func(*fakegithub.Server) {}, ""},
		{"missing project", github.BoardConfig{Enabled: true, Owner: boardOwner, Number: 77}, func(*fakegithub.Server) {},
			"Could not resolve to a ProjectV2 with the number 77"},
		{"missing owner", github.BoardConfig{Enabled: true, Owner: "nobody", Number: 1}, func(*fakegithub.Server) {},
			`no organization or user "nobody"`},
		{"missing field", github.BoardConfig{Enabled: true, Owner: boardOwner, Number: boardNumber, StatusField: "Stage"}, func(*fakegithub.Server) {},
			`no single-select field "Stage"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := []fakegithub.Option{}
			if s := graphQLSchema(); s != nil {
				opts = append(opts, fakegithub.WithSchema(s))
			}
			f := fakegithub.New(opts...)
			defer f.Close()
			seed(f)
			tc.setup(f)
			c, err := github.New(context.Background(), github.Config{TrackerRepo: trackerRepo, BaseURL: f.URL(), Board: tc.board}, "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, lifecycle.ErrNotFound) {
					t.Fatalf("New err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n := f.AddIssue(trackerRepo, fakegithub.Issue{Title: "t"})
			if err := c.Tracker().MoveToColumn(ctx(t), n, "Needs triage"); err != nil {
				t.Fatal(err)
			}
			if col, _, _ := f.BoardStatus(tc.board.Owner, tc.board.Number, trackerRepo, n); col != "Needs triage" {
				t.Fatalf("column = %q", col)
			}
		})
	}
}

func equalCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
