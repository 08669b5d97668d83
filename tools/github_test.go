package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/integrations/gmail"
	"github.com/vulnsteward/vulnsteward/integrations/gmail/fakegmail"
	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// ghEnv is the real server over the GitHub adapter and the Gmail adapter, each
// against its stateful fake, seeded with the same example data as the local env.
type ghEnv struct {
	*env
	gh     *fakegithub.Server
	gm     *fakegmail.Server
	client *github.Client
}

const fakeToken = "ghp_faketokenfaketokenfaketoken0000"

func newGitHubEnv(t *testing.T, o Options) *ghEnv {
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
	clock := &testClock{t: seed.ReferenceTime}
	gh := fakegithub.New(fakegithub.WithToken(fakeToken), fakegithub.WithClock(clock.Now), fakegithub.WithViewer("triager-bot"))
	t.Cleanup(gh.Close)
	seedFakeGitHub(cfg, seed, gh)
	gm := fakegmail.New()
	t.Cleanup(gm.Close)
	seedFakeGmail(t, cfg, gm)

	cl, err := github.New(ctx, github.Config{TrackerRepo: cfg.Repos.Tracker, UpstreamRepo: cfg.Repos.Upstream, BaseURL: gh.URL(),
		Board: github.BoardConfig{Enabled: cfg.Board.Enabled, Owner: cfg.Board.Owner, Number: cfg.Board.Number, StatusField: cfg.Board.StatusField}}, fakeToken)
	if err != nil {
		t.Fatal(err)
	}
	mail, err := gmail.New(ctx, gmail.Config{User: "me", SecurityListDomain: cfg.Lists.SecurityDomain, SecurityList: cfg.Lists.Security,
		ExcludeFrom: cfg.Lists.TrackerNoreply, Endpoint: gm.URL(), From: lifecycle.Address{Email: cfg.Lists.Security}}, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	backend := lifecycle.Backend{Tracker: cl.Tracker(), Upstream: cl.Upstream(), Mail: mail}
	dir := t.TempDir()
	deps, err := Wire(cfg, backend, WireOptions{StateDir: filepath.Join(dir, "state"), Operator: "triager-bot", BackendName: "github", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(deps, o)
	if err != nil {
		t.Fatal(err)
	}
	mc := connectClient(t, ctx, srv)
	e := &env{t: t, ctx: ctx, dir: dir, cfg: cfg, mail: mail, deps: deps, cl: mc, clock: clock,
		now: seed.ReferenceTime.UTC().Format("2006-01-02T15:04:05Z")}
	return &ghEnv{env: e, gh: gh, gm: gm, client: cl}
}

func seedFakeGitHub(cfg *projects.Config, seed *local.Seed, gh *fakegithub.Server) {
	tr := cfg.Repos.Tracker
	gh.AddRepo(tr)
	gh.AddRepo(cfg.Repos.Upstream)
	labels := append([]string{}, seed.Labels...)
	if len(seed.Ledger) > 0 {
		labels = append(labels, cfg.Labels.RejectionsLedger)
	}
	for _, l := range labels {
		gh.AddLabel(tr, l)
	}
	for _, c := range seed.Collaborators {
		gh.AddCollaborator(tr, c)
	}
	for _, m := range seed.Milestones {
		gh.AddMilestone(tr, fakegithub.Milestone{Title: m})
	}
	if cfg.Board.Enabled {
		gh.AddProject(cfg.Board.Owner, cfg.Board.Number, lifecycle.VocabularyFor(cfg).BoardColumns()...)
	}
	for _, si := range seed.Issues {
		is := fakegithub.Issue{Title: si.Title, Body: si.Body, State: si.State, StateReason: si.StateReason, Labels: si.Labels,
			Assignees: si.Assignees, Milestone: si.Milestone, Author: si.Author, CreatedAt: si.Created, UpdatedAt: si.Created}
		for _, c := range si.Comments {
			is.Comments = append(is.Comments, fakegithub.Comment{Author: c.Author, Body: c.Body, CreatedAt: c.Created, UpdatedAt: c.Created})
		}
		n := gh.AddIssue(tr, is)
		if si.BoardColumn != "" && cfg.Board.Enabled {
			gh.AddBoardItem(cfg.Board.Owner, cfg.Board.Number, tr, n, si.BoardColumn, si.BoardArchived)
		}
	}
	for _, l := range seed.Ledger {
		gh.AddIssue(tr, fakegithub.Issue{Title: l.Title, Body: l.Body, State: "open", Labels: []string{cfg.Labels.RejectionsLedger},
			Author: "triager-bot", CreatedAt: seed.ReferenceTime, UpdatedAt: seed.ReferenceTime})
	}
}

// seedFakeGmail delivers the example mailbox as the security list would: with a
// List-Id header, grouped into Gmail threads.
func seedFakeGmail(t *testing.T, cfg *projects.Config, gm *fakegmail.Server) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(exampleDir, "seed", "mail", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed mail: %v", err)
	}
	raws := map[string][]byte{}
	var msgs []lifecycle.Message
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mailmsg.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		raws[m.MessageID] = append([]byte("List-Id: <"+cfg.Lists.SecurityDomain+">\r\n"), raw...)
		msgs = append(msgs, m)
	}
	for _, th := range mailmsg.GroupThreads(msgs) {
		sum := sha256.Sum256([]byte(th.ID))
		gid := hex.EncodeToString(sum[:8])
		for _, m := range th.Messages {
			gm.AddMessage(raws[m.MessageID], gid, "INBOX")
		}
	}
}

func TestImportOnGitHubAndGmailFakes(t *testing.T) {
	e := newGitHubEnv(t, Options{})
	before := e.state()
	p := e.proposeAll()
	if e.state() != before {
		t.Fatal("import_propose wrote something")
	}
	imports := countDisposition(p, "import")
	replies := countDisposition(p, "reply")
	if imports < 2 || replies < 2 {
		t.Fatalf("imports=%d replies=%d", imports, replies)
	}
	var skippedImported bool
	for _, s := range p.Skipped {
		skippedImported = skippedImported || strings.Contains(s.Reason, "already imported")
	}
	if !skippedImported {
		t.Errorf("the already-imported Gmail thread was not skipped: %+v", p.Skipped)
	}
	e.client.Counter().Reset()
	var res ApplyOut
	e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
	if !res.Complete {
		t.Fatalf("apply incomplete: %+v", res.Results)
	}
	after := e.state()
	if after.Issues != before.Issues+imports || after.Drafts != before.Drafts+imports+replies {
		t.Errorf("issues %d→%d drafts %d→%d; want +%d +%d", before.Issues, after.Issues, before.Drafts, after.Drafts, imports, imports+replies)
	}
	t.Logf("GitHub API requests for %d imported reports: %d (%.1f per report)", imports, e.client.Counter().Total(), float64(e.client.Counter().Total())/float64(imports))
	for _, d := range e.gm.Drafts() {
		if d.ThreadID == "" {
			t.Errorf("draft %s is not attached to the reporter's thread", d.ID)
		}
	}
	for _, r := range res.Results {
		if r.Kind == string(lifecycle.ActCreateIssue) {
			if got, _, _ := e.gh.BoardStatus(e.cfg.Board.Owner, e.cfg.Board.Number, e.cfg.Repos.Tracker, r.Number); got != "Needs triage" {
				t.Errorf("#%d board column %q, want Needs triage", r.Number, got)
			}
		}
	}
	if msg := e.call("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, nil); !strings.Contains(msg, "already applied") {
		t.Errorf("replay: %q", msg)
	}
}

// TestGitHubApplyResumesAfterAPIFailure fails one API call of the apply at a
// time and checks the rerun finishes with nothing duplicated.
func TestGitHubApplyResumesAfterAPIFailure(t *testing.T) {
	faults := []struct{ method, path string }{
		{"POST", "/repos/*/*/issues"},
		{"POST", "/graphql/addProjectV2ItemById"},
		{"POST", "/graphql/updateProjectV2ItemFieldValue"},
		{"POST", "/repos/*/*/issues/*/comments"},
		{"POST", "/gmail/v1/users/me/drafts"},
	}
	ref := newGitHubEnv(t, Options{})
	rp := ref.proposeAll()
	ref.mustCall("import_apply", map[string]any{"confirmation_token": rp.Plan.Token}, nil)
	want := ref.state()
	for _, f := range faults {
		t.Run(f.method+" "+f.path, func(t *testing.T) {
			e := newGitHubEnv(t, Options{})
			p := e.proposeAll()
			if strings.HasPrefix(f.path, "/gmail") {
				e.gm.FailNext(f.method, f.path, 500)
			} else {
				e.gh.FailNext(f.method, f.path, 502)
			}
			var res ApplyOut
			e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
			e.mustCall("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, &res)
			if !res.Complete {
				t.Fatalf("rerun incomplete: %+v", res.Results)
			}
			got := e.state()
			if got.Issues != want.Issues || got.Comments != want.Comments || got.Drafts != want.Drafts {
				t.Errorf("after failure+rerun: %d/%d/%d issues/comments/drafts, want %d/%d/%d", got.Issues, got.Comments, got.Drafts, want.Issues, want.Comments, want.Drafts)
			}
		})
	}
}
