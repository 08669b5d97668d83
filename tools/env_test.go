package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

const exampleDir = "../projects/example"

// testClock is a settable clock shared by the server, the backend and the signer.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is the real server over the local backend seeded with the example project,
// reached through an in-process MCP client.
type env struct {
	t      testing.TB
	ctx    context.Context
	dir    string
	cfg    *projects.Config
	ws     *local.Workspace
	mail   lifecycle.Mail
	faults *local.Faults
	deps   *Deps
	cl     *client.Client
	clock  *testClock
	now    string
}

func newEnv(t testing.TB, o Options, copts ...client.ClientOption) *env {
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
	faults := local.NewFaults()
	ws, err := local.Open(ctx, filepath.Join(dir, "ws"), local.Options{TrackerRepo: cfg.Repos.Tracker, UpstreamRepo: cfg.Repos.Upstream,
		Now: clock.Now, Operator: "triager-bot", BoardEnabled: cfg.Board.Enabled, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.ApplySeed(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if err := local.SeedMaildir(filepath.Join(exampleDir, "seed", "mail"), filepath.Join(dir, "mailbox")); err != nil {
		t.Fatal(err)
	}
	mail, err := local.OpenMaildir(filepath.Join(dir, "mailbox"), local.MaildirOptions{DraftsDir: filepath.Join(dir, "drafts"),
		From: lifecycle.Address{Email: cfg.Lists.Security}, Now: clock.Now, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	backend := lifecycle.Backend{Tracker: ws.Tracker(), Upstream: ws.Upstream(), CNA: ws.CNA(), Archive: ws.Archive(), Mail: mail}
	deps, err := Wire(cfg, backend, WireOptions{StateDir: filepath.Join(dir, "state"), Operator: "triager-bot", BackendName: "local", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(deps, o)
	if err != nil {
		t.Fatal(err)
	}
	cl := connectClient(t, ctx, srv, copts...)
	return &env{t: t, ctx: ctx, dir: dir, cfg: cfg, ws: ws, mail: mail, faults: faults, deps: deps, cl: cl, clock: clock,
		now: seed.ReferenceTime.UTC().Format(time.RFC3339)}
}

// connectClient starts and initialises an in-process MCP client on srv.
func connectClient(t testing.TB, ctx context.Context, srv *server.MCPServer, opts ...client.ClientOption) *client.Client {
	t.Helper()
	cl, err := client.NewInProcessClientWithOptions(srv, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := cl.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// call calls a tool; it returns the decoded structured result or the error text.
func (e *env) call(name string, args map[string]any, out any) (errText string) {
	e.t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := e.cl.CallTool(e.ctx, req)
	if err != nil {
		e.t.Fatalf("calling %s: %v", name, err)
	}
	if res.IsError {
		var parts []string
		for _, c := range res.Content {
			if tc, ok := c.(mcp.TextContent); ok {
				parts = append(parts, tc.Text)
			}
		}
		return strings.Join(parts, " ")
	}
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("decoding %s result: %v\n%s", name, err, b)
		}
	}
	return ""
}

// mustCall fails the test when the tool returns an error.
func (e *env) mustCall(name string, args map[string]any, out any) {
	e.t.Helper()
	if msg := e.call(name, args, out); msg != "" {
		e.t.Fatalf("%s: %s", name, msg)
	}
}

// state is a fingerprint of everything an apply can write.
type state struct {
	Issues   int
	Comments int
	Drafts   int
	Bodies   string
}

func (e *env) state() state {
	e.t.Helper()
	t := e.deps.Backend.Tracker
	issues, err := t.ListIssues(e.ctx, lifecycle.IssueFilter{State: "all"})
	if err != nil {
		e.t.Fatal(err)
	}
	s := state{Issues: len(issues)}
	var bodies []string
	for _, is := range issues {
		cs, err := t.ListComments(e.ctx, is.Number)
		if err != nil {
			e.t.Fatal(err)
		}
		s.Comments += len(cs)
		bodies = append(bodies, is.Body+strings.Join(is.Labels, ","))
		for _, c := range cs {
			bodies = append(bodies, c.Body)
		}
	}
	s.Bodies = strings.Join(bodies, "\x00")
	drafts, err := e.mail.ListDrafts(e.ctx, "")
	if err != nil {
		e.t.Fatal(err)
	}
	s.Drafts = len(drafts)
	return s
}

// proposeAll proposes an import confirming every suggested non-report class.
func (e *env) proposeAll() ImportProposeOut {
	e.t.Helper()
	var first ImportProposeOut
	e.mustCall("import_propose", map[string]any{"now": e.now}, &first)
	var decisions []map[string]any
	for _, c := range first.Candidates {
		if c.Disposition == "needs-decision" && c.Suggested != "cross-thread-followup" {
			decisions = append(decisions, map[string]any{"thread": c.ThreadID, "class": c.Suggested})
		}
	}
	var p ImportProposeOut
	e.mustCall("import_propose", map[string]any{"now": e.now, "decisions": decisions}, &p)
	return p
}

// faultHarness is one freshly seeded backend with a plan proposed on it and its
// write-fault switch: arm(n, after) resets the write count and fails the nth
// write from then on (0: none), before it happens or after it took effect with
// the answer lost; writes reports the writes counted since arm.
type faultHarness struct {
	e      *env
	token  string
	arm    func(n int, after bool)
	writes func() int
}

// assertResumesAfterFaults applies the harness's plan once cleanly, counting
// the writes; then, for every write n, fails the nth write (before and after it
// takes effect) on a fresh harness and checks that the same apply, run again
// with the same token, completes with the same issues, comments and drafts as
// the clean run: nothing lost, nothing duplicated.
func assertResumesAfterFaults(t *testing.T, applyTool string, fresh func(t *testing.T) faultHarness) {
	t.Helper()
	ref := fresh(t)
	ref.arm(0, false)
	var res ApplyOut
	ref.e.mustCall(applyTool, map[string]any{"confirmation_token": ref.token}, &res)
	if !res.Complete {
		t.Fatalf("the clean apply did not complete: %+v", res.Results)
	}
	want := ref.e.state()
	writes := ref.writes()
	if writes == 0 {
		t.Fatal("the clean apply made no write")
	}
	for n := 1; n <= writes; n++ {
		for _, after := range []bool{false, true} {
			t.Run(fmt.Sprintf("write%d/after=%v", n, after), func(t *testing.T) {
				h := fresh(t)
				h.arm(n, after)
				var res ApplyOut
				h.e.mustCall(applyTool, map[string]any{"confirmation_token": h.token}, &res)
				if res.Complete {
					t.Fatalf("apply with an injected fault claims complete")
				}
				h.e.mustCall(applyTool, map[string]any{"confirmation_token": h.token}, &res)
				if !res.Complete {
					t.Fatalf("rerun did not complete: %+v", res.Results)
				}
				got := h.e.state()
				if got.Issues != want.Issues || got.Comments != want.Comments || got.Drafts != want.Drafts {
					t.Errorf("after failure+rerun: %d issues %d comments %d drafts; want %d %d %d",
						got.Issues, got.Comments, got.Drafts, want.Issues, want.Comments, want.Drafts)
				}
			})
		}
	}
}

// assertResumesAfterEveryFault runs assertResumesAfterFaults on the local
// backend, where every write of the tracker and the mailbox is counted. Every
// skill's apply tool runs through it.
func assertResumesAfterEveryFault(t *testing.T, applyTool string, propose func(e *env) string) {
	t.Helper()
	assertResumesAfterFaults(t, applyTool, func(t *testing.T) faultHarness {
		e := newEnv(t, Options{})
		return faultHarness{e: e, token: propose(e),
			arm: func(n int, after bool) {
				e.faults.Reset()
				if n > 0 {
					e.faults.Add(local.Fault{Op: local.AnyWrite, Call: n, After: after})
				}
			},
			writes: func() int { return e.faults.Calls(local.AnyWrite) }}
	})
}
