package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vulnsteward/vulnsteward/policy/untrusted"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// scan.go is the import from scanner output (spec/intake.md §8). A scan is
// triaged before anything is imported: every finding gets a bucket, and only
// the findings the agent selects (confirmed import-as-tracker) become
// trackers, through the markdown path. Nothing is imported by default.
//
// The server decides the buckets rules can decide (a finding already tracked
// is a duplicate; a finding the scanner marks fixed, or whose evidence links a
// merged upstream PR, is already-fixed) and surfaces hints (the attacker
// capability names a role of the security model; a tracker with an
// overlapping title or location). Every other bucket is a judgement the agent
// passes in with its grounding, which the server checks: a security-model
// quote must be in the model verbatim, a tracker or PR must exist.

// Scan formats.
const (
	FormatSARIF = "sarif" // SARIF 2.1.0 JSON (CodeQL, Semgrep, …)
	FormatASVS  = "asvs"  // the ASVS adapter's consolidated markdown: "## <ID>: <Title>" plus "**Field:** value" lines
)

// Buckets of a scan finding (spec/intake.md §8.3).
const (
	BucketPRWorth          = "PR-worth"
	BucketImport           = "import-as-tracker"
	BucketDefenseInDepth   = "defense-in-depth"
	BucketByDesign         = "by-design"
	BucketDuplicate        = "duplicate"
	BucketAlreadyFixed     = "already-fixed"
	bucketUndecided        = "undecided"
	maxScanFindings        = 5000
	maxScanFindingIDLength = 120
)

// Buckets lists the scan buckets in report order.
func Buckets() []string {
	return []string{BucketImport, BucketPRWorth, BucketDefenseInDepth, BucketByDesign, BucketDuplicate, BucketAlreadyFixed}
}

// Scan is a parsed scanner output.
type Scan struct {
	ID       string    `json:"scan_id"` // the first 12 hex of the output's SHA-256
	Format   string    `json:"format"`
	Tool     string    `json:"tool,omitempty"`
	Findings []Finding `json:"findings"`
}

// ScanIntakeKey is the intake key of a tracker imported from a scan finding.
func ScanIntakeKey(scanID, findingID string) string { return "scan:" + scanID + "/" + findingID }

// ScanReport is the triage report of a scan (spec/intake.md §8.3).
type ScanReport struct {
	ScanID       string              `json:"scan_id"`
	Format       string              `json:"format"`
	Tool         string              `json:"tool,omitempty"`
	Findings     int                 `json:"findings"`
	Distribution string              `json:"distribution"`
	Buckets      map[string][]string `json:"buckets" jsonschema:"finding ids per bucket; undecided ones need your bucket (with grounding) or nothing"`
}

// ParseScan reads scanner output. format "" detects it: JSON is SARIF,
// anything else the ASVS markdown.
func ParseScan(content, format string) (*Scan, error) {
	text := strings.TrimSpace(strings.TrimPrefix(content, "\ufeff"))
	if text == "" {
		return nil, errors.New("the scanner output is empty: pass its content in `content`")
	}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "":
		if strings.HasPrefix(text, "{") {
			format = FormatSARIF
		} else {
			format = FormatASVS
		}
	case FormatSARIF:
		format = FormatSARIF
	case FormatASVS:
		format = FormatASVS
	default:
		return nil, fmt.Errorf("format %q is not a scan format this tool reads: use sarif or asvs", format)
	}
	sum := sha256.Sum256([]byte(text))
	s := &Scan{ID: hex.EncodeToString(sum[:])[:12], Format: format}
	var err error
	if format == FormatSARIF {
		err = parseSARIF(text, s)
	} else {
		err = parseASVS(text, s)
	}
	if err != nil {
		return nil, err
	}
	if len(s.Findings) == 0 {
		return nil, fmt.Errorf("the %s output has no findings", format)
	}
	if len(s.Findings) > maxScanFindings {
		return nil, fmt.Errorf("the scan has %d findings; split it (at most %d per import)", len(s.Findings), maxScanFindings)
	}
	seen := map[string]int{}
	for i := range s.Findings {
		f := &s.Findings[i]
		f.Index = i + 1
		f.ID = findingID(f.ID, i+1)
		if n := seen[f.ID]; n > 0 {
			f.ID = fmt.Sprintf("%s~%d", f.ID, n+1)
		}
		seen[f.ID]++
		f.Title = strings.TrimSpace(f.Title)
		if f.Title == "" {
			f.Title = "Scanner finding " + f.ID
			f.Warnings = append(f.Warnings, "the finding has no title")
		}
		if f.Severity == "" {
			f.Severity = "UNKNOWN"
		}
		norm := strings.Join(strings.Fields(f.ID+"\n"+f.Title+"\n"+f.Details), " ")
		h := sha256.Sum256([]byte(norm))
		f.Hash = hex.EncodeToString(h[:])
	}
	return s, nil
}

var findingIDClean = regexp.MustCompile(`[^A-Za-z0-9._:@/+-]+`)

// findingID makes an id safe for the intake key and for the agent to type.
func findingID(id string, index int) string {
	id = strings.Trim(findingIDClean.ReplaceAllString(strings.TrimSpace(id), "_"), "_")
	for strings.Contains(id, "--") {
		id = strings.ReplaceAll(id, "--", "-")
	}
	if r := []rune(id); len(r) > maxScanFindingIDLength {
		id = string(r[:maxScanFindingIDLength])
	}
	if id == "" {
		id = "F" + strconv.Itoa(index)
	}
	return id
}

// ---- SARIF ----

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string      `json:"name"`
				Version string      `json:"version"`
				Rules   []sarifRule `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		VersionControl []struct {
			RepositoryURI string `json:"repositoryUri"`
			RevisionID    string `json:"revisionId"`
			Branch        string `json:"branch"`
		} `json:"versionControlProvenance"`
		Results []struct {
			RuleID    string    `json:"ruleId"`
			RuleIndex *int      `json:"ruleIndex"`
			Level     string    `json:"level"`
			Message   sarifText `json:"message"`
			GUID      string    `json:"guid"`
			Baseline  string    `json:"baselineState"`
			Locations []struct {
				Physical struct {
					Artifact struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Suppressions []json.RawMessage `json:"suppressions"`
			Properties   map[string]any    `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

type sarifRule struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	ShortDescription sarifText `json:"shortDescription"`
	FullDescription  sarifText `json:"fullDescription"`
	Help             sarifText `json:"help"`
	Default          struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties map[string]any `json:"properties"`
}

var cweTagRE = regexp.MustCompile(`(?i)(?:^|/)cwe[-/]0*(\d{1,5})$`)

func parseSARIF(text string, s *Scan) error {
	var log sarifLog
	if err := json.Unmarshal([]byte(text), &log); err != nil {
		return fmt.Errorf("the scanner output is not SARIF JSON: %v", err)
	}
	if len(log.Runs) == 0 {
		return errors.New("the SARIF log has no runs")
	}
	var tools []string
	for _, run := range log.Runs {
		d := run.Tool.Driver
		if d.Name != "" {
			tools = append(tools, strings.TrimSpace(d.Name+" "+d.Version))
		}
		rules := map[string]sarifRule{}
		for _, r := range d.Rules {
			rules[r.ID] = r
		}
		repo, branch := "", ""
		for _, vc := range run.VersionControl {
			if u, err := url.Parse(vc.RepositoryURI); err == nil && u.Host != "" {
				repo = strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git")
			}
			branch = firstNonEmpty(vc.Branch, vc.RevisionID)
		}
		for _, r := range run.Results {
			rule, ok := rules[r.RuleID]
			if !ok && r.RuleIndex != nil && *r.RuleIndex >= 0 && *r.RuleIndex < len(d.Rules) {
				rule = d.Rules[*r.RuleIndex]
			}
			f := Finding{Repository: repo, Branch: branch, Category: firstNonEmpty(rule.Name, r.RuleID)}
			var files []string
			for _, l := range r.Locations {
				u := l.Physical.Artifact.URI
				if u == "" {
					continue
				}
				if n := l.Physical.Region.StartLine; n > 0 {
					u += ":" + strconv.Itoa(n)
				}
				files = append(files, u)
			}
			f.Files = files
			f.ID = r.GUID
			if f.ID == "" && r.RuleID != "" {
				f.ID = r.RuleID
				if len(files) > 0 {
					f.ID += "@" + files[0]
				}
			}
			f.Title = firstNonEmpty(rule.ShortDescription.Text, rule.Name, r.RuleID, firstLine(r.Message.Text))
			if len(files) > 0 {
				f.Title += " in " + strings.SplitN(files[0], ":", 2)[0]
			}
			f.Details = firstNonEmpty(r.Message.Markdown, r.Message.Text)
			f.Impact = firstNonEmpty(rule.FullDescription.Markdown, rule.FullDescription.Text)
			f.RecommendedFix = firstNonEmpty(rule.Help.Markdown, rule.Help.Text)
			f.Level = firstNonEmpty(r.Level, rule.Default.Level)
			f.Severity = sarifSeverity(rule.Properties, f.Level)
			f.CWE = sarifCWE(rule.Properties)
			switch {
			case len(r.Suppressions) > 0:
				f.Status = "suppressed"
			case strings.EqualFold(r.Baseline, "absent"):
				f.Status = "absent"
			default:
				f.Status = r.Baseline
			}
			f.Links = urlTokenRE.FindAllString(f.Details, -1)
			s.Findings = append(s.Findings, f)
		}
	}
	s.Tool = strings.Join(tools, ", ")
	return nil
}

// sarifSeverity maps GitHub's security-severity (a CVSS-like score) or the
// SARIF level to a tag; it is the scanner's hypothesis, never a score of ours.
func sarifSeverity(props map[string]any, level string) string {
	if v, ok := props["security-severity"]; ok {
		var score float64
		switch x := v.(type) {
		case string:
			score, _ = strconv.ParseFloat(strings.TrimSpace(x), 64)
		case float64:
			score = x
		}
		switch {
		case score >= 9:
			return "CRITICAL"
		case score >= 7:
			return "HIGH"
		case score >= 4:
			return "MEDIUM"
		case score > 0:
			return "LOW"
		}
	}
	switch strings.ToLower(level) {
	case "error":
		return "HIGH"
	case "warning":
		return "MEDIUM"
	case "note":
		return "LOW"
	}
	return "UNKNOWN"
}

func sarifCWE(props map[string]any) string {
	tags, _ := props["tags"].([]any)
	var cwes []string
	for _, t := range tags {
		s, _ := t.(string)
		if m := cweTagRE.FindStringSubmatch(s); m != nil {
			cwes = append(cwes, "CWE-"+m[1])
		}
	}
	return strings.Join(cwes, ", ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(l)
}

// ---- ASVS markdown ----

var (
	// asvsHeadingRE: "## V5.1.3: Title", "### [FINDING-012] Title", "## ASVS-2.1 — Title".
	asvsHeadingRE = regexp.MustCompile(`^#{2,3}[ \t]+(?:\[([A-Za-z0-9][A-Za-z0-9._-]*)\][ \t]*[:—–-]?|([A-Za-z0-9][A-Za-z0-9._-]*\d[A-Za-z0-9._-]*)[ \t]*[:—–-])[ \t]*(.+?)[ \t#]*$`)
	asvsFieldRE   = regexp.MustCompile(`^[ \t]*[-*]?[ \t]*\*\*([A-Za-z][A-Za-z /_-]{0,40}?):?\*\*:?[ \t]*(.*)$`)
)

func parseASVS(text string, s *Scan) error {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var cur *Finding
	var field string
	var evidence []string
	inFence := false
	finish := func() {
		if cur == nil {
			return
		}
		cur.Details = strings.TrimSpace(strings.Join(evidence, "\n"))
		cur.Links = urlTokenRE.FindAllString(cur.Details+"\n"+cur.RecommendedFix, -1)
		s.Findings = append(s.Findings, *cur)
		cur, evidence, field = nil, nil, ""
	}
	for _, l := range lines {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
		}
		if !inFence {
			if m := asvsHeadingRE.FindStringSubmatch(l); m != nil {
				finish()
				cur = &Finding{ID: firstNonEmpty(m[1], m[2]), Title: m[3]}
				continue
			}
		}
		if cur == nil {
			continue
		}
		if !inFence {
			if m := asvsFieldRE.FindStringSubmatch(l); m != nil && setASVSField(cur, m[1], strings.TrimSpace(m[2])) {
				field = strings.ToLower(strings.TrimSpace(m[1]))
				continue
			}
			if strings.TrimSpace(l) == "" {
				field = ""
			} else if field != "" {
				setASVSField(cur, field, appendLine(asvsField(cur, field), strings.TrimSpace(l)))
				continue
			}
		}
		evidence = append(evidence, l)
	}
	finish()
	if len(s.Findings) == 0 {
		return errors.New("no finding in the asvs output: expected \"## <ID>: <Title>\" sections with \"**Severity:**\", \"**CWE:**\", \"**Files:**\", \"**Attacker capability:**\", \"**Impact:**\" and \"**Remediation:**\" lines")
	}
	return nil
}

func appendLine(old, l string) string {
	if old == "" {
		return l
	}
	return old + "\n" + l
}

// setASVSField stores a labelled value; false when the label is not a field.
func setASVSField(f *Finding, label, v string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "severity", "risk":
		f.SeverityRaw = v
		f.Severity = strings.ToUpper(strings.Trim(v, "*_` "))
		if !severityTags[f.Severity] && f.Severity != "" {
			f.Warnings = append(f.Warnings, fmt.Sprintf("severity %q is not a known tag: recorded as UNKNOWN", v))
			f.Severity = "UNKNOWN"
		}
	case "level", "asvs level":
		f.Level = v
	case "cwe":
		f.CWE = v
	case "files", "file", "location", "locations":
		f.Files = nil
		for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
			if x = strings.Trim(strings.TrimSpace(x), "`"); x != "" {
				f.Files = append(f.Files, x)
			}
		}
	case "attacker capability", "attacker", "attacker model", "preconditions":
		f.Attacker = v
	case "impact":
		f.Impact = v
	case "remediation", "recommendation", "recommended fix", "fix":
		f.RecommendedFix = v
	case "status":
		f.Status = v
	case "category", "requirement":
		f.Category = v
	case "repository":
		f.Repository = strings.Trim(v, "` ")
	case "branch", "commit":
		f.Branch = strings.Trim(v, "` ")
	default:
		return false
	}
	return true
}

func asvsField(f *Finding, field string) string {
	switch field {
	case "severity", "risk":
		return f.Severity
	case "level", "asvs level":
		return f.Level
	case "cwe":
		return f.CWE
	case "files", "file", "location", "locations":
		return strings.Join(f.Files, ", ")
	case "attacker capability", "attacker", "attacker model", "preconditions":
		return f.Attacker
	case "impact":
		return f.Impact
	case "remediation", "recommendation", "recommended fix", "fix":
		return f.RecommendedFix
	case "status":
		return f.Status
	case "category", "requirement":
		return f.Category
	}
	return ""
}

// ---- triage ----

var fixedStatusRE = regexp.MustCompile(`(?i)^(?:fixed|resolved|closed|remediated|absent|not reproducible)\b`)

// proposeScan triages a scan and plans trackers for the selected findings.
func proposeScan(ctx context.Context, d Deps, in ProposeInput, p *Proposal, pb *lifecycle.PlanBuilder) error {
	name, err := checkBaseName(in.FileName)
	if err != nil {
		return err
	}
	scan, err := ParseScan(in.Content, in.Format)
	if err != nil {
		return err
	}
	var known []string
	for _, f := range scan.Findings {
		known = append(known, f.ID)
	}
	decisions, err := indexItems(in.Items, known, "finding")
	if err != nil {
		return err
	}
	selected := map[string]bool{}
	for _, id := range in.Select {
		id = strings.TrimSpace(id)
		if !slices.Contains(known, id) {
			return fmt.Errorf("select names %q, which is not a finding id of this scan; ids: %s", id, strings.Join(firstN(known, 30), ", "))
		}
		if dec, ok := decisions[id]; ok && dec.Bucket != "" && dec.Bucket != BucketImport {
			return fmt.Errorf("finding %q is selected for import but its bucket decision is %s: give one", id, dec.Bucket)
		}
		selected[id] = true
	}
	ix, err := loadTrackers(ctx, d)
	if err != nil {
		return err
	}
	doc, err := d.Config.LoadSecurityModel()
	if err != nil {
		return fmt.Errorf("loading the security model: %w", err)
	}
	roles := modelRoles(doc)
	report := &ScanReport{ScanID: scan.ID, Format: scan.Format, Tool: scan.Tool, Findings: len(scan.Findings), Buckets: map[string][]string{}}
	src := findingSource{kind: SourceScan, name: name, scanID: scan.ID, total: len(scan.Findings)}
	for _, f := range scan.Findings {
		it, err := triageFinding(ctx, d, pb, ix, doc, roles, src, f, decisions[f.ID], selected[f.ID])
		if err != nil {
			return fmt.Errorf("finding %s: %w", f.ID, err)
		}
		b := it.Bucket
		if b == "" {
			b = bucketUndecided
		}
		report.Buckets[b] = append(report.Buckets[b], f.ID)
		p.Items = append(p.Items, it)
	}
	var parts []string
	for _, b := range append(Buckets(), bucketUndecided) {
		if n := len(report.Buckets[b]); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, b))
		}
	}
	report.Distribution = fmt.Sprintf("%d finding(s): %s", len(scan.Findings), strings.Join(parts, ", "))
	p.Scan = report
	p.Notes = append(p.Notes,
		"nothing is imported by default: pass `select` with the finding ids you confirmed as import-as-tracker after reading their evidence (one at a time; scanner severity is a hypothesis)",
		"this report is private: before publishing any of it (gist, PR, comment), drop tracker numbers and embargoed content and run guard_check")
	return nil
}

// triageFinding buckets one finding and, when it is selected, plans its tracker.
func triageFinding(ctx context.Context, d Deps, pb *lifecycle.PlanBuilder, ix *trackerIndex, doc *projects.SecurityModelDoc, roles []projects.Section,
	src findingSource, f Finding, dec ItemDecision, selected bool) (ImportItem, error) {
	// Server-side buckets and hints.
	suggested, grounding := "", ""
	var signals []string
	own := ScanIntakeKey(src.scanID, f.ID)
	if t, ok := ix.firstKey(func(k string) bool {
		rest, ok := strings.CutPrefix(k, "scan:")
		_, fid, _ := strings.Cut(rest, "/")
		return ok && fid == f.ID && k != own
	}); ok {
		suggested, grounding = BucketDuplicate, fmt.Sprintf("%s#%d", t.Repo, t.Number)
		signals = append(signals, fmt.Sprintf("the same finding id was imported from an earlier scan as %s", issueRef(t)))
	}
	if suggested == "" && fixedStatusRE.MatchString(strings.TrimSpace(f.Status)) {
		suggested, grounding = BucketAlreadyFixed, "scanner status: "+oneLine(f.Status)
		signals = append(signals, "the scanner marks the finding "+oneLine(f.Status))
	}
	if up := d.Backend.Upstream; up != nil {
		for _, u := range f.Links {
			n, err := ParsePRRef(strings.TrimRight(u, ".,;)"), d.Config.Repos.Upstream)
			if err != nil || !strings.Contains(u, "/pull/") {
				continue
			}
			pr, err := up.GetPullRequest(ctx, n)
			if err != nil {
				signals = append(signals, fmt.Sprintf("links upstream PR %d, which could not be read: %v", n, err))
				continue
			}
			switch {
			case pr.Merged && suggested == "":
				suggested, grounding = BucketAlreadyFixed, pr.URL
				signals = append(signals, fmt.Sprintf("links the upstream PR %s, merged %s: check it fixes this on the default branch", pr.URL, isoDay(pr.MergedAt)))
			case pr.State == "open":
				signals = append(signals, fmt.Sprintf("links the open upstream PR %s: it may fix this", pr.URL))
			}
		}
	}
	for _, r := range roles {
		if roleNamed(f.Attacker, r.Heading) {
			signals = append(signals, fmt.Sprintf("the attacker capability names the role %q of the security model (%s): if the model trusts that role, the finding is by-design whatever its severity", r.Heading, firstNonEmpty(r.URL, "#"+r.Anchor)))
		}
	}
	for _, dup := range ix.possibleDuplicates(f.Title, locationsOf(f)) {
		signals = append(signals, "possible duplicate "+dup)
	}

	bucket, by := suggested, "server"
	if dec.Bucket != "" {
		b, err := parseBucket(dec.Bucket)
		if err != nil {
			return ImportItem{}, err
		}
		g, err := checkGrounding(ctx, d, ix, doc, b, dec.Grounding)
		if err != nil {
			return ImportItem{}, err
		}
		bucket, by, grounding = b, "agent", g
		pb.Decide(f.ID, "bucket", b, "agent", g)
	}
	if selected {
		if bucket != BucketImport && bucket != "" {
			signals = append(signals, fmt.Sprintf("selected for import although the server suggested %s (%s)", bucket, grounding))
		}
		bucket, by = BucketImport, "agent"
		pb.Decide(f.ID, "bucket", BucketImport, "agent", "selected")
	}
	if !selected {
		title, _ := untrusted.Clean(f.Title)
		it := ImportItem{Item: f.ID, Ref: src.scanID + "/" + f.ID, Title: untrusted.Wrap("finding title", title),
			Severity: optText("scanner severity (a hypothesis: not copied to the tracker)", f.Severity),
			Category: optText("scanner CWE or rule (not copied to the tracker)", firstNonEmpty(f.CWE, f.Category)),
			Bucket:   bucket, Grounding: grounding, Signals: signals,
			Warnings:  warningTexts("finding warning (may quote the source)", f.Warnings),
			Injection: findingInjection(f)}
		if bucket != "" {
			it.BucketBy = by
		}
		it.Disposition = DispReportOnly
		switch bucket {
		case "":
			it.Reason = "undecided: read the evidence, then pass its bucket with grounding in `items`, or select it for import"
		case BucketPRWorth, BucketDefenseInDepth:
			it.Reason = bucket + ": no tracker; propose a public PR (without security wording) or skip it"
		default:
			it.Reason = bucket + ": no tracker; recorded in the report"
		}
		if t, ok := ix.keys[ScanIntakeKey(src.scanID, f.ID)]; ok {
			it.Disposition, it.Reason = DispAlreadyImported, fmt.Sprintf("already imported as %s#%d", t.Repo, t.Number)
		}
		return it, nil
	}
	it, err := planFinding(d, pb, ix, src, f, dec)
	if err != nil {
		return it, err
	}
	it.Bucket, it.BucketBy, it.Signals = BucketImport, by, append(signals, it.Signals...)
	return it, nil
}

func locationsOf(f Finding) []string {
	var out []string
	if f.LocationURL != "" {
		out = append(out, f.LocationURL)
	}
	for _, x := range f.Files {
		if p, _, _ := strings.Cut(x, ":"); strings.Contains(p, "/") { // a path with a directory is specific enough
			out = append(out, p)
		}
	}
	return out
}

func parseBucket(s string) (string, error) {
	for _, b := range Buckets() {
		if strings.EqualFold(strings.TrimSpace(s), b) {
			return b, nil
		}
	}
	return "", fmt.Errorf("bucket %q is not one of %s", s, strings.Join(Buckets(), ", "))
}

var commitRE = regexp.MustCompile(`^(?:[0-9a-f]{7,40}|https?://\S+/commit/[0-9a-f]{7,40}\S*)$`)
var trackerNumRE = regexp.MustCompile(`^(?:([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+))?#?(\d+)$`)

// checkGrounding validates the grounding of an agent's bucket (spec/intake.md
// §8.3: a model quote, a precedent tracker, or a fixing PR or commit) and
// returns it as the report shows it.
func checkGrounding(ctx context.Context, d Deps, ix *trackerIndex, doc *projects.SecurityModelDoc, bucket, g string) (string, error) {
	g = strings.TrimSpace(g)
	if g == "" {
		switch bucket {
		case BucketPRWorth, BucketImport:
			return "", nil
		}
		return "", fmt.Errorf("bucket %s needs grounding: a verbatim security-model quote, a tracker number or a fixing PR/commit", bucket)
	}
	if m := trackerNumRE.FindStringSubmatch(g); m != nil && bucket != BucketAlreadyFixed {
		if m[1] != "" && !strings.EqualFold(m[1], d.Backend.Tracker.Repo()) {
			return "", fmt.Errorf("grounding %q names another repository than the tracker %s", g, d.Backend.Tracker.Repo())
		}
		n, _ := strconv.Atoi(m[2])
		for _, is := range ix.all {
			if is.Number == n {
				return fmt.Sprintf("%s#%d (%s)", is.Repo, is.Number, is.State), nil
			}
		}
		return "", fmt.Errorf("grounding: tracker #%d does not exist in %s", n, d.Backend.Tracker.Repo())
	}
	if bucket == BucketAlreadyFixed || bucket == BucketPRWorth {
		if commitRE.MatchString(g) {
			return g + " (commit, not verified)", nil
		}
		if n, err := ParsePRRef(g, d.Config.Repos.Upstream); err == nil {
			if d.Backend.Upstream == nil {
				return "", errors.New("grounding names a PR, but no upstream repository is configured")
			}
			pr, err := d.Backend.Upstream.GetPullRequest(ctx, n)
			if err != nil {
				return "", fmt.Errorf("grounding: reading upstream PR %d: %w", n, err)
			}
			return pr.URL, nil
		}
		if bucket == BucketAlreadyFixed {
			return "", fmt.Errorf("bucket already-fixed needs a fixing upstream PR or commit as grounding, got %q", truncate(g, 60))
		}
	}
	s, ok := doc.FindQuote(g)
	if !ok {
		return "", fmt.Errorf("grounding %q is not a verbatim quote of the security model, a tracker number or a PR/commit: quote the model exactly", truncate(g, 80))
	}
	return fmt.Sprintf("security model §%s (%s)", s.Heading, firstNonEmpty(s.URL, "#"+s.Anchor)), nil
}

// modelRoles are the security-model sections under a "Roles"-like heading.
func modelRoles(doc *projects.SecurityModelDoc) []projects.Section {
	var out []projects.Section
	parent := 0
	for _, s := range doc.Sections() {
		h := strings.ToLower(s.Heading)
		switch {
		case strings.Contains(h, "role") || strings.Contains(h, "actor") || strings.Contains(h, "trust"):
			parent = s.Level
		case parent > 0 && s.Level > parent:
			out = append(out, s)
		default:
			if s.Level <= parent {
				parent = 0
			}
		}
	}
	return out
}

// roleNamed reports whether text names a role heading ("Administrators" in
// "an administrator with …"), by whole words, singular or plural.
func roleNamed(text, heading string) bool {
	if strings.TrimSpace(text) == "" {
		return false
	}
	stem := strings.ToLower(strings.TrimSpace(heading))
	stem = strings.TrimSuffix(stem, "s")
	if len(stem) < 4 {
		return false
	}
	re := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(stem) + `s?\b`)
	return re.MatchString(text)
}

func firstN(xs []string, n int) []string {
	if len(xs) <= n {
		return xs
	}
	return append(slices.Clone(xs[:n]), fmt.Sprintf("… (%d more)", len(xs)-n))
}
