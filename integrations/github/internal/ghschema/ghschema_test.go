package ghschema

import (
	"strings"
	"testing"
	"time"
)

func TestLoadDescriptions(t *testing.T) {
	p := Require(t)
	start := time.Now()
	s, dropped, err := LoadGraphQL(p.GraphQL)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("graphql schema: %d types in %v; repeated field definitions dropped: %v", len(s.Types), time.Since(start), dropped)
	if s.Types["ProjectV2"] == nil || s.Mutation == nil || s.Mutation.Fields.ForName("addProjectV2ItemById") == nil {
		t.Fatal("schema lacks ProjectV2 / addProjectV2ItemById")
	}
	start = time.Now()
	o, err := LoadOpenAPI(p.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("openapi loaded in %v", time.Since(start))
	tests := []struct {
		name, method, route string
		status              int
		body                string
		wantErr             string
	}{
		{"label ok", "GET", "/repos/{owner}/{repo}/labels", 200,
			`[{"id":1,"node_id":"x","url":"https://api.github.com/repos/o/r/labels/bug","name":"bug","description":null,"color":"fff","default":false}]`, ""},
		{"label missing field", "GET", "/repos/{owner}/{repo}/labels", 200,
			`[{"id":1,"node_id":"x","url":"https://api.github.com/repos/o/r/labels/bug","name":"bug","color":"fff","default":false}]`, "description"},
		{"label null where not nullable", "GET", "/repos/{owner}/{repo}/labels", 200,
			`[{"id":1,"node_id":"x","url":"https://api.github.com/repos/o/r/labels/bug","name":null,"description":null,"color":"fff","default":false}]`, "name"},
		{"undocumented status", "GET", "/repos/{owner}/{repo}/labels", 418, `{}`, "not a documented response"},
		{"no content", "DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", 204, ``, ""},
		{"404 body", "GET", "/repos/{owner}/{repo}/issues/{issue_number}", 404, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := o.ValidateResponse(tc.method, tc.route, tc.status, []byte(tc.body))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}
