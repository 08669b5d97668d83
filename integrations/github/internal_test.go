package github

import (
	"go/build"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestAuthTransportOnlyToAPIHost(t *testing.T) {
	seen := map[string]string{}
	rt := &authTransport{host: "api.example.test", token: "secret", base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen[r.URL.Host] = r.Header.Get("Authorization")
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	})}
	for _, u := range []string{"https://api.example.test/repos/a/b", "https://objects.example.test/asset"} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if req.Header.Get("Authorization") != "" {
			t.Fatal("the caller's request was modified")
		}
	}
	if seen["api.example.test"] != "Bearer secret" || seen["objects.example.test"] != "" {
		t.Fatalf("Authorization by host = %v", seen)
	}
}

func TestPathTemplate(t *testing.T) {
	tests := map[string]string{
		"/repos/o/r/issues/12":               "/repos/{owner}/{repo}/issues/{issue_number}",
		"/api/v3/repos/o/r/issues/12":        "/repos/{owner}/{repo}/issues/{issue_number}",
		"/repos/o/r/issues":                  "/repos/{owner}/{repo}/issues",
		"/repos/o/r/issues/12/comments":      "/repos/{owner}/{repo}/issues/{issue_number}/comments",
		"/repos/o/r/issues/comments/99":      "/repos/{owner}/{repo}/issues/comments/{comment_id}",
		"/repos/o/r/pulls/3/files":           "/repos/{owner}/{repo}/pulls/{pull_number}/files",
		"/search/issues":                     "/search/issues",
		"/repos/o/r/git/refs/heads/x":        "/repos/{owner}/{repo}/git/refs/heads/x",
		"/repos/o/r/commits/123/statuses/45": "/repos/{owner}/{repo}/commits/{n}/statuses/{n}",
	}
	for in, want := range tests {
		if got := PathTemplate(in); got != want {
			t.Errorf("PathTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGraphQLURL(t *testing.T) {
	tests := map[string]string{
		"https://api.github.com/":          "https://api.github.com/graphql",
		"https://ghe.example.com/api/v3/":  "https://ghe.example.com/api/graphql",
		"http://127.0.0.1:4321/":           "http://127.0.0.1:4321/graphql",
		"http://127.0.0.1:4321/prefix/v1/": "http://127.0.0.1:4321/prefix/v1/graphql",
	}
	for in, want := range tests {
		u, _ := url.Parse(in)
		if got := graphQLURL(u); got != want {
			t.Errorf("graphQLURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSearchPhrase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CAF00+x=y@mail.example.org", `"CAF00+x y@mail.example.org"`},
		{`injection" repo:victim/secret OR is:pr`, `"injection"`},
		{"-label:security path traversal", `"path traversal"`},
		{"NOT (DROP) TABLE", `"DROP TABLE"`},
		{"repo:x/y in:body", ``},
		{"owner/repo#12", `"owner/repo#12"`},
		{"日本語 テスト", `"日本語 テスト"`},
		{"\u202eevil\u200b", `"evil"`},
		{strings.Repeat("word ", 60), `"` + strings.TrimSpace(strings.Repeat("word ", 24)) + `"`},
	}
	for _, tc := range tests {
		if got := searchPhrase(tc.in); got != tc.want {
			t.Errorf("searchPhrase(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestIssueQueryAlwaysScoped(t *testing.T) {
	q, n := issueQuery("acme/widget", "pr", "title,body", "merged", []string{"repo:evil/x", "xss fix"})
	if q != `repo:acme/widget is:pr is:merged in:title,body "xss fix"` || n != 1 {
		t.Fatalf("query = %q (%d phrases)", q, n)
	}
}

func TestETagTransportLRU(t *testing.T) {
	calls := 0
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		h := http.Header{"Etag": {`"v1"`}}
		if r.Header.Get("If-None-Match") == `"v1"` {
			return &http.Response{StatusCode: 304, Header: h, Body: http.NoBody, Request: r}, nil
		}
		return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader("body of " + r.URL.Path)), Request: r}, nil
	})
	et := newETagTransport(base, 2)
	get := func(p string) (int, string) {
		req, _ := http.NewRequest("GET", "https://h"+p, nil)
		resp, err := et.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"/a", "/b", "/a", "/c", "/b"} {
		if code, body := get(p); code != 200 || body != "body of "+p {
			t.Fatalf("GET %s = %d %q", p, code, body)
		}
	}
	if len(et.entries) != 2 {
		t.Fatalf("cache holds %d entries, want 2", len(et.entries))
	}
}

// The adapter implements ports; it must not reach into the workflow.
func TestImportsStayOutOfSkills(t *testing.T) {
	for _, dir := range []string{".", "fakegithub"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if strings.Contains(imp, "/vulnsteward/skills/") && imp != "github.com/vulnsteward/vulnsteward/skills/lifecycle" {
				t.Errorf("%s imports %s", dir, imp)
			}
			if dir == "fakegithub" && strings.Contains(imp, "/vulnsteward/") {
				t.Errorf("the fake imports %s: it must stand alone", imp)
			}
		}
	}
}
