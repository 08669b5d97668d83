package projects

import (
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Board column roles: the keys of [board.columns]. They match the label roles
// of the lifecycle label each column mirrors (spec/release.md §1.3).
const (
	ColumnNeedsTriage  = "needs_triage"
	ColumnAssessed     = "assessed"
	ColumnCVEAllocated = "cve_allocated"
	ColumnPROpen       = "pr_open"
	ColumnPRMerged     = "pr_merged"
	ColumnFixReleased  = "fix_released"
	ColumnAnnounced    = "announced"
)

// Roster roles.
const (
	RoleTriager        = "triager"
	RoleRemediation    = "remediation"
	RoleReleaseManager = "release-manager"
)

// The enumerations and default tables of the configuration. They are functions,
// not package variables, so no caller can change them for everyone.
func ackModels() []string { return []string{"manual", "auto", "none"} }
func gates() []string     { return []string{"pmc-member", "security-team-member", "maintainer", "none"} }
func cnaTools() []string {
	return []string{"vulnogram", "cve-org-direct", "mitre-form", "ghsa", "none"}
}
func archiveKinds() []string { return []string{"ponymail", "none"} }
func memberRoles() []string  { return []string{RoleTriager, RoleRemediation, RoleReleaseManager} }

// columnRoles lists the board column roles in lifecycle order.
func columnRoles() []string {
	return []string{ColumnNeedsTriage, ColumnAssessed, ColumnCVEAllocated, ColumnPROpen, ColumnPRMerged, ColumnFixReleased, ColumnAnnounced}
}

// columnDefaults are the default column names (spec/intake.md §2.5).
func columnDefaults() map[string]string {
	return map[string]string{
		ColumnNeedsTriage:  "Needs triage",
		ColumnAssessed:     "Assessed",
		ColumnCVEAllocated: "CVE allocated",
		ColumnPROpen:       "PR created",
		ColumnPRMerged:     "PR merged",
		ColumnFixReleased:  "Fix released",
		ColumnAnnounced:    "Announced",
	}
}

// gateLabel is the default human name of the CVE-allocation gate.
func gateLabel(gate string) string {
	switch gate {
	case "pmc-member":
		return "PMC"
	case "security-team-member":
		return "security team"
	case "maintainer":
		return "maintainers"
	}
	return ""
}

// labelDefaults are the literal labels of each label role (spec/intake.md §2.4).
func labelDefaults() map[string]string {
	return map[string]string{
		"security_marker":       "security issue",
		"needs_triage":          "needs triage",
		"cve_allocated":         "cve allocated",
		"pr_open":               "pr created",
		"pr_merged":             "pr merged",
		"fix_released":          "fix released",
		"announced_emails_sent": "announced - emails sent",
		"announced":             "announced",
		"invalid":               "invalid",
		"not_cve_worthy":        "not CVE worthy",
		"duplicate":             "duplicate",
		"wontfix":               "wontfix",
		"rejections_ledger":     "rejections-ledger",
		"rc_voting":             "rc voting",
	}
}

// requiredSettings are the keys a configuration must set, in settingPaths form
// (array elements without an index). Conditional requirements (board owner when
// the board is enabled, CNA URLs for a CNA tool) are checked in validate.
func requiredSettings() []string {
	return []string{
		"project.name", "project.vendor",
		"repos.tracker", "repos.upstream",
		"lists.security",
		"canned.receipt",
		"security_model.url",
		"roster", "roster.handle", "roster.name",
		"scopes.label",
	}
}

var (
	repoRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	loginRE    = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$`)
	prefixRE   = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	cveTokenRE = regexp.MustCompile(`<CVE-ID>`)
)

// applyDefaults fills every setting the document leaves out with its documented
// default. A key the document sets is never overwritten, even when empty:
// validate reports an explicitly empty value instead.
func (l *loader) applyDefaults(c *Config) {
	str := func(key string, p *string, def string) {
		if !l.isSet(key) {
			*p = def
		}
	}
	num := func(key string, p *int, def int) {
		if !l.isSet(key) {
			*p = def
		}
	}
	list := func(key string, p *[]string, def []string) {
		if !l.isSet(key) {
			*p = slices.Clone(def)
		}
	}

	str("repos.tracker_default_branch", &c.Repos.TrackerDefaultBranch, "main")
	str("repos.upstream_default_branch", &c.Repos.UpstreamDefaultBranch, "main")

	if local, domain, ok := strings.Cut(c.Lists.Security, "@"); ok && isAddress(c.Lists.Security) {
		str("lists.security_domain", &c.Lists.SecurityDomain, local+"."+strings.ToLower(domain))
	}
	if _, name, ok := strings.Cut(c.Repos.Tracker, "/"); ok {
		list("lists.tracker_noreply", &c.Lists.TrackerNoreply, []string{name + "@noreply.github.com"})
	}
	var public []string
	for _, a := range []string{c.Lists.Users, c.Lists.Announce, c.Lists.Dev} {
		if a != "" {
			public = append(public, a)
		}
	}
	list("lists.archived_public", &c.Lists.ArchivedPublic, public)

	for role, def := range labelDefaults() {
		if p := labelField(&c.Labels, role); p != nil {
			str("labels."+role, p, def)
		}
	}

	str("board.status_field", &c.Board.StatusField, "Status")
	if c.Board.Columns == nil {
		c.Board.Columns = map[string]string{}
	}
	for role, name := range columnDefaults() {
		if !l.isSet("board.columns." + role) {
			c.Board.Columns[role] = name
		}
	}

	str("canned.file", &c.Canned.File, "canned-responses.md")
	str("security_model.file", &c.SecModel.File, "security-model.md")

	str("governance.cve_allocation_gate", &c.Governance.CVEAllocationGate, "pmc-member")
	str("governance.gate_label", &c.Governance.GateLabel, gateLabel(c.Governance.CVEAllocationGate))

	str("cna.tool", &c.CNA.Tool, "none")

	str("cve_record.vendor", &c.CVERecord.Vendor, c.Project.Vendor)
	str("cve_record.default_product", &c.CVERecord.DefaultProduct, c.Project.Name)
	str("cve_record.generator_tag", &c.CVERecord.GeneratorTag, "vulnsteward")
	str("cve_record.cna_private_users_list", &c.CVERecord.CNAPrivateUsersList, c.Lists.Users)

	str("milestones.format", &c.Milestones.Format, "{version}")

	num("disclosure.window_days", &c.Disclosure.WindowDays, 90)
	num("disclosure.grace_period_days", &c.Disclosure.GracePeriodDays, 14)
	str("disclosure.acknowledgement_model", &c.Disclosure.AcknowledgementModel, "manual")
	num("disclosure.stall_days", &c.Disclosure.StallDays, 30)
	num("disclosure.stall_phase2_days", &c.Disclosure.StallPhase2Days, 7)

	num("intake.window_days", &c.Intake.WindowDays, 14)
	list("intake.subject_prefix_strip", &c.Intake.SubjectPrefixStrip,
		[]string{"Re:", "Fwd:", "FW:", "[SECURITY]", "[Security Report]"})
	list("intake.code_extensions", &c.Intake.CodeExtensions, []string{".py", ".go", ".java", ".js", ".ts"})

	str("markers.rollup_prefix", &c.Markers.RollupPrefix, "airflow-s")
	str("archive.kind", &c.Archive.Kind, "none")
}

// labelField returns the field of the label role (its toml key), or nil.
func labelField(ls *LabelsSection, role string) *string {
	v := reflect.ValueOf(ls).Elem()
	if i, ok := fieldIndex(v.Type(), role); ok {
		return v.Field(i).Addr().Interface().(*string)
	}
	return nil
}

// validate runs every cross-check on the decoded, defaulted configuration.
func (l *loader) validate(c *Config, dir string) {
	l.checkRequired(c)

	// Project and repos.
	for key, v := range map[string]string{"repos.tracker": c.Repos.Tracker, "repos.upstream": c.Repos.Upstream} {
		if v != "" && !repoRE.MatchString(v) {
			l.add(key, "must be a GitHub repository as owner/name, got %q", v)
		}
	}
	if c.Repos.Tracker != "" && strings.EqualFold(c.Repos.Tracker, c.Repos.Upstream) {
		l.add("repos.tracker", "must differ from repos.upstream: the tracker is private, the upstream public")
	}
	l.nonEmpty("repos.tracker_default_branch", c.Repos.TrackerDefaultBranch)
	l.nonEmpty("repos.upstream_default_branch", c.Repos.UpstreamDefaultBranch)

	// Lists.
	lists := []struct {
		key, v string
	}{
		{"lists.security", c.Lists.Security}, {"lists.private", c.Lists.Private},
		{"lists.users", c.Lists.Users}, {"lists.announce", c.Lists.Announce},
		{"lists.dev", c.Lists.Dev}, {"lists.foundation_security", c.Lists.Foundation},
	}
	for _, x := range lists {
		if x.v != "" && !isAddress(x.v) {
			l.add(x.key, "must be a bare e-mail address such as security@example.org, got %q", x.v)
		}
	}
	l.addresses("lists.tracker_noreply", c.Lists.TrackerNoreply)
	l.addresses("lists.archived_public", c.Lists.ArchivedPublic)
	for i, a := range c.Lists.ArchivedPublic {
		for _, private := range []string{c.Lists.Security, c.Lists.Private, c.Lists.Foundation} {
			if private != "" && strings.EqualFold(a, private) {
				l.add(fmt.Sprintf("lists.archived_public[%d]", i),
					"names the private list %q: only publicly archived lists may appear in public CVE references", a)
			}
		}
	}
	if c.Lists.SecurityDomain != "" && strings.ContainsAny(c.Lists.SecurityDomain, "@ ") {
		l.add("lists.security_domain", "must be the list's domain form (security.example.org), not an address")
	}

	// Labels: every role has a literal, and no two roles share one.
	seen := map[string]string{}
	lv := reflect.ValueOf(c.Labels)
	for i := range lv.NumField() {
		role := tomlName(lv.Type().Field(i))
		key := "labels." + role
		label := lv.Field(i).String()
		if strings.TrimSpace(label) == "" {
			l.add(key, "must not be empty (default %q)", labelDefaults()[role])
			continue
		}
		if other, dup := seen[strings.ToLower(label)]; dup {
			l.add(key, "uses the label %q already used by %q; each role needs its own label", label, other)
			continue
		}
		seen[strings.ToLower(label)] = key
	}

	// Scopes.
	scopeSeen := map[string]int{}
	for i, s := range c.Scopes {
		key := fmt.Sprintf("scopes[%d]", i)
		if s.Label == "" {
			continue // reported by checkRequired
		}
		if first, dup := scopeSeen[strings.ToLower(s.Label)]; dup {
			l.add(key+".label", "repeats the scope label %q of scopes[%d]; scope labels must be unique", s.Label, first)
		} else if other, clash := seen[strings.ToLower(s.Label)]; clash {
			l.add(key+".label", "%q is already the lifecycle label %q; a scope label must be distinct", s.Label, other)
		}
		scopeSeen[strings.ToLower(s.Label)] = i
		for j, p := range s.PathPrefixes {
			if strings.TrimSpace(p) == "" || strings.HasPrefix(p, "/") {
				l.add(fmt.Sprintf("%s.path_prefixes[%d]", key, j), "must be a repository-relative path such as %q, got %q", "server/", p)
			}
		}
		l.httpURL(key+".collection_url", s.CollectionURL)
	}

	// Board.
	if c.Board.Enabled {
		if c.Board.Owner == "" {
			l.add("board.owner", "is required when board.enabled is true")
		} else if !loginRE.MatchString(c.Board.Owner) {
			l.add("board.owner", "must be a GitHub organisation or user login, got %q", c.Board.Owner)
		}
		if !l.isSet("board.number") {
			l.add("board.number", "is required when board.enabled is true")
		} else if c.Board.Number <= 0 {
			l.add("board.number", "must be a positive project number, got %d", c.Board.Number)
		}
		l.nonEmpty("board.status_field", c.Board.StatusField)
	}
	names := map[string]string{}
	for _, role := range sortedKeys(c.Board.Columns) {
		key := "board.columns." + role
		name := c.Board.Columns[role]
		if !slices.Contains(columnRoles(), role) {
			l.add(key, "is not a known setting: board column roles are %s%s", quoteList(columnRoles()), closest(role, columnRoles(), "board.columns."))
			continue
		}
		if strings.TrimSpace(name) == "" {
			l.add(key, "must not be empty (default %q)", columnDefaults()[role])
		} else if other, dup := names[strings.ToLower(name)]; dup {
			l.add(key, "uses the column name %q already used by %q", name, other)
		}
		names[strings.ToLower(name)] = key
	}

	// Roster.
	handles, emails := map[string]int{}, map[string]string{}
	triagers, governors := 0, 0
	for i, m := range c.Roster {
		key := fmt.Sprintf("roster[%d]", i)
		switch {
		case m.Handle == "":
			// reported by checkRequired
		case strings.HasPrefix(m.Handle, "@"):
			l.add(key+".handle", "must be the GitHub login without \"@\", got %q", m.Handle)
		case !loginRE.MatchString(m.Handle) || len(m.Handle) > 39:
			l.add(key+".handle", "must be a GitHub login, got %q", m.Handle)
		default:
			if first, dup := handles[strings.ToLower(m.Handle)]; dup {
				l.add(key+".handle", "repeats the handle %q of roster[%d]; handles must be unique", m.Handle, first)
			}
			handles[strings.ToLower(m.Handle)] = i
		}
		for j, e := range m.Emails {
			ekey := fmt.Sprintf("%s.emails[%d]", key, j)
			if !isAddress(e) {
				l.add(ekey, "must be a bare e-mail address, got %q", e)
				continue
			}
			if other, dup := emails[strings.ToLower(e)]; dup {
				l.add(ekey, "repeats the address %q of %s", e, other)
			}
			emails[strings.ToLower(e)] = key
		}
		for j, r := range m.Roles {
			if !slices.Contains(memberRoles(), r) {
				l.add(fmt.Sprintf("%s.roles[%d]", key, j), "must be one of %s, got %q%s", quoteList(memberRoles()), r, closest(r, memberRoles(), ""))
			}
		}
		if slices.Contains(m.Roles, RoleTriager) {
			triagers++
		}
		if m.Governance || l.flagged[key+".governance"] {
			governors++ // a mistyped value is reported already; do not guess it was false
		}
	}
	if len(c.Roster) > 0 && triagers == 0 {
		l.add("roster", "needs at least one member with the role %q (the triager owns steps 1-6)", RoleTriager)
	}

	// Governance.
	if l.enum("governance.cve_allocation_gate", c.Governance.CVEAllocationGate, gates()) &&
		c.Governance.CVEAllocationGate == "pmc-member" && len(c.Roster) > 0 && governors == 0 {
		l.add("governance.cve_allocation_gate", "is %q but no roster member has governance = true, so nobody could allocate a CVE", "pmc-member")
	}
	l.httpURL("governance.roster_url", c.Governance.RosterURL)

	// Canned responses and the security model.
	l.checkCanned(c, dir)
	l.checkSecurityModel(c, dir)
	l.checkForwarders(c)

	// CNA.
	if l.enum("cna.tool", c.CNA.Tool, cnaTools()) {
		switch c.CNA.Tool {
		case "vulnogram":
			l.requireFor("cna.url", c.CNA.URL, "cna.tool is \"vulnogram\"")
			l.requireFor("cna.record_url_template", c.CNA.RecordURLTemplate, "cna.tool is \"vulnogram\"")
			l.requireFor("cna.org_id", c.CNA.OrgID, "cna.tool is \"vulnogram\"")
		case "cve-org-direct":
			l.requireFor("cna.org_id", c.CNA.OrgID, "cna.tool is \"cve-org-direct\"")
		}
	}
	for _, x := range []struct{ key, v string }{
		{"cna.url", c.CNA.URL}, {"cna.allocate_url", c.CNA.AllocateURL},
		{"cna.record_url_template", c.CNA.RecordURLTemplate},
		{"cna.source_tab_url_template", c.CNA.SourceTabURLTemplate},
		{"cna.email_preview_url_template", c.CNA.EmailPreviewURLTemplate},
	} {
		l.httpURL(x.key, strings.ReplaceAll(x.v, "<CVE-ID>", "CVE-0000-0000"))
		if strings.HasSuffix(x.key, "_template") && x.v != "" && !cveTokenRE.MatchString(x.v) {
			l.add(x.key, "must contain the placeholder <CVE-ID>, got %q", x.v)
		}
	}

	// CVE record.
	// The vendor and product default to project.vendor and project.name; when
	// those are missing, that is the problem reported, not this one.
	if l.isSet("cve_record.vendor") || c.Project.Vendor != "" {
		l.nonEmpty("cve_record.vendor", c.CVERecord.Vendor)
	}
	if l.isSet("cve_record.default_product") || c.Project.Name != "" {
		l.nonEmpty("cve_record.default_product", c.CVERecord.DefaultProduct)
	}
	l.nonEmpty("cve_record.generator_tag", c.CVERecord.GeneratorTag)
	l.httpURL("cve_record.default_collection_url", c.CVERecord.DefaultCollectionURL)
	l.httpURL("cve_record.cna_private_project_url", c.CVERecord.CNAPrivateProjectURL)
	if c.CVERecord.CNAPrivateUsersList != "" && !isAddress(c.CVERecord.CNAPrivateUsersList) {
		l.add("cve_record.cna_private_users_list", "must be a bare e-mail address, got %q", c.CVERecord.CNAPrivateUsersList)
	}
	if p := c.CVERecord.SchemaPath; p != "" {
		if _, err := os.Stat(resolve(dir, p)); err != nil {
			l.add("cve_record.schema_path", "names %s, which cannot be read: %v", p, errors.Unwrap(err))
		}
	}

	// Milestones.
	if !strings.Contains(c.Milestones.Format, "{version}") {
		l.add("milestones.format", "must contain {version}, got %q", c.Milestones.Format)
	}

	// Disclosure and intake.
	l.positive("disclosure.window_days", c.Disclosure.WindowDays)
	if c.Disclosure.GracePeriodDays < 0 {
		l.add("disclosure.grace_period_days", "must not be negative, got %d", c.Disclosure.GracePeriodDays)
	}
	l.positive("disclosure.stall_days", c.Disclosure.StallDays)
	l.positive("disclosure.stall_phase2_days", c.Disclosure.StallPhase2Days)
	l.enum("disclosure.acknowledgement_model", c.Disclosure.AcknowledgementModel, ackModels())
	l.positive("intake.window_days", c.Intake.WindowDays)
	for i, ext := range c.Intake.CodeExtensions {
		if !strings.HasPrefix(ext, ".") || len(ext) < 2 || strings.ContainsAny(ext, "/ ") {
			l.add(fmt.Sprintf("intake.code_extensions[%d]", i), "must be a file extension such as \".go\", got %q", ext)
		}
	}
	for i, p := range c.Intake.SubjectPrefixStrip {
		if strings.TrimSpace(p) == "" {
			l.add(fmt.Sprintf("intake.subject_prefix_strip[%d]", i), "must not be empty")
		}
	}
	if op := c.Intake.Operator; op != "" {
		if _, ok := c.MemberByHandle(op); !ok {
			l.add("intake.operator", "names %q, who is not a roster handle", op)
		}
	}

	// Markers, public guard, archive.
	if !prefixRE.MatchString(c.Markers.RollupPrefix) {
		l.add("markers.rollup_prefix", "must be a single word of letters, digits, '.', '_' or '-', got %q", c.Markers.RollupPrefix)
	}
	for i, t := range c.PublicGuard.Terms {
		if strings.TrimSpace(t) == "" {
			l.add(fmt.Sprintf("public_guard.terms[%d]", i), "must not be empty")
		}
	}
	for i, t := range c.PublicGuard.OtherProjects {
		if strings.TrimSpace(t) == "" {
			l.add(fmt.Sprintf("public_guard.other_projects[%d]", i), "must not be empty")
		}
	}
	if l.enum("archive.kind", c.Archive.Kind, archiveKinds()) && c.Archive.Kind == "ponymail" {
		l.requireFor("archive.url", c.Archive.URL, "archive.kind is \"ponymail\"")
		l.requireFor("archive.thread_url_template", c.Archive.ThreadURLTemplate, "archive.kind is \"ponymail\"")
	}
	l.httpURL("archive.url", c.Archive.URL)
	if t := c.Archive.ThreadURLTemplate; t != "" {
		if !strings.Contains(t, "<hash>") {
			l.add("archive.thread_url_template", "must contain the placeholder <hash>, got %q", t)
		}
		l.httpURL("archive.thread_url_template", strings.NewReplacer("<hash>", "h", "<list>", "l").Replace(t))
	}
}

// checkRequired reports required keys the document does not set or sets empty.
func (l *loader) checkRequired(c *Config) {
	root := reflect.ValueOf(c).Elem()
	for _, req := range requiredSettings() {
		parts := strings.Split(req, ".")
		l.requirePath(root, "", parts)
	}
}

// requirePath walks the remaining key parts below v, expanding arrays.
func (l *loader) requirePath(v reflect.Value, prefix string, parts []string) {
	i, ok := fieldIndex(v.Type(), parts[0])
	if !ok {
		panic("projects: required setting " + parts[0] + " is not a Config field") // programming error, caught by tests
	}
	f := v.Field(i)
	key := joinPath(prefix, parts[0])
	if len(parts) > 1 {
		switch f.Kind() {
		case reflect.Slice:
			for j := range f.Len() {
				l.requirePath(f.Index(j), fmt.Sprintf("%s[%d]", key, j), parts[1:])
			}
		case reflect.Struct:
			l.requirePath(f, key, parts[1:])
		}
		return
	}
	switch f.Kind() {
	case reflect.String:
		if strings.TrimSpace(f.String()) == "" {
			if l.isSet(key) {
				l.add(key, "must not be empty")
			} else {
				l.add(key, "is required but missing")
			}
		}
	case reflect.Slice:
		if f.Len() == 0 {
			if l.isSet(key) {
				l.add(key, "must not be empty")
			} else {
				l.add(key, "is required but missing: add at least one [[%s]] table", key)
			}
		}
	}
}

func (l *loader) checkCanned(c *Config, dir string) {
	path := resolve(dir, c.Canned.File)
	list, err := LoadCanned(path)
	if err != nil {
		var verr *ValidationError
		switch {
		case errors.As(err, &verr):
			l.problems = append(l.problems, verr.Problems...)
		case errors.Is(err, fs.ErrNotExist):
			l.add("canned.file", "names %s, which does not exist", path)
		default:
			l.add("canned.file", "cannot be read: %v", err)
		}
		return
	}
	v := reflect.ValueOf(c.Canned)
	for i := range v.NumField() {
		name := tomlName(v.Type().Field(i))
		if name == "file" || name == "" {
			continue
		}
		want := v.Field(i).String()
		if want == "" {
			continue
		}
		if _, err := FindCanned(list, want); err != nil {
			l.add("canned."+name, "names %q, which is not a ### heading in %s; headings: %s",
				want, filepath.Base(path), quoteList(cannedNames(list)))
		}
	}
}

func (l *loader) checkSecurityModel(c *Config, dir string) {
	l.httpURL("security_model.url", c.SecModel.URL)
	path := resolve(dir, c.SecModel.File)
	doc, err := loadSecurityModel(path, c.SecModel.URL)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.add("security_model.file", "names %s, which does not exist", path)
	case err != nil:
		l.add("security_model.file", "cannot be read: %v", err)
	case len(doc.Sections()) == 0:
		l.add("security_model.file", "names %s, which has no headings to cite", path)
	}
}

func (l *loader) nonEmpty(key, v string) {
	if strings.TrimSpace(v) == "" {
		l.add(key, "must not be empty")
	}
}

func (l *loader) positive(key string, n int) {
	if n <= 0 {
		l.add(key, "must be a positive number of days, got %d", n)
	}
}

func (l *loader) requireFor(key, v, because string) {
	if strings.TrimSpace(v) == "" {
		l.add(key, "is required when %s", because)
	}
}

// enum reports a value outside allowed; it returns whether the value is valid.
func (l *loader) enum(key, v string, allowed []string) bool {
	if slices.Contains(allowed, v) {
		return true
	}
	l.add(key, "must be one of %s, got %q%s", quoteList(allowed), v, closest(v, allowed, ""))
	return false
}

func (l *loader) addresses(key string, list []string) {
	for i, a := range list {
		if !isAddress(a) {
			l.add(fmt.Sprintf("%s[%d]", key, i), "must be a bare e-mail address, got %q", a)
		}
	}
}

func (l *loader) httpURL(key, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		l.add(key, "must be an absolute http(s) URL, got %q", v)
	}
}

// isAddress reports whether s is a bare addr-spec (no display name, no brackets).
func isAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// closest returns ` (did you mean "x"?)` for a near miss among allowed.
func closest(v string, allowed []string, prefix string) string {
	best, bestDist := "", 0
	for _, a := range allowed {
		d := levenshtein(strings.ToLower(v), strings.ToLower(a))
		if d <= max(1, len(v)/3) && (best == "" || d < bestDist) {
			best, bestDist = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", prefix+best)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
