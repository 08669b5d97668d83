package fakegithub

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, s *Server, method, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.URL(), "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestPaginationAndETags(t *testing.T) {
	s := New()
	defer s.Close()
	for i := range 5 {
		s.AddIssue("o/r", Issue{Title: "t" + string(rune('a'+i))})
	}
	tests := []struct {
		path      string
		wantCount int
		wantLink  []string
	}{
		{"/repos/o/r/issues?per_page=2", 2, []string{`rel="next"`, `rel="last"`, "page=3"}},
		{"/repos/o/r/issues?per_page=2&page=3", 1, []string{`rel="prev"`, `rel="first"`}},
		{"/repos/o/r/issues?per_page=100", 5, nil},
	}
	for _, tc := range tests {
		resp, body := do(t, s, "GET", tc.path, "")
		var list []map[string]any
		if err := json.Unmarshal(body, &list); err != nil || len(list) != tc.wantCount {
			t.Fatalf("%s: %d items, %v", tc.path, len(list), err)
		}
		for _, l := range tc.wantLink {
			if !strings.Contains(resp.Header.Get("Link"), l) {
				t.Errorf("%s: Link %q lacks %q", tc.path, resp.Header.Get("Link"), l)
			}
		}
		if tc.wantLink == nil && resp.Header.Get("Link") != "" {
			t.Errorf("%s: unexpected Link %q", tc.path, resp.Header.Get("Link"))
		}
		etag := resp.Header.Get("ETag")
		again, b := do(t, s, "GET", tc.path, "", "If-None-Match", etag)
		if again.StatusCode != http.StatusNotModified || len(b) != 0 {
			t.Errorf("%s: conditional GET = %d with %d bytes", tc.path, again.StatusCode, len(b))
		}
	}
}

func TestWritesBumpUpdatedAtAndCreateUnknownLabels(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return clock }))
	defer s.Close()
	s.AddLabel("o/r", "bug")
	n := s.AddIssue("o/r", Issue{Title: "t"})
	before, _ := s.Issue("o/r", n)

	steps := []struct {
		method, path, body string
		status             int
	}{
		{"PATCH", "/repos/o/r/issues/1", `{"labels":["BUG","brand new"]}`, 200},
		{"POST", "/repos/o/r/issues/1/comments", `{"body":"hi"}`, 201},
		{"PATCH", "/repos/o/r/issues/1", `{"state":"closed","state_reason":"not_planned"}`, 200},
	}
	last := before.UpdatedAt
	for _, st := range steps {
		resp, body := do(t, s, st.method, st.path, st.body)
		if resp.StatusCode != st.status {
			t.Fatalf("%s %s = %d %s", st.method, st.path, resp.StatusCode, body)
		}
		is, _ := s.Issue("o/r", n)
		if !is.UpdatedAt.After(last) {
			t.Fatalf("%s %s did not bump updated_at (%v → %v)", st.method, st.path, last, is.UpdatedAt)
		}
		last = is.UpdatedAt
	}
	is, _ := s.Issue("o/r", n)
	if strings.Join(is.Labels, ",") != "bug,brand new" || is.State != "closed" || is.StateReason != "not_planned" {
		t.Fatalf("issue = %+v", is)
	}
	if strings.Join(s.Labels("o/r"), ",") != "bug,brand new" {
		t.Fatalf("labels = %v: GitHub creates unknown labels on issue edits, so does the fake", s.Labels("o/r"))
	}
}

func TestSearch(t *testing.T) {
	s := New()
	defer s.Close()
	a := s.AddIssue("o/r", Issue{Title: "Path traversal", Body: "key=mail:abc@example.org"})
	s.AddIssue("o/other", Issue{Title: "Path traversal elsewhere"})
	s.AddPR("o/r", PR{Title: "Fix path traversal", Merged: true})
	tests := []struct {
		q         string
		wantTotal int
		wantCode  int
	}{
		{`repo:o/r is:issue "path traversal"`, 1, 200},
		{`repo:o/r "path traversal"`, 2, 200},
		{`repo:o/r is:pr is:merged in:title "traversal"`, 1, 200},
		{`repo:o/r is:issue in:body "abc@example.org"`, 1, 200},
		{`repo:o/r is:issue in:body "abc@example.or"`, 0, 200},
		{`repo:o/r is:issue in:title "abc@example.org"`, 0, 200},
		{`"path traversal"`, 3, 200},
		{`repo:o/r label:bug`, 0, 422},
	}
	for _, tc := range tests {
		resp, body := do(t, s, "GET", "/search/issues?q="+strings.ReplaceAll(tc.q, " ", "+"), "")
		if resp.StatusCode != tc.wantCode {
			t.Fatalf("%s: status %d %s", tc.q, resp.StatusCode, body)
		}
		if tc.wantCode != 200 {
			continue
		}
		var out struct {
			Total int `json:"total_count"`
		}
		_ = json.Unmarshal(body, &out)
		if out.Total != tc.wantTotal {
			t.Errorf("%s: total %d, want %d", tc.q, out.Total, tc.wantTotal)
		}
	}
	s.HideFromSearch("o/r", a)
	_, body := do(t, s, "GET", "/search/issues?q=repo:o/r+is:issue", "")
	if !strings.Contains(string(body), `"total_count":0`) {
		t.Errorf("hidden issue still found: %s", body)
	}
}

func TestFaultsAndAuth(t *testing.T) {
	s := New(WithToken("tok"))
	defer s.Close()
	s.AddIssue("o/r", Issue{Title: "t"})
	if resp, _ := do(t, s, "GET", "/repos/o/r/issues/1", ""); resp.StatusCode != 401 {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	auth := []string{"Authorization", "Bearer tok"}
	s.FailNext("GET", "/repos/*/*/issues/*", 502)
	if resp, _ := do(t, s, "GET", "/repos/o/r/issues/1", "", auth...); resp.StatusCode != 502 {
		t.Fatalf("fault: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/repos/o/r/issues/1", "", auth...); resp.StatusCode != 200 {
		t.Fatalf("fault fired twice: %d", resp.StatusCode)
	}
	s.FailNextRateLimit("GET", "/repos/*/*/issues/*", false)
	if resp, _ := do(t, s, "GET", "/repos/o/r/issues/1", "", auth...); resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("rate limit: %d %v", resp.StatusCode, resp.Header)
	}
	for _, r := range s.Requests() {
		if strings.Contains(string(r.Body)+r.Query, "tok") {
			t.Fatalf("token in the log: %+v", r)
		}
	}
}

func TestGraphQLWithoutSchema(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddProject("org", 1, "Todo", "Done")
	n := s.AddIssue("org/r", Issue{Title: "t"})
	is, _ := s.Issue("org/r", n)
	q := `query($o:String!){repositoryOwner(login:$o){... on ProjectV2Owner{projectV2(number:1){id field(name:"Status"){... on ProjectV2SingleSelectField{id options{id name}}}}}}}`
	_, body := do(t, s, "POST", "/graphql", `{"query":`+quote(q)+`,"variables":{"o":"org"}}`)
	var out struct {
		Data struct {
			RepositoryOwner struct {
				ProjectV2 struct {
					ID    string
					Field struct {
						ID      string
						Options []struct{ ID, Name string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	p := out.Data.RepositoryOwner.ProjectV2
	if !strings.HasPrefix(p.ID, "PVT_") || !strings.HasPrefix(p.Field.ID, "PVTSSF_") || len(p.Field.Options) != 2 {
		t.Fatalf("answer %s", body)
	}
	m := `mutation($i:AddProjectV2ItemByIdInput!){addProjectV2ItemById(input:$i){item{id}}}`
	_, body = do(t, s, "POST", "/graphql", `{"query":`+quote(m)+`,"variables":{"i":{"projectId":"`+p.ID+`","contentId":"`+is.NodeID+`"}}}`)
	if !strings.Contains(string(body), `"id":"PVTI_`) {
		t.Fatalf("add answer %s", body)
	}
	_, body = do(t, s, "POST", "/graphql", `{"query":"query{viewer{login}}"}`)
	if !strings.Contains(string(body), `doesn't exist on type 'Query'`) {
		t.Fatalf("unimplemented field answer %s", body)
	}
	if _, _, on := s.BoardStatus("org", 1, "org/r", n); !on {
		t.Fatal("item not on the board")
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
