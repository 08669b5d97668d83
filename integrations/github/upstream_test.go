package github_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
)

func TestUpstream(t *testing.T) {
	e := newEnv(t)
	merged := time.Date(2025, 4, 2, 10, 0, 0, 0, time.UTC)
	var files []string
	for i := range 130 {
		files = append(files, fmt.Sprintf("airflow/f%03d.py", i))
	}
	fix := e.fake.AddPR(upstreamRepo, fakegithub.PR{Title: "Sanitize the path parameter", Body: "Fixes traversal in the log viewer",
		Author: "dave", Merged: true, MergedAt: merged, MergeSHA: strings.Repeat("ab", 20), Files: files, Milestone: "Airflow 3.0.1"})
	open := e.fake.AddPR(upstreamRepo, fakegithub.PR{Title: "Improve log viewer path handling", Body: "refactor"})
	e.fake.AddIssue(upstreamRepo, fakegithub.Issue{Title: "log viewer path issue (not a PR)"})
	e.fake.AddPR("acme/elsewhere", fakegithub.PR{Title: "log viewer path in another repo"})
	e.fake.AddRelease(upstreamRepo, fakegithub.Release{Tag: "3.0.0", Name: "Airflow 3.0.0", PublishedAt: merged.Add(-48 * time.Hour)})
	e.fake.AddRelease(upstreamRepo, fakegithub.Release{Tag: "3.0.1", Name: "Airflow 3.0.1", PublishedAt: merged.Add(48 * time.Hour)})
	e.fake.AddRelease(upstreamRepo, fakegithub.Release{Tag: "3.0.2", Name: "draft", Draft: true})
	up := e.client.Upstream()

	t.Run("GetPullRequest with every page of files", func(t *testing.T) {
		pr, err := up.GetPullRequest(ctx(t), fix)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Repo != upstreamRepo || pr.Title != "Sanitize the path parameter" || pr.State != "closed" || !pr.Merged ||
			!pr.MergedAt.Equal(merged) || pr.MergeSHA != strings.Repeat("ab", 20) || pr.Author != "dave" ||
			pr.Milestone != "Airflow 3.0.1" || !slices.Equal(pr.Files, files) || pr.URL != "https://github.com/acme/widget/pull/1" {
			t.Fatalf("pr = %+v", pr)
		}
		op, err := up.GetPullRequest(ctx(t), open)
		if err != nil || op.Merged || op.MergeSHA != "" || op.State != "open" {
			t.Fatalf("open pr = %+v, %v", op, err)
		}
	})

	for _, tc := range []struct {
		name  string
		terms []string
		state string
		want  []int
	}{
		{"all states, title or body", []string{"log viewer"}, "", []int{open, fix}},
		{"every term must match", []string{"log viewer", "traversal"}, "all", []int{fix}},
		{"merged", []string{"log viewer"}, "merged", []int{fix}},
		{"open", []string{"path"}, "open", []int{open}},
		{"qualifiers in terms cannot widen the scope", []string{"repo:acme/elsewhere log viewer", "-is:merged"}, "", []int{open, fix}},
	} {
		t.Run("SearchPullRequests/"+tc.name, func(t *testing.T) {
			got, err := up.SearchPullRequests(ctx(t), tc.terms, tc.state)
			if err != nil {
				t.Fatal(err)
			}
			var nums []int
			for _, pr := range got {
				nums = append(nums, pr.Number)
				if pr.Repo != upstreamRepo {
					t.Fatalf("result from %s", pr.Repo)
				}
			}
			if !slices.Equal(nums, tc.want) {
				t.Fatalf("numbers = %v, want %v", nums, tc.want)
			}
		})
	}
	t.Run("SearchPullRequests refuses terms that are only syntax", func(t *testing.T) {
		if _, err := up.SearchPullRequests(ctx(t), []string{"repo:x/y", "OR"}, ""); err == nil {
			t.Fatal("no error")
		}
		if _, err := up.SearchPullRequests(ctx(t), []string{"x"}, "draft"); err == nil {
			t.Fatal("no error for a bad state")
		}
	})
	t.Run("ListReleases newest first, drafts skipped", func(t *testing.T) {
		rels, err := up.ListReleases(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(rels) != 2 || rels[0].Tag != "3.0.1" || rels[1].Tag != "3.0.0" || !rels[1].PublishedAt.Equal(merged.Add(-48*time.Hour)) ||
			rels[0].URL != "https://github.com/acme/widget/releases/tag/3.0.1" {
			t.Fatalf("releases = %+v", rels)
		}
	})
}

func TestConditionalRequests(t *testing.T) {
	e := newEnv(t)
	tr := e.client.Tracker()
	n := e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t", Body: "b"})
	first, err := tr.GetIssue(ctx(t), n)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tr.Version(ctx(t), n)
	if err != nil || v != first.Version {
		t.Fatalf("version %q, %v; want %q", v, err, first.Version)
	}
	if e.client.Counter().NotModified() != 1 {
		t.Fatalf("304s = %d, want 1", e.client.Counter().NotModified())
	}
	// The second GET carried If-None-Match and got no body.
	reqs := e.fake.Requests()
	last := reqs[len(reqs)-1]
	if last.IfNoneMatch == "" || last.Status != 304 || len(last.Response) != 0 {
		t.Fatalf("last request = %+v", last)
	}
	// Someone else writes; the next read is a full 200 with the new state.
	if _, err := tr.SetBody(ctx(t), n, "changed"); err != nil {
		t.Fatal(err)
	}
	again, err := tr.GetIssue(ctx(t), n)
	if err != nil || again.Body != "changed" || again.Version == first.Version {
		t.Fatalf("after write: %+v, %v", again, err)
	}
	if e.client.Counter().NotModified() != 1 {
		t.Fatal("a changed issue was served from the cache")
	}
	// Lists are conditional too.
	for range 2 {
		if _, err := tr.ListLabels(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if e.client.Counter().NotModified() != 2 {
		t.Fatalf("304s = %d, want 2", e.client.Counter().NotModified())
	}
}
