package triage

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
)

// Gather (spec/intake.md §9.3) reads, per tracker: the body and its last
// comments, the scope, linked and possibly-fixing upstream PRs, the reporter's
// follow-ups on the mail thread and the precedents. Everything read from the
// tracker, the mailbox or upstream is data for the agent; none of it changes
// what is planned except through the documented rules below.

// CommentView is a tracker comment as a bundle shows it: a team member's text
// is labelled as the team's; anyone else's is fenced as untrusted.
type CommentView struct {
	ID      int64          `json:"id"`
	Author  string         `json:"author"`
	Team    bool           `json:"security_team"`
	Created string         `json:"created"`
	URL     string         `json:"url,omitempty"`
	Body    untrusted.Text `json:"body"`
}

// ViewComment cleans a comment for tool output. Only the security team (team:
// the collaborators plus the operator, lifecycle.TeamWithOperator) is labelled
// as such; everything else is untrusted data.
func ViewComment(c lifecycle.Comment, team map[string]bool) CommentView {
	isTeam := team[strings.ToLower(c.Author)]
	v := CommentView{ID: c.ID, Author: c.Author, Team: isTeam, Created: c.CreatedAt.UTC().Format(time.RFC3339), URL: c.URL}
	if isTeam {
		text, _ := untrusted.Clean(c.Body)
		v.Body = untrusted.Text{Source: "security team comment", Text: text}
	} else {
		v.Body = untrusted.Wrap("comment by a non-collaborator", c.Body)
	}
	return v
}

// DiscussionComments returns the comments people wrote (not the rollup, not
// other skill-authored marker comments), created after since (zero: all),
// the last limit of them (0: all), and how many earlier ones were left out.
func DiscussionComments(comments []lifecycle.Comment, rollupPrefix string, since time.Time, limit int) (out []lifecycle.Comment, omitted int) {
	for _, c := range comments {
		if lifecycle.IsRollup(c.Body, rollupPrefix) || lifecycle.IsSkillAuthored(c.Body) {
			continue
		}
		if !since.IsZero() && !c.CreatedAt.After(since) {
			continue
		}
		out = append(out, c)
	}
	if limit > 0 && len(out) > limit {
		omitted = len(out) - limit
		out = out[len(out)-limit:]
	}
	return out, omitted
}

// RollupSummaries lists the "date · @handle · action" lines of the rollup,
// each fenced as untrusted: an action carries text taken from the report (the
// import's "Import (Report, <credit>)"), so it is data, not instructions.
func RollupSummaries(comments []lifecycle.Comment, rollupPrefix string) []untrusted.Text {
	var out []untrusted.Text
	for _, c := range lifecycle.FindRollups(comments, rollupPrefix) {
		for _, e := range lifecycle.ParseRollup(c.Body) {
			if e.Parsed {
				out = append(out, untrusted.Wrap("status rollup entry (may quote the report)", fmt.Sprintf("%s · @%s · %s", e.Date, e.Handle, e.Action)))
			}
		}
	}
	return out
}

// FieldViews returns the tracker body's filled fields except the description,
// each fenced as untrusted: fields such as "Reporter credited as" hold text
// taken from the report (tracker_get shows them the same way).
func FieldViews(body *lifecycle.Body) map[string]untrusted.Text {
	out := map[string]untrusted.Text{}
	for _, name := range lifecycle.FieldOrder {
		if v, err := body.Get(name); err == nil && name != lifecycle.FieldDescription && v != "" && v != lifecycle.NoResponse {
			out[name] = untrusted.Wrap("tracker field "+name, v)
		}
	}
	return out
}

// MessageView is a mail message as a bundle shows it.
type MessageView struct {
	From string         `json:"from"`
	Team bool           `json:"from_team"`
	Date string         `json:"date"`
	Body untrusted.Text `json:"body"`
}

// ThreadView is the reporter's mail thread of a tracker.
type ThreadView struct {
	Path     string        `json:"path" jsonschema:"mail, pr, markdown, scan or unknown"`
	ThreadID string        `json:"thread_id,omitempty"`
	Messages []MessageView `json:"follow_ups,omitempty" jsonschema:"the last follow-ups after the report (newest last)"`
	Note     string        `json:"note,omitempty"`
}

// maxMessageRunes caps a follow-up's text in a bundle (quoted history makes mail long).
const maxMessageRunes = 4000

// ReadThread resolves the tracker's reply thread (reply.OriginOf) and reads it.
// A thread the mailbox does not have is a note, not an error: the tracker is
// still triaged from what the tracker holds.
func ReadThread(ctx context.Context, mail lifecycle.Mail, body string) (reply.Origin, *lifecycle.Thread, string) {
	if mail == nil {
		return reply.Origin{Path: reply.PathUnknown}, nil, "no mail backend is configured: the reporter's thread was not read"
	}
	o := reply.OriginOf(body, mail.Kind())
	if o.Path != reply.PathMail || o.ThreadID == "" {
		return o, nil, o.Note
	}
	th, err := mail.ReadThread(ctx, o.ThreadID)
	switch {
	case errors.Is(err, lifecycle.ErrNotFound):
		return o, nil, fmt.Sprintf("the reporter's thread %s is not in this mailbox (%s): nothing read from it", o.ThreadID, mail.Kind())
	case err != nil:
		return o, nil, fmt.Sprintf("reading the reporter's thread %s failed (%v): nothing read from it; check the mail backend", o.ThreadID, err)
	}
	return o, &th, o.Note
}

// FollowUps returns the thread's messages after the root report (drafts
// excluded), newer than since when set, the last limit of them.
func FollowUps(th *lifecycle.Thread, since time.Time, limit int) []lifecycle.Message {
	if th == nil {
		return nil
	}
	root, ok := th.Root()
	var out []lifecycle.Message
	for _, m := range th.Messages {
		if m.IsDraft || (ok && m.MessageID == root.MessageID && m.ID == root.ID) {
			continue
		}
		if !since.IsZero() && !m.Date.After(since) {
			continue
		}
		out = append(out, m)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// ViewMessage cleans a message for tool output; mail is always untrusted.
func ViewMessage(m lifecycle.Message, cfg *projects.Config) MessageView {
	body := m.Body
	if r := []rune(body); len(r) > maxMessageRunes {
		body = string(r[:maxMessageRunes]) + "\n[… truncated]"
	}
	return MessageView{From: reply.FormatAddress(m.From), Team: cfg.IsTeamEmail(m.From.Email), Date: m.Date.UTC().Format(time.RFC3339),
		Body: untrusted.Wrap("mail from "+m.From.Email, body)}
}

var (
	urlRE     = regexp.MustCompile(`https?://[^\s<>()\[\]"'` + "`" + `]+`)
	fileRE    = regexp.MustCompile(`[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.[A-Za-z0-9]{1,6}\b`)
	keywordRE = regexp.MustCompile(`[a-z]+`)
)

var defaultCodeExtensions = []string{".go", ".py", ".java", ".js", ".ts"}

// CodePointers finds the source files a text names (spec/intake.md §4.7's
// code-pointer key): tokens ending in one of the project's code extensions,
// outside URLs, in order of first appearance.
func CodePointers(text string, cfg *projects.Config) []string {
	exts := cfg.Intake.CodeExtensions
	if len(exts) == 0 {
		exts = defaultCodeExtensions
	}
	text = urlRE.ReplaceAllString(text, " ")
	var out []string
	for _, m := range fileRE.FindAllString(text, -1) {
		m = strings.TrimLeft(m, "./")
		ext := path.Ext(m)
		if m == "" || !slices.ContainsFunc(exts, func(e string) bool { return strings.EqualFold(e, ext) }) {
			continue
		}
		if base := strings.TrimSuffix(path.Base(m), ext); strings.Trim(base, "_-") == "" {
			continue
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// InferScopes maps code pointers to scope labels through the scopes' path
// prefixes (the same mapping the PR import uses).
func InferScopes(cfg *projects.Config, pointers []string) []string {
	var out []string
	for _, p := range pointers {
		for _, s := range cfg.Scopes {
			for _, prefix := range s.PathPrefixes {
				if prefix != "" && strings.HasPrefix(p, strings.TrimPrefix(prefix, "/")) && !slices.Contains(out, s.Label) {
					out = append(out, s.Label)
				}
			}
		}
	}
	return out
}

// stopwords are words too common in tracker titles to relate two reports.
var stopwords = map[string]bool{
	"about": true, "after": true, "allow": true, "allows": true, "also": true, "before": true, "being": true, "could": true,
	"does": true, "from": true, "have": true, "into": true, "issue": true, "lets": true, "more": true, "other": true,
	"over": true, "should": true, "some": true, "than": true, "that": true, "their": true, "them": true, "then": true,
	"there": true, "this": true, "through": true, "under": true, "user": true, "users": true, "using": true, "via": true,
	"when": true, "where": true, "which": true, "while": true, "with": true, "without": true, "would": true,
	"security": true, "vulnerability": true, "report": true, "possible": true, "potential": true,
}

// Keywords are the distinctive words of a tracker title: lower-case, four
// letters or more, not a stopword and not the product's own name.
func Keywords(title string, cfg *projects.Config) []string {
	product := map[string]bool{}
	for _, n := range append([]string{cfg.Project.Name}, cfg.Project.Aliases...) {
		for _, w := range keywordRE.FindAllString(strings.ToLower(n), -1) {
			product[w] = true
		}
	}
	clean, _ := untrusted.Clean(title)
	var out []string
	for _, w := range keywordRE.FindAllString(strings.ToLower(clean), -1) {
		if len(w) < 4 || stopwords[w] || product[w] || slices.Contains(out, w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// Precedent is a tracker that bears on this one (spec/intake.md §9.5): a
// rejection (closed with a closing disposition), a positive precedent (CVE
// allocated) or an open tracker that may be the same report. Precedents never
// classify anything; they are shown with what they share.
type Precedent struct {
	Number int            `json:"number"`
	URL    string         `json:"url"`
	Title  untrusted.Text `json:"title"`
	Kind   string         `json:"kind" jsonschema:"rejection, positive or open"`
	State  string         `json:"state" jsonschema:"how it stands, e.g. closed as invalid on 2026-09-29"`
	Shared []string       `json:"shared" jsonschema:"what it shares with this tracker"`
	score  int
}

// maxPrecedents caps the precedents shown per tracker.
const maxPrecedents = 5

// profile is what precedent matching compares.
type profile struct {
	number   int
	scopes   []string // scope labels and inferred scopes
	keywords []string
	files    []string // base names of code pointers
}

func profileOf(is lifecycle.Issue, cfg *projects.Config, vocab lifecycle.Vocabulary) profile {
	desc, _ := lifecycle.ParseBody(is.Body).Get(lifecycle.FieldDescription)
	ptrs := CodePointers(desc, cfg)
	p := profile{number: is.Number, scopes: vocab.ScopeLabels(is), keywords: Keywords(is.Title, cfg)}
	for _, s := range InferScopes(cfg, ptrs) {
		if !slices.Contains(p.scopes, s) {
			p.scopes = append(p.scopes, s)
		}
	}
	for _, f := range ptrs {
		if b := path.Base(f); !slices.Contains(p.files, b) {
			p.files = append(p.files, b)
		}
	}
	return p
}

// Precedents scores every other tracker against this one: a shared code file
// counts 3, a shared scope 2, a shared title keyword 1. Closed trackers with a
// closing disposition and CVE-allocated trackers are precedents from a score
// of 2; open trackers are possible duplicates from a score of 3.
func Precedents(self lifecycle.Issue, all []lifecycle.Issue, cfg *projects.Config) []Precedent {
	vocab := lifecycle.VocabularyFor(cfg)
	me := profileOf(self, cfg, vocab)
	L := cfg.Labels
	var out []Precedent
	for _, is := range all {
		if is.Number == self.Number || is.HasLabel(L.RejectionsLedger) {
			continue
		}
		other := profileOf(is, cfg, vocab)
		var shared []string
		score := 0
		for _, f := range me.files {
			if slices.Contains(other.files, f) {
				shared, score = append(shared, "code file "+f), score+3
			}
		}
		for _, s := range me.scopes {
			if slices.Contains(other.scopes, s) {
				shared, score = append(shared, "scope "+s), score+2
			}
		}
		var kws []string
		for _, k := range me.keywords {
			if slices.Contains(other.keywords, k) {
				kws = append(kws, k)
			}
		}
		if len(kws) > 0 {
			shared, score = append(shared, "title words "+strings.Join(kws, ", ")), score+len(kws)
		}
		p := Precedent{Number: is.Number, URL: is.URL, Shared: shared, score: score}
		title, _ := untrusted.Clean(is.Title)
		p.Title = untrusted.Wrap("tracker title", title)
		closing := ""
		for _, l := range []string{L.Invalid, L.NotCVEWorthy, L.Duplicate, L.Wontfix} {
			if l != "" && is.HasLabel(l) {
				closing = l
				break
			}
		}
		switch {
		case is.State == "closed" && closing != "" && score >= 2:
			p.Kind, p.State = "rejection", "closed as "+closing+closedOn(is)
		case is.HasLabel(L.CVEAllocated) && score >= 2:
			p.Kind, p.State = "positive", "CVE allocated ("+is.State+")"
		case is.State == "open" && score >= 3:
			p.Kind, p.State = "open", "open: possibly the same report"
		default:
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].Number > out[j].Number
	})
	if len(out) > maxPrecedents {
		out = out[:maxPrecedents]
	}
	return out
}

func closedOn(is lifecycle.Issue) string {
	if is.ClosedAt.IsZero() {
		return ""
	}
	return " on " + is.ClosedAt.UTC().Format("2006-01-02")
}

// PRView is an upstream pull request as a bundle shows it.
type PRView struct {
	Number       int            `json:"number"`
	URL          string         `json:"url"`
	Title        untrusted.Text `json:"title"`
	Author       string         `json:"author"`
	AuthorOnTeam bool           `json:"author_on_team"`
	State        string         `json:"state"`
	Merged       bool           `json:"merged"`
	Created      string         `json:"created"`
	// PredatesReport: opened before the tracker was (an independent public fix).
	PredatesReport bool   `json:"predates_report"`
	Why            string `json:"why"`
}

func viewPR(pr lifecycle.PullRequest, is lifecycle.Issue, cfg *projects.Config, why string) PRView {
	title, _ := untrusted.Clean(pr.Title)
	_, onTeam := cfg.MemberByHandle(pr.Author)
	return PRView{Number: pr.Number, URL: pr.URL, Title: untrusted.Wrap("public PR title", title), Author: pr.Author, AuthorOnTeam: onTeam,
		State: pr.State, Merged: pr.Merged, Created: pr.CreatedAt.UTC().Format("2006-01-02"), PredatesReport: pr.CreatedAt.Before(is.CreatedAt), Why: why}
}

// UpstreamPRNumbers returns the numbers of the upstream PR URLs in text.
func UpstreamPRNumbers(text, upstream string) []int {
	re := regexp.MustCompile(`https://github\.com/` + regexp.QuoteMeta(upstream) + `/pull/(\d+)`)
	var out []int
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// genericDirs are directory names too broad to search upstream PRs by.
var genericDirs = map[string]bool{"src": true, "lib": true, "pkg": true, "internal": true, "cmd": true, "app": true, "web": true,
	"server": true, "api": true, "test": true, "tests": true, "templates": true, "chart": true, "v1": true, "v2": true}

// maxPRSearches is the budget of upstream PR searches per tracker (§9.3: ≤ 2).
const maxPRSearches = 2

// searchTerms are the terms the public-fix search uses: the specific
// directory names of the code pointers, then the title keywords.
func searchTerms(pointers, keywords []string) []string {
	var out []string
	add := func(t string) {
		if t != "" && !slices.Contains(out, t) && len(out) < maxPRSearches {
			out = append(out, t)
		}
	}
	for _, p := range pointers {
		if dir := path.Base(path.Dir(p)); dir != "." && !genericDirs[strings.ToLower(dir)] {
			add(strings.ToLower(dir))
		}
	}
	for _, k := range keywords {
		add(k)
	}
	return out
}
