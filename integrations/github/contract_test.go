package github_test

import (
	"context"
	"testing"

	"github.com/vulnsteward/vulnsteward/integrations/contract"
	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// The port contract suite, run against the adapter and the fake: once with a
// board and once without one.
func TestContractTracker(t *testing.T) {
	for _, withBoard := range []bool{true, false} {
		name := "board"
		if !withBoard {
			name = "no board"
		}
		t.Run(name, func(t *testing.T) {
			contract.TestTracker(t, func(t *testing.T) (lifecycle.Tracker, contract.Fixture) {
				fx := contract.StandardFixture()
				f := newContractFake(t)
				for _, l := range fx.Labels {
					f.AddLabel(trackerRepo, l)
				}
				for _, c := range fx.Collaborators {
					f.AddCollaborator(trackerRepo, c)
				}
				for _, m := range fx.Milestones {
					f.AddMilestone(trackerRepo, fakegithub.Milestone{Title: m})
				}
				cfg := github.Config{TrackerRepo: trackerRepo, BaseURL: f.URL()}
				if withBoard {
					f.AddProject(boardOwner, boardNumber, fx.BoardColumns...)
					cfg.Board = github.BoardConfig{Enabled: true, Owner: boardOwner, Number: boardNumber}
				} else {
					fx.BoardColumns = nil
				}
				c, err := github.New(context.Background(), cfg, testToken)
				if err != nil {
					t.Fatal(err)
				}
				return c.Tracker(), fx
			})
		})
	}
}

func TestContractUpstream(t *testing.T) {
	contract.TestUpstream(t, func(t *testing.T, prs []lifecycle.PullRequest, rels []lifecycle.Release) lifecycle.Upstream {
		f := newContractFake(t)
		f.AddRepo(upstreamRepo)
		for i, pr := range prs {
			n := f.AddPR(upstreamRepo, fakegithub.PR{Title: pr.Title, Body: pr.Body, State: pr.State, Author: pr.Author,
				Merged: pr.Merged, MergedAt: pr.MergedAt, MergeSHA: pr.MergeSHA, Files: pr.Files, Milestone: pr.Milestone, CreatedAt: pr.CreatedAt})
			if n != pr.Number {
				t.Fatalf("seed PR %d got number %d", i, n)
			}
		}
		for _, r := range rels {
			f.AddRelease(upstreamRepo, fakegithub.Release{Tag: r.Tag, Name: r.Name, PublishedAt: r.PublishedAt})
		}
		c, err := github.New(context.Background(), github.Config{UpstreamRepo: upstreamRepo, BaseURL: f.URL()}, testToken)
		if err != nil {
			t.Fatal(err)
		}
		return c.Upstream()
	})
}

func newContractFake(t *testing.T) *fakegithub.Server {
	opts := []fakegithub.Option{fakegithub.WithToken(testToken)}
	if s := graphQLSchema(); s != nil {
		opts = append(opts, fakegithub.WithSchema(s))
	}
	f := fakegithub.New(opts...)
	t.Cleanup(f.Close)
	return f
}
