package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/integrations/gmail"
	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/policy/secrets"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/tools"
)

// settings are the non-secret flags and their environment defaults. Secrets are
// read only from the environment or files (see secretsFromEnv), never from flags.
type settings struct {
	project       string
	backend       string
	workspace     string
	stateDir      string
	readOnly      bool
	toolsets      string
	confirmMode   string
	logFile       string
	githubAPI     string
	gmailEndpoint string
	mail          string
	mailbox       string
	operator      string
	// noInit leaves a new local workspace empty (the demo seeds it instead).
	noInit bool
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envBool reads a boolean environment variable (1, true, yes, on).
func envBool(key string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(key))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func (s *settings) register(fs *flag.FlagSet, defaultWorkspace string) {
	fs.StringVar(&s.project, "project", envOr("VULNSTEWARD_PROJECT", "projects/example"), "project directory holding project.toml (env VULNSTEWARD_PROJECT)")
	fs.StringVar(&s.backend, "backend", envOr("VULNSTEWARD_BACKEND", "local"), "backend: local (embedded, no account) or github (env VULNSTEWARD_BACKEND)")
	fs.StringVar(&s.workspace, "workspace", envOr("VULNSTEWARD_WORKSPACE", defaultWorkspace), "local workspace directory: tracker database, mailbox, drafts (env VULNSTEWARD_WORKSPACE)")
	fs.StringVar(&s.stateDir, "state-dir", envOr("VULNSTEWARD_STATE_DIR", ""), "where plans, journals, the audit log and the confirmation key live (default: <workspace>/state for local, else $XDG_STATE_HOME/vulnsteward)")
	fs.BoolVar(&s.readOnly, "read-only", envBool("VULNSTEWARD_READ_ONLY"), "list and allow no write tool (env VULNSTEWARD_READ_ONLY=true)")
	fs.StringVar(&s.toolsets, "toolsets", envOr("VULNSTEWARD_TOOLSETS", "all"), "comma-separated toolsets: intake, remediation, release, all (env VULNSTEWARD_TOOLSETS)")
	fs.StringVar(&s.confirmMode, "confirm", envOr("VULNSTEWARD_CONFIRM", "token"), "confirmation mode: token, or elicit (the apply asks the human through MCP elicitation)")
	fs.StringVar(&s.logFile, "log-file", envOr("VULNSTEWARD_LOG_FILE", ""), "write logs to this file instead of stderr (env VULNSTEWARD_LOG_FILE)")
	fs.StringVar(&s.githubAPI, "github-api-url", envOr("VULNSTEWARD_GITHUB_API_URL", "https://api.github.com/"), "GitHub REST base URL (GitHub Enterprise: https://HOST/api/v3/) (env VULNSTEWARD_GITHUB_API_URL)")
	fs.StringVar(&s.gmailEndpoint, "gmail-endpoint", envOr("VULNSTEWARD_GMAIL_ENDPOINT", ""), "Gmail API base URL override (env VULNSTEWARD_GMAIL_ENDPOINT)")
	fs.StringVar(&s.mail, "mail", envOr("VULNSTEWARD_MAIL", ""), "mail backend: maildir or gmail (default: maildir for local, gmail when Gmail credentials are set)")
	fs.StringVar(&s.mailbox, "mailbox", envOr("VULNSTEWARD_MAILBOX", ""), "Maildir of the security list (default <workspace>/mailbox)")
	fs.StringVar(&s.operator, "operator", envOr("VULNSTEWARD_OPERATOR", ""), "your GitHub handle, written in rollup entries (env VULNSTEWARD_OPERATOR; default from project.toml)")
}

// secretValues are read from the environment or files only.
type secretValues struct {
	githubToken string
	gmailCreds  string // path to the OAuth authorized-user JSON
	confirmKey  string
	httpToken   string
}

func readSecret(envKey, fileKey string) (string, error) {
	if v := os.Getenv(envKey); v != "" {
		return strings.TrimSpace(v), nil
	}
	if p := os.Getenv(fileKey); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("reading %s=%s: %w", fileKey, p, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

func secretsFromEnv() (secretValues, error) {
	var s secretValues
	var err error
	if s.githubToken, err = readSecret("VULNSTEWARD_GITHUB_TOKEN", "VULNSTEWARD_GITHUB_TOKEN_FILE"); err != nil {
		return s, err
	}
	if s.githubToken == "" {
		s.githubToken = strings.TrimSpace(os.Getenv("GITHUB_TOKEN"))
	}
	s.gmailCreds = os.Getenv("VULNSTEWARD_GMAIL_CREDENTIALS")
	s.confirmKey = os.Getenv("VULNSTEWARD_CONFIRM_KEY")
	if s.httpToken, err = readSecret("VULNSTEWARD_HTTP_TOKEN", "VULNSTEWARD_HTTP_TOKEN_FILE"); err != nil {
		return s, err
	}
	return s, nil
}

func (s secretValues) list() []string {
	var out []string
	for _, v := range []string{s.githubToken, s.confirmKey, s.httpToken} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// newLogger logs JSON to stderr (stdout is the MCP channel) or a file, with secrets redacted.
func newLogger(s settings, stderr io.Writer, sec secretValues) (*slog.Logger, func(), error) {
	w, closeFn := stderr, func() {}
	if s.logFile != "" {
		f, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("opening log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	return slog.New(secrets.NewHandler(h, sec.list()...)), closeFn, nil
}

// app is a wired server: dependencies, options and what to close.
type app struct {
	deps    *tools.Deps
	opts    tools.Options
	closers []func()
	ws      *local.Workspace
}

func (a *app) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

func defaultStateDir(s settings) (string, error) {
	if s.stateDir != "" {
		return s.stateDir, nil
	}
	if s.backend == "local" {
		return filepath.Join(s.workspace, "state"), nil
	}
	if x := os.Getenv("XDG_STATE_HOME"); x != "" {
		return filepath.Join(x, "vulnsteward"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding a state directory: set --state-dir: %w", err)
	}
	return filepath.Join(home, ".local", "state", "vulnsteward"), nil
}

// build wires configuration, backend, policy and executor.
func build(ctx context.Context, s settings, logger *slog.Logger, sec secretValues, now func() time.Time) (*app, error) {
	cfg, err := projects.Load(s.project)
	if err != nil {
		return nil, fmt.Errorf("loading project %s (set --project or VULNSTEWARD_PROJECT to the directory holding project.toml): %w", s.project, err)
	}
	stateDir, err := defaultStateDir(s)
	if err != nil {
		return nil, err
	}
	a := &app{}
	operator := s.operator
	if operator == "" {
		operator = cfg.Intake.Operator
	}
	if operator == "" {
		operator = "vulnsteward"
	}
	var backend lifecycle.Backend
	switch s.backend {
	case "local":
		ws, err := local.Open(ctx, s.workspace, local.Options{TrackerRepo: cfg.Repos.Tracker, UpstreamRepo: cfg.Repos.Upstream,
			Now: now, Operator: operator, BoardEnabled: cfg.Board.Enabled, BoardColumns: lifecycle.VocabularyFor(cfg).BoardColumns()})
		if err != nil {
			return nil, fmt.Errorf("opening the local workspace %s: %w", s.workspace, err)
		}
		a.ws = ws
		if !s.noInit {
			if err := initLocalWorkspace(ctx, ws, cfg, logger); err != nil {
				ws.Close()
				return nil, err
			}
		}
		a.closers = append(a.closers, func() { ws.Close() })
		backend = lifecycle.Backend{Tracker: ws.Tracker(), Upstream: ws.Upstream(), CNA: ws.CNA(), Archive: ws.Archive()}
	case "github":
		if sec.githubToken == "" {
			return nil, errors.New("the github backend needs a token: set VULNSTEWARD_GITHUB_TOKEN (or GITHUB_TOKEN, or VULNSTEWARD_GITHUB_TOKEN_FILE) with repo and project scopes")
		}
		gh, err := github.New(ctx, github.Config{TrackerRepo: cfg.Repos.Tracker, UpstreamRepo: cfg.Repos.Upstream, BaseURL: s.githubAPI,
			Board: github.BoardConfig{Enabled: cfg.Board.Enabled, Owner: cfg.Board.Owner, Number: cfg.Board.Number, StatusField: cfg.Board.StatusField}}, sec.githubToken)
		if err != nil {
			return nil, fmt.Errorf("connecting to GitHub: %w", err)
		}
		backend = lifecycle.Backend{Tracker: gh.Tracker(), Upstream: gh.Upstream()}
	default:
		return nil, fmt.Errorf("backend %q: use local or github", s.backend)
	}
	mail, err := openMail(ctx, s, cfg, sec, now)
	if err != nil {
		return nil, err
	}
	backend.Mail = mail

	deps, err := tools.Wire(cfg, backend, tools.WireOptions{StateDir: stateDir, ConfirmKey: sec.confirmKey, Operator: operator,
		BackendName: s.backend, Secrets: sec.list(), Logger: logger, Now: now})
	if err != nil {
		return nil, err
	}
	var sets []string
	for _, t := range strings.Split(s.toolsets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			sets = append(sets, t)
		}
	}
	a.deps = deps
	a.opts = tools.Options{ReadOnly: s.readOnly, Toolsets: sets, Confirm: s.confirmMode}
	return a, nil
}

func openMail(ctx context.Context, s settings, cfg *projects.Config, sec secretValues, now func() time.Time) (lifecycle.Mail, error) {
	kind := s.mail
	if kind == "" {
		kind = "maildir"
		if s.backend != "local" && sec.gmailCreds != "" {
			kind = "gmail"
		}
	}
	from := lifecycle.Address{Name: cfg.Project.Name + " security team", Email: cfg.Lists.Security}
	switch kind {
	case "maildir":
		dir := s.mailbox
		if dir == "" {
			dir = filepath.Join(s.workspace, "mailbox")
		}
		if _, err := os.Stat(dir); err != nil {
			if s.backend == "local" {
				if err := os.MkdirAll(filepath.Join(dir, "new"), 0o700); err != nil {
					return nil, fmt.Errorf("creating the mailbox: %w", err)
				}
			} else {
				return nil, nil // no mailbox: import reports it needs one
			}
		}
		return local.OpenMaildir(dir, local.MaildirOptions{DraftsDir: filepath.Join(filepath.Dir(filepath.Clean(dir)), "drafts"), From: from, Now: now})
	case "gmail":
		if sec.gmailCreds == "" {
			return nil, errors.New("the gmail mail backend needs VULNSTEWARD_GMAIL_CREDENTIALS: the path of an OAuth authorized-user JSON (client_id, client_secret, refresh_token)")
		}
		hc, err := gmail.HTTPClientFromTokenFile(ctx, sec.gmailCreds)
		if err != nil {
			return nil, err
		}
		return gmail.New(ctx, gmail.Config{User: "me", SecurityListDomain: cfg.Lists.SecurityDomain, SecurityList: cfg.Lists.Security,
			ExcludeFrom: cfg.Lists.TrackerNoreply, Endpoint: s.gmailEndpoint, From: from}, hc)
	}
	return nil, fmt.Errorf("mail backend %q: use maildir or gmail", kind)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// initLocalWorkspace sets up a brand-new embedded tracker the way a team sets up
// a GitHub tracker repository before its first import: the project's workflow
// and scope labels, the roster as collaborators (the security team), and the
// rejections-ledger issue. There is no web UI to do it by hand; an existing
// workspace (any label defined) is never touched.
func initLocalWorkspace(ctx context.Context, ws *local.Workspace, cfg *projects.Config, logger *slog.Logger) error {
	t := ws.Tracker()
	labels, err := t.ListLabels(ctx)
	if err != nil {
		return fmt.Errorf("reading the local workspace: %w", err)
	}
	if len(labels) > 0 {
		return nil
	}
	var names []string
	for _, l := range cfg.LabelRoles() {
		if l != "" {
			names = append(names, l)
		}
	}
	names = append(names, cfg.ScopeLabels()...)
	if err := ws.DefineLabels(ctx, names...); err != nil {
		return fmt.Errorf("defining the project's labels in the new local workspace: %w", err)
	}
	var team []string
	for _, m := range cfg.Roster {
		team = append(team, m.Handle)
	}
	if len(team) > 0 {
		if err := ws.AddCollaborators(ctx, team...); err != nil {
			return fmt.Errorf("adding the roster as collaborators: %w", err)
		}
	}
	if _, err := t.CreateIssue(ctx, lifecycle.NewIssue{Title: "Rejections ledger",
		Body:   "Reject-without-tracker dispositions are counted here, one comment each (`<!-- rejection v1 -->`).",
		Labels: []string{cfg.Labels.RejectionsLedger}}); err != nil {
		return fmt.Errorf("creating the rejections ledger: %w", err)
	}
	logger.Info("initialized a new local workspace", "labels", len(names), "collaborators", len(team))
	return nil
}
