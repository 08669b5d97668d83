// Package fakegithub is a stateful fake of the part of GitHub that
// integrations/github uses, served on httptest: the REST endpoints for issues,
// labels, comments, milestones, collaborators, issue search, pull requests and
// releases, and the GraphQL operations for a Projects V2 board. Issues, labels,
// comments, board items and their archive state persist across calls, so a test
// can write through the adapter and read the result back through either the
// adapter or the inspection helpers here.
//
// It behaves like GitHub where the adapter depends on it: updated_at is bumped
// on issue edits and on comment writes, with one-second resolution (the fake's
// clock never hands out the same second twice; GitHub's can); every GET answers
// with an ETag and 304 to a matching If-None-Match; lists paginate with Link
// headers; creating or editing an issue with an unknown label creates the label
// (as GitHub does, which is why the adapter checks first); board option ids are
// regenerated when the column list changes (SetColumns). Its responses are
// shaped per GitHub's OpenAPI description and GraphQL schema, and the adapter's
// tests check them against both.
//
// Where it is simpler than GitHub: search is immediately consistent (GitHub's
// index lags writes by seconds to minutes), matches whole tokens
// case-insensitively and knows only the qualifiers the adapter sends (repo:,
// is:issue, is:pr, is:open, is:closed, is:merged, in:title, in:body); permissions
// are one optional token for everything; assignees are accepted only if they
// are collaborators (or the viewer), silently dropped otherwise, as GitHub does
// for users who cannot be assigned.
//
// GraphQL requests are parsed with gqlparser, validated against GitHub's schema
// when one is given (WithSchema), and executed by a small resolver that walks
// the selection set, so the answer has exactly the shape the query asked for.
package fakegithub

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Server is the fake. The zero value is not usable; call New.
type Server struct {
	srv      *httptest.Server
	schema   *ast.Schema
	token    string
	viewer   string
	htmlBase string
	now      func() time.Time

	mu       sync.Mutex
	last     time.Time
	seq      int64
	users    map[string]*user
	repos    map[string]*repo
	projects map[string]*project
	nodes    map[string]any
	faults   []fault
	// writes counts write requests; failWrite (1-based) fails one of them.
	writes, failWrite int
	failAfter         bool
	log               []Request
}

// Option configures a Server.
type Option func(*Server)

// WithSchema validates every GraphQL request against the schema (GitHub's
// schema.graphql loaded with gqlparser) and types its variables; without it,
// queries are only parsed.
func WithSchema(s *ast.Schema) Option { return func(srv *Server) { srv.schema = s } }

// WithToken makes every request without "Authorization: Bearer <token>" (or
// "token <token>") fail with 401 Bad credentials.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithViewer names the authenticated user, the author of everything written
// through the API (default "vulnsteward-bot").
func WithViewer(login string) Option { return func(s *Server) { s.viewer = login } }

// WithClock sets the clock that stamps writes (default time.Now). Stamps have
// one-second resolution and strictly increase.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithHTMLBase sets the web root used in html_url fields (default https://github.com).
func WithHTMLBase(u string) Option {
	return func(s *Server) { s.htmlBase = strings.TrimSuffix(u, "/") }
}

// Request is one logged request and its answer. Authorization headers are never
// logged.
type Request struct {
	Method string
	Path   string
	Query  string
	// Route is the matched REST route in GitHub's OpenAPI spelling
	// ("/repos/{owner}/{repo}/issues/{issue_number}"), or "/graphql".
	Route       string
	IfNoneMatch string
	Body        []byte
	Status      int
	Response    []byte
	// GraphQL requests only: the document, its variables and its name
	// ("mutation addProjectV2ItemById" for anonymous operations).
	GraphQL   string
	Variables json.RawMessage
	Operation string
}

type fault struct {
	method, pattern string
	status          int
	rate            string // "", "primary", "secondary"
}

// New starts a fake. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		viewer:   "vulnsteward-bot",
		htmlBase: "https://github.com",
		now:      time.Now,
		users:    map[string]*user{},
		repos:    map[string]*repo{},
		projects: map[string]*project{},
		nodes:    map[string]any{},
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the API root with a trailing slash, for Config.BaseURL.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// FailNext makes the next request whose method and path match fail once with
// status and a GitHub-shaped error body. pathPattern is a path.Match pattern
// ("/repos/*/*/issues/*"); GraphQL operations are matched as
// "/graphql/<top-level field>" (e.g. "/graphql/updateProjectV2ItemFieldValue")
// as well as "/graphql".
func (s *Server) FailNext(method, pathPattern string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, pattern: pathPattern, status: status})
}

// FailNextRateLimit makes the next matching request hit the primary rate limit
// (403 with X-RateLimit-Remaining: 0; a RATE_LIMITED error for GraphQL) or,
// with secondary, the secondary rate limit (403 with Retry-After).
func (s *Server) FailNextRateLimit(method, pathPattern string, secondary bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kind := "primary"
	if secondary {
		kind = "secondary"
	}
	s.faults = append(s.faults, fault{method: method, pattern: pathPattern, status: http.StatusForbidden, rate: kind})
}

// takeFault removes and returns the first fault matching; caller holds mu.
func (s *Server) takeFault(method string, paths ...string) (fault, bool) {
	for i, f := range s.faults {
		if f.method != method {
			continue
		}
		for _, p := range paths {
			if ok, _ := path.Match(f.pattern, p); ok {
				s.faults = slices.Delete(s.faults, i, i+1)
				return f, true
			}
		}
	}
	return fault{}, false
}

// tick returns the next write time: the clock, truncated to the second, and
// always after the previous stamp. Caller holds mu.
func (s *Server) tick() time.Time {
	t := s.now().UTC().Truncate(time.Second)
	if !t.After(s.last) {
		t = s.last.Add(time.Second)
	}
	s.last = t
	return t
}

// nextID returns a fresh numeric id. Caller holds mu.
func (s *Server) nextID() int64 {
	s.seq++
	return s.seq
}

// nodeID makes a GitHub-looking global id ("I_kwDO…") and registers obj under it.
// Caller holds mu.
func (s *Server) nodeID(prefix string, obj any) string {
	raw := fmt.Sprintf("%s:%08d:fake", prefix, s.nextID())
	id := prefix + "_kwDO" + base64.RawURLEncoding.EncodeToString([]byte(raw))
	s.nodes[id] = obj
	return id
}

// recorder captures what a handler writes, for the log and the ETag.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// FailWrite makes the nth write request from now fail with 502: REST POST,
// PATCH, PUT and DELETE, and GraphQL mutations, counted together. With after,
// the write is applied first and only its answer is lost. It resets the write
// count; Writes reports it.
func (s *Server) FailWrite(n int, after bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes, s.failWrite, s.failAfter = 0, n, after
}

// Writes is the number of write requests since the last FailWrite.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func isWrite(r *http.Request, body []byte) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	if r.URL.Path == "/graphql" {
		return bytes.Contains(body, []byte(`"query":"mutation`))
	}
	return true
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	entry := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, IfNoneMatch: r.Header.Get("If-None-Match")}
	rec := &recorder{header: http.Header{}}
	failNow, failAfter := false, false
	if isWrite(r, body) {
		s.mu.Lock()
		s.writes++
		if s.failWrite > 0 && s.writes == s.failWrite {
			failNow, failAfter = true, s.failAfter
		}
		s.mu.Unlock()
	}
	if !failNow || failAfter {
		s.handle(rec, r, body, &entry)
	}
	if failNow {
		rec = &recorder{header: http.Header{}}
		writeError(rec, http.StatusBadGateway, "Server Error (injected write fault)")
	}

	h := w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	if h.Get("X-RateLimit-Limit") == "" {
		h.Set("X-RateLimit-Limit", "5000")
		h.Set("X-RateLimit-Remaining", "4999")
		h.Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	out := rec.body.Bytes()
	if r.Method == http.MethodGet && status == http.StatusOK {
		etag := fmt.Sprintf(`W/"%x"`, sha256Sum(out))
		h.Set("ETag", etag)
		if entry.IfNoneMatch == etag {
			status, out = http.StatusNotModified, nil
			h.Del("Content-Type")
		}
	}
	entry.Status = status
	entry.Response = slices.Clone(out)
	s.mu.Lock()
	s.log = append(s.log, entry)
	s.mu.Unlock()
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, body []byte, entry *Request) {
	if s.token != "" {
		a := r.Header.Get("Authorization")
		if a != "Bearer "+s.token && a != "token "+s.token {
			writeError(w, http.StatusUnauthorized, "Bad credentials")
			return
		}
	}
	if r.Method == http.MethodPost && r.URL.Path == "/graphql" {
		entry.Route = "/graphql"
		s.serveGraphQL(w, body, entry)
		return
	}
	rt, params, ok := matchRoute(r.Method, r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	entry.Route = rt.template
	s.mu.Lock()
	f, failed := s.takeFault(r.Method, r.URL.Path)
	s.mu.Unlock()
	if failed {
		writeFault(w, f)
		return
	}
	rt.handler(s, w, r, params, body)
}

func writeFault(w http.ResponseWriter, f fault) {
	switch f.rate {
	case "primary":
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Minute).Unix()))
		writeJSON(w, http.StatusForbidden, map[string]any{
			"message":           "API rate limit exceeded for user ID 1.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit",
		})
	case "secondary":
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusForbidden, map[string]any{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	default:
		msg := http.StatusText(f.status)
		switch f.status {
		case http.StatusUnauthorized:
			msg = "Bad credentials"
		case http.StatusForbidden:
			msg = "Resource not accessible by personal access token"
		}
		writeError(w, f.status, msg)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
		"status":            fmt.Sprint(status),
	})
}

func writeValidation(w http.ResponseWriter, resource, field, code string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"documentation_url": "https://docs.github.com/rest",
		"errors":            []any{map[string]any{"resource": resource, "field": field, "code": code}},
		"status":            "422",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
