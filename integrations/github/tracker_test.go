package github_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func TestTrackerReads(t *testing.T) {
	e := newEnv(t)
	closedAt := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	open := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "XSS in the UI", Body: "body", Labels: []string{"needs triage", "security issue"},
		Assignees: []string{"alice"}, Milestone: "Airflow 3.0.1", Author: "alice"})
	closed := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "Old", State: "closed", StateReason: "not_planned", ClosedAt: closedAt, Labels: []string{"invalid"}})
	pr := e.fake.AddPR(trackerRepo, fakegithub.PR{Title: "a PR in the tracker repo"})
	tr := e.client.Tracker()

	tests := []struct {
		name   string
		filter lifecycle.IssueFilter
		want   []int
	}{
		{"default is open", lifecycle.IssueFilter{}, []int{open}},
		{"closed", lifecycle.IssueFilter{State: "closed"}, []int{closed}},
		{"all without pull requests", lifecycle.IssueFilter{State: "all"}, []int{open, closed}},
		{"labels all must match", lifecycle.IssueFilter{State: "all", Labels: []string{"needs triage", "security issue"}}, []int{open}},
		{"label no match", lifecycle.IssueFilter{State: "all", Labels: []string{"needs triage", "invalid"}}, nil},
		{"since", lifecycle.IssueFilter{State: "all", Since: time.Now().Add(time.Hour)}, nil},
	}
	for _, tc := range tests {
		t.Run("ListIssues/"+tc.name, func(t *testing.T) {
			got, err := tr.ListIssues(ctx(t), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var nums []int
			for _, is := range got {
				nums = append(nums, is.Number)
			}
			if !slices.Equal(nums, tc.want) {
				t.Fatalf("numbers = %v, want %v", nums, tc.want)
			}
		})
	}

	t.Run("GetIssue maps every field", func(t *testing.T) {
		is, err := tr.GetIssue(ctx(t), open)
		if err != nil {
			t.Fatal(err)
		}
		if is.Repo != trackerRepo || is.Title != "XSS in the UI" || is.State != "open" || is.Author != "alice" ||
			is.Milestone != "Airflow 3.0.1" || !slices.Equal(is.Assignees, []string{"alice"}) ||
			!is.HasLabel("Security Issue") || !strings.HasPrefix(is.NodeID, "I_") || is.Version == "" ||
			is.URL != "https://github.com/"+trackerRepo+"/issues/1" || is.CreatedAt.IsZero() {
			t.Fatalf("unexpected issue %+v", is)
		}
		c, err := tr.GetIssue(ctx(t), closed)
		if err != nil {
			t.Fatal(err)
		}
		if c.State != "closed" || c.StateReason != "not_planned" || !c.ClosedAt.Equal(closedAt) {
			t.Fatalf("closed issue = %+v", c)
		}
	})

	for _, tc := range []struct {
		name   string
		number int
	}{{"missing issue", 999}, {"pull request number", pr}} {
		t.Run("GetIssue/"+tc.name, func(t *testing.T) {
			_, err := tr.GetIssue(ctx(t), tc.number)
			if !errors.Is(err, lifecycle.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
	}

	t.Run("ListLabels, ListMilestones (closed too), Collaborators", func(t *testing.T) {
		labels, err := tr.ListLabels(ctx(t))
		if err != nil || !slices.Contains(labels, "security issue") || len(labels) != 8 {
			t.Fatalf("labels = %v, %v", labels, err)
		}
		ms, err := tr.ListMilestones(ctx(t))
		if err != nil || !slices.Equal(ms, []string{"Airflow 3.0.1", "Airflow 2.10.5"}) {
			t.Fatalf("milestones = %v, %v", ms, err)
		}
		co, err := tr.Collaborators(ctx(t))
		if err != nil || !slices.Equal(co, []string{"alice", "bob"}) {
			t.Fatalf("collaborators = %v, %v", co, err)
		}
	})
}

func TestListIssuesPaginatesFully(t *testing.T) {
	e := newEnv(t)
	const n = 230
	for i := range n {
		e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: fmt.Sprintf("issue %d", i)})
	}
	e.fake.AddPR(trackerRepo, fakegithub.PR{Title: "pr"})
	got, err := e.client.Tracker().ListIssues(ctx(t), lifecycle.IssueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d issues, want %d", len(got), n)
	}
	for i, is := range got {
		if is.Number != i+1 {
			t.Fatalf("issue %d has number %d: order or pagination broken", i, is.Number)
		}
	}
	if c := e.client.Counter().Counts()["GET /repos/{owner}/{repo}/issues"]; c != 3 {
		t.Fatalf("list requests = %d, want 3 pages of 100", c)
	}
}

func TestTrackerWrites(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, e *env, n int) (lifecycle.Issue, error)
		check func(t *testing.T, got lifecycle.Issue, stored fakegithub.Issue)
	}{
		{"SetBody", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			return e.client.Tracker().SetBody(ctx(t), n, "new body")
		}, func(t *testing.T, got lifecycle.Issue, st fakegithub.Issue) {
			if got.Body != "new body" || st.Body != "new body" {
				t.Fatalf("body = %q / stored %q", got.Body, st.Body)
			}
		}},
		{"CloseIssue not_planned", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			return e.client.Tracker().CloseIssue(ctx(t), n, "not_planned")
		}, func(t *testing.T, got lifecycle.Issue, st fakegithub.Issue) {
			if got.State != "closed" || got.StateReason != "not_planned" || got.ClosedAt.IsZero() || st.State != "closed" {
				t.Fatalf("closed = %+v", got)
			}
		}},
		{"CloseIssue default completed", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			return e.client.Tracker().CloseIssue(ctx(t), n, "")
		}, func(t *testing.T, got lifecycle.Issue, _ fakegithub.Issue) {
			if got.StateReason != "completed" {
				t.Fatalf("reason = %q", got.StateReason)
			}
		}},
		{"ReopenIssue", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			if _, err := e.client.Tracker().CloseIssue(ctx(t), n, "completed"); err != nil {
				return lifecycle.Issue{}, err
			}
			return e.client.Tracker().ReopenIssue(ctx(t), n)
		}, func(t *testing.T, got lifecycle.Issue, _ fakegithub.Issue) {
			if got.State != "open" || got.StateReason != "reopened" || !got.ClosedAt.IsZero() {
				t.Fatalf("reopened = %+v", got)
			}
		}},
		{"SetAssignees replaces; unassignable dropped", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			return e.client.Tracker().SetAssignees(ctx(t), n, []string{"bob", "mallory"})
		}, func(t *testing.T, got lifecycle.Issue, st fakegithub.Issue) {
			if !slices.Equal(got.Assignees, []string{"bob"}) || !slices.Equal(st.Assignees, []string{"bob"}) {
				t.Fatalf("assignees = %v", got.Assignees)
			}
		}},
		{"SetMilestone by title, closed milestone too", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			return e.client.Tracker().SetMilestone(ctx(t), n, "airflow 2.10.5")
		}, func(t *testing.T, got lifecycle.Issue, st fakegithub.Issue) {
			if got.Milestone != "Airflow 2.10.5" || st.Milestone != "Airflow 2.10.5" {
				t.Fatalf("milestone = %q", got.Milestone)
			}
		}},
		{"SetMilestone empty clears", func(t *testing.T, e *env, n int) (lifecycle.Issue, error) {
			if _, err := e.client.Tracker().SetMilestone(ctx(t), n, "Airflow 3.0.1"); err != nil {
				return lifecycle.Issue{}, err
			}
			return e.client.Tracker().SetMilestone(ctx(t), n, "")
		}, func(t *testing.T, got lifecycle.Issue, st fakegithub.Issue) {
			if got.Milestone != "" || st.Milestone != "" {
				t.Fatalf("milestone = %q", got.Milestone)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Body: "b", Assignees: []string{"alice"}})
			before, err := e.client.Tracker().Version(ctx(t), n)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.write(t, e, n)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := e.fake.Issue(trackerRepo, n)
			tc.check(t, got, st)
			after, err := e.client.Tracker().Version(ctx(t), n)
			if err != nil {
				t.Fatal(err)
			}
			if after == before || after != got.Version {
				t.Fatalf("version before %q, after %q, returned %q: a write must change it and the returned issue must carry it", before, after, got.Version)
			}
		})
	}
}

func TestTrackerWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		call    func(t *testing.T, e *env) error
		wantIs  error
		wantMsg string
	}{
		{"milestone that does not exist", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().SetMilestone(ctx(t), 1, "Airflow 9")
			return err
		}, lifecycle.ErrNotFound, `milestone "Airflow 9" does not exist`},
		{"bad close reason", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().CloseIssue(ctx(t), 1, "because")
			return err
		}, nil, `close reason "because"`},
		{"create without title", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().CreateIssue(ctx(t), lifecycle.NewIssue{Body: "x"})
			return err
		}, nil, "title is empty"},
		{"edit a missing issue", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().SetBody(ctx(t), 404, "x")
			return err
		}, lifecycle.ErrNotFound, "not found"},
		{"comment on a missing issue", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().CreateComment(ctx(t), 404, "x")
			return err
		}, lifecycle.ErrNotFound, "comment on issue #404"},
		{"update a missing comment", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().UpdateComment(ctx(t), 1, 123456, "x")
			return err
		}, lifecycle.ErrNotFound, "update comment 123456"},
		{"delete a missing comment", func(t *testing.T, e *env) error {
			return e.client.Tracker().DeleteComment(ctx(t), 1, 123456)
		}, lifecycle.ErrNotFound, "delete comment 123456"},
		{"bad list state", func(t *testing.T, e *env) error {
			_, err := e.client.Tracker().ListIssues(ctx(t), lifecycle.IssueFilter{State: "merged"})
			return err
		}, nil, `state "merged"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "one"})
			err := tc.call(t, e)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.wantMsg)
			}
		})
	}
}

func TestEditLabels(t *testing.T) {
	tests := []struct {
		name        string
		start       []string
		add, remove []string
		want        []string
		wantErr     string // every missing label is named
		wantPatches int
	}{
		{"add and remove in one call", []string{"needs triage", "security issue"}, []string{"airflow"}, []string{"needs triage"},
			[]string{"security issue", "airflow"}, "", 1},
		{"case-insensitive, repository spelling kept", []string{"Security Issue"}, []string{"CVE ALLOCATED"}, []string{"SECURITY ISSUE"},
			[]string{"cve allocated"}, "", 1},
		{"removing an absent label is harmless", []string{"security issue"}, nil, []string{"pr merged"},
			[]string{"security issue"}, "", 0},
		{"no change writes nothing", []string{"security issue"}, []string{"security issue"}, nil,
			[]string{"security issue"}, "", 0},
		{"remove everything", []string{"needs triage", "security issue"}, nil, []string{"needs triage", "security issue"},
			[]string{}, "", 1},
		{"unknown labels refused, nothing changed", []string{"needs triage"}, []string{"airflow", "not-a-label", "also missing"}, []string{"needs triage"},
			[]string{"needs triage"}, `label "not-a-label", "also missing" not defined`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Labels: tc.start})
			labelsBefore := e.fake.Labels(trackerRepo)
			got, err := e.client.Tracker().EditLabels(ctx(t), n, tc.add, tc.remove)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, lifecycle.ErrNotFound) {
					t.Fatalf("err = %v, want one naming the missing labels (%s)", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			st, _ := e.fake.Issue(trackerRepo, n)
			if !slices.Equal(st.Labels, tc.want) {
				t.Fatalf("stored labels = %q, want %q", st.Labels, tc.want)
			}
			if tc.wantErr == "" && !slices.Equal(got.Labels, tc.want) {
				t.Fatalf("returned labels = %q, want %q", got.Labels, tc.want)
			}
			if p := e.client.Counter().Counts()["PATCH /repos/{owner}/{repo}/issues/{issue_number}"]; p != tc.wantPatches {
				t.Fatalf("PATCH calls = %d, want %d", p, tc.wantPatches)
			}
			if after := e.fake.Labels(trackerRepo); !slices.Equal(after, labelsBefore) {
				t.Fatalf("repository labels changed: %v → %v (labels are never created)", labelsBefore, after)
			}
		})
	}
}

func TestCreateIssue(t *testing.T) {
	t.Run("title, body and labels in one call", func(t *testing.T) {
		e := newEnv(t)
		is, err := e.client.Tracker().CreateIssue(ctx(t), lifecycle.NewIssue{Title: "New report", Body: "details", Labels: []string{"Needs Triage", "security issue"}})
		if err != nil {
			t.Fatal(err)
		}
		st, ok := e.fake.Issue(trackerRepo, is.Number)
		if !ok || st.Title != "New report" || st.Body != "details" || !slices.Equal(st.Labels, []string{"needs triage", "security issue"}) || st.Author != "steward-bot" {
			t.Fatalf("stored %+v", st)
		}
		counts := e.client.Counter().Counts()
		if counts["POST /repos/{owner}/{repo}/issues"] != 1 || counts["PATCH /repos/{owner}/{repo}/issues/{issue_number}"] != 0 {
			t.Fatalf("counts = %v: want one create and no follow-up edit", counts)
		}
	})
	t.Run("unknown label refused before anything is created", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.client.Tracker().CreateIssue(ctx(t), lifecycle.NewIssue{Title: "x", Labels: []string{"security issue", "typo label"}})
		if err == nil || !strings.Contains(err.Error(), `"typo label"`) {
			t.Fatalf("err = %v", err)
		}
		if _, ok := e.fake.Issue(trackerRepo, 1); ok {
			t.Fatal("an issue was created")
		}
		if slices.Contains(e.fake.Labels(trackerRepo), "typo label") {
			t.Fatal("the label was created")
		}
	})
}

func TestComments(t *testing.T) {
	e := newEnv(t)
	tr := e.client.Tracker()
	n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Comments: []fakegithub.Comment{{Author: "alice", Body: "first"}}})
	v0, _ := tr.Version(ctx(t), n)

	c, err := tr.CreateComment(ctx(t), n, "<!-- rollup -->\nhello")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.Author != "steward-bot" || !strings.Contains(c.URL, fmt.Sprintf("#issuecomment-%d", c.ID)) {
		t.Fatalf("comment = %+v", c)
	}
	v1, _ := tr.Version(ctx(t), n)

	u, err := tr.UpdateComment(ctx(t), n, c.ID, "<!-- rollup -->\nhello again")
	if err != nil || u.Body != "<!-- rollup -->\nhello again" || u.ID != c.ID {
		t.Fatalf("update = %+v, %v", u, err)
	}
	v2, _ := tr.Version(ctx(t), n)

	list, err := tr.ListComments(ctx(t), n)
	if err != nil || len(list) != 2 || list[0].Body != "first" || list[0].Author != "alice" || list[1].Body != u.Body {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := tr.DeleteComment(ctx(t), n, c.ID); err != nil {
		t.Fatal(err)
	}
	v3, _ := tr.Version(ctx(t), n)
	if got := e.fake.Comments(trackerRepo, n); len(got) != 1 {
		t.Fatalf("after delete: %+v", got)
	}
	if len(map[string]bool{v0: true, v1: true, v2: true, v3: true}) != 4 {
		t.Fatalf("versions %q %q %q %q: each comment write must change the version", v0, v1, v2, v3)
	}
}

func TestListCommentsPaginates(t *testing.T) {
	e := newEnv(t)
	var seeded []fakegithub.Comment
	for i := range 150 {
		seeded = append(seeded, fakegithub.Comment{Body: fmt.Sprintf("c%d", i)})
	}
	n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Comments: seeded})
	list, err := e.client.Tracker().ListComments(ctx(t), n)
	if err != nil || len(list) != 150 || list[149].Body != "c149" {
		t.Fatalf("got %d comments, %v", len(list), err)
	}
}

func TestFindByIntakeKey(t *testing.T) {
	key := lifecycle.MailIntakeKey("<CAF00+x=y@Mail.Example.ORG>")
	meta := lifecycle.IntakeMeta{Key: key, Source: "mail"}.Comment()
	other := lifecycle.IntakeMeta{Key: key + "x", Source: "mail"}.Comment()

	e := newEnv(t)
	tr := e.client.Tracker()
	// An old tracker beyond the recent-issues window: only search finds it.
	old := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "old", Body: "x\n" + meta, State: "closed"})
	for i := range 60 {
		e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: fmt.Sprintf("filler %d", i)})
	}
	e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "near miss", Body: other})
	e.fake.AddPR(trackerRepo, fakegithub.PR{Title: "pr quoting the key", Body: meta})
	e.fake.AddIssue("acme/other-repo", fakegithub.Issue{Title: "elsewhere", Body: meta})

	created, err := tr.CreateIssue(ctx(t), lifecycle.NewIssue{Title: "just created", Body: "body\n" + meta})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.FindByIntakeKey(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, is := range got {
		nums = append(nums, is.Number)
	}
	if !slices.Equal(nums, []int{old, created.Number}) {
		t.Fatalf("found %v, want [%d %d]", nums, old, created.Number)
	}

	var queries []string
	for _, r := range e.fake.Requests() {
		if r.Route == "/search/issues" {
			queries = append(queries, r.Query)
		}
	}
	if len(queries) != 1 || !strings.Contains(queries[0], "repo%3Aacme%2Fsecurity-tracker") ||
		!strings.Contains(queries[0], "is%3Aissue") || !strings.Contains(queries[0], "in%3Abody") {
		t.Fatalf("search queries = %v", queries)
	}
	counts := e.client.Counter().Counts()
	if counts["GET /search/issues"] != 1 || counts["GET /repos/{owner}/{repo}/issues"] != 1 || counts[opGetIssue] != 1 {
		t.Fatalf("counts = %v: want one search, one recent-issues read, one re-read of the search-only hit", counts)
	}

}

func TestFindByIntakeKeySeesIssuesTheSearchIndexMissed(t *testing.T) {
	key := "mail:lagging@example.org"
	e := newEnv(t)
	n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "fresh", Body: lifecycle.IntakeMeta{Key: key}.Comment()})
	// The index has not caught up: search answers with no hits.
	e.fake.HideFromSearch(trackerRepo, n)
	got, err := e.client.Tracker().FindByIntakeKey(ctx(t), key)
	if err != nil || len(got) != 1 || got[0].Number != n {
		t.Fatalf("got %+v, %v", got, err)
	}
}
