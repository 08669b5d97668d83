package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// route is one REST endpoint, spelled as in GitHub's OpenAPI description.
type route struct {
	method   string
	template string
	handler  func(s *Server, w http.ResponseWriter, r *http.Request, p map[string]string, body []byte)
}

// routes are exactly the REST endpoints integrations/github calls.
var routes = []route{
	{"GET", "/repos/{owner}/{repo}/issues/{issue_number}", (*Server).getIssue},
	{"PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", (*Server).updateIssue},
	{"GET", "/repos/{owner}/{repo}/issues", (*Server).listIssues},
	{"POST", "/repos/{owner}/{repo}/issues", (*Server).createIssue},
	{"GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments", (*Server).listComments},
	{"POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", (*Server).createComment},
	{"PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", (*Server).updateComment},
	{"DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", (*Server).deleteComment},
	{"GET", "/repos/{owner}/{repo}/collaborators", (*Server).listCollaborators},
	{"GET", "/repos/{owner}/{repo}/labels", (*Server).listLabels},
	{"GET", "/repos/{owner}/{repo}/milestones", (*Server).listMilestones},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}", (*Server).getPull},
	{"GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", (*Server).listPullFiles},
	{"GET", "/repos/{owner}/{repo}/releases", (*Server).listReleases},
	{"GET", "/search/issues", (*Server).searchIssues},
}

// Routes lists the REST endpoints the fake serves, as "METHOD /template".
func Routes() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.method + " " + r.template
	}
	return out
}

func matchRoute(method, p string) (route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for _, rt := range routes {
		if rt.method != method {
			continue
		}
		tmpl := strings.Split(strings.Trim(rt.template, "/"), "/")
		if len(tmpl) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, t := range tmpl {
			if strings.HasPrefix(t, "{") {
				name := strings.Trim(t, "{}")
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				if strings.HasSuffix(name, "_number") || strings.HasSuffix(name, "_id") {
					if _, err := strconv.ParseInt(v, 10, 64); err != nil {
						ok = false
						break
					}
				}
				params[name] = v
			} else if t != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params, true
		}
	}
	return route{}, nil, false
}

// Handlers. Each takes the lock for its whole run.

func (s *Server) repoOr404(w http.ResponseWriter, p map[string]string) *repo {
	r := s.findRepo(p["owner"], p["repo"])
	if r == nil {
		writeError(w, http.StatusNotFound, "Not Found")
	}
	return r
}

func (s *Server) issueOr404(w http.ResponseWriter, p map[string]string) *issue {
	r := s.repoOr404(w, p)
	if r == nil {
		return nil
	}
	n, _ := strconv.Atoi(p["issue_number"])
	is := r.issues[n]
	if is == nil {
		writeError(w, http.StatusNotFound, "Not Found")
	}
	return is
}

func (s *Server) getIssue(w http.ResponseWriter, _ *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.issueOr404(w, p); is != nil {
		writeJSON(w, http.StatusOK, s.issueJSON(is))
	}
}

func (s *Server) listIssues(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoOr404(w, p)
	if rp == nil {
		return
	}
	q := r.URL.Query()
	state := orDefault(q.Get("state"), "open")
	if state != "open" && state != "closed" && state != "all" {
		writeValidation(w, "Issue", "state", "invalid")
		return
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeValidation(w, "Issue", "since", "invalid")
			return
		}
		since = t
	}
	var list []*issue
	for _, is := range rp.issues {
		if state != "all" && is.state != state {
			continue
		}
		if !since.IsZero() && is.updatedAt.Before(since) {
			continue
		}
		if !hasAllLabels(is.labels, want) {
			continue
		}
		list = append(list, is)
	}
	key := func(is *issue) int64 {
		switch q.Get("sort") {
		case "updated":
			return is.updatedAt.UnixNano()
		case "comments":
			return int64(len(is.comments))
		}
		return is.createdAt.UnixNano()
	}
	asc := q.Get("direction") == "asc"
	sort.SliceStable(list, func(i, j int) bool {
		a, b := key(list[i]), key(list[j])
		if a == b {
			a, b = int64(list[i].number), int64(list[j].number)
		}
		if asc {
			return a < b
		}
		return a > b
	})
	page, ok := s.paginate(w, r, len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, is := range list[page.start:page.end] {
		out = append(out, s.issueJSON(is))
	}
	writeJSON(w, http.StatusOK, out)
}

func hasAllLabels(have, want []string) bool {
	for _, wl := range want {
		wl = strings.TrimSpace(wl)
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, wl) }) {
			return false
		}
	}
	return true
}

func (s *Server) createIssue(w http.ResponseWriter, _ *http.Request, p map[string]string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoOr404(w, p)
	if rp == nil {
		return
	}
	var in struct {
		Title     *string  `json:"title"`
		Body      *string  `json:"body"`
		Labels    []string `json:"labels"`
		Assignees []string `json:"assignees"`
		Milestone *int     `json:"milestone"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if in.Title == nil || strings.TrimSpace(*in.Title) == "" {
		writeValidation(w, "Issue", "title", "missing_field")
		return
	}
	if in.Milestone != nil && rp.milestoneByNumber(*in.Milestone) == nil {
		writeValidation(w, "Issue", "milestone", "invalid")
		return
	}
	is := s.newIssueLocked(rp, "I", *in.Title, deref(in.Body), s.viewer, time.Time{})
	for _, l := range in.Labels {
		// Like GitHub: an unknown label is created on the fly.
		is.labels = append(is.labels, s.labelLocked(rp, l).name)
	}
	is.assignees = rp.assignable(in.Assignees, s.viewer)
	if in.Milestone != nil {
		is.milestone = *in.Milestone
	}
	writeJSON(w, http.StatusCreated, s.issueJSON(is))
}

func (r *repo) assignable(logins []string, viewer string) []string {
	out := []string{}
	for _, l := range logins {
		if (r.isCollaborator(l) || strings.EqualFold(l, viewer)) && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func (s *Server) updateIssue(w http.ResponseWriter, _ *http.Request, p map[string]string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueOr404(w, p)
	if is == nil {
		return
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	next := *is
	next.labels = slices.Clone(is.labels)
	next.assignees = slices.Clone(is.assignees)
	var created []string // labels to create once the request is known valid
	for k, raw := range in {
		isNull := string(raw) == "null"
		switch k {
		case "title":
			if json.Unmarshal(raw, &next.title) != nil || strings.TrimSpace(next.title) == "" {
				writeValidation(w, "Issue", "title", "invalid")
				return
			}
		case "body":
			next.body = ""
			if !isNull && json.Unmarshal(raw, &next.body) != nil {
				writeValidation(w, "Issue", "body", "invalid")
				return
			}
		case "state":
			if json.Unmarshal(raw, &next.state) != nil || (next.state != "open" && next.state != "closed") {
				writeValidation(w, "Issue", "state", "invalid")
				return
			}
		case "state_reason":
			var sr string
			if !isNull && (json.Unmarshal(raw, &sr) != nil || !slices.Contains([]string{"completed", "not_planned", "reopened", "duplicate"}, sr)) {
				writeValidation(w, "Issue", "state_reason", "invalid")
				return
			}
			next.stateReason = sr
		case "labels":
			var ls []string
			if json.Unmarshal(raw, &ls) != nil {
				writeValidation(w, "Issue", "labels", "invalid")
				return
			}
			next.labels = []string{}
			for _, l := range ls {
				if existing := findLabel(is.repo, l); existing != nil {
					l = existing.name
				} else {
					created = append(created, l)
				}
				if !slices.ContainsFunc(next.labels, func(x string) bool { return strings.EqualFold(x, l) }) {
					next.labels = append(next.labels, l)
				}
			}
		case "assignees":
			var as []string
			if json.Unmarshal(raw, &as) != nil {
				writeValidation(w, "Issue", "assignees", "invalid")
				return
			}
			next.assignees = is.repo.assignable(as, s.viewer)
		case "milestone":
			next.milestone = 0
			if !isNull {
				var n int
				if json.Unmarshal(raw, &n) != nil || is.repo.milestoneByNumber(n) == nil {
					writeValidation(w, "Issue", "milestone", "invalid")
					return
				}
				next.milestone = n
			}
		default:
			// GitHub ignores unknown keys; the adapter sends none.
		}
	}
	for _, l := range created {
		s.labelLocked(is.repo, l) // like GitHub: unknown labels are created
	}
	// State transitions, as GitHub records them.
	_, reasonGiven := in["state_reason"]
	switch {
	case is.state == "open" && next.state == "closed":
		if !reasonGiven || next.stateReason == "" {
			next.stateReason = "completed"
		}
	case is.state == "closed" && next.state == "open":
		next.closedAt = time.Time{}
		next.stateReason = "reopened"
	case next.state == "open" && reasonGiven && next.stateReason != "reopened":
		next.stateReason = is.stateReason // a reason only applies to closing
	}
	if issueChanged(is, &next) {
		now := s.tick()
		next.updatedAt = now
		if is.state == "open" && next.state == "closed" {
			next.closedAt = now
		}
		*is = next
	}
	writeJSON(w, http.StatusOK, s.issueJSON(is))
}

func findLabel(r *repo, name string) *label {
	for _, l := range r.labels {
		if strings.EqualFold(l.name, name) {
			return l
		}
	}
	return nil
}

func issueChanged(a, b *issue) bool {
	return a.title != b.title || a.body != b.body || a.state != b.state || a.stateReason != b.stateReason ||
		!slices.Equal(a.labels, b.labels) || !slices.Equal(a.assignees, b.assignees) || a.milestone != b.milestone
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueOr404(w, p)
	if is == nil {
		return
	}
	list := is.comments
	if v := r.URL.Query().Get("since"); v != "" {
		since, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeValidation(w, "IssueComment", "since", "invalid")
			return
		}
		list = nil
		for _, c := range is.comments {
			if !c.updatedAt.Before(since) {
				list = append(list, c)
			}
		}
	}
	page, ok := s.paginate(w, r, len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, c := range list[page.start:page.end] {
		out = append(out, s.commentJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createComment(w http.ResponseWriter, _ *http.Request, p map[string]string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueOr404(w, p)
	if is == nil {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if json.Unmarshal(body, &in) != nil || in.Body == nil || *in.Body == "" {
		writeValidation(w, "IssueComment", "body", "missing_field")
		return
	}
	c := s.newCommentLocked(is, s.viewer, *in.Body, time.Time{})
	is.updatedAt = c.createdAt
	writeJSON(w, http.StatusCreated, s.commentJSON(c))
}

func (s *Server) commentOr404(w http.ResponseWriter, p map[string]string) *comment {
	r := s.repoOr404(w, p)
	if r == nil {
		return nil
	}
	id, _ := strconv.ParseInt(p["comment_id"], 10, 64)
	for _, is := range r.issues {
		for _, c := range is.comments {
			if c.id == id {
				return c
			}
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
	return nil
}

func (s *Server) updateComment(w http.ResponseWriter, _ *http.Request, p map[string]string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.commentOr404(w, p)
	if c == nil {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if json.Unmarshal(body, &in) != nil || in.Body == nil || *in.Body == "" {
		writeValidation(w, "IssueComment", "body", "missing_field")
		return
	}
	if *in.Body != c.body {
		c.body = *in.Body
		c.updatedAt = s.tick()
		c.issue.updatedAt = c.updatedAt
	}
	writeJSON(w, http.StatusOK, s.commentJSON(c))
}

func (s *Server) deleteComment(w http.ResponseWriter, _ *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.commentOr404(w, p)
	if c == nil {
		return
	}
	is := c.issue
	is.comments = slices.DeleteFunc(is.comments, func(x *comment) bool { return x == c })
	is.updatedAt = s.tick()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) listCollaborators(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoOr404(w, p)
	if rp == nil {
		return
	}
	page, ok := s.paginate(w, r, len(rp.collaborators))
	if !ok {
		return
	}
	out := []any{}
	for _, login := range rp.collaborators[page.start:page.end] {
		u := s.userJSON(login)
		u["permissions"] = map[string]any{"pull": true, "triage": true, "push": true, "maintain": false, "admin": false}
		u["role_name"] = "write"
		out = append(out, u)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoOr404(w, p)
	if rp == nil {
		return
	}
	page, ok := s.paginate(w, r, len(rp.labels))
	if !ok {
		return
	}
	out := []any{}
	for _, l := range rp.labels[page.start:page.end] {
		out = append(out, s.labelJSON(rp, l))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listMilestones(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoOr404(w, p)
	if rp == nil {
		return
	}
	state := orDefault(r.URL.Query().Get("state"), "open")
	var list []*milestone
	for _, m := range rp.milestones {
		if state == "all" || m.state == state {
			list = append(list, m)
		}
	}
	page, ok := s.paginate(w, r, len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, m := range list[page.start:page.end] {
		out = append(out, s.milestoneJSON(rp, m))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) pullOr404(w http.ResponseWriter, p map[string]string) *issue {
	r := s.repoOr404(w, p)
	if r == nil {
		return nil
	}
	n, _ := strconv.Atoi(p["pull_number"])
	is := r.issues[n]
	if is == nil || is.pr == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return nil
	}
	return is
}

func (s *Server) getPull(w http.ResponseWriter, _ *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.pullOr404(w, p); is != nil {
		writeJSON(w, http.StatusOK, s.pullJSON(is))
	}
}

func (s *Server) listPullFiles(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.pullOr404(w, p)
	if is == nil {
		return
	}
	page, ok := s.paginate(w, r, len(is.pr.files))
	if !ok {
		return
	}
	out := []any{}
	for _, f := range is.pr.files[page.start:page.end] {
		sha := fmt.Sprintf("%x", sha256Sum([]byte(f)))[:40]
		base := fmt.Sprintf("%s/%s/blob/%s/%s", s.htmlBase, is.repo.fullName(), is.pr.headSHA, f)
		out = append(out, map[string]any{
			"sha": sha, "filename": f, "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
			"blob_url":     base,
			"raw_url":      strings.Replace(base, "/blob/", "/raw/", 1),
			"contents_url": fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", s.srv.URL, is.repo.fullName(), f, is.pr.headSHA),
			"patch":        "@@ -1 +1 @@\n-old\n+new",
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, p map[string]string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoOr404(w, p)
	if rp == nil {
		return
	}
	list := slices.Clone(rp.releases)
	sort.SliceStable(list, func(i, j int) bool { return list[i].createdAt.After(list[j].createdAt) })
	page, ok := s.paginate(w, r, len(list))
	if !ok {
		return
	}
	out := []any{}
	for _, x := range list[page.start:page.end] {
		out = append(out, s.releaseJSON(rp, x))
	}
	writeJSON(w, http.StatusOK, out)
}

// Pagination, as GitHub does it: page and per_page (default 30, at most 100),
// and a Link header with first, prev, next and last.

type pageRange struct{ start, end int }

func (s *Server) paginate(w http.ResponseWriter, r *http.Request, total int) (pageRange, bool) {
	q := r.URL.Query()
	per, page := 30, 1
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeValidation(w, "", "per_page", "invalid")
			return pageRange{}, false
		}
		per = min(n, 100)
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeValidation(w, "", "page", "invalid")
			return pageRange{}, false
		}
		page = n
	}
	last := max(1, (total+per-1)/per)
	link := func(n int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, s.srv.URL, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"), link(1, "first"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	start := min((page-1)*per, total)
	return pageRange{start: start, end: min(start+per, total)}, true
}

// JSON shapes, per GitHub's OpenAPI description. Callers hold mu.

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) userJSON(login string) map[string]any {
	u := s.users[strings.ToLower(login)]
	if u == nil {
		u = s.userLocked(login)
	}
	api := s.srv.URL + "/users/" + u.login
	return map[string]any{
		"login": u.login, "id": u.id, "node_id": u.nodeID, "type": u.typ, "site_admin": false,
		"avatar_url":          fmt.Sprintf("%s/u/%d?v=4", s.htmlBase, u.id),
		"gravatar_id":         "",
		"url":                 api,
		"html_url":            s.htmlBase + "/" + u.login,
		"followers_url":       api + "/followers",
		"following_url":       api + "/following{/other_user}",
		"gists_url":           api + "/gists{/gist_id}",
		"starred_url":         api + "/starred{/owner}{/repo}",
		"subscriptions_url":   api + "/subscriptions",
		"organizations_url":   api + "/orgs",
		"repos_url":           api + "/repos",
		"events_url":          api + "/events{/privacy}",
		"received_events_url": api + "/received_events",
		"user_view_type":      "public",
	}
}

func (s *Server) repoAPI(r *repo) string { return s.srv.URL + "/repos/" + r.fullName() }

func (s *Server) labelJSON(r *repo, l *label) map[string]any {
	var desc any
	if l.description != "" {
		desc = l.description
	}
	return map[string]any{
		"id": l.id, "node_id": l.nodeID, "url": s.repoAPI(r) + "/labels/" + url.PathEscape(l.name),
		"name": l.name, "description": desc, "color": l.color, "default": false,
	}
}

func (s *Server) milestoneJSON(r *repo, m *milestone) map[string]any {
	open, closed := 0, 0
	for _, is := range r.issues {
		if is.milestone == m.number {
			if is.state == "open" {
				open++
			} else {
				closed++
			}
		}
	}
	var desc any
	if m.desc != "" {
		desc = m.desc
	}
	api := fmt.Sprintf("%s/milestones/%d", s.repoAPI(r), m.number)
	return map[string]any{
		"url": api, "html_url": fmt.Sprintf("%s/%s/milestone/%d", s.htmlBase, r.fullName(), m.number),
		"labels_url": api + "/labels", "id": m.id, "node_id": m.nodeID, "number": m.number,
		"state": m.state, "title": m.title, "description": desc, "creator": s.userJSON(m.creator),
		"open_issues": open, "closed_issues": closed,
		"created_at": ts(m.createdAt), "updated_at": ts(m.updatedAt), "closed_at": ts(m.closedAt), "due_on": ts(m.dueOn),
	}
}

func (s *Server) association(r *repo, login string) string {
	switch {
	case strings.EqualFold(login, r.owner):
		return "OWNER"
	case r.isCollaborator(login):
		return "COLLABORATOR"
	}
	return "NONE"
}

func reactions(u string) map[string]any {
	return map[string]any{"url": u + "/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
		"confused": 0, "heart": 0, "hooray": 0, "eyes": 0, "rocket": 0}
}

func (s *Server) issueJSON(is *issue) map[string]any {
	r := is.repo
	api := fmt.Sprintf("%s/issues/%d", s.repoAPI(r), is.number)
	kind := "issues"
	if is.pr != nil {
		kind = "pull"
	}
	html := fmt.Sprintf("%s/%s/%s/%d", s.htmlBase, r.fullName(), kind, is.number)
	labels := []any{}
	for _, name := range is.labels {
		if l := findLabel(r, name); l != nil {
			labels = append(labels, s.labelJSON(r, l))
		}
	}
	assignees := []any{}
	var assignee any
	for i, a := range is.assignees {
		u := s.userJSON(a)
		if i == 0 {
			assignee = u
		}
		assignees = append(assignees, u)
	}
	var ms any
	if m := r.milestoneByNumber(is.milestone); m != nil {
		ms = s.milestoneJSON(r, m)
	}
	var reason any
	if is.stateReason != "" {
		reason = is.stateReason
	}
	out := map[string]any{
		"id": is.id, "node_id": is.nodeID, "url": api,
		"repository_url": s.repoAPI(r), "labels_url": api + "/labels{/name}", "comments_url": api + "/comments",
		"events_url": api + "/events", "html_url": html, "timeline_url": api + "/timeline",
		"number": is.number, "state": is.state, "state_reason": reason, "title": is.title, "body": is.body,
		"user": s.userJSON(is.author), "labels": labels, "assignee": assignee, "assignees": assignees,
		"milestone": ms, "locked": false, "active_lock_reason": nil, "comments": len(is.comments),
		"closed_at": ts(is.closedAt), "created_at": ts(is.createdAt), "updated_at": ts(is.updatedAt),
		"author_association": s.association(r, is.author), "reactions": reactions(api),
	}
	if is.pr != nil {
		pu := fmt.Sprintf("%s/pulls/%d", s.repoAPI(r), is.number)
		out["pull_request"] = map[string]any{
			"url": pu, "html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch", "merged_at": ts(is.pr.mergedAt),
		}
		out["draft"] = is.pr.draft
	}
	return out
}

func (s *Server) commentJSON(c *comment) map[string]any {
	r := c.issue.repo
	api := fmt.Sprintf("%s/issues/comments/%d", s.repoAPI(r), c.id)
	kind := "issues"
	if c.issue.pr != nil {
		kind = "pull"
	}
	return map[string]any{
		"id": c.id, "node_id": c.nodeID, "url": api, "body": c.body,
		"html_url":  fmt.Sprintf("%s/%s/%s/%d#issuecomment-%d", s.htmlBase, r.fullName(), kind, c.issue.number, c.id),
		"issue_url": fmt.Sprintf("%s/issues/%d", s.repoAPI(r), c.issue.number),
		"user":      s.userJSON(c.author), "created_at": ts(c.createdAt), "updated_at": ts(c.updatedAt),
		"author_association": s.association(r, c.author), "reactions": reactions(api),
	}
}

func (s *Server) repoJSON(r *repo) map[string]any {
	api := s.repoAPI(r)
	html := s.htmlBase + "/" + r.fullName()
	host := strings.TrimPrefix(strings.TrimPrefix(s.htmlBase, "https://"), "http://")
	out := map[string]any{
		"id": r.id, "node_id": r.nodeID, "name": r.name, "full_name": r.fullName(), "owner": s.userJSON(r.owner),
		"private": false, "html_url": html, "description": nil, "fork": false, "url": api,
		"homepage": nil, "language": nil, "mirror_url": nil, "license": nil,
		"forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers": 0, "watchers_count": 0, "size": 0,
		"open_issues": 0, "open_issues_count": 0, "default_branch": "main",
		"has_issues": true, "has_projects": true, "has_wiki": false, "has_pages": false, "has_downloads": true,
		"archived": false, "disabled": false,
		"pushed_at": ts(r.createdAt), "created_at": ts(r.createdAt), "updated_at": ts(r.createdAt),
		"clone_url": html + ".git", "git_url": "git://" + host + "/" + r.fullName() + ".git",
		"ssh_url": "git@" + host + ":" + r.fullName() + ".git", "svn_url": html,
	}
	for k, suffix := range map[string]string{
		"archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
		"branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
		"comments_url": "/comments{/number}", "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
		"contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
		"downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks",
		"git_commits_url": "/git/commits{/sha}", "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
		"hooks_url": "/hooks", "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
		"issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
		"languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
		"notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
		"releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
		"subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
		"teams_url": "/teams", "trees_url": "/git/trees{/sha}",
	} {
		out[k] = api + suffix
	}
	return out
}

func (s *Server) pullJSON(is *issue) map[string]any {
	r := is.repo
	base := s.issueJSON(is)
	api := fmt.Sprintf("%s/pulls/%d", s.repoAPI(r), is.number)
	html := base["html_url"].(string)
	issueAPI := base["url"].(string)
	link := func(h string) map[string]any { return map[string]any{"href": h} }
	ref := func(branch, sha string) map[string]any {
		return map[string]any{"label": r.owner + ":" + branch, "ref": branch, "sha": sha, "user": s.userJSON(r.owner), "repo": s.repoJSON(r)}
	}
	var mergeSHA, mergedBy any
	if is.pr.merged {
		mergeSHA, mergedBy = is.pr.mergeSHA, s.userJSON(r.owner)
	}
	out := map[string]any{
		"url": api, "id": is.id, "node_id": is.nodeID, "html_url": html,
		"diff_url": html + ".diff", "patch_url": html + ".patch", "issue_url": issueAPI,
		"commits_url": api + "/commits", "review_comments_url": api + "/comments",
		"review_comment_url": s.repoAPI(r) + "/pulls/comments{/number}", "comments_url": issueAPI + "/comments",
		"statuses_url": s.repoAPI(r) + "/statuses/" + is.pr.headSHA,
		"number":       is.number, "state": is.state, "locked": false, "title": is.title, "body": is.body,
		"user": base["user"], "labels": base["labels"], "milestone": base["milestone"],
		"assignee": base["assignee"], "assignees": base["assignees"],
		"requested_reviewers": []any{}, "requested_teams": []any{},
		"created_at": base["created_at"], "updated_at": base["updated_at"], "closed_at": base["closed_at"],
		"merged_at": ts(is.pr.mergedAt), "merge_commit_sha": mergeSHA, "merged": is.pr.merged, "merged_by": mergedBy,
		"head": ref(is.pr.head, is.pr.headSHA), "base": ref(is.pr.base, strings.Repeat("0", 40)),
		"_links": map[string]any{
			"self": link(api), "html": link(html), "issue": link(issueAPI), "comments": link(issueAPI + "/comments"),
			"review_comments": link(api + "/comments"), "review_comment": link(s.repoAPI(r) + "/pulls/comments{/number}"),
			"commits": link(api + "/commits"), "statuses": link(s.repoAPI(r) + "/statuses/" + is.pr.headSHA),
		},
		"author_association": base["author_association"], "auto_merge": nil, "draft": is.pr.draft,
		"mergeable": nil, "rebaseable": nil, "mergeable_state": "unknown", "maintainer_can_modify": false,
		"comments": len(is.comments), "review_comments": 0, "commits": 1,
		"additions": len(is.pr.files), "deletions": len(is.pr.files), "changed_files": len(is.pr.files),
	}
	return out
}

func (s *Server) releaseJSON(r *repo, x *release) map[string]any {
	api := fmt.Sprintf("%s/releases/%d", s.repoAPI(r), x.id)
	var name, body any
	if x.name != "" {
		name = x.name
	}
	if x.body != "" {
		body = x.body
	}
	return map[string]any{
		"url": api, "html_url": fmt.Sprintf("%s/%s/releases/tag/%s", s.htmlBase, r.fullName(), url.PathEscape(x.tag)),
		"assets_url":  api + "/assets",
		"upload_url":  fmt.Sprintf("%s/repos/%s/releases/%d/assets{?name,label}", s.srv.URL, r.fullName(), x.id),
		"tarball_url": s.repoAPI(r) + "/tarball/" + url.PathEscape(x.tag), "zipball_url": s.repoAPI(r) + "/zipball/" + url.PathEscape(x.tag),
		"id": x.id, "node_id": x.nodeID, "tag_name": x.tag, "target_commitish": "main", "name": name, "body": body,
		"draft": x.draft, "prerelease": x.prerelease, "immutable": false,
		"created_at": ts(x.createdAt), "published_at": ts(x.publishedAt), "updated_at": ts(x.createdAt),
		"author": s.userJSON(x.author), "assets": []any{},
	}
}
