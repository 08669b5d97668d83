// Package skilltest is the shared test harness of the skill packages: the
// example project's seeded local backend (real SQLite and Maildir in a temp
// dir), a settable clock, comments written as a given human, mail fixtures, and
// plans applied through the real executor. Tests only; no production code
// imports it.
package skilltest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Env is the example project's seeded local backend (real SQLite and
// Maildir in a temp dir), with the example's operator.
type Env struct {
	T       *testing.T
	Ctx     context.Context
	Dir     string
	Cfg     *projects.Config
	WS      *local.Workspace
	Clock   *Clock
	Backend lifecycle.Backend
}

// Clock is a settable test clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// ExampleDir is the example project, relative to a skills/<skill> test directory.
const ExampleDir = "../../projects/example"

// Operator is the example project's operator, a collaborator on the roster.
const Operator = "mara-lindqvist"

// New seeds a fresh local backend in a temp dir.
func New(t *testing.T) *Env {
	t.Helper()
	ctx := context.Background()
	cfg, err := projects.Load(ExampleDir)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := local.LoadSeed(filepath.Join(ExampleDir, "seed", "workspace.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clock := &Clock{t: seed.ReferenceTime}
	e := &Env{T: t, Ctx: ctx, Dir: dir, Cfg: cfg, Clock: clock}
	e.WS = e.Open(Operator)
	if err := e.WS.ApplySeed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if err := local.SeedMaildir(filepath.Join(ExampleDir, "seed", "mail"), filepath.Join(dir, "mailbox")); err != nil {
		t.Fatal(err)
	}
	mail, err := local.OpenMaildir(filepath.Join(dir, "mailbox"), local.MaildirOptions{DraftsDir: filepath.Join(dir, "drafts"),
		From: lifecycle.Address{Email: cfg.Lists.Security}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.Backend = lifecycle.Backend{Tracker: e.WS.Tracker(), Upstream: e.WS.Upstream(), Mail: mail}
	return e
}

// Open opens the workspace as a given author (a human writing on the tracker).
func (e *Env) Open(author string) *local.Workspace {
	e.T.Helper()
	ws, err := local.Open(e.Ctx, filepath.Join(e.Dir, "ws"), local.Options{TrackerRepo: e.Cfg.Repos.Tracker, UpstreamRepo: e.Cfg.Repos.Upstream,
		Now: e.Clock.Now, Operator: author, BoardEnabled: e.Cfg.Board.Enabled})
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { ws.Close() })
	return ws
}

// CommentAs posts a comment as author at the given time.
func (e *Env) CommentAs(author string, number int, at time.Time, body string) lifecycle.Comment {
	e.T.Helper()
	prev := e.Clock.Now()
	e.Clock.Set(at)
	defer e.Clock.Set(prev)
	c, err := e.Open(author).Tracker().CreateComment(e.Ctx, number, body)
	if err != nil {
		e.T.Fatal(err)
	}
	return c
}

// Deliver puts a shared mail fixture into the mailbox.
func (e *Env) Deliver(name string) {
	e.T.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mail", name))
	if err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.Dir, "mailbox", "new", name), raw, 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// tokenless verifies every token as the one plan it was made for.
type tokenless struct{ id, hash string }

func (v tokenless) VerifyToken(string, string) (string, string, error) { return v.id, v.hash, nil }

// Apply runs a plan through the real executor (no token check: that is the
// tools layer's job) and fails the test unless every action succeeds.
func (e *Env) Apply(p *lifecycle.Plan) *lifecycle.ApplyResult {
	e.T.Helper()
	store, err := lifecycle.NewPlanStore(filepath.Join(e.Dir, "state"))
	if err != nil {
		e.T.Fatal(err)
	}
	if err := store.Save(p); err != nil {
		e.T.Fatal(err)
	}
	h, err := p.Hash()
	if err != nil {
		e.T.Fatal(err)
	}
	ex := &lifecycle.Executor{Backend: e.Backend, Store: store, Verifier: tokenless{p.ID, h},
		RollupMarker: lifecycle.RollupMarker(e.Cfg.Markers.RollupPrefix), RollupPrefixes: []string{e.Cfg.Markers.RollupPrefix}, Now: e.Clock.Now}
	res, err := ex.Apply(e.Ctx, p.Tool, "token", nil)
	if err != nil {
		e.T.Fatal(err)
	}
	if !res.Complete {
		e.T.Fatalf("apply incomplete: %+v", res.Results)
	}
	return res
}
