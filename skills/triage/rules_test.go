package triage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func exampleConfig(t *testing.T) *projects.Config {
	t.Helper()
	cfg, err := projects.Load(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func handles(s []Suggestion) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.Handle)
	}
	return out
}

func TestRoute(t *testing.T) {
	cfg := exampleConfig(t)
	all := map[string]bool{"mara-lindqvist": true, "tkowalski": true, "priya-raman": true, "chidi-okafor": true, "lena-vogt": true}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	pr := func(n int, author, title string, created time.Time) lifecycle.PullRequest {
		return lifecycle.PullRequest{Repo: "example-org/example-server", Number: n, Author: author, Title: title, CreatedAt: created}
	}
	tests := []struct {
		name string
		in   RouteInput
		want []string
	}{
		{"fix PR authors first, newest first", RouteInput{Scopes: []string{"server"},
			PRs: []lifecycle.PullRequest{pr(1, "chidi-okafor", "Fix session handling", day(1)), pr(2, "priya-raman", "security: harden cookies", day(5)), pr(3, "lena-vogt", "Refactor", day(9))}},
			[]string{"priya-raman", "chidi-okafor"}},
		{"a PR author outside the roster is skipped; expertise fills to two", RouteInput{Scopes: []string{"web-ui"},
			PRs: []lifecycle.PullRequest{pr(1, "sam-contrib", "fix renderer", day(1))}},
			[]string{"priya-raman", "lena-vogt"}},
		{"never the operator", RouteInput{Operator: "@tkowalski", Scopes: []string{"helm-chart"}}, nil},
		{"no scope: triagers, not the operator", RouteInput{Operator: "mara-lindqvist"}, []string{"tkowalski", "lena-vogt"}},
		{"only collaborators", RouteInput{Team: map[string]bool{"lena-vogt": true}, Scopes: []string{"web-ui"}}, []string{"lena-vogt"}},
		{"a variant's fix owner within the cap of three", RouteInput{Operator: "mara-lindqvist", Scopes: []string{"server"},
			Variants: []lifecycle.Issue{{Repo: "example-org/example-server-security", Number: 3, Assignees: []string{"priya-raman"}}}},
			[]string{"tkowalski", "chidi-okafor", "priya-raman"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Config = cfg
			if in.Team == nil {
				in.Team = all
			}
			got := handles(Route(in))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Route = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMentionsAndNames(t *testing.T) {
	cfg := exampleConfig(t)
	tests := []struct {
		name     string
		text     string
		want     string
		mentionE string
	}{
		{"full name becomes a handle", "Ask Tomasz Kowalski first.", "Ask @tkowalski first.", ""},
		{"name with its handle collapses", "Ask Tomasz Kowalski (@tkowalski).", "Ask @tkowalski.", ""},
		{"first name alone stays", "Ask Tomasz.", "Ask Tomasz.", ""},
		{"an e-mail address is not a mention", "write to mara@example-server.example", "write to mara@example-server.example", ""},
		{"a roster handle is fine", "@lena-vogt saw it", "@lena-vogt saw it", ""},
		{"an outsider's handle is refused", "cc @mallory", "cc @mallory", "@mallory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := ReplaceBareNames(cfg, tt.text)
			if got != tt.want {
				t.Errorf("ReplaceBareNames = %q, want %q", got, tt.want)
			}
			err := CheckTextMentions(cfg, "summary", tt.text)
			if (err != nil) != (tt.mentionE != "") || (err != nil && !strings.Contains(err.Error(), tt.mentionE)) {
				t.Errorf("CheckTextMentions = %v, want error about %q", err, tt.mentionE)
			}
		})
	}
}

func TestCodePointersScopesKeywords(t *testing.T) {
	cfg := exampleConfig(t)
	tests := []struct {
		text     string
		pointers []string
		scopes   []string
	}{
		{"In web/src/markdown/render.ts the renderer …", []string{"web/src/markdown/render.ts"}, []string{"web-ui"}},
		{"see ./server/http/session.go and chart/templates/service.yaml", []string{"server/http/session.go", "chart/templates/service.yaml"}, []string{"server", "helm-chart"}},
		{"members.go validates the caller", []string{"members.go"}, nil},
		{"https://example.org/web/app.js is a URL, 2.4.1 a version, example.org a host", nil, nil},
	}
	for _, tt := range tests {
		p := CodePointers(tt.text, cfg)
		if !slices.Equal(p, tt.pointers) {
			t.Errorf("CodePointers(%q) = %v, want %v", tt.text, p, tt.pointers)
		}
		if s := InferScopes(cfg, p); !slices.Equal(s, tt.scopes) {
			t.Errorf("InferScopes(%v) = %v, want %v", p, s, tt.scopes)
		}
	}
	if k := Keywords("Example Server: session identifier is not rotated after login", cfg); !slices.Equal(k, []string{"session", "identifier", "rotated", "login"}) {
		t.Errorf("Keywords = %v", k)
	}
}

func TestPrecedents(t *testing.T) {
	cfg := exampleConfig(t)
	body := func(desc string) string {
		return lifecycle.RenderBody(map[string]string{lifecycle.FieldDescription: desc}, "")
	}
	closed := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	self := lifecycle.Issue{Number: 10, Title: "Stored XSS in markdown link titles", Body: body("web/src/markdown/render.ts")}
	all := []lifecycle.Issue{
		self,
		{Number: 1, Title: "Markdown link titles break the page", State: "closed", Labels: []string{"invalid"}, ClosedAt: closed, Body: body("")},
		{Number: 2, Title: "Unrelated thing", State: "closed", Labels: []string{"invalid"}, Body: body("")},
		{Number: 3, Title: "Reflected XSS in search", State: "open", Labels: []string{"web-ui", "cve allocated"}, Body: body("")},
		{Number: 4, Title: "Another report", State: "open", Labels: []string{"needs triage"}, Body: body("bug in web/src/markdown/render.ts")},
		{Number: 5, Title: "markdown titles", State: "open", Labels: []string{"rejections-ledger"}, Body: body("")},
	}
	got := Precedents(self, all, cfg)
	want := map[int]string{4: "open", 1: "rejection", 3: "positive"}
	if len(got) != len(want) {
		t.Fatalf("precedents %+v", got)
	}
	for _, p := range got {
		if want[p.Number] != p.Kind {
			t.Errorf("#%d kind %q, want %q (shared %v)", p.Number, p.Kind, want[p.Number], p.Shared)
		}
	}
	if got[0].Number != 4 {
		t.Errorf("a shared code file should rank first: %+v", got)
	}
	if !strings.Contains(got[1].State, "closed as invalid on 2026-09-01") {
		t.Errorf("state %q", got[1].State)
	}
}

func TestCommentRoundTrip(t *testing.T) {
	meta := lifecycle.TriageProposalMeta{Class: "INVALID", At: refTime, By: "mara-lindqvist"}
	older := earlierBlock("Old section.\n\n**Proposed disposition: VALID.**", lifecycle.TriageProposalMeta{Class: "VALID", At: refTime.AddDate(0, 0, -5), By: "lena-vogt"})
	body := renderComment("New section.\n\n**Proposed disposition: INVALID.**", older, meta)
	section, earlier := splitComment(body)
	if section != "New section.\n\n**Proposed disposition: INVALID.**" || earlier != older {
		t.Errorf("splitComment = %q / %q", section, earlier)
	}
	if class, _ := lifecycle.TriageProposalDisposition(body); class != "INVALID" {
		t.Errorf("class %q", class)
	}
	if renderComment(section, earlier, meta) != body {
		t.Error("render(split(body)) != body")
	}
}
