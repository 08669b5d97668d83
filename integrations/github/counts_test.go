package github_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// TestRequestsPerOperation pins how many API requests each port method costs
// (cold caches, one page of results, issue already on the board where that
// matters). A change here is a performance change: review it.
func TestRequestsPerOperation(t *testing.T) {
	const (
		getIssue    = "GET /repos/{owner}/{repo}/issues/{issue_number}"
		patchIssue  = "PATCH /repos/{owner}/{repo}/issues/{issue_number}"
		listIssues  = "GET /repos/{owner}/{repo}/issues"
		postIssue   = "POST /repos/{owner}/{repo}/issues"
		labels      = "GET /repos/{owner}/{repo}/labels"
		milestones  = "GET /repos/{owner}/{repo}/milestones"
		comments    = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"
		postComment = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"
		editComment = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"
		delComment  = "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"
		collabs     = "GET /repos/{owner}/{repo}/collaborators"
		search      = "GET /search/issues"
		pull        = "GET /repos/{owner}/{repo}/pulls/{pull_number}"
		pullFiles   = "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"
		releases    = "GET /repos/{owner}/{repo}/releases"
	)
	key := lifecycle.MailIntakeKey("<counted@example.org>")
	tests := []struct {
		name string
		call func(t *testing.T, e *env, n, commentID, pr int) error
		want map[string]int
	}{
		{"GetIssue", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().GetIssue(ctx(t), n)
			return err
		},
			map[string]int{getIssue: 1}},
		{"Version", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().Version(ctx(t), n)
			return err
		},
			map[string]int{getIssue: 1}},
		{"ListIssues (≤100)", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().ListIssues(ctx(t), lifecycle.IssueFilter{State: "all"})
			return err
		}, map[string]int{listIssues: 1}},
		{"FindByIntakeKey", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().FindByIntakeKey(ctx(t), key)
			return err
		},
			map[string]int{search: 1, listIssues: 1}},
		{"CreateIssue with labels", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().CreateIssue(ctx(t), lifecycle.NewIssue{Title: "x", Labels: []string{"needs triage", "security issue"}})
			return err
		}, map[string]int{labels: 1, postIssue: 1}},
		{"CreateIssue without labels", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().CreateIssue(ctx(t), lifecycle.NewIssue{Title: "x"})
			return err
		}, map[string]int{postIssue: 1}},
		{"SetBody", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().SetBody(ctx(t), n, "b2")
			return err
		},
			map[string]int{patchIssue: 1}},
		{"EditLabels add+remove", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().EditLabels(ctx(t), n, []string{"airflow"}, []string{"needs triage"})
			return err
		}, map[string]int{getIssue: 1, labels: 1, patchIssue: 1}},
		{"EditLabels remove only", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().EditLabels(ctx(t), n, nil, []string{"needs triage"})
			return err
		}, map[string]int{getIssue: 1, patchIssue: 1}},
		{"CloseIssue", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().CloseIssue(ctx(t), n, "not_planned")
			return err
		},
			map[string]int{patchIssue: 1}},
		{"ReopenIssue", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().ReopenIssue(ctx(t), n)
			return err
		},
			map[string]int{patchIssue: 1}},
		{"SetAssignees", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().SetAssignees(ctx(t), n, []string{"alice"})
			return err
		}, map[string]int{patchIssue: 1}},
		{"SetMilestone", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().SetMilestone(ctx(t), n, "Airflow 3.0.1")
			return err
		}, map[string]int{milestones: 1, patchIssue: 1}},
		{"ListMilestones", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().ListMilestones(ctx(t))
			return err
		},
			map[string]int{milestones: 1}},
		{"ListLabels", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().ListLabels(ctx(t))
			return err
		},
			map[string]int{labels: 1}},
		{"Collaborators", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Tracker().Collaborators(ctx(t))
			return err
		},
			map[string]int{collabs: 1}},
		{"ListComments", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().ListComments(ctx(t), n)
			return err
		},
			map[string]int{comments: 1}},
		{"CreateComment", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().CreateComment(ctx(t), n, "c")
			return err
		},
			map[string]int{postComment: 1}},
		{"UpdateComment", func(t *testing.T, e *env, n, c, _ int) error {
			_, err := e.client.Tracker().UpdateComment(ctx(t), n, int64(c), "c2")
			return err
		}, map[string]int{editComment: 1}},
		{"DeleteComment", func(t *testing.T, e *env, n, c, _ int) error {
			return e.client.Tracker().DeleteComment(ctx(t), n, int64(c))
		},
			map[string]int{delComment: 1}},
		{"BoardItem", func(t *testing.T, e *env, n, _, _ int) error {
			_, err := e.client.Tracker().BoardItem(ctx(t), n)
			return err
		},
			map[string]int{opItems: 1}},
		{"MoveToColumn (node id not yet known)", func(t *testing.T, e *env, n, _, _ int) error {
			return e.client.Tracker().MoveToColumn(ctx(t), n, "Assessed")
		}, map[string]int{getIssue: 1, opAdd: 1, opUpdate: 1}},
		{"MoveToColumn after a read of the issue", func(t *testing.T, e *env, n, _, _ int) error {
			if _, err := e.client.Tracker().GetIssue(ctx(t), n); err != nil {
				return err
			}
			e.client.Counter().Reset()
			return e.client.Tracker().MoveToColumn(ctx(t), n, "Assessed")
		}, map[string]int{opAdd: 1, opUpdate: 1}},
		{"ArchiveBoardItem", func(t *testing.T, e *env, n, _, _ int) error { return e.client.Tracker().ArchiveBoardItem(ctx(t), n) },
			map[string]int{opItems: 1, opArchive: 1}},
		{"GetPullRequest (≤100 files)", func(t *testing.T, e *env, _, _, pr int) error {
			_, err := e.client.Upstream().GetPullRequest(ctx(t), pr)
			return err
		}, map[string]int{pull: 1, pullFiles: 1}},
		{"SearchPullRequests", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Upstream().SearchPullRequests(ctx(t), []string{"fix"}, "merged")
			return err
		}, map[string]int{search: 1}},
		{"ListReleases", func(t *testing.T, e *env, _, _, _ int) error {
			_, err := e.client.Upstream().ListReleases(ctx(t))
			return err
		},
			map[string]int{releases: 1}},
	}
	var table []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Body: "b", Labels: []string{"needs triage", "security issue"},
				Comments: []fakegithub.Comment{{Body: "c"}}})
			e.fake.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "Needs triage", false)
			commentID := int(e.fake.Comments(trackerRepo, n)[0].ID)
			pr := e.fake.AddPR(upstreamRepo, fakegithub.PR{Title: "fix", Merged: true, Files: []string{"a.py"}})
			e.fake.AddRelease(upstreamRepo, fakegithub.Release{Tag: "1.0"})
			if err := tc.call(t, e, n, commentID, pr); err != nil {
				t.Fatal(err)
			}
			got := e.client.Counter().Counts()
			if !equalCounts(got, tc.want) {
				t.Fatalf("requests = %v, want %v", got, tc.want)
			}
			table = append(table, fmt.Sprintf("%-40s %d  %s", tc.name, e.client.Counter().Total(), formatCounts(got)))
		})
	}
	t.Log("requests per port method:\n" + strings.Join(table, "\n"))
}

func formatCounts(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// BenchmarkImportOneReport measures the API requests one mail import costs on
// the tracker side: the duplicate check, the issue with its labels, the board
// move (orphan path) and the first rollup comment. Run with -bench and read
// the requests/op metric; the fake answers locally, so ns/op is not GitHub's.
func BenchmarkImportOneReport(b *testing.B) {
	e := newEnv(b)
	tr := e.client.Tracker()
	c := b.Context()
	e.client.Counter().Reset()
	for i := 0; b.Loop(); i++ {
		key := lifecycle.MailIntakeKey(fmt.Sprintf("<bench-%d@example.org>", i))
		if found, err := tr.FindByIntakeKey(c, key); err != nil || len(found) != 0 {
			b.Fatalf("find: %v %v", found, err)
		}
		is, err := tr.CreateIssue(c, lifecycle.NewIssue{Title: "report", Body: lifecycle.IntakeMeta{Key: key}.Comment(),
			Labels: []string{"needs triage", "security issue"}})
		if err != nil {
			b.Fatal(err)
		}
		if err := tr.MoveToColumn(c, is.Number, "Needs triage"); err != nil {
			b.Fatal(err)
		}
		if _, err := tr.CreateComment(c, is.Number, "<!-- rollup -->"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.client.Counter().Total())/float64(b.N), "requests/op")
}
