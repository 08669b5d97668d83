package github_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/integrations/github/internal/ghschema"
)

const (
	trackerRepo  = "acme/security-tracker"
	upstreamRepo = "acme/widget"
	boardOwner   = "acme"
	boardNumber  = 3
	testToken    = "ghp_test-token-never-logged-0123456789"
)

var columns = []string{"Needs triage", "Assessed", "CVE allocated", "PR created", "PR merged", "Fix released", "Announced"}

// graphQLSchema is GitHub's schema when the descriptions are fetched; the fake
// then validates every query it receives against it.
var graphQLSchema = sync.OnceValue(func() *ast.Schema {
	p, ok := ghschema.Locate()
	if !ok {
		return nil
	}
	s, _, err := ghschema.LoadGraphQL(p.GraphQL)
	if err != nil {
		return nil
	}
	return s
})

// env is one fake GitHub with a seeded tracker, upstream and board, and an
// adapter client pointed at it.
type env struct {
	fake   *fakegithub.Server
	client *github.Client
	cfg    github.Config
}

type envOpt func(*github.Config, *[]github.Option)

func withoutBoard() envOpt {
	return func(c *github.Config, _ *[]github.Option) { c.Board = github.BoardConfig{} }
}

func withClientOption(o github.Option) envOpt {
	return func(_ *github.Config, opts *[]github.Option) { *opts = append(*opts, o) }
}

func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	fopts := []fakegithub.Option{fakegithub.WithToken(testToken), fakegithub.WithViewer("steward-bot")}
	if s := graphQLSchema(); s != nil {
		fopts = append(fopts, fakegithub.WithSchema(s))
	}
	fake := fakegithub.New(fopts...)
	t.Cleanup(fake.Close)
	seed(fake)
	cfg := github.Config{
		TrackerRepo:  trackerRepo,
		UpstreamRepo: upstreamRepo,
		BaseURL:      fake.URL(),
		Board:        github.BoardConfig{Enabled: true, Owner: boardOwner, Number: boardNumber},
	}
	var copts []github.Option
	for _, o := range opts {
		o(&cfg, &copts)
	}
	c, err := github.New(context.Background(), cfg, testToken, copts...)
	if err != nil {
		t.Fatalf("github.New: %v", err)
	}
	c.Counter().Reset()
	fake.ResetLog()
	return &env{fake: fake, client: c, cfg: cfg}
}

func seed(f *fakegithub.Server) {
	for _, l := range []string{"needs triage", "security issue", "airflow", "providers", "cve allocated", "pr created", "pr merged", "invalid"} {
		f.AddLabel(trackerRepo, l)
	}
	f.AddCollaborator(trackerRepo, "alice")
	f.AddCollaborator(trackerRepo, "bob")
	f.AddMilestone(trackerRepo, fakegithub.Milestone{Title: "Airflow 3.0.1"})
	f.AddMilestone(trackerRepo, fakegithub.Milestone{Title: "Airflow 2.10.5", State: "closed"})
	f.AddProject(boardOwner, boardNumber, columns...)
	f.AddRepo(upstreamRepo)
}

// ctx is a test context that ends with the test.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
