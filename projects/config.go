// Package projects loads and validates a project's configuration: one TOML file
// (project.toml) plus markdown files for human text (canned responses, the security
// model). It owns the configuration types; it must not talk to any network or
// import the workflow (skills) or the integrations.
package projects

// Config is a project's whole configuration, loaded from <dir>/project.toml.
type Config struct {
	// Dir is the project directory the file was loaded from (not in the file).
	Dir string `toml:"-" json:"-"`

	Project     ProjectSection     `toml:"project" json:"project"`
	Repos       ReposSection       `toml:"repos" json:"repos"`
	Lists       ListsSection       `toml:"lists" json:"lists"`
	Labels      LabelsSection      `toml:"labels" json:"labels"`
	Scopes      []Scope            `toml:"scopes" json:"scopes"`
	Board       BoardSection       `toml:"board" json:"board"`
	Canned      CannedSection      `toml:"canned" json:"canned"`
	SecModel    SecurityModel      `toml:"security_model" json:"security_model"`
	Roster      []Member           `toml:"roster" json:"roster"`
	Governance  GovernanceSection  `toml:"governance" json:"governance"`
	CNA         CNASection         `toml:"cna" json:"cna"`
	CVERecord   CVERecordSection   `toml:"cve_record" json:"cve_record"`
	Milestones  MilestonesSection  `toml:"milestones" json:"milestones"`
	Disclosure  DisclosureSection  `toml:"disclosure" json:"disclosure"`
	Intake      IntakeSection      `toml:"intake" json:"intake"`
	Markers     MarkersSection     `toml:"markers" json:"markers"`
	PublicGuard PublicGuardSection `toml:"public_guard" json:"public_guard"`
	Archive     ArchiveSection     `toml:"archive" json:"archive"`
	Forwarders  []Forwarder        `toml:"forwarders" json:"forwarders"`
}

// ProjectSection names the product.
type ProjectSection struct {
	Name   string `toml:"name" json:"name"`     // display name, e.g. "Example Server"
	Vendor string `toml:"vendor" json:"vendor"` // e.g. "Example Foundation"
	// Aliases are other names of the product stripped from subjects and titles.
	Aliases []string `toml:"aliases" json:"aliases"`
}

// ReposSection names the repositories.
type ReposSection struct {
	Tracker               string `toml:"tracker" json:"tracker"`   // owner/name, private
	Upstream              string `toml:"upstream" json:"upstream"` // owner/name, public
	TrackerDefaultBranch  string `toml:"tracker_default_branch" json:"tracker_default_branch"`
	UpstreamDefaultBranch string `toml:"upstream_default_branch" json:"upstream_default_branch"`
	// ReporterHasAccess is true when reporters can read the tracker (default false).
	ReporterHasAccess bool `toml:"reporter_has_access" json:"reporter_has_access"`
}

// ListsSection names the mailing lists.
type ListsSection struct {
	Security       string   `toml:"security" json:"security"`               // inbound private list; Cc'd on every draft
	SecurityDomain string   `toml:"security_domain" json:"security_domain"` // Gmail list: operator form
	Private        string   `toml:"private" json:"private"`
	Users          string   `toml:"users" json:"users"`
	Announce       string   `toml:"announce" json:"announce"`
	Dev            string   `toml:"dev" json:"dev"`
	Foundation     string   `toml:"foundation_security" json:"foundation_security"` // relays reports, sends CVE bookkeeping
	TrackerNoreply []string `toml:"tracker_noreply" json:"tracker_noreply"`         // excluded from listing
	// ArchivedPublic lists lists whose archive is public (the only ones allowed as CVE references).
	ArchivedPublic []string `toml:"archived_public" json:"archived_public"`
}

// LabelsSection maps label roles to literal labels.
type LabelsSection struct {
	SecurityMarker   string `toml:"security_marker" json:"security_marker"`
	NeedsTriage      string `toml:"needs_triage" json:"needs_triage"`
	CVEAllocated     string `toml:"cve_allocated" json:"cve_allocated"`
	PROpen           string `toml:"pr_open" json:"pr_open"`
	PRMerged         string `toml:"pr_merged" json:"pr_merged"`
	FixReleased      string `toml:"fix_released" json:"fix_released"`
	AnnouncedSent    string `toml:"announced_emails_sent" json:"announced_emails_sent"`
	Announced        string `toml:"announced" json:"announced"`
	Invalid          string `toml:"invalid" json:"invalid"`
	NotCVEWorthy     string `toml:"not_cve_worthy" json:"not_cve_worthy"`
	Duplicate        string `toml:"duplicate" json:"duplicate"`
	Wontfix          string `toml:"wontfix" json:"wontfix"`
	RejectionsLedger string `toml:"rejections_ledger" json:"rejections_ledger"`
	RCVoting         string `toml:"rc_voting" json:"rc_voting"` // used when governance.release_vote_gating
}

// Scope is one scope label: product pin and PR-path mapping.
type Scope struct {
	Label         string   `toml:"label" json:"label"`
	Product       string   `toml:"product" json:"product"`
	PackageName   string   `toml:"package_name" json:"package_name"`
	PathPrefixes  []string `toml:"path_prefixes" json:"path_prefixes"`
	CollectionURL string   `toml:"collection_url" json:"collection_url"`
}

// BoardSection configures the Projects V2 board (columns resolved by name at run time).
type BoardSection struct {
	Enabled     bool              `toml:"enabled" json:"enabled"`
	Owner       string            `toml:"owner" json:"owner"`   // org or user owning the project
	Number      int               `toml:"number" json:"number"` // project number
	StatusField string            `toml:"status_field" json:"status_field"`
	Columns     map[string]string `toml:"columns" json:"columns"` // column role → column name
}

// CannedSection points at the canned responses and names the ones the tools use.
type CannedSection struct {
	File string `toml:"file" json:"file"` // relative to the project dir
	// Names of the canned responses (exact ### headings) used by each class.
	Receipt      string `toml:"receipt" json:"receipt"`
	Scanner      string `toml:"automated_scanner" json:"automated_scanner"`
	Consolidated string `toml:"consolidated" json:"consolidated"`
	Media        string `toml:"media" json:"media"`
	PublicFix    string `toml:"fix_already_public" json:"fix_already_public"`
	NotVuln      string `toml:"not_a_vulnerability" json:"not_a_vulnerability"`
	OutOfScope   string `toml:"out_of_scope" json:"out_of_scope"`
	// Reporter status updates (spec/release.md §6.9); optional, checked when set.
	// AcceptedValid tells the reporter the team accepted the report as valid
	// (Step 5; also relayed in via-forwarder mode, spec/intake.md §17).
	AcceptedValid    string `toml:"accepted_as_valid" json:"accepted_as_valid"`
	CVEAllocated     string `toml:"cve_allocated" json:"cve_allocated"`
	FixPROpened      string `toml:"fix_pr_opened" json:"fix_pr_opened"`
	FixPRMerged      string `toml:"fix_pr_merged" json:"fix_pr_merged"`
	ReleaseShipped   string `toml:"release_shipped" json:"release_shipped"`
	AdvisorySent     string `toml:"advisory_sent" json:"advisory_sent"`
	CVEPublished     string `toml:"cve_published" json:"cve_published"`
	CreditCorrection string `toml:"credit_correction" json:"credit_correction"`
}

// SecurityModel points at the security-model text that triage quotes.
type SecurityModel struct {
	File string `toml:"file" json:"file"`
	URL  string `toml:"url" json:"url"`
}

// Member is one security-team member.
type Member struct {
	Handle string   `toml:"handle" json:"handle"` // GitHub login, no "@"
	Name   string   `toml:"name" json:"name"`
	Emails []string `toml:"emails" json:"emails"`
	// Roles: "triager", "remediation", "release-manager".
	Roles []string `toml:"roles" json:"roles"`
	// Governance marks members who pass the CVE-allocation gate (e.g. PMC members).
	Governance bool     `toml:"governance" json:"governance"`
	Expertise  []string `toml:"expertise" json:"expertise"` // scope labels or components
}

// GovernanceSection configures who may allocate CVEs and whom to escalate to.
type GovernanceSection struct {
	CVEAllocationGate string `toml:"cve_allocation_gate" json:"cve_allocation_gate"` // pmc-member | security-team-member | maintainer | none
	GateLabel         string `toml:"gate_label" json:"gate_label"`
	EscalationContact string `toml:"escalation_contact" json:"escalation_contact"`
	ReleaseVoteGating bool   `toml:"release_vote_gating" json:"release_vote_gating"`
	RosterURL         string `toml:"roster_url" json:"roster_url"` // public page listing the governance body
}

// CNASection configures the CVE numbering authority path.
type CNASection struct {
	Tool              string `toml:"tool" json:"tool"` // vulnogram | cve-org-direct | ghsa | none
	URL               string `toml:"url" json:"url"`
	AllocateURL       string `toml:"allocate_url" json:"allocate_url"`
	RecordURLTemplate string `toml:"record_url_template" json:"record_url_template"` // contains <CVE-ID>
	OrgID             string `toml:"org_id" json:"org_id"`
	// SourceTabURLTemplate and EmailPreviewURLTemplate contain <CVE-ID> (Vulnogram tabs).
	SourceTabURLTemplate    string `toml:"source_tab_url_template" json:"source_tab_url_template"`
	EmailPreviewURLTemplate string `toml:"email_preview_url_template" json:"email_preview_url_template"`
}

// CVERecordSection configures the CVE JSON 5 generator.
type CVERecordSection struct {
	Vendor               string `toml:"vendor" json:"vendor"`
	DefaultProduct       string `toml:"default_product" json:"default_product"`
	DefaultPackageName   string `toml:"default_package_name" json:"default_package_name"`
	DefaultCollectionURL string `toml:"default_collection_url" json:"default_collection_url"`
	GeneratorTag         string `toml:"generator_tag" json:"generator_tag"`
	SchemaPath           string `toml:"schema_path" json:"schema_path"`
	// CNA-tool extensions sent outside the validated record (Vulnogram CNA_private).
	CNAPrivateOwner      string `toml:"cna_private_owner" json:"cna_private_owner"`
	CNAPrivateProjectURL string `toml:"cna_private_project_url" json:"cna_private_project_url"`
	CNAPrivateUsersList  string `toml:"cna_private_users_list" json:"cna_private_users_list"`
}

// MilestonesSection configures release milestones.
type MilestonesSection struct {
	Format string   `toml:"format" json:"format"` // e.g. "{version}"
	Stale  []string `toml:"stale" json:"stale"`
}

// DisclosureSection is the disclosure governance.
type DisclosureSection struct {
	WindowDays           int    `toml:"window_days" json:"window_days"`                     // default 90
	GracePeriodDays      int    `toml:"grace_period_days" json:"grace_period_days"`         // default 14
	AcknowledgementModel string `toml:"acknowledgement_model" json:"acknowledgement_model"` // manual | auto | none
	StallDays            int    `toml:"stall_days" json:"stall_days"`                       // default 30
	StallPhase2Days      int    `toml:"stall_phase2_days" json:"stall_phase2_days"`         // default 7
	// PreAnnounceDistributors: notify distributors before the advisory (default false).
	PreAnnounceDistributors bool `toml:"pre_announce_distributors" json:"pre_announce_distributors"`
}

// IntakeSection configures import.
type IntakeSection struct {
	WindowDays         int      `toml:"window_days" json:"window_days"` // default 14
	SubjectPrefixStrip []string `toml:"subject_prefix_strip" json:"subject_prefix_strip"`
	CodeExtensions     []string `toml:"code_extensions" json:"code_extensions"` // default [".py", ".go", ".java", ".js", ".ts"]
	HasBugBounty       bool     `toml:"has_bug_bounty" json:"has_bug_bounty"`
	Operator           string   `toml:"operator" json:"operator"` // default handle for rollup entries
}

// MarkersSection configures the comment markers written (all known variants are read).
type MarkersSection struct {
	RollupPrefix string `toml:"rollup_prefix" json:"rollup_prefix"` // default "airflow-s"
}

// PublicGuardSection adds project terms to the public-surface leak guard.
type PublicGuardSection struct {
	Terms         []string `toml:"terms" json:"terms"`
	OtherProjects []string `toml:"other_projects" json:"other_projects"`
}

// ArchiveSection configures the public mailing-list archive searched for a sent
// advisory (the Archive port).
type ArchiveSection struct {
	Kind string `toml:"kind" json:"kind"` // ponymail | none (default none)
	URL  string `toml:"url" json:"url"`   // archive base URL
	// ThreadURLTemplate builds a thread URL; contains <hash> and <list>.
	ThreadURLTemplate string `toml:"thread_url_template" json:"thread_url_template"`
}

// Forwarder is a relay adapter (spec/intake.md §5, §17): a broker such as a
// foundation security team or a disclosure platform that relays reports to the
// security list. Import recognises its mail, takes the original reporter's
// credit from the body and drafts reporter-facing replies to its contact, never
// to the relay address. Adapters are checked in declared order; the first
// match wins.
type Forwarder struct {
	Name string `toml:"name" json:"name"`
	// SenderPattern is a regular expression matched against the From address.
	SenderPattern string `toml:"sender_pattern" json:"sender_pattern"`
	// PreamblePattern is a regular expression matched against the first 400
	// characters of the body.
	PreamblePattern string `toml:"preamble_pattern" json:"preamble_pattern"`
	// RequireBoth: a match needs the sender and the preamble (default: either).
	RequireBoth bool `toml:"require_both" json:"require_both"`
	// CreditPatterns are regular expressions with a named group "credit" that
	// find the original reporter's credit line in the body, tried in order.
	CreditPatterns []string `toml:"credit_patterns" json:"credit_patterns"`
	// ToolHints and ServiceHints are regular expressions on the extracted
	// credit: a match makes it a tool credit, or a service that is never credited.
	ToolHints    []string `toml:"tool_hints" json:"tool_hints"`
	ServiceHints []string `toml:"service_hints" json:"service_hints"`
	// Contacts are the forwarder's people ("Name <address>"), in order of
	// preference; relayed drafts go to the first.
	Contacts []string `toml:"contacts" json:"contacts"`
}
