package github_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/vulnsteward/vulnsteward/integrations/github"
	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func TestErrorMapping(t *testing.T) {
	type check func(t *testing.T, err error)
	is := func(target error) check {
		return func(t *testing.T, err error) {
			if !errors.Is(err, target) {
				t.Errorf("errors.Is(%v, %v) = false", err, target)
			}
		}
	}
	as := func(name string, f func(error) bool) check {
		return func(t *testing.T, err error) {
			if !f(err) {
				t.Errorf("err %v is not a %s", err, name)
			}
		}
	}
	says := func(s string) check {
		return func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("err %q does not say %q", err, s)
			}
		}
	}
	status := func(code int) check {
		return func(t *testing.T, err error) {
			var ge *github.Error
			if !errors.As(err, &ge) || ge.StatusCode != code {
				t.Errorf("err %v: want *github.Error with status %d", err, code)
			}
		}
	}
	rateLimit := as("*github.RateLimitError", func(err error) bool { var x *gh.RateLimitError; return errors.As(err, &x) })
	abuse := as("*github.AbuseRateLimitError", func(err error) bool { var x *gh.AbuseRateLimitError; return errors.As(err, &x) })

	getIssue := func(t *testing.T, e *env) error { _, err := e.client.Tracker().GetIssue(ctx(t), 1); return err }
	move := func(t *testing.T, e *env) error { return e.client.Tracker().MoveToColumn(ctx(t), 1, "Assessed") }
	archive := func(t *testing.T, e *env) error { return e.client.Tracker().ArchiveBoardItem(ctx(t), 1) }

	tests := []struct {
		name   string
		inject func(f *fakegithub.Server)
		call   func(t *testing.T, e *env) error
		checks []check
	}{
		{"REST 404 is ErrNotFound", func(f *fakegithub.Server) { f.FailNext("GET", "/repos/*/*/issues/*", 404) }, getIssue,
			[]check{is(lifecycle.ErrNotFound), status(404), says("get issue #1 in acme/security-tracker")}},
		{"REST 410 is ErrNotFound", func(f *fakegithub.Server) { f.FailNext("GET", "/repos/*/*/issues/*", 410) }, getIssue,
			[]check{is(lifecycle.ErrNotFound), says("gone")}},
		{"REST 401 says the token is bad", func(f *fakegithub.Server) { f.FailNext("GET", "/repos/*/*/issues/*", 401) }, getIssue,
			[]check{status(401), says("rejected the token"), says("supply a valid token")}},
		{"REST 403 names the missing permission", func(f *fakegithub.Server) { f.FailNext("PATCH", "/repos/*/*/issues/*", 403) },
			func(t *testing.T, e *env) error { _, err := e.client.Tracker().SetBody(ctx(t), 1, "x"); return err },
			[]check{status(403), says(`"Issues: read and write"`), says(`"repo" scope`)}},
		{"collaborators 403 names push access", func(f *fakegithub.Server) { f.FailNext("GET", "/repos/*/*/collaborators", 403) },
			func(t *testing.T, e *env) error { _, err := e.client.Tracker().Collaborators(ctx(t)); return err },
			[]check{status(403), says("push access")}},
		{"REST primary rate limit keeps go-github's type", func(f *fakegithub.Server) { f.FailNextRateLimit("GET", "/repos/*/*/issues/*", false) }, getIssue,
			[]check{rateLimit, says("rate limit exhausted")}},
		{"REST secondary rate limit keeps go-github's type", func(f *fakegithub.Server) { f.FailNextRateLimit("GET", "/repos/*/*/issues/*", true) }, getIssue,
			[]check{abuse, says("secondary rate limit"), says("retry after 1m0s")}},
		{"REST 500", func(f *fakegithub.Server) { f.FailNext("GET", "/repos/*/*/issues/*", 500) }, getIssue,
			[]check{status(500), says("server error")}},
		{"search 422 passes GitHub's reason", func(f *fakegithub.Server) { f.FailNext("GET", "/search/issues", 422) },
			func(t *testing.T, e *env) error {
				_, err := e.client.Tracker().FindByIntakeKey(ctx(t), "mail:a@b")
				return err
			},
			[]check{status(422), says("invalid (422)")}},
		{"GraphQL missing scope names the project scope", func(f *fakegithub.Server) { f.FailNext("POST", "/graphql/addProjectV2ItemById", 403) }, move,
			[]check{says(`"project"`), says("required scopes")}},
		{"GraphQL 401", func(f *fakegithub.Server) { f.FailNext("POST", "/graphql/repository", 401) }, archive,
			[]check{status(401), says("rejected the token")}},
		{"GraphQL 502", func(f *fakegithub.Server) { f.FailNext("POST", "/graphql/repository", 502) }, archive,
			[]check{status(502), says("server error")}},
		{"GraphQL primary rate limit", func(f *fakegithub.Server) { f.FailNextRateLimit("POST", "/graphql/repository", false) }, archive,
			[]check{rateLimit}},
		{"GraphQL secondary rate limit", func(f *fakegithub.Server) { f.FailNextRateLimit("POST", "/graphql/repository", true) }, archive,
			[]check{abuse}},
		{"GraphQL not found is ErrNotFound", func(f *fakegithub.Server) { f.FailNext("POST", "/graphql/repository", 404) }, archive,
			[]check{is(lifecycle.ErrNotFound)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.AddIssue(trackerRepo, fakegithub.Issue{Title: "t"})
			tc.inject(e.fake)
			err := tc.call(t, e)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("the token leaked into the error: %v", err)
			}
			for _, c := range tc.checks {
				c(t, err)
			}
		})
	}
}

func TestTokenHandling(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.Tracker().ListLabels(ctx(t)); err != nil {
		t.Fatalf("with the right token: %v", err)
	}
	c, err := github.New(context.Background(), github.Config{TrackerRepo: trackerRepo, BaseURL: e.fake.URL()}, "wrong-token")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Tracker().ListLabels(ctx(t))
	var ge *github.Error
	if !errors.As(err, &ge) || ge.StatusCode != http.StatusUnauthorized || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     github.Config
		wantErr string
	}{
		{"bad tracker repo", github.Config{TrackerRepo: "no-slash"}, "not owner/name"},
		{"bad upstream repo", github.Config{UpstreamRepo: "a/b/c"}, "not owner/name"},
		{"bad base URL", github.Config{BaseURL: "ftp://x/"}, "not an http(s) URL"},
		{"board without owner", github.Config{Board: github.BoardConfig{Enabled: true, Number: 1}}, "owner or number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := github.New(context.Background(), tc.cfg, "")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("unconfigured ports decline", func(t *testing.T) {
		c, err := github.New(context.Background(), github.Config{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Tracker().GetIssue(ctx(t), 1); !errors.Is(err, lifecycle.ErrUnsupported) {
			t.Fatalf("tracker: %v", err)
		}
		if _, err := c.Upstream().ListReleases(ctx(t)); !errors.Is(err, lifecycle.ErrUnsupported) {
			t.Fatalf("upstream: %v", err)
		}
	})
}
