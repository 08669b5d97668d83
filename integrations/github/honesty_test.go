package github_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/vulnsteward/vulnsteward/integrations/github/fakegithub"
	"github.com/vulnsteward/vulnsteward/integrations/github/internal/ghschema"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// exerciseEverything calls every Tracker and Upstream method, including the
// board's orphan path, re-introspection after a column edit, and a few
// documented error answers, and returns the fake's request log.
func exerciseEverything(t *testing.T) []fakegithub.Request {
	t.Helper()
	e := newEnv(t)
	f := e.fake
	tr, up := e.client.Tracker(), e.client.Upstream()
	key := lifecycle.MailIntakeKey("<honest@example.org>")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	n := f.AddIssue(trackerRepo, fakegithub.Issue{Title: "seeded", Labels: []string{"security issue"}, Milestone: "Airflow 3.0.1",
		Assignees: []string{"alice"}, Comments: []fakegithub.Comment{{Author: "alice", Body: "hi"}}})
	f.AddBoardItem(boardOwner, boardNumber, trackerRepo, n, "Needs triage", false)
	f.AddIssue(trackerRepo, fakegithub.Issue{Title: "closed", State: "closed", StateReason: "not_planned"})
	f.AddPR(trackerRepo, fakegithub.PR{Title: "a PR in the tracker list"})
	pr := f.AddPR(upstreamRepo, fakegithub.PR{Title: "Fix path handling", Merged: true, Files: []string{"a.py", "b.py"}, Milestone: "3.0.1", Labels: []string{"backport"}})
	f.AddPR(upstreamRepo, fakegithub.PR{Title: "Open path change", Body: "body"})
	f.AddRelease(upstreamRepo, fakegithub.Release{Tag: "3.0.1", Name: "3.0.1", Body: "notes"})
	f.AddRelease(upstreamRepo, fakegithub.Release{Tag: "3.0.2"})

	created, err := tr.CreateIssue(ctx(t), lifecycle.NewIssue{Title: "New", Body: lifecycle.IntakeMeta{Key: key}.Comment(), Labels: []string{"needs triage", "security issue"}})
	must(err)
	m := created.Number
	_, err = tr.FindByIntakeKey(ctx(t), key)
	must(err)
	_, err = tr.GetIssue(ctx(t), m)
	must(err)
	_, err = tr.Version(ctx(t), m) // a 304
	must(err)
	_, err = tr.ListIssues(ctx(t), lifecycle.IssueFilter{State: "all", Labels: []string{"security issue"}})
	must(err)
	_, err = tr.SetBody(ctx(t), m, "new body "+lifecycle.IntakeMeta{Key: key}.Comment())
	must(err)
	_, err = tr.EditLabels(ctx(t), m, []string{"airflow"}, []string{"needs triage"})
	must(err)
	_, err = tr.SetAssignees(ctx(t), m, []string{"alice", "bob"})
	must(err)
	_, err = tr.SetMilestone(ctx(t), m, "Airflow 2.10.5")
	must(err)
	_, err = tr.SetMilestone(ctx(t), m, "")
	must(err)
	_, err = tr.ListMilestones(ctx(t))
	must(err)
	_, err = tr.ListLabels(ctx(t))
	must(err)
	_, err = tr.Collaborators(ctx(t))
	must(err)
	c, err := tr.CreateComment(ctx(t), m, "rollup")
	must(err)
	_, err = tr.UpdateComment(ctx(t), m, c.ID, "rollup 2")
	must(err)
	_, err = tr.ListComments(ctx(t), m)
	must(err)
	must(tr.DeleteComment(ctx(t), m, c.ID))
	_, err = tr.CloseIssue(ctx(t), m, "not_planned")
	must(err)
	_, err = tr.ReopenIssue(ctx(t), m)
	must(err)

	must(tr.MoveToColumn(ctx(t), m, "Needs triage")) // orphan path
	must(tr.MoveToColumn(ctx(t), n, "Assessed"))     // already on the board
	f.SetColumns(boardOwner, boardNumber, columns...)
	must(tr.MoveToColumn(ctx(t), m, "CVE allocated")) // stale option id → re-introspection
	_, err = tr.BoardItem(ctx(t), m)
	must(err)
	must(tr.ArchiveBoardItem(ctx(t), m))
	must(tr.MoveToColumn(ctx(t), m, "Needs triage")) // unarchive

	_, err = up.GetPullRequest(ctx(t), pr)
	must(err)
	_, err = up.SearchPullRequests(ctx(t), []string{"path"}, "open")
	must(err)
	_, err = up.ListReleases(ctx(t))
	must(err)

	// Documented error answers.
	f.FailNext("GET", "/repos/*/*/issues/*", 404)
	_, _ = tr.GetIssue(ctx(t), m)
	f.FailNext("POST", "/repos/*/*/issues", 403)
	_, _ = tr.CreateIssue(ctx(t), lifecycle.NewIssue{Title: "x"})
	f.FailNext("GET", "/search/issues", 422)
	_, _ = up.SearchPullRequests(ctx(t), []string{"x"}, "")
	_, _ = tr.SetMilestone(ctx(t), 99999, "Airflow 3.0.1") // a real 404 from the fake
	return f.Requests()
}

// TestGraphQLMatchesGitHubSchema checks every GraphQL document the adapter
// sent, and its variables, against GitHub's published schema.
func TestGraphQLMatchesGitHubSchema(t *testing.T) {
	p := ghschema.Require(t)
	schema, _, err := ghschema.LoadGraphQL(p.GraphQL)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range exerciseEverything(t) {
		if r.Route != "/graphql" {
			continue
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, r.GraphQL, nil)
		if len(errs) > 0 {
			t.Errorf("%s does not validate against GitHub's schema: %v\n%s", r.Operation, errs, r.GraphQL)
			continue
		}
		var vars map[string]any
		if err := json.Unmarshal(r.Variables, &vars); err != nil && len(r.Variables) > 0 {
			t.Fatal(err)
		}
		if _, err := validator.VariableValues(schema, doc.Operations[0], vars); err != nil {
			t.Errorf("%s: variables %s do not fit the schema: %v", r.Operation, r.Variables, err)
		}
		seen[r.Operation] = true
	}
	want := []string{"query repositoryOwner", "query repository", "mutation addProjectV2ItemById",
		"mutation updateProjectV2ItemFieldValue", "mutation archiveProjectV2Item", "mutation unarchiveProjectV2Item"}
	for _, op := range want {
		if !seen[op] {
			t.Errorf("operation %q was not exercised", op)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("operations seen %v, want exactly %v", keys(seen), want)
	}
}

// TestRESTMatchesGitHubOpenAPI checks every REST answer the fake gave (and
// every request body the adapter sent) against GitHub's OpenAPI description,
// and that every route the fake serves is documented and was exercised.
func TestRESTMatchesGitHubOpenAPI(t *testing.T) {
	p := ghschema.Require(t)
	api, err := ghschema.LoadOpenAPI(p.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	statuses := map[string]bool{}
	for _, r := range exerciseEverything(t) {
		if r.Route == "/graphql" {
			continue
		}
		op := r.Method + " " + r.Route
		if r.Route == "" {
			t.Errorf("%s %s matched no route of the fake", r.Method, r.Path)
			continue
		}
		statuses[fmt.Sprintf("%s → %d", op, r.Status)] = true
		if err := api.ValidateRequest(r.Method, r.Route, r.Body); err != nil {
			t.Errorf("request %s %s?%s: %v", r.Method, r.Path, r.Query, err)
		}
		if r.Status == 304 {
			// GitHub answers any conditional GET with 304 and no body, documented or not.
			if len(r.Response) != 0 {
				t.Errorf("%s: 304 with a body", op)
			}
			continue
		}
		if err := api.ValidateResponse(r.Method, r.Route, r.Status, r.Response); err != nil {
			t.Errorf("response to %s %s?%s (%d): %v", r.Method, r.Path, r.Query, r.Status, err)
		}
		if r.Status < 300 {
			covered[op] = true
		}
	}
	for _, route := range fakegithub.Routes() {
		method, tmpl, _ := strings.Cut(route, " ")
		if !api.HasOperation(method, tmpl) {
			t.Errorf("the fake serves %s, which GitHub's description does not have", route)
		}
		if !covered[route] {
			t.Errorf("%s was not exercised with a successful answer", route)
		}
	}
	t.Logf("validated answers: %v", keys(statuses))
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Clip(out)
}
