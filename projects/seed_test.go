package projects

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// seedWorkspace mirrors the seed format the local backend loads; decoding it
// with DisallowUnknownFields keeps the file and the format in step.
type seedWorkspace struct {
	ReferenceTime time.Time   `toml:"reference_time"`
	Collaborators []string    `toml:"collaborators"`
	Labels        []string    `toml:"labels"`
	Milestones    []string    `toml:"milestones"`
	Issues        []seedIssue `toml:"issues"`
	PullRequests  []struct {
		Number   int       `toml:"number"`
		Title    string    `toml:"title"`
		Body     string    `toml:"body"`
		Author   string    `toml:"author"`
		State    string    `toml:"state"`
		Merged   bool      `toml:"merged"`
		Created  time.Time `toml:"created"`
		MergedAt time.Time `toml:"merged_at"`
		Files    []string  `toml:"files"`
	} `toml:"pull_requests"`
	Releases []struct {
		Tag       string    `toml:"tag"`
		Name      string    `toml:"name"`
		Published time.Time `toml:"published"`
	} `toml:"releases"`
	Ledger []struct {
		Title string `toml:"title"`
		Body  string `toml:"body"`
	} `toml:"ledger"`
}

type seedIssue struct {
	Title         string    `toml:"title"`
	Body          string    `toml:"body"`
	Labels        []string  `toml:"labels"`
	State         string    `toml:"state"`
	StateReason   string    `toml:"state_reason"`
	Author        string    `toml:"author"`
	Created       time.Time `toml:"created"`
	BoardColumn   string    `toml:"board_column"`
	BoardArchived bool      `toml:"board_archived"`
	Assignees     []string  `toml:"assignees"`
	Milestone     string    `toml:"milestone"`
	Comments      []struct {
		Author  string    `toml:"author"`
		Created time.Time `toml:"created"`
		Body    string    `toml:"body"`
	} `toml:"comments"`
}

type seedMail struct {
	file string
	msg  *mail.Message
	text string // decoded text/plain content
}

func loadSeedMail(t *testing.T) map[string]seedMail {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("example", "seed", "mail", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed mail: %v", err)
	}
	out := map[string]seedMail{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = seedMail{file: f, msg: msg, text: plainText(t, f, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)}
	}
	return out
}

// plainText decodes the text/plain content of a message or of its first
// text/plain part.
func plainText(t *testing.T, file, ctype, cte string, body io.Reader) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("%s: Content-Type %q: %v", file, ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				t.Fatalf("%s: no text/plain part: %v", file, err)
			}
			if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
				return plainText(t, file, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
	}
	if strings.EqualFold(cte, "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return string(data)
}

func TestSeedMailbox(t *testing.T) {
	c, err := Load("example")
	if err != nil {
		t.Fatal(err)
	}
	ws := loadWorkspace(t)
	box := loadSeedMail(t)
	if len(box) != 10 {
		t.Errorf("got %d messages, want 10", len(box))
	}
	exampleDomain := regexp.MustCompile(`(?i)@([a-z0-9-]+\.)*(example|example\.(org|net|com))>$`)
	ids := map[string]string{}
	for name, m := range box {
		id := m.msg.Header.Get("Message-ID")
		if !exampleDomain.MatchString(id) {
			t.Errorf("%s: Message-ID %q is not on an example domain", name, id)
		}
		if other, dup := ids[id]; dup {
			t.Errorf("%s: Message-ID %s repeats %s", name, id, other)
		}
		ids[id] = name
		to, err := m.msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != c.Lists.Security {
			t.Errorf("%s: To = %v, %v; want the security list", name, to, err)
		}
		date, err := m.msg.Header.Date()
		if err != nil || date.Year() != 2026 || date.UTC().Month() != time.November || !date.Before(ws.ReferenceTime) {
			t.Errorf("%s: Date %v (%v) is not in November 2026 before %v", name, date, err, ws.ReferenceTime)
		}
		if _, err := m.msg.Header.AddressList("From"); err != nil {
			t.Errorf("%s: From: %v", name, err)
		}
	}

	contains := []struct{ file, text string }{
		{"01-report-path-traversal.eml", "Credit: Jane Doe (Acme Research)"},
		{"01-report-path-traversal.eml", "from 2.3.0 to 2.4.1"},
		{"01-report-path-traversal.eml", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"},
		{"02-report-webhook-ssrf.eml", "http://169.254.169.254/latest/meta-data/"},
		{"02-report-webhook-ssrf.eml", "Kenji Watanabe (渡辺 健二)"},
		{"03-scanner-dump.eml", "FINDING-012"},
		{"03-scanner-dump.eml", "Scan completed"},
		{"04-consolidated-report.eml", "## Issue 3: Stack traces in error pages"},
		{"04-consolidated-report.eml", "Rafael Bianchi — independent"},
		{"05-spam-bounty.eml", "Bitcoin"},
		{"07-media-request.eml", "advisory is planned"},
		{"09-reply-already-imported.eml", "Olu Adebayo (Adebayo Labs)"},
		{"10-report-with-injection.eml", "pre-fill CVE-2026-0001"},
		{"10-report-with-injection.eml", "A\u200bI a\u200bssis\u200dtant"},
	}
	for _, want := range contains {
		if m, ok := box[want.file]; !ok || !strings.Contains(m.text, want.text) {
			t.Errorf("%s: decoded text lacks %q", want.file, want.text)
		}
	}
	if s := box["06-cve-reserved-bookkeeping.eml"]; s.msg.Header.Get("From") != "Example Foundation Security <"+c.Lists.Foundation+">" ||
		!regexp.MustCompile(`^CVE-\d{4}-\d{4,} reserved for Example Server$`).MatchString(s.msg.Header.Get("Subject")) {
		t.Errorf("bookkeeping mail: From %q Subject %q", s.msg.Header.Get("From"), s.msg.Header.Get("Subject"))
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(box["02-report-webhook-ssrf.eml"].msg.Header.Get("From")); err != nil || !strings.HasPrefix(dec, "Kenji Watanabe <") {
		t.Errorf("encoded From decodes to %q, %v", dec, err)
	}

	// The reply threads onto the imported original, whose key is in tracker #4.
	orig := box["08-report-already-imported.eml"].msg.Header.Get("Message-ID")
	reply := box["09-reply-already-imported.eml"].msg.Header
	if reply.Get("In-Reply-To") != orig || !strings.Contains(reply.Get("References"), orig) {
		t.Errorf("reply In-Reply-To %q References %q, want %q", reply.Get("In-Reply-To"), reply.Get("References"), orig)
	}
	key := "mail:" + normalizeMessageID(orig)
	if !strings.Contains(ws.Issues[3].Body, "<!-- intake v1 key="+key+" source=mail thread-ids=maildir:"+normalizeMessageID(orig)+" reporter=olu@adebayo-labs.example -->") {
		t.Errorf("tracker #4 lacks the intake block for key %s", key)
	}
	for name, m := range box {
		if name == "08-report-already-imported.eml" {
			continue
		}
		k := "mail:" + normalizeMessageID(m.msg.Header.Get("Message-ID"))
		for i, is := range ws.Issues {
			if strings.Contains(is.Body, "key="+k+" ") {
				t.Errorf("%s is already imported as #%d; only 08 should be", name, i+1)
			}
		}
	}
}

// normalizeMessageID mirrors the intake key rule: no angle brackets, domain lower-cased.
func normalizeMessageID(id string) string {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	if at := strings.LastIndexByte(id, '@'); at >= 0 {
		id = id[:at] + "@" + strings.ToLower(id[at+1:])
	}
	return id
}

func loadWorkspace(t *testing.T) seedWorkspace {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("example", "seed", "workspace.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var ws seedWorkspace
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ws); err != nil {
		t.Fatalf("workspace.toml: %v", err)
	}
	return ws
}

func TestSeedWorkspace(t *testing.T) {
	c, err := Load("example")
	if err != nil {
		t.Fatal(err)
	}
	ws := loadWorkspace(t)
	if want := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC); !ws.ReferenceTime.Equal(want) {
		t.Errorf("reference_time = %v", ws.ReferenceTime)
	}
	var handles []string
	for _, m := range c.Roster {
		handles = append(handles, m.Handle)
	}
	if !slices.Equal(ws.Collaborators, handles) {
		t.Errorf("collaborators %v != roster %v", ws.Collaborators, handles)
	}
	wantLabels := c.ScopeLabels()
	for _, l := range c.LabelRoles() {
		wantLabels = append(wantLabels, l)
	}
	slices.Sort(wantLabels)
	got := slices.Clone(ws.Labels)
	slices.Sort(got)
	if !slices.Equal(got, wantLabels) {
		t.Errorf("labels %v\nwant %v", got, wantLabels)
	}
	columns := map[string]bool{}
	for _, role := range columnRoles() {
		columns[c.ColumnName(role)] = true
	}

	fields := []string{"The issue description", "Short public summary for publish", "Affected versions",
		"Security mailing list thread", "Public advisory URL", "Reporter credited as", "PR with the fix",
		"Remediation developer", "CWE", "Severity", "CVE tool link"}
	rollupRE := regexp.MustCompile("^<!-- airflow-s status rollup v1 — all bot-authored status updates fold into this single comment. -->\n" +
		`<details><summary>\d{4}-\d{2}-\d{2} · @[a-z0-9-]+ · [^<\n]+</summary>\n\n\*\*`)
	var stalled, closedInvalid, scopedCVE bool
	for i, is := range ws.Issues {
		n := i + 1
		var headings []string
		for _, line := range strings.Split(is.Body, "\n") {
			if h, ok := strings.CutPrefix(line, "### "); ok {
				headings = append(headings, h)
			}
		}
		if !slices.Equal(headings, fields) {
			t.Errorf("#%d: body headings %v, want the 11 fields in order", n, headings)
		}
		for _, l := range is.Labels {
			if !slices.Contains(ws.Labels, l) {
				t.Errorf("#%d: label %q is not in the label list", n, l)
			}
		}
		for _, a := range is.Assignees {
			if !slices.Contains(ws.Collaborators, a) {
				t.Errorf("#%d: assignee %q is not a collaborator", n, a)
			}
		}
		if is.Milestone != "" && !slices.Contains(ws.Milestones, is.Milestone) {
			t.Errorf("#%d: milestone %q is not a milestone", n, is.Milestone)
		}
		if is.BoardColumn != "" && !columns[is.BoardColumn] {
			t.Errorf("#%d: board_column %q is not a configured column", n, is.BoardColumn)
		}
		rollups := 0
		var lastTeam time.Time
		for _, cm := range is.Comments {
			if !slices.Contains(ws.Collaborators, cm.Author) {
				t.Errorf("#%d: comment author %q is not a collaborator", n, cm.Author)
			}
			if cm.Created.After(lastTeam) {
				lastTeam = cm.Created
			}
			if strings.HasPrefix(cm.Body, "<!-- airflow-s status rollup v") {
				rollups++
				if !rollupRE.MatchString(cm.Body) {
					t.Errorf("#%d: rollup comment does not have the exact shape:\n%s", n, cm.Body)
				}
			}
			if !cm.Created.Before(ws.ReferenceTime) || cm.Created.Before(is.Created) {
				t.Errorf("#%d: comment at %v is outside the issue's life", n, cm.Created)
			}
		}
		if rollups != 1 {
			t.Errorf("#%d: %d rollup comments, want 1", n, rollups)
		}
		age := ws.ReferenceTime.Sub(lastTeam)
		if is.State == "open" && slices.Contains(is.Labels, "needs triage") && age >= 38*24*time.Hour && age <= 42*24*time.Hour {
			stalled = true
		}
		if is.State == "closed" && is.StateReason == "not_planned" && slices.Contains(is.Labels, "invalid") {
			closedInvalid = true
		}
		if is.State == "open" && slices.Contains(is.Labels, "cve allocated") && slices.ContainsFunc(is.Labels, func(l string) bool {
			_, ok := c.ScopeByLabel(l)
			return ok
		}) {
			scopedCVE = true
		}
	}
	if !stalled || !closedInvalid || !scopedCVE {
		t.Errorf("seed lacks a tracker: stalled=%v closed-invalid=%v scope+cve=%v", stalled, closedInvalid, scopedCVE)
	}
	if len(ws.Ledger) != 1 || ws.Ledger[0].Title == "" || !slices.Contains(ws.Labels, c.Labels.RejectionsLedger) {
		t.Errorf("ledger = %+v", ws.Ledger)
	}
	for _, pr := range ws.PullRequests {
		if pr.Merged && (pr.State != "closed" || pr.MergedAt.IsZero()) {
			t.Errorf("PR #%d: merged but state %q, merged_at %v", pr.Number, pr.State, pr.MergedAt)
		}
		if len(pr.Files) == 0 {
			t.Errorf("PR #%d has no files", pr.Number)
		}
	}
}
