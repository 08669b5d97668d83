// Package fakegmail is a stateful fake of the parts of the Gmail REST API that
// integrations/gmail uses, served by net/http/httptest. Tests seed it with raw
// RFC 5322 mail, point the adapter at URL(), and inspect the drafts it made.
//
// Endpoints (all under /gmail/v1/users/{userId}/, any userId, one mailbox):
//
//	GET  threads                 q, maxResults (default 100, max 500), pageToken
//	GET  threads/{id}            format=full|metadata|minimal, metadataHeaders
//	GET  messages/{id}           format=full|metadata|minimal|raw, metadataHeaders
//	GET  drafts                  q, maxResults, pageToken
//	GET  drafts/{id}             format=full|metadata|minimal|raw
//	POST drafts                  {"message":{"raw":…,"threadId":…}}
//
// Anything else is 404 (there is deliberately no send, update or delete).
// JSON field names follow the Gmail discovery document: id, threadId, labelIds,
// snippet, historyId and internalDate as strings, sizeEstimate, payload with
// partId, mimeType, filename, headers[{name,value}], body{size,data,attachmentId}
// and parts; nextPageToken, resultSizeEstimate. Body data is base64url of the
// part with its transfer encoding removed, in its original charset; header
// values are served as they appear in the message (RFC 2047 words not decoded).
// Errors use Google's {"error":{"code","message","status","errors"}} shape.
//
// Search (q) supports only these operators, space separated, all of which must
// hold for one message of a thread (Gmail matches threads by any message):
//
//	list:X          the List-Id header contains X (case-insensitive)
//	after:Y/M/D     internalDate on or after midnight UTC of that day
//	before:Y/M/D    internalDate before midnight UTC of that day
//	from:X, -from:X the From header's address or name contains X (case-insensitive)
//
// Any other term is answered with 400, so a test never passes on a query the
// fake silently ignored. Real Gmail differs: after:/before: use the account's
// time zone, list: matches more than List-Id, and free text is searched.
//
// drafts.create mimics Gmail's threading rule: a draft given a threadId joins
// that thread only when its subject (without Re:/Fwd: prefixes) matches the
// thread's; otherwise it starts a thread of its own. An unknown threadId is 404.
// Created drafts are messages labelled DRAFT in their thread.
package fakegmail

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/mailmsg"
)

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu       sync.Mutex
	nextID   uint64
	history  uint64
	messages map[string]*message // by message id
	order    []string            // message ids in insertion order
	drafts   map[string]string   // draft id -> message id
	draftIDs []string            // in creation order
	requests int
	faults   []fault
	pageCap  int // 0: no cap beyond the API's 500
}

type message struct {
	id, threadID string
	labels       []string
	raw          []byte
	internal     time.Time
	history      uint64
	header       mail.Header
	root         mailmsg.Part
	parsed       bool // false: raw did not parse; served with headers only
	from, subj   string
	listID       string
	snippet      string
}

type fault struct {
	method, path string
	status       int
}

// Draft is a draft as the fake stores it.
type Draft struct {
	ID        string
	MessageID string // Gmail message id of the draft
	ThreadID  string
	Labels    []string
	Raw       []byte // the RFC 5322 bytes the client sent
}

// New starts a fake Gmail API. Close it when done.
func New() *Server {
	s := &Server{
		nextID:   0x18f0000000000000,
		messages: map[string]*message{},
		drafts:   map[string]string{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the API base URL for gmail.Config.Endpoint.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Requests is the number of API requests served so far (faults included).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// SetMaxPageSize caps list pages below what the client asks for, as Gmail may
// do, so tests can exercise paging with few items.
func (s *Server) SetMaxPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageCap = n
}

// FailNext makes the next request whose method matches and whose URL path
// contains pathSubstring fail with status (a Google-style error body). Faults
// are one-shot and consumed in the order they were added.
func (s *Server) FailNext(method, pathSubstring string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, path: pathSubstring, status: status})
}

// AddMessage stores raw mail in threadID ("" starts a new thread whose id is
// the message id, as Gmail does) with the given labels, and returns the new
// message id. internalDate is the Date header, or now when it has none. Raw
// mail that does not parse is kept and served with no headers.
func (s *Server) AddMessage(raw []byte, threadID string, labels ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.store(raw, threadID, labels)
	return m.id
}

// Drafts returns the drafts in creation order.
func (s *Server) Drafts() []Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Draft, 0, len(s.draftIDs))
	for _, did := range s.draftIDs {
		m := s.messages[s.drafts[did]]
		out = append(out, Draft{
			ID: did, MessageID: m.id, ThreadID: m.threadID,
			Labels: slices.Clone(m.labels), Raw: slices.Clone(m.raw),
		})
	}
	return out
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatUint(s.nextID, 16)
}

func (s *Server) store(raw []byte, threadID string, labels []string) *message {
	s.history++
	m := &message{
		id:      s.newID(),
		raw:     slices.Clone(raw),
		labels:  slices.Clone(labels),
		history: s.history,
	}
	if threadID == "" {
		threadID = m.id
	}
	m.threadID = threadID
	if h, root, err := mailmsg.ParseMIME(raw); err == nil {
		m.header, m.root, m.parsed = h, root, true
		pm := mailmsg.HeaderMessage(h)
		m.internal = pm.Date
		m.from = strings.ToLower(pm.From.Name + " <" + pm.From.Email + ">")
		m.subj = pm.Subject
		m.listID = strings.ToLower(h.Get("List-Id"))
		m.snippet = snippet(mailmsg.TextBody(root))
	} else {
		m.header = mail.Header{}
	}
	if m.internal.IsZero() {
		m.internal = time.Now()
	}
	s.messages[m.id] = m
	s.order = append(s.order, m.id)
	return m
}

func snippet(body string) string {
	r := []rune(strings.Join(strings.Fields(body), " "))
	if len(r) > 100 {
		r = r[:100]
	}
	return string(r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	for i, f := range s.faults {
		if f.method == r.Method && strings.Contains(r.URL.Path, f.path) {
			s.faults = slices.Delete(s.faults, i, i+1)
			writeError(w, f.status, "injected fault")
			return
		}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/gmail/v1/users/")
	if !ok {
		writeError(w, http.StatusNotFound, "unknown path "+r.URL.Path)
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || parts[0] == "" {
		writeError(w, http.StatusNotFound, "unknown path "+r.URL.Path)
		return
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "threads":
		s.listThreads(w, q.Get("q"), q.Get("maxResults"), q.Get("pageToken"))
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "threads":
		s.getThread(w, parts[2], q.Get("format"), q["metadataHeaders"])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "messages":
		m, ok := s.messages[parts[2]]
		if !ok {
			writeError(w, http.StatusNotFound, "Requested entity was not found.")
			return
		}
		writeJSON(w, s.messageJSON(m, q.Get("format"), q["metadataHeaders"]))
	case r.Method == http.MethodGet && len(parts) == 2 && parts[1] == "drafts":
		s.listDrafts(w, q.Get("q"), q.Get("maxResults"), q.Get("pageToken"))
	case r.Method == http.MethodGet && len(parts) == 3 && parts[1] == "drafts":
		mid, ok := s.drafts[parts[2]]
		if !ok {
			writeError(w, http.StatusNotFound, "Requested entity was not found.")
			return
		}
		writeJSON(w, map[string]any{"id": parts[2], "message": s.messageJSON(s.messages[mid], q.Get("format"), nil)})
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "drafts":
		s.createDraft(w, r.Body)
	default:
		writeError(w, http.StatusNotFound, "the fake does not serve "+r.Method+" "+r.URL.Path)
	}
}

// threads returns thread ids, newest activity first, with their messages in
// arrival order.
func (s *Server) threads() ([]string, map[string][]*message) {
	byThread := map[string][]*message{}
	for _, id := range s.order {
		m := s.messages[id]
		byThread[m.threadID] = append(byThread[m.threadID], m)
	}
	ids := make([]string, 0, len(byThread))
	for id, ms := range byThread {
		slices.SortStableFunc(ms, func(a, b *message) int { return a.internal.Compare(b.internal) })
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		la, lb := byThread[a][len(byThread[a])-1], byThread[b][len(byThread[b])-1]
		if c := lb.internal.Compare(la.internal); c != 0 {
			return c
		}
		return strings.Compare(b, a)
	})
	return ids, byThread
}

func (s *Server) listThreads(w http.ResponseWriter, q, limit, token string) {
	match, err := parseQuery(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ids, byThread := s.threads()
	var hits []string
	for _, id := range ids {
		if slices.ContainsFunc(byThread[id], match) {
			hits = append(hits, id)
		}
	}
	page, next, err := paginate(hits, limit, token, s.pageCap)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	threads := make([]map[string]any, 0, len(page))
	for _, id := range page {
		ms := byThread[id]
		last := ms[len(ms)-1]
		threads = append(threads, map[string]any{"id": id, "snippet": last.snippet, "historyId": strconv.FormatUint(last.history, 10)})
	}
	resp := map[string]any{"resultSizeEstimate": len(hits)}
	if len(threads) > 0 {
		resp["threads"] = threads
	}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeJSON(w, resp)
}

func (s *Server) getThread(w http.ResponseWriter, id, format string, headers []string) {
	_, byThread := s.threads()
	ms, ok := byThread[id]
	if !ok {
		writeError(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	out := make([]map[string]any, 0, len(ms))
	var hist uint64
	for _, m := range ms {
		out = append(out, s.messageJSON(m, format, headers))
		hist = max(hist, m.history)
	}
	writeJSON(w, map[string]any{"id": id, "historyId": strconv.FormatUint(hist, 10), "messages": out})
}

func (s *Server) listDrafts(w http.ResponseWriter, q, limit, token string) {
	match, err := parseQuery(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var hits []string
	for i := len(s.draftIDs) - 1; i >= 0; i-- { // newest first
		if match(s.messages[s.drafts[s.draftIDs[i]]]) {
			hits = append(hits, s.draftIDs[i])
		}
	}
	page, next, err := paginate(hits, limit, token, s.pageCap)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	drafts := make([]map[string]any, 0, len(page))
	for _, did := range page {
		m := s.messages[s.drafts[did]]
		drafts = append(drafts, map[string]any{"id": did, "message": map[string]any{"id": m.id, "threadId": m.threadID}})
	}
	resp := map[string]any{"resultSizeEstimate": len(hits)}
	if len(drafts) > 0 {
		resp["drafts"] = drafts
	}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeJSON(w, resp)
}

func (s *Server) createDraft(w http.ResponseWriter, body io.Reader) {
	var req struct {
		Message struct {
			Raw      string `json:"raw"`
			ThreadID string `json:"threadId"`
		} `json:"message"`
	}
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	raw, err := base64.URLEncoding.DecodeString(req.Message.Raw)
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(req.Message.Raw)
	}
	if err != nil || len(raw) == 0 {
		writeError(w, http.StatusBadRequest, "Invalid value for ByteString: raw")
		return
	}
	threadID := req.Message.ThreadID
	if threadID != "" {
		_, byThread := s.threads()
		ms, ok := byThread[threadID]
		if !ok {
			writeError(w, http.StatusNotFound, "Requested entity was not found.")
			return
		}
		// Gmail keeps a draft in the thread only when the subjects agree.
		pm, perr := mailmsg.Parse(raw)
		if perr != nil || baseSubject(pm.Subject) != baseSubject(ms[0].subj) {
			threadID = ""
		}
	}
	m := s.store(raw, threadID, []string{"DRAFT"})
	m.internal = time.Now()
	did := "r" + strconv.FormatUint(s.nextID, 10)
	s.drafts[did] = m.id
	s.draftIDs = append(s.draftIDs, did)
	writeJSON(w, map[string]any{"id": did, "message": map[string]any{"id": m.id, "threadId": m.threadID, "labelIds": m.labels}})
}

func baseSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		l := strings.ToLower(s)
		switch {
		case strings.HasPrefix(l, "re:"), strings.HasPrefix(l, "fw:"):
			s = strings.TrimSpace(s[3:])
		case strings.HasPrefix(l, "fwd:"):
			s = strings.TrimSpace(s[4:])
		default:
			return strings.ToLower(s)
		}
	}
}

// messageJSON renders a message in the requested format (default full).
func (s *Server) messageJSON(m *message, format string, metadataHeaders []string) map[string]any {
	out := map[string]any{
		"id":           m.id,
		"threadId":     m.threadID,
		"labelIds":     m.labels,
		"snippet":      m.snippet,
		"historyId":    strconv.FormatUint(m.history, 10),
		"internalDate": strconv.FormatInt(m.internal.UnixMilli(), 10),
		"sizeEstimate": len(m.raw),
	}
	switch format {
	case "minimal":
	case "raw":
		out["raw"] = base64.URLEncoding.EncodeToString(m.raw)
	case "metadata":
		p := map[string]any{"partId": "", "mimeType": m.root.MediaType, "filename": "", "headers": headersJSON(m.header, metadataHeaders)}
		out["payload"] = p
	default: // full
		out["payload"] = partJSON(m.root, "", m.header)
	}
	return out
}

func headersJSON(h map[string][]string, only []string) []map[string]string {
	out := []map[string]string{}
	// Deterministic order: the order names first appear is lost in a map, so
	// sort by name (Gmail keeps message order; clients must not depend on it).
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if len(only) > 0 && !slices.ContainsFunc(only, func(o string) bool { return strings.EqualFold(o, k) }) {
			continue
		}
		for _, v := range h[k] {
			out = append(out, map[string]string{"name": k, "value": v})
		}
	}
	return out
}

func partJSON(p mailmsg.Part, partID string, h map[string][]string) map[string]any {
	mt := p.MediaType
	if mt == "" {
		mt = "text/plain"
	}
	out := map[string]any{
		"partId":   partID,
		"mimeType": mt,
		"filename": p.Filename,
		"headers":  headersJSON(h, nil),
	}
	if len(p.Parts) > 0 || strings.HasPrefix(mt, "multipart/") {
		out["body"] = map[string]any{"size": 0}
		children := make([]map[string]any, 0, len(p.Parts))
		for i, c := range p.Parts {
			id := strconv.Itoa(i)
			if partID != "" {
				id = partID + "." + id
			}
			children = append(children, partJSON(c, id, c.Header))
		}
		out["parts"] = children
		return out
	}
	body := map[string]any{"size": len(p.Body)}
	if p.Filename != "" {
		body["attachmentId"] = "att-" + strings.ReplaceAll(partID, ".", "-")
	} else if len(p.Body) > 0 {
		body["data"] = base64.URLEncoding.EncodeToString(p.Body)
	}
	out["body"] = body
	return out
}

func paginate(ids []string, limit, token string, pageCap int) (page []string, next string, err error) {
	size := 100
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 {
			return nil, "", fmt.Errorf("invalid maxResults %q", limit)
		}
		size = min(n, 500)
	}
	if pageCap > 0 {
		size = min(size, pageCap)
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, "p"))
		if err != nil || n < 0 || n > len(ids) || !strings.HasPrefix(token, "p") {
			return nil, "", fmt.Errorf("invalid pageToken %q", token)
		}
		start = n
	}
	end := min(start+size, len(ids))
	if end < len(ids) {
		next = "p" + strconv.Itoa(end)
	}
	return ids[start:end], next, nil
}

// parseQuery compiles the supported search operators into a message matcher.
func parseQuery(q string) (func(*message) bool, error) {
	var preds []func(*message) bool
	for _, term := range strings.Fields(q) {
		neg := strings.HasPrefix(term, "-")
		op, arg, ok := strings.Cut(strings.TrimPrefix(term, "-"), ":")
		arg = strings.ToLower(arg)
		if !ok || arg == "" {
			return nil, fmt.Errorf("fakegmail: unsupported search term %q", term)
		}
		var p func(*message) bool
		switch {
		case op == "list" && !neg:
			p = func(m *message) bool { return m.listID != "" && strings.Contains(m.listID, arg) }
		case op == "from":
			p = func(m *message) bool { return strings.Contains(m.from, arg) }
		case (op == "after" || op == "before") && !neg:
			day, err := time.Parse("2006/01/02", arg)
			if err != nil {
				day, err = time.Parse("2006/1/2", arg)
			}
			if err != nil {
				return nil, fmt.Errorf("fakegmail: unsupported date in %q", term)
			}
			if op == "after" {
				p = func(m *message) bool { return !m.internal.Before(day) }
			} else {
				p = func(m *message) bool { return m.internal.Before(day) }
			}
		default:
			return nil, fmt.Errorf("fakegmail: unsupported search term %q", term)
		}
		if neg {
			inner := p
			p = func(m *message) bool { return !inner(m) }
		}
		preds = append(preds, p)
	}
	return func(m *message) bool {
		for _, p := range preds {
			if !p(m) {
				return false
			}
		}
		return true
	}, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	status := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[code]
	reason := map[int]string{400: "invalidArgument", 401: "authError", 403: "forbidden", 404: "notFound", 429: "rateLimitExceeded", 500: "backendError", 503: "backendError"}[code]
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "status": status,
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": reason}},
	}})
}
