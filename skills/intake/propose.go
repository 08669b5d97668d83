package intake

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
	"github.com/vulnsteward/vulnsteward/skills/reply"
)

// ApplyTool is the tool that executes an import plan.
const ApplyTool = "import_apply"

// Deps is what the import skill reads. It never writes: plans are executed by
// lifecycle.Executor.
type Deps struct {
	Config   *projects.Config
	Backend  lifecycle.Backend
	Operator string // GitHub handle written in rollup entries
	// Progress, when set, is told how far a mailbox scan is.
	Progress func(done, total int, message string)
	// Guard, when set, checks reply drafts at propose time with the same rules
	// the executor applies, so a plan never contains a draft apply must refuse.
	Guard lifecycle.Guard
}

// ProposeInput selects the threads to consider and carries the agent's decisions.
type ProposeInput struct {
	// Source is mail (default), pr, markdown or scan.
	Source string
	// Days is the listing window; 0 means the project's intake window (14 days).
	Days int
	// Since, when set, overrides Days.
	Since time.Time
	// Threads, when set, selects exactly these thread ids (re-import after a miss).
	Threads []string
	// Decisions are the agent's judgements per candidate, by thread id.
	Decisions []Decision
	Now       time.Time

	// PullRequests are the upstream PRs to import (source pr): numbers,
	// owner/repo#N or PR URLs.
	PullRequests []string
	// Content is the findings file (markdown) or the scanner output (scan);
	// FileName is its base name (never a path: nothing is read from disk).
	Content  string
	FileName string
	// Format is the scanner output format (scan): sarif or asvs; "" detects it.
	Format string
	// Select are the scan finding ids confirmed as import-as-tracker.
	Select []string
	// Items are the agent's decisions per PR or finding (pr, markdown, scan).
	Items []ItemDecision
}

// Decision is the agent's judgement on one candidate thread. The server
// validates it and records it in the plan; it never invents one.
type Decision struct {
	Thread string `json:"thread" jsonschema:"thread id of the candidate"`
	// Class confirms or overrides the suggested class.
	Class string `json:"class,omitempty" jsonschema:"final class: Report, Report (disposition converged), cve-tool-bookkeeping, automated-scanner, consolidated-multi-issue, media-request, spam, cross-thread-followup, fix-already-public"`
	// Skip means: no tracker, no draft.
	Skip bool `json:"skip,omitempty" jsonschema:"true: no tracker and no draft for this thread"`
	// Canned names the canned response for a rejection (reject-with-canned).
	Canned string `json:"canned,omitempty" jsonschema:"reject with this canned response (exact heading or slug): no tracker, a reply draft and a ledger entry"`
	// Title overrides the proposed tracker title.
	Title string `json:"title,omitempty" jsonschema:"tracker title to use instead of the cleaned subject"`
	// AffectedVersions overrides the extracted versions.
	AffectedVersions string `json:"affected_versions,omitempty" jsonschema:"affected versions, bare: 2.9.0, 2.9.3 or >= 2.6.0, < 2.10.2"`
	// Credit overrides the extracted credit line.
	Credit string `json:"credit,omitempty" jsonschema:"reporter credit line to record instead of the extracted one"`
	// PublicFixURLs are the public PRs for a fix-already-public reply.
	PublicFixURLs []string `json:"public_fix_urls,omitempty" jsonschema:"public PR URLs for a fix-already-public reply"`
	// Tracker is the existing tracker a cross-thread follow-up belongs to.
	Tracker int `json:"tracker,omitempty" jsonschema:"for cross-thread-followup: the existing tracker number to link the new thread on"`
}

// Disposition is what the plan does with a candidate.
type Disposition string

const (
	DispImport        Disposition = "import"
	DispReply         Disposition = "reply"          // no tracker; a reply draft (and ledger entry)
	DispComment       Disposition = "comment"        // cross-thread follow-up on an existing tracker
	DispDrop          Disposition = "drop"           // spam, bookkeeping: nothing
	DispSkip          Disposition = "skip"           // the agent said skip
	DispNeedsDecision Disposition = "needs-decision" // a non-report class without a confirmed decision
)

// Candidate is one thread considered for import, as the proposal shows it.
type Candidate struct {
	Item          string            `json:"item"`
	ThreadID      string            `json:"thread_id"`
	RootMessageID string            `json:"root_message_id"`
	Subject       untrusted.Text    `json:"subject"`
	From          untrusted.Text    `json:"from"`
	Date          string            `json:"date"`
	Messages      int               `json:"messages"`
	Suggested     string            `json:"suggested_class"`
	Signals       []string          `json:"signals,omitempty"`
	Doubts        []string          `json:"doubts,omitempty"`
	Class         string            `json:"class"`
	ClassBy       string            `json:"class_decided_by"`
	Disposition   Disposition       `json:"disposition"`
	Reason        string            `json:"reason"`
	Tracker       *TrackerPreview   `json:"tracker,omitempty"`
	Draft         *DraftPreview     `json:"draft,omitempty"`
	Observed      map[string]string `json:"observed,omitempty"`
	Injection     []string          `json:"injection_flags,omitempty"`
	// Relay is the forwarder that relayed the report, when one matched.
	Relay   *Relay   `json:"relay,omitempty"`
	Actions []string `json:"actions,omitempty"`
}

// TrackerPreview is the tracker a candidate would become.
type TrackerPreview struct {
	Title            untrusted.Text `json:"title"`
	Labels           []string       `json:"labels"`
	Column           string         `json:"column,omitempty"`
	AffectedVersions string         `json:"affected_versions"`
	Credit           string         `json:"credit"`
	CreditRule       string         `json:"credit_rule,omitempty"`
	Body             untrusted.Text `json:"body"`
	BodyNotes        []string       `json:"body_notes,omitempty"`
}

// DraftPreview is a reply draft a candidate would get.
type DraftPreview = reply.Preview

// Skipped is a thread left out of the candidates, with the reason.
type Skipped struct {
	ThreadID string         `json:"thread_id"`
	Subject  untrusted.Text `json:"subject"`
	Reason   string         `json:"reason"`
	Tracker  string         `json:"tracker,omitempty"`
	URL      string         `json:"url,omitempty"`
}

// Proposal is what import_propose returns (the plan is saved by the caller).
type Proposal struct {
	Plan       *lifecycle.Plan `json:"-"`
	Window     string          `json:"window"`
	Candidates []Candidate     `json:"candidates"`
	Skipped    []Skipped       `json:"skipped"`
	Notes      []string        `json:"notes,omitempty"`
	// Items are the PRs or findings of a pr, markdown or scan import.
	Items []ImportItem `json:"items,omitempty"`
	// Scan is the triage report of a scan import.
	Scan *ScanReport `json:"scan_report,omitempty"`
}

// Propose lists candidate threads, suggests a class for each, and builds the plan.
func Propose(ctx context.Context, d Deps, in ProposeInput) (*Proposal, error) {
	if err := checkSourceInputs(in); err != nil {
		return nil, err
	}
	switch in.Source {
	case "", SourceMail:
	case SourcePR, SourceMarkdown, SourceScan:
		return proposeOnRamp(ctx, d, in)
	default:
		return nil, fmt.Errorf("source %q is not a source: use mail, pr, markdown or scan", in.Source)
	}
	if d.Backend.Mail == nil {
		return nil, errors.New("no mail backend is configured: set the mailbox (local) or Gmail credentials and run `vulnsteward check`")
	}
	cfg := d.Config
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	days := in.Days
	if days < 0 || days > 3650 {
		return nil, fmt.Errorf("days %d is out of range: give 1 to 3650 (or omit it for the project's window)", days)
	}
	if days == 0 {
		days = cfg.Intake.WindowDays
	}
	if days <= 0 {
		days = 14
	}
	since := now.AddDate(0, 0, -days)
	if !in.Since.IsZero() {
		since = in.Since
	}
	decisions, err := indexDecisions(in.Decisions)
	if err != nil {
		return nil, err
	}
	canned, err := cfg.CannedResponses()
	if err != nil {
		return nil, fmt.Errorf("loading canned responses: %w", err)
	}

	// Pre-flight: the tracker must answer before any mail is read.
	trackers, err := d.Backend.Tracker.ListIssues(ctx, lifecycle.IssueFilter{State: "all"})
	if err != nil {
		return nil, fmt.Errorf("reading the tracker %s (check the token and repository): %w", d.Backend.Tracker.Repo(), err)
	}
	imported := map[string]lifecycle.Issue{}
	var ledger *lifecycle.Issue
	var knownCVEs []string
	for _, t := range trackers {
		for _, m := range lifecycle.ParseIntakeMetas(t.Body) {
			if _, dup := imported[m.Key]; !dup {
				imported[m.Key] = t
			}
		}
		if ledger == nil && t.State == "open" && t.HasLabel(cfg.Labels.RejectionsLedger) {
			tt := t
			ledger = &tt
		}
		knownCVEs = append(knownCVEs, cveIDs(t.Body)...)
	}

	// Threads already answered by this program: a rejection on the ledger, or a
	// canned reply still pending in Drafts. Never draft a second reply.
	handled := map[string]string{}
	if ledger != nil {
		comments, err := d.Backend.Tracker.ListComments(ctx, ledger.Number)
		if err != nil {
			return nil, fmt.Errorf("reading the rejections ledger #%d: %w", ledger.Number, err)
		}
		for _, c := range comments {
			for _, m := range ledgerEntryRE.FindAllStringSubmatch(c.Body, -1) {
				handled[m[1]] = fmt.Sprintf("already answered: the rejection is recorded on the ledger %s", c.URL)
			}
		}
	}
	drafts, err := d.Backend.Mail.ListDrafts(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing pending drafts: %w", err)
	}
	for _, dr := range drafts {
		if id, ok := strings.CutPrefix(dr.Key, "canned:"); ok {
			if _, seen := handled[id]; !seen {
				handled[id] = fmt.Sprintf("a canned reply is already drafted (pending in Drafts as %s)", dr.ID)
			}
		}
	}

	var summaries []lifecycle.ThreadSummary
	if len(in.Threads) > 0 {
		for _, id := range in.Threads {
			summaries = append(summaries, lifecycle.ThreadSummary{ID: id})
		}
	} else {
		summaries, err = d.Backend.Mail.ListThreads(ctx, since)
		if err != nil {
			return nil, fmt.Errorf("listing threads of the security list: %w", err)
		}
	}
	slices.SortStableFunc(summaries, func(a, b lifecycle.ThreadSummary) int { return a.Date.Compare(b.Date) })
	for id := range decisions {
		if !slices.ContainsFunc(summaries, func(s lifecycle.ThreadSummary) bool { return s.ID == id }) {
			return nil, fmt.Errorf("decision for thread %q: that thread is not among the candidates of this window; pass it in `threads` or widen `days`", id)
		}
	}

	pb := lifecycle.NewPlan("import", ApplyTool, d.Operator, now)
	b := &builder{d: d, cfg: cfg, now: now, canned: canned, ledger: ledger, knownCVEs: knownCVEs, PlanBuilder: pb, plan: pb.Plan}
	p := &Proposal{Plan: b.plan, Window: fmt.Sprintf("%s to %s", since.UTC().Format("2006-01-02"), now.UTC().Format("2006-01-02"))}
	if ledger != nil {
		b.Saw(*ledger)
	}

	ctxInfo := b.classifyContext()
	openings := openingsOf(cfg, canned)
	for i, s := range summaries {
		if d.Progress != nil {
			d.Progress(i, len(summaries), "reading thread "+s.ID)
		}
		th, err := d.Backend.Mail.ReadThread(ctx, s.ID)
		if err != nil {
			return nil, fmt.Errorf("reading thread %s: %w", s.ID, err)
		}
		root, ok := th.Root()
		if !ok {
			p.Skipped = append(p.Skipped, Skipped{ThreadID: s.ID, Reason: "thread has no message (only drafts)"})
			continue
		}
		subject, _ := untrusted.Clean(root.Subject)
		key := lifecycle.MailIntakeKey(root.MessageID)
		if t, ok := imported[key]; ok {
			p.Skipped = append(p.Skipped, Skipped{ThreadID: s.ID, Subject: untrusted.Wrap("mail subject", subject), Reason: fmt.Sprintf("already imported as %s#%d (root Message-ID matches)", t.Repo, t.Number), Tracker: fmt.Sprintf("%s#%d", t.Repo, t.Number), URL: t.URL})
			continue
		}
		if why, ok := handled[lifecycle.NormalizeMessageID(root.MessageID)]; ok && len(in.Threads) == 0 {
			p.Skipped = append(p.Skipped, Skipped{ThreadID: s.ID, Subject: untrusted.Wrap("mail subject", subject), Reason: why})
			continue
		}
		if _, decided := decisions[s.ID]; !decided && len(in.Threads) == 0 {
			if dropped, why := AlreadyAnswered(th, ctxInfo, openings, now); dropped {
				p.Skipped = append(p.Skipped, Skipped{ThreadID: s.ID, Subject: untrusted.Wrap("mail subject", subject), Reason: "already answered without a tracker: " + why})
				continue
			}
		}
		c, err := b.candidate(ctx, fmt.Sprintf("c%d", len(p.Candidates)+1), th, root, decisions[s.ID])
		if err != nil {
			return nil, fmt.Errorf("thread %s: %w", s.ID, err)
		}
		p.Candidates = append(p.Candidates, c)
	}
	if d.Progress != nil {
		d.Progress(len(summaries), len(summaries), "scan complete")
	}
	b.Audit("import", map[string]string{"candidates": fmt.Sprint(len(p.Candidates))})
	if ledger == nil && b.needsLedger {
		p.Notes = append(p.Notes, fmt.Sprintf("no open issue labelled %q in %s: rejections are not ledgered (create the ledger issue by hand)", cfg.Labels.RejectionsLedger, d.Backend.Tracker.Repo()))
	}
	if len(p.Candidates) == 0 {
		p.Notes = append(p.Notes, "no candidate threads left after the already-imported and already-answered checks")
	}
	p.Notes = append(p.Notes, b.notes...)
	b.plan.Notes = p.Notes
	return p, nil
}

// ledgerEntryRE finds the entry ids of rejections this program ledgered.
var ledgerEntryRE = regexp.MustCompile(`<!-- vulnsteward entry rejection-(\S+) -->`)

func indexDecisions(ds []Decision) (map[string]Decision, error) {
	out := map[string]Decision{}
	for _, d := range ds {
		if strings.TrimSpace(d.Thread) == "" {
			return nil, errors.New("a decision has no thread id")
		}
		if _, dup := out[d.Thread]; dup {
			return nil, fmt.Errorf("two decisions for thread %q: give one", d.Thread)
		}
		if d.Class != "" {
			if _, err := ParseClass(d.Class); err != nil {
				return nil, fmt.Errorf("decision for thread %q: %w", d.Thread, err)
			}
		}
		if d.Skip && (d.Canned != "" || d.Class != "") {
			return nil, fmt.Errorf("decision for thread %q: skip cannot be combined with class or canned", d.Thread)
		}
		if d.Canned != "" && d.Class != "" {
			return nil, fmt.Errorf("decision for thread %q: canned (reject with a canned response) cannot be combined with class; give one", d.Thread)
		}
		for name, v := range map[string]string{"title": d.Title, "credit": d.Credit, "affected_versions": d.AffectedVersions} {
			if strings.ContainsAny(v, "\r\n") || len([]rune(v)) > 200 || strings.Contains(v, "<!--") || strings.Contains(v, "`") {
				return nil, fmt.Errorf("decision for thread %q: %s must be one line of at most 200 characters, without backticks or HTML comments", d.Thread, name)
			}
		}
		out[d.Thread] = d
	}
	return out, nil
}
