package contract

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// UpstreamSeed is what TestUpstream hands to newUpstream: pull requests #1-#3
// (merged, open, closed unmerged; a fake that numbers sequentially gets the same
// numbers by adding them in order) and two releases. Repo and URL are left
// empty: the backend fills them.
func UpstreamSeed() ([]lifecycle.PullRequest, []lifecycle.Release) {
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	prs := []lifecycle.PullRequest{
		{Number: 1, Title: "Normalise static file paths", Body: "Resolve the path before serving it.\nRefactor the static handler.",
			State: "closed", Merged: true, MergedAt: at(2, 10), Author: "alice-sec", CreatedAt: at(2, 3),
			Files: []string{"server/static.go", "server/static_test.go"}},
		{Number: 2, Title: "Improve docs for the static handler", Body: "Docs only.",
			State: "open", Author: "carol", CreatedAt: at(2, 12)},
		{Number: 3, Title: "Static handler experiment", Body: "Superseded.",
			State: "closed", Author: "dave", CreatedAt: at(1, 20)},
	}
	rels := []lifecycle.Release{
		{Tag: "v2.4.1", Name: "2.4.1", PublishedAt: at(1, 10)},
		{Tag: "v2.4.2", Name: "2.4.2", PublishedAt: at(2, 20)},
	}
	return prs, rels
}

// TestUpstream runs the Upstream contract. newUpstream returns a fresh upstream
// repository holding the given pull requests and releases (UpstreamSeed); it is
// called once per subtest.
//
// What it checks: GetPullRequest returns every field and a github.com-shaped URL,
// and wraps ErrNotFound for a missing number; SearchPullRequests matches every
// term, case-insensitively, in title or body, filtered by state (open, closed,
// all); ListReleases lists every release, newest first.
func TestUpstream(t *testing.T, newUpstream func(t *testing.T, prs []lifecycle.PullRequest, rels []lifecycle.Release) lifecycle.Upstream) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, u lifecycle.Upstream)
	}{
		{"GetPullRequest", upstreamGet},
		{"Search", upstreamSearch},
		{"Releases", upstreamReleases},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prs, rels := UpstreamSeed()
			u := newUpstream(t, prs, rels)
			if u.Repo() == "" || !strings.Contains(u.Repo(), "/") {
				t.Errorf("Repo() = %q, want owner/name", u.Repo())
			}
			tc.run(t, u)
		})
	}
}

func upstreamGet(t *testing.T, u lifecycle.Upstream) {
	pr := must(u.GetPullRequest(t.Context(), 1))(t)
	want, _ := UpstreamSeed()
	w := want[0]
	if pr.Number != 1 || pr.Title != w.Title || pr.Body != w.Body || pr.State != "closed" || !pr.Merged ||
		!pr.MergedAt.Equal(w.MergedAt) || pr.Author != w.Author || !pr.CreatedAt.Equal(w.CreatedAt) ||
		!slices.Equal(pr.Files, w.Files) {
		t.Errorf("GetPullRequest(1) = %+v\nwant %+v", pr, w)
	}
	if wantURL := "https://github.com/" + u.Repo() + "/pull/1"; pr.URL != wantURL {
		t.Errorf("URL = %q, want %q", pr.URL, wantURL)
	}
	if open := must(u.GetPullRequest(t.Context(), 2))(t); open.State != "open" || open.Merged || !open.MergedAt.IsZero() {
		t.Errorf("GetPullRequest(2) = %+v", open)
	}
	if _, err := u.GetPullRequest(t.Context(), 999); !errors.Is(err, lifecycle.ErrNotFound) {
		t.Errorf("GetPullRequest(999): err = %v, want ErrNotFound", err)
	}
}

func upstreamSearch(t *testing.T, u lifecycle.Upstream) {
	tests := []struct {
		name  string
		terms []string
		state string
		want  []int
	}{
		{"one term, all states", []string{"static"}, "all", []int{1, 2, 3}},
		{"every term must match", []string{"static", "docs"}, "all", []int{2}},
		{"terms match title or body", []string{"resolve", "normalise"}, "all", []int{1}},
		{"case-insensitive", []string{"STATIC", "Handler"}, "closed", []int{1, 3}},
		{"open only", []string{"static"}, "open", []int{2}},
		{"no match", []string{"static", "kerberos"}, "all", nil},
	}
	for _, tc := range tests {
		var got []int
		for _, pr := range must(u.SearchPullRequests(t.Context(), tc.terms, tc.state))(t) {
			got = append(got, pr.Number)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: SearchPullRequests(%q, %q) = %v, want %v", tc.name, tc.terms, tc.state, got, tc.want)
		}
	}
}

func upstreamReleases(t *testing.T, u lifecycle.Upstream) {
	rels := must(u.ListReleases(t.Context()))(t)
	var tags []string
	for _, r := range rels {
		tags = append(tags, r.Tag)
		if r.URL == "" || r.PublishedAt.IsZero() {
			t.Errorf("release %+v: URL and PublishedAt are required", r)
		}
	}
	if !slices.Equal(tags, []string{"v2.4.2", "v2.4.1"}) {
		t.Errorf("ListReleases tags = %v, want [v2.4.2 v2.4.1] (newest first)", tags)
	}
}
