package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/policy/confirm"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// checker prints one line per check: what works and what is missing.
type checker struct {
	w                 io.Writer
	ok, missing, fail int
}

func (c *checker) pass(what, detail string) {
	c.ok++
	fmt.Fprintf(c.w, "ok       %-22s %s\n", what, detail)
}

func (c *checker) miss(what, detail string) {
	c.missing++
	fmt.Fprintf(c.w, "MISSING  %-22s %s\n", what, detail)
}

func (c *checker) failf(what, format string, a ...any) {
	c.fail++
	fmt.Fprintf(c.w, "FAIL     %-22s %s\n", what, fmt.Sprintf(format, a...))
}

// runCheck validates a project configuration and the credentials it needs.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	s.register(fs, ".vulnsteward/workspace")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	c := &checker{w: stdout}
	sec, err := secretsFromEnv()
	if err != nil {
		c.failf("secrets", "%v", err)
	}
	cfg, err := projects.Load(s.project)
	if err != nil {
		var ve *projects.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				c.failf("config", "%s:%d: %s: %s", p.File, p.Line, p.Key, p.Message)
			}
		} else {
			c.failf("config", "%v", err)
		}
		return c.done()
	}
	c.pass("config", fmt.Sprintf("%s (project %s, tracker %s, upstream %s)", filepath.Join(s.project, "project.toml"), cfg.Project.Name, cfg.Repos.Tracker, cfg.Repos.Upstream))
	if canned, err := cfg.CannedResponses(); err != nil {
		c.failf("canned responses", "%v", err)
	} else {
		c.pass("canned responses", fmt.Sprintf("%d responses in %s", len(canned), cfg.Canned.File))
	}
	if sm, err := cfg.LoadSecurityModel(); err != nil {
		c.failf("security model", "%v", err)
	} else {
		c.pass("security model", fmt.Sprintf("%d sections", len(sm.Sections())))
	}
	stateDir, err := defaultStateDir(s)
	if err == nil {
		if sec.confirmKey != "" {
			if _, err := confirm.LoadOrCreateKey(stateDir, sec.confirmKey); err != nil {
				c.failf("confirmation key", "%v", err)
			} else {
				c.pass("confirmation key", "from VULNSTEWARD_CONFIRM_KEY")
			}
		} else if _, err := os.Stat(filepath.Join(stateDir, "confirm.key")); err == nil {
			c.pass("confirmation key", "key file "+filepath.Join(stateDir, "confirm.key"))
		} else {
			c.pass("confirmation key", "a 0600 key file in "+stateDir+" (created on first use)")
		}
	}

	var tracker lifecycle.Tracker
	switch s.backend {
	case "local":
		if _, err := os.Stat(filepath.Join(s.workspace, "workspace.db")); err != nil {
			c.pass("backend local", "workspace "+s.workspace+" is created on first use (or run `vulnsteward demo`)")
		} else {
			a, err := build(ctx, s, discardLogger(), sec, time.Now)
			if err != nil {
				c.failf("backend local", "%v", err)
				return c.done()
			}
			defer a.Close()
			tracker = a.deps.Backend.Tracker
			c.pass("backend local", "workspace "+s.workspace)
		}
	case "github":
		if sec.githubToken == "" {
			c.miss("GitHub token", "set VULNSTEWARD_GITHUB_TOKEN (or GITHUB_TOKEN / VULNSTEWARD_GITHUB_TOKEN_FILE): repo scope for the tracker, project scope for the board")
			break
		}
		c.pass("GitHub token", "set (value never shown)")
		gh, err := github.New(ctx, github.Config{TrackerRepo: cfg.Repos.Tracker, UpstreamRepo: cfg.Repos.Upstream, BaseURL: s.githubAPI,
			Board: github.BoardConfig{Enabled: cfg.Board.Enabled, Owner: cfg.Board.Owner, Number: cfg.Board.Number, StatusField: cfg.Board.StatusField}}, sec.githubToken)
		if err != nil {
			c.failf("GitHub", "%v", err)
			break
		}
		tracker = gh.Tracker()
		if _, err := gh.Upstream().ListReleases(ctx); err != nil {
			c.failf("upstream repository", "%s: %v", cfg.Repos.Upstream, err)
		} else {
			c.pass("upstream repository", cfg.Repos.Upstream)
		}
	default:
		c.failf("backend", "%q: use local or github", s.backend)
	}
	if tracker != nil {
		checkTracker(ctx, c, cfg, tracker)
	}
	checkMail(ctx, c, s, cfg, sec)
	return c.done()
}

func checkTracker(ctx context.Context, c *checker, cfg *projects.Config, t lifecycle.Tracker) {
	labels, err := t.ListLabels(ctx)
	if err != nil {
		c.failf("tracker repository", "%s: %v", t.Repo(), err)
		return
	}
	c.pass("tracker repository", t.Repo())
	have := map[string]bool{}
	for _, l := range labels {
		have[strings.ToLower(l)] = true
	}
	var missing []string
	for _, l := range append(mapValues(cfg.LabelRoles()), cfg.ScopeLabels()...) {
		if l != "" && !have[strings.ToLower(l)] {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		c.miss("labels", "create these labels in "+t.Repo()+" (labels are never created silently): "+strings.Join(missing, ", "))
	} else {
		c.pass("labels", fmt.Sprintf("all %d workflow and scope labels exist", len(cfg.LabelRoles())+len(cfg.ScopeLabels())))
	}
	if team, err := t.Collaborators(ctx); err != nil {
		c.failf("collaborators", "%v (the security team is the tracker's collaborators)", err)
	} else {
		c.pass("collaborators", fmt.Sprintf("%d (the security team)", len(team)))
	}
	ledger, err := t.ListIssues(ctx, lifecycle.IssueFilter{State: "open", Labels: []string{cfg.Labels.RejectionsLedger}})
	switch {
	case err != nil:
		c.failf("rejections ledger", "%v", err)
	case len(ledger) == 0:
		c.miss("rejections ledger", fmt.Sprintf("no open issue labelled %q: rejections will not be ledgered until you create one", cfg.Labels.RejectionsLedger))
	default:
		c.pass("rejections ledger", fmt.Sprintf("%s#%d", t.Repo(), ledger[0].Number))
	}
}

func checkMail(ctx context.Context, c *checker, s settings, cfg *projects.Config, sec secretValues) {
	if s.backend == "local" && (s.mail == "" || s.mail == "maildir") && s.mailbox == "" {
		dir := filepath.Join(s.workspace, "mailbox")
		if _, err := os.Stat(dir); err != nil {
			// check only reads: the mailbox is created on first use, not here.
			c.pass("mail maildir", dir+" is created on first use (put security-list mail in its new/ directory)")
			return
		}
	}
	m, err := openMail(ctx, s, cfg, sec, time.Now)
	if err != nil {
		c.failf("mail", "%v", err)
		return
	}
	if m == nil {
		c.miss("mail", "no mailbox: set VULNSTEWARD_GMAIL_CREDENTIALS for Gmail or --mailbox for a Maildir")
		return
	}
	if _, err := m.ListThreads(ctx, time.Now().AddDate(0, 0, -1)); err != nil {
		c.failf("mail "+m.Kind(), "%v", err)
		return
	}
	c.pass("mail "+m.Kind(), "listing works (drafts only: nothing is ever sent)")
}

func (c *checker) done() error {
	fmt.Fprintf(c.w, "\n%d ok, %d missing, %d failed\n", c.ok, c.missing, c.fail)
	if c.fail > 0 || c.missing > 0 {
		return &exitError{code: 1, err: errors.New("check found problems (see above)")}
	}
	return nil
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
