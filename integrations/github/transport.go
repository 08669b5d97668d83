package github

import (
	"bytes"
	"container/list"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// CountingTransport counts the HTTP requests that reach the network, per
// "METHOD /path-template" for REST (e.g. "GET /repos/{owner}/{repo}/issues/{issue_number}")
// and per GraphQL operation ("GraphQL mutation addProjectV2ItemById"; githubv4
// sends anonymous operations, so an operation is named by its type and top-level
// fields). It sits below the ETag cache, so a conditional request answered with
// 304 Not Modified is still one request (GitHub does not charge it against the
// rate limit; NotModified reports how many there were).
type CountingTransport struct {
	base http.RoundTripper

	mu          sync.Mutex
	counts      map[string]int
	total       int
	notModified int
}

// NewCountingTransport counts the requests sent through base
// (http.DefaultTransport when nil).
func NewCountingTransport(base http.RoundTripper) *CountingTransport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &CountingTransport{base: base, counts: map[string]int{}}
}

// RoundTrip implements http.RoundTripper.
func (t *CountingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := requestKey(req)
	resp, err := t.base.RoundTrip(req)
	t.mu.Lock()
	t.counts[key]++
	t.total++
	if err == nil && resp.StatusCode == http.StatusNotModified {
		t.notModified++
	}
	t.mu.Unlock()
	return resp, err
}

// Counts returns a copy of the per-operation counts.
func (t *CountingTransport) Counts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.counts)
}

// Total is the number of requests sent.
func (t *CountingTransport) Total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// NotModified is the number of requests answered 304 Not Modified.
func (t *CountingTransport) NotModified() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notModified
}

// Reset sets every count to zero.
func (t *CountingTransport) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts = map[string]int{}
	t.total, t.notModified = 0, 0
}

// requestKey names a request for counting.
func requestKey(req *http.Request) string {
	p := req.URL.Path
	if req.Method == http.MethodPost && strings.HasSuffix(p, "/graphql") {
		return "GraphQL " + graphQLOperationName(req)
	}
	return req.Method + " " + PathTemplate(p)
}

// graphQLOperationName reads the query from a copy of the request body.
func graphQLOperationName(req *http.Request) string {
	if req.GetBody == nil {
		return "unknown"
	}
	body, err := req.GetBody()
	if err != nil {
		return "unknown"
	}
	defer body.Close()
	var in struct {
		Query string `json:"query"`
	}
	if err := json.NewDecoder(body).Decode(&in); err != nil {
		return "unknown"
	}
	return OperationName(in.Query)
}

// OperationName names a GraphQL document for counting and logs: the operation
// name when it has one, else its type and top-level fields
// ("mutation addProjectV2ItemById"). It parses without a schema.
func OperationName(query string) string {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || len(doc.Operations) == 0 {
		return "unparsable"
	}
	op := doc.Operations[0]
	if op.Name != "" {
		return op.Name
	}
	var fields []string
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			fields = append(fields, f.Name)
		}
	}
	return string(op.Operation) + " " + strings.Join(fields, "+")
}

// routeTemplates are the REST routes this package calls, in GitHub's own
// OpenAPI path-template spelling, most specific first.
var routeTemplates = []string{
	"/repos/{owner}/{repo}/issues/comments/{comment_id}",
	"/repos/{owner}/{repo}/issues/{issue_number}/comments",
	"/repos/{owner}/{repo}/issues/{issue_number}",
	"/repos/{owner}/{repo}/issues",
	"/repos/{owner}/{repo}/pulls/{pull_number}/files",
	"/repos/{owner}/{repo}/pulls/{pull_number}",
	"/repos/{owner}/{repo}/collaborators",
	"/repos/{owner}/{repo}/labels",
	"/repos/{owner}/{repo}/milestones",
	"/repos/{owner}/{repo}/releases",
	"/search/issues",
}

// PathTemplate maps a request path to its route template. A GitHub Enterprise
// "/api/v3" prefix is dropped. Unknown paths keep their shape with /repos/
// owner and name and numeric segments replaced.
func PathTemplate(path string) string {
	path = strings.TrimPrefix(path, "/api/v3")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, tmpl := range routeTemplates {
		if matchTemplate(strings.Split(strings.Trim(tmpl, "/"), "/"), segs) {
			return tmpl
		}
	}
	out := make([]string, len(segs))
	for i, s := range segs {
		switch {
		case i > 0 && i < 3 && segs[0] == "repos":
			out[i] = []string{"", "{owner}", "{repo}"}[i]
		case s != "" && strings.Trim(s, "0123456789") == "":
			out[i] = "{n}"
		default:
			out[i] = s
		}
	}
	return "/" + strings.Join(out, "/")
}

func matchTemplate(tmpl, segs []string) bool {
	if len(tmpl) != len(segs) {
		return false
	}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") {
			if segs[i] == "" {
				return false
			}
			if strings.HasSuffix(t, "_number}") || strings.HasSuffix(t, "_id}") {
				if strings.Trim(segs[i], "0123456789") != "" {
					return false
				}
			}
			continue
		}
		if t != segs[i] {
			return false
		}
	}
	return true
}

// etagTransport makes every GET conditional: it remembers the ETag and body of
// each 200 response (bounded, least recently used out) and sends If-None-Match
// next time; on 304 Not Modified it serves the remembered body as a 200. The
// server decides freshness every time, so a cached body is never stale.
type etagTransport struct {
	base    http.RoundTripper
	max     int
	maxBody int64

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List
}

type etagEntry struct {
	key    string
	etag   string
	header http.Header
	body   []byte
}

func newETagTransport(base http.RoundTripper, max int) *etagTransport {
	return &etagTransport{base: base, max: max, maxBody: 8 << 20, entries: map[string]*list.Element{}, lru: list.New()}
}

func (t *etagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || t.max <= 0 || req.Header.Get("If-None-Match") != "" || req.Header.Get("Range") != "" {
		return t.base.RoundTrip(req)
	}
	key := req.URL.String() + "\x00" + req.Header.Get("Accept")
	cached := t.get(key)
	if cached != nil {
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", cached.etag)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && cached != nil:
		resp.Body.Close()
		h := cached.header.Clone()
		// Fresh rate-limit and date headers come from the 304.
		for k, v := range resp.Header {
			if !strings.HasPrefix(http.CanonicalHeaderKey(k), "Content-") {
				h[k] = v
			}
		}
		return &http.Response{
			Status:        "200 OK",
			StatusCode:    http.StatusOK,
			Proto:         resp.Proto,
			ProtoMajor:    resp.ProtoMajor,
			ProtoMinor:    resp.ProtoMinor,
			Header:        h,
			Body:          io.NopCloser(bytes.NewReader(cached.body)),
			ContentLength: int64(len(cached.body)),
			Request:       req,
		}, nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBody+1))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if int64(len(body)) <= t.maxBody {
			t.put(&etagEntry{key: key, etag: resp.Header.Get("ETag"), header: resp.Header.Clone(), body: body})
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	default:
		return resp, nil
	}
}

func (t *etagTransport) get(key string) *etagEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.entries[key]
	if !ok {
		return nil
	}
	t.lru.MoveToFront(el)
	return el.Value.(*etagEntry)
}

func (t *etagTransport) put(e *etagEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[e.key]; ok {
		el.Value = e
		t.lru.MoveToFront(el)
		return
	}
	t.entries[e.key] = t.lru.PushFront(e)
	for t.lru.Len() > t.max {
		last := t.lru.Back()
		t.lru.Remove(last)
		delete(t.entries, last.Value.(*etagEntry).key)
	}
}

// authTransport adds the token, and only on requests to the API host, so a
// redirect to another host (an asset download, say) never carries it.
type authTransport struct {
	base  http.RoundTripper
	host  string
	token string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.token == "" || req.URL.Host != t.host {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(req)
}
