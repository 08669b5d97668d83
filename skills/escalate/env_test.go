package escalate

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

// testEnv is the example project's seeded local backend (real SQLite and
// Maildir in a temp dir), with the example's operator.
type testEnv struct {
	t       *testing.T
	ctx     context.Context
	dir     string
	cfg     *projects.Config
	ws      *local.Workspace
	clock   *testClock
	backend lifecycle.Backend
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

const exampleDir = "../../projects/example"

// operator is the example project's operator, a collaborator on the roster.
const operator = "mara-lindqvist"

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	cfg, err := projects.Load(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := local.LoadSeed(filepath.Join(exampleDir, "seed", "workspace.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clock := &testClock{t: seed.ReferenceTime}
	e := &testEnv{t: t, ctx: ctx, dir: dir, cfg: cfg, clock: clock}
	e.ws = e.open(operator)
	if err := e.ws.ApplySeed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if err := local.SeedMaildir(filepath.Join(exampleDir, "seed", "mail"), filepath.Join(dir, "mailbox")); err != nil {
		t.Fatal(err)
	}
	mail, err := local.OpenMaildir(filepath.Join(dir, "mailbox"), local.MaildirOptions{DraftsDir: filepath.Join(dir, "drafts"),
		From: lifecycle.Address{Email: cfg.Lists.Security}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	e.backend = lifecycle.Backend{Tracker: e.ws.Tracker(), Upstream: e.ws.Upstream(), Mail: mail}
	return e
}

// open opens the workspace as a given author (a human writing on the tracker).
func (e *testEnv) open(author string) *local.Workspace {
	e.t.Helper()
	ws, err := local.Open(e.ctx, filepath.Join(e.dir, "ws"), local.Options{TrackerRepo: e.cfg.Repos.Tracker, UpstreamRepo: e.cfg.Repos.Upstream,
		Now: e.clock.Now, Operator: author, BoardEnabled: e.cfg.Board.Enabled})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { ws.Close() })
	return ws
}

// commentAs posts a comment as author at the given time.
func (e *testEnv) commentAs(author string, number int, at time.Time, body string) lifecycle.Comment {
	e.t.Helper()
	prev := e.clock.Now()
	e.clock.Set(at)
	defer e.clock.Set(prev)
	c, err := e.open(author).Tracker().CreateComment(e.ctx, number, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// deliver puts a shared mail fixture into the mailbox.
func (e *testEnv) deliver(name string) {
	e.t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mail", name))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "mailbox", "new", name), raw, 0o600); err != nil {
		e.t.Fatal(err)
	}
}

func (e *testEnv) deps() Deps {
	return Deps{Config: e.cfg, Backend: e.backend, Operator: operator}
}

// tokenless verifies every token as the one plan it was made for.
type tokenless struct{ id, hash string }

func (v tokenless) VerifyToken(string, string) (string, string, error) { return v.id, v.hash, nil }

// apply runs a plan through the real executor (no token check: that is the
// tools layer's job) and fails the test unless every action succeeds.
func (e *testEnv) apply(p *lifecycle.Plan) *lifecycle.ApplyResult {
	e.t.Helper()
	store, err := lifecycle.NewPlanStore(filepath.Join(e.dir, "state"))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := store.Save(p); err != nil {
		e.t.Fatal(err)
	}
	h, err := p.Hash()
	if err != nil {
		e.t.Fatal(err)
	}
	ex := &lifecycle.Executor{Backend: e.backend, Store: store, Verifier: tokenless{p.ID, h},
		RollupMarker: lifecycle.RollupMarker(e.cfg.Markers.RollupPrefix), RollupPrefixes: []string{e.cfg.Markers.RollupPrefix}, Now: e.clock.Now}
	res, err := ex.Apply(e.ctx, p.Tool, "token", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if !res.Complete {
		e.t.Fatalf("apply incomplete: %+v", res.Results)
	}
	return res
}
