package fakegithub

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The fake's state. Everything is guarded by Server.mu.

type user struct {
	login  string
	id     int64
	nodeID string
	typ    string // "User" or "Organization"
}

type repo struct {
	owner, name   string
	id            int64
	nodeID        string
	createdAt     time.Time
	labels        []*label
	collaborators []string
	issues        map[int]*issue // issues and pull requests share the numbering
	nextNumber    int
	milestones    []*milestone
	releases      []*release
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

type label struct {
	id          int64
	nodeID      string
	name, color string
	description string
}

type milestone struct {
	id                   int64
	nodeID               string
	number               int
	title, state, desc   string
	createdAt, updatedAt time.Time
	closedAt, dueOn      time.Time
	creator              string
}

type issue struct {
	repo                 *repo
	id                   int64
	nodeID               string
	number               int
	title, body          string
	state, stateReason   string
	labels               []string
	assignees            []string
	milestone            int
	author               string
	createdAt, updatedAt time.Time
	closedAt             time.Time
	comments             []*comment
	pr                   *pull // nil for issues
	unindexed            bool  // not yet in the search index (HideFromSearch)
}

type pull struct {
	merged   bool
	mergedAt time.Time
	mergeSHA string
	headSHA  string
	files    []string
	head     string
	base     string
	draft    bool
}

type comment struct {
	issue                *issue
	id                   int64
	nodeID               string
	author, body         string
	createdAt, updatedAt time.Time
}

type release struct {
	id                     int64
	nodeID                 string
	tag, name, body        string
	draft, prerelease      bool
	createdAt, publishedAt time.Time
	author                 string
}

type project struct {
	owner  string
	number int
	id     string
	title  string
	status *field
	items  []*item
}

type field struct {
	id      string
	name    string
	options []*option
}

type option struct{ id, name string }

type item struct {
	id       string
	project  *project
	content  *issue
	optionID string // "" when no status is set
	archived bool
}

// Seeding and inspection types.

// Issue seeds an issue (AddIssue) and is what Issue returns. Zero times are
// stamped by the fake's clock; State defaults to "open".
type Issue struct {
	Number      int
	NodeID      string
	Title       string
	Body        string
	State       string
	StateReason string
	Labels      []string
	Assignees   []string
	Milestone   string // title; created when missing
	Author      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
	Comments    []Comment
}

// Comment seeds a comment and is what Comments returns.
type Comment struct {
	ID        int64
	Author    string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PR seeds a pull request.
type PR struct {
	Title     string
	Body      string
	State     string // "open" (default) or "closed"
	Author    string
	Merged    bool
	MergedAt  time.Time
	MergeSHA  string
	Files     []string
	Milestone string
	Labels    []string
	CreatedAt time.Time
	Head      string // branch, default "fix-<n>"
	Base      string // branch, default "main"
}

// Release seeds a release.
type Release struct {
	Tag         string
	Name        string
	Body        string
	Draft       bool
	Prerelease  bool
	PublishedAt time.Time
}

// Milestone seeds a milestone.
type Milestone struct {
	Title       string
	State       string // "open" (default) or "closed"
	Description string
	DueOn       time.Time
}

// AddUser registers login as a personal account; owners not registered this
// way are organizations.
func (s *Server) AddUser(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(login).typ = "User"
}

func (s *Server) userLocked(login string) *user {
	k := strings.ToLower(login)
	if u, ok := s.users[k]; ok {
		return u
	}
	u := &user{login: login, id: s.nextID(), typ: "User"}
	u.nodeID = s.nodeID("U", u)
	s.users[k] = u
	return u
}

// ownerLocked returns the account owning repos or projects: an organization
// unless AddUser registered it first.
func (s *Server) ownerLocked(login string) *user {
	k := strings.ToLower(login)
	if u, ok := s.users[k]; ok {
		return u
	}
	u := &user{login: login, id: s.nextID(), typ: "Organization"}
	u.nodeID = s.nodeID("O", u)
	s.users[k] = u
	return u
}

// AddRepo creates the repository "owner/name" (idempotent). Seeding helpers
// create repositories on first use too.
func (s *Server) AddRepo(fullName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(fullName)
}

func (s *Server) repoLocked(fullName string) *repo {
	k := strings.ToLower(fullName)
	if r, ok := s.repos[k]; ok {
		return r
	}
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok {
		panic(fmt.Sprintf("fakegithub: repository %q is not owner/name", fullName))
	}
	s.ownerLocked(owner)
	r := &repo{owner: owner, name: name, id: s.nextID(), issues: map[int]*issue{}, nextNumber: 1, createdAt: s.tick()}
	r.nodeID = s.nodeID("R", r)
	s.repos[k] = r
	return r
}

func (s *Server) findRepo(owner, name string) *repo {
	return s.repos[strings.ToLower(owner+"/"+name)]
}

// AddLabel defines a label in the repository (idempotent).
func (s *Server) AddLabel(repo, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labelLocked(s.repoLocked(repo), name)
}

func (s *Server) labelLocked(r *repo, name string) *label {
	for _, l := range r.labels {
		if strings.EqualFold(l.name, name) {
			return l
		}
	}
	l := &label{id: s.nextID(), name: name, color: fmt.Sprintf("%06x", sha256Sum([]byte(name))[:3])}
	l.nodeID = s.nodeID("LA", l)
	r.labels = append(r.labels, l)
	return l
}

// Labels returns the names of the repository's labels.
func (s *Server) Labels(repo string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if r := s.repos[strings.ToLower(repo)]; r != nil {
		for _, l := range r.labels {
			out = append(out, l.name)
		}
	}
	return out
}

// AddCollaborator adds login to the repository's collaborators.
func (s *Server) AddCollaborator(repo, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(repo)
	s.userLocked(login)
	if !slices.ContainsFunc(r.collaborators, func(c string) bool { return strings.EqualFold(c, login) }) {
		r.collaborators = append(r.collaborators, login)
	}
}

// AddMilestone creates a milestone and returns its number.
func (s *Server) AddMilestone(repo string, m Milestone) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.milestoneLocked(s.repoLocked(repo), m.Title)
	ms.desc, ms.dueOn = m.Description, m.DueOn
	if m.State == "closed" {
		ms.state, ms.closedAt = "closed", ms.createdAt
	}
	return ms.number
}

func (s *Server) milestoneLocked(r *repo, title string) *milestone {
	for _, m := range r.milestones {
		if m.title == title {
			return m
		}
	}
	now := s.tick()
	m := &milestone{id: s.nextID(), number: len(r.milestones) + 1, title: title, state: "open",
		createdAt: now, updatedAt: now, creator: r.owner}
	m.nodeID = s.nodeID("MI", m)
	r.milestones = append(r.milestones, m)
	return m
}

// AddIssue seeds an issue with its comments and returns its number. Labels
// and the milestone are created when missing.
func (s *Server) AddIssue(repo string, in Issue) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(repo)
	is := s.newIssueLocked(r, "I", in.Title, in.Body, orDefault(in.Author, s.viewer), in.CreatedAt)
	if !in.UpdatedAt.IsZero() {
		is.updatedAt = in.UpdatedAt.UTC()
	}
	for _, l := range in.Labels {
		is.labels = append(is.labels, s.labelLocked(r, l).name)
	}
	is.assignees = append(is.assignees, in.Assignees...)
	if in.Milestone != "" {
		is.milestone = s.milestoneLocked(r, in.Milestone).number
	}
	if in.State == "closed" {
		is.state = "closed"
		is.stateReason = orDefault(in.StateReason, "completed")
		is.closedAt = in.ClosedAt.UTC()
		if is.closedAt.IsZero() {
			is.closedAt = is.updatedAt
		}
	}
	for _, c := range in.Comments {
		cm := s.newCommentLocked(is, orDefault(c.Author, s.viewer), c.Body, c.CreatedAt)
		if !c.UpdatedAt.IsZero() {
			cm.updatedAt = c.UpdatedAt.UTC()
		}
	}
	return is.number
}

func (s *Server) newIssueLocked(r *repo, prefix, title, body, author string, created time.Time) *issue {
	if created.IsZero() {
		created = s.tick()
	}
	s.userLocked(author)
	is := &issue{repo: r, id: s.nextID(), number: r.nextNumber, title: title, body: body, state: "open",
		author: author, createdAt: created.UTC(), updatedAt: created.UTC(), labels: []string{}}
	is.nodeID = s.nodeID(prefix, is)
	r.nextNumber++
	r.issues[is.number] = is
	return is
}

func (s *Server) newCommentLocked(is *issue, author, body string, created time.Time) *comment {
	if created.IsZero() {
		created = s.tick()
	}
	s.userLocked(author)
	c := &comment{issue: is, id: s.nextID(), author: author, body: body, createdAt: created.UTC(), updatedAt: created.UTC()}
	c.nodeID = s.nodeID("IC", c)
	is.comments = append(is.comments, c)
	return c
}

// AddPR seeds a pull request and returns its number.
func (s *Server) AddPR(repo string, p PR) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(repo)
	is := s.newIssueLocked(r, "PR", p.Title, p.Body, orDefault(p.Author, s.viewer), p.CreatedAt)
	for _, l := range p.Labels {
		is.labels = append(is.labels, s.labelLocked(r, l).name)
	}
	if p.Milestone != "" {
		is.milestone = s.milestoneLocked(r, p.Milestone).number
	}
	is.pr = &pull{files: slices.Clone(p.Files), head: orDefault(p.Head, fmt.Sprintf("fix-%d", is.number)), base: orDefault(p.Base, "main"),
		headSHA: fmt.Sprintf("%x", sha256Sum([]byte(fmt.Sprint("head", is.id))))[:40]}
	if p.Merged || p.State == "closed" {
		is.state = "closed"
		is.closedAt = p.MergedAt.UTC()
		if is.closedAt.IsZero() {
			is.closedAt = s.tick()
		}
		is.updatedAt = is.closedAt
	}
	if p.Merged {
		is.pr.merged, is.pr.mergedAt = true, is.closedAt
		is.pr.mergeSHA = orDefault(p.MergeSHA, fmt.Sprintf("%x", sha256Sum([]byte(fmt.Sprint("merge", is.id))))[:40])
	}
	return is.number
}

// AddRelease seeds a release.
func (s *Server) AddRelease(repo string, rel Release) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repoLocked(repo)
	created := rel.PublishedAt.UTC()
	if created.IsZero() {
		created = s.tick()
	}
	x := &release{id: s.nextID(), tag: rel.Tag, name: rel.Name, body: rel.Body, draft: rel.Draft, prerelease: rel.Prerelease,
		createdAt: created, author: r.owner}
	if !rel.Draft {
		x.publishedAt = created
	}
	x.nodeID = s.nodeID("RE", x)
	r.releases = append(r.releases, x)
}

// AddProject creates a Projects V2 board owned by owner (an organization unless
// AddUser said otherwise) with a single-select "Status" field holding columns.
func (s *Server) AddProject(owner string, number int, columns ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ownerLocked(owner)
	p := &project{owner: owner, number: number, title: fmt.Sprintf("%s board %d", owner, number)}
	p.id = s.nodeID("PVT", p)
	p.status = &field{name: "Status"}
	p.status.id = s.nodeID("PVTSSF", p.status)
	s.setColumnsLocked(p, columns)
	s.projects[projectKey(owner, number)] = p
}

// SetColumns replaces the project's column list. As on GitHub, every option
// gets a new id; items keep their column when a column of that name remains.
func (s *Server) SetColumns(owner string, number int, columns ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectKey(owner, number)]
	if p == nil {
		panic(fmt.Sprintf("fakegithub: no project %s/%d", owner, number))
	}
	s.setColumnsLocked(p, columns)
}

func (s *Server) setColumnsLocked(p *project, columns []string) {
	old := map[string]string{} // old option id → name
	for _, o := range p.status.options {
		old[o.id] = o.name
	}
	p.status.options = nil
	byName := map[string]string{}
	for _, c := range columns {
		o := &option{id: fmt.Sprintf("%08x", sha256Sum([]byte(fmt.Sprint(c, s.nextID())))[:4]), name: c}
		p.status.options = append(p.status.options, o)
		byName[c] = o.id
	}
	for _, it := range p.items {
		it.optionID = byName[old[it.optionID]]
	}
}

// AddBoardItem puts an issue on the board as the board's auto-add workflow
// would (column "" leaves the status unset).
func (s *Server) AddBoardItem(owner string, number int, repo string, issueNumber int, column string, archived bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectKey(owner, number)]
	r := s.repos[strings.ToLower(repo)]
	if p == nil || r == nil || r.issues[issueNumber] == nil {
		panic(fmt.Sprintf("fakegithub: AddBoardItem: no project %s/%d or issue %s#%d", owner, number, repo, issueNumber))
	}
	it := s.itemLocked(p, r.issues[issueNumber])
	it.archived = archived
	for _, o := range p.status.options {
		if o.name == column {
			it.optionID = o.id
		}
	}
}

// itemLocked returns the content's item on the project, adding it if needed.
func (s *Server) itemLocked(p *project, is *issue) *item {
	for _, it := range p.items {
		if it.content == is {
			return it
		}
	}
	it := &item{project: p, content: is}
	it.id = s.nodeID("PVTI", it)
	p.items = append(p.items, it)
	return it
}

func projectKey(owner string, number int) string {
	return fmt.Sprintf("%s#%d", strings.ToLower(owner), number)
}

// HideFromSearch keeps an issue out of search results, as GitHub's search
// index does for a while after an issue is created.
func (s *Server) HideFromSearch(repo string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repos[strings.ToLower(repo)]; r != nil && r.issues[number] != nil {
		r.issues[number].unindexed = true
	}
}

// Issue returns a snapshot of an issue or pull request.
func (s *Server) Issue(repo string, number int) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if r == nil || r.issues[number] == nil {
		return Issue{}, false
	}
	is := r.issues[number]
	out := Issue{
		Number: is.number, NodeID: is.nodeID, Title: is.title, Body: is.body, State: is.state, StateReason: is.stateReason,
		Labels: slices.Clone(is.labels), Assignees: slices.Clone(is.assignees), Author: is.author,
		CreatedAt: is.createdAt, UpdatedAt: is.updatedAt, ClosedAt: is.closedAt,
	}
	if m := r.milestoneByNumber(is.milestone); m != nil {
		out.Milestone = m.title
	}
	for _, c := range is.comments {
		out.Comments = append(out.Comments, Comment{ID: c.id, Author: c.author, Body: c.body, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt})
	}
	return out, true
}

// Comments returns the comments of an issue, oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	is, _ := s.Issue(repo, number)
	return is.Comments
}

// BoardStatus reports an issue's place on a project: its column ("" when
// unset), whether the item is archived, and whether it is on the board at all.
func (s *Server) BoardStatus(owner string, number int, repo string, issueNumber int) (column string, archived, onBoard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[projectKey(owner, number)]
	if p == nil {
		return "", false, false
	}
	for _, it := range p.items {
		if it.content.repo.fullName() == repo && it.content.number == issueNumber {
			for _, o := range p.status.options {
				if o.id == it.optionID {
					column = o.name
				}
			}
			return column, it.archived, true
		}
	}
	return "", false, false
}

// OptionID returns the current id of a column, for tests that hold on to one.
func (s *Server) OptionID(owner string, number int, column string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.projects[projectKey(owner, number)]; p != nil {
		for _, o := range p.status.options {
			if o.name == column {
				return o.id
			}
		}
	}
	return ""
}

func (r *repo) milestoneByNumber(n int) *milestone {
	for _, m := range r.milestones {
		if m.number == n {
			return m
		}
	}
	return nil
}

func (r *repo) isCollaborator(login string) bool {
	return slices.ContainsFunc(r.collaborators, func(c string) bool { return strings.EqualFold(c, login) })
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
