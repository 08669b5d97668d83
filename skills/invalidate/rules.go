package invalidate

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// Disposition is the negative outcome the team agreed on.
type Disposition string

const (
	Invalid      Disposition = "invalid"
	NotCVEWorthy Disposition = "not CVE worthy"
	Wontfix      Disposition = "wontfix"   // defense in depth: hardening in a public PR, no CVE
	InfoOnly     Disposition = "info-only" // a canned response fully answers it
)

// Dispositions lists the accepted values, for error messages and schemas.
var Dispositions = []Disposition{Invalid, NotCVEWorthy, Wontfix, InfoOnly}

// ParseDisposition reads a disposition, case-insensitively, in its own
// spelling or its slug ("not-cve-worthy"); "defense-in-depth" is wontfix.
func ParseDisposition(s string) (Disposition, error) {
	k := projects.Slug(s)
	for _, d := range Dispositions {
		if k == projects.Slug(string(d)) {
			return d, nil
		}
	}
	if k == "defense-in-depth" {
		return Wontfix, nil
	}
	return "", fmt.Errorf("disposition %q is not one of %s", s, quoted(Dispositions))
}

func quoted(ds []Disposition) string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%q", string(d))
	}
	return strings.Join(out, ", ")
}

// Label is the closing label of the disposition (info-only closes as invalid:
// the closing dispositions have no informational label).
func (d Disposition) Label(l projects.LabelsSection) string {
	switch d {
	case NotCVEWorthy:
		return l.NotCVEWorthy
	case Wontfix:
		return l.Wontfix
	}
	return l.Invalid
}

// Action is the rollup action of the close ("Closed as invalid").
func (d Disposition) Action(l projects.LabelsSection) string {
	a := "Closed as " + d.Label(l)
	if d == InfoOnly {
		a += " (info-only)"
	}
	return a
}

// LabelEdit is the one label edit of the close: add the disposition label;
// remove `needs triage`, every scope label, `pr created`, `pr merged` and any
// other negative disposition the tracker carries. The marker label and
// everything else stay. Only labels the tracker carries are removed.
func LabelEdit(cfg *projects.Config, is lifecycle.Issue, d Disposition) lifecycle.LabelSpec {
	l := cfg.Labels
	add := d.Label(l)
	candidates := []string{l.NeedsTriage, l.PROpen, l.PRMerged}
	candidates = append(candidates, lifecycle.VocabularyFor(cfg).ScopeLabels(is)...)
	for _, other := range []string{l.Invalid, l.NotCVEWorthy, l.Wontfix} {
		if !strings.EqualFold(other, add) {
			candidates = append(candidates, other)
		}
	}
	spec := lifecycle.LabelSpec{}
	if !is.HasLabel(add) {
		spec.Add = []string{add}
	}
	// Remove the spelling the tracker carries (label matching is case-insensitive).
	for _, c := range candidates {
		for _, have := range is.Labels {
			if c != "" && strings.EqualFold(have, c) && !slices.Contains(spec.Remove, have) {
				spec.Remove = append(spec.Remove, have)
			}
		}
	}
	return spec
}

var cveIDRE = regexp.MustCompile(`\bCVE-\d{4}-\d{4,}\b`)

// TrackerCVE returns the CVE id the tracker records: in the CVE tool link
// field, else in the CVE-JSON attachment markers; "" when there is none.
func TrackerCVE(body string) string {
	b := lifecycle.ParseBody(body)
	link, _ := b.Get(lifecycle.FieldCVETool)
	if m := cveIDRE.FindString(link); m != "" {
		return m
	}
	if cve, _, ok := b.Attachment(); ok && cve != lifecycle.AttachmentNoCVE && cveIDRE.MatchString(cve) {
		return cve
	}
	return ""
}

// HardStop is a state in which the tracker must not be invalidated; its
// message says what to do instead.
type HardStop struct{ Reason string }

func (h *HardStop) Error() string { return h.Reason }

// CheckHardStops refuses a tracker that must not be closed as invalid (spec
// §10.3): closed already, the rejections ledger, half merged, an advisory
// shipped or announced, or a CVE still to be retracted. cveState is the CNA
// tool's state of the tracker's CVE record ("" when unknown: no CNA adapter, or
// no record); a READY or PUBLIC record escalates instead of asking for a
// retraction, and a REJECTED one (already retracted) asks only to clear the
// tracker's CVE signals.
func CheckHardStops(cfg *projects.Config, is lifecycle.Issue, cveState string) error {
	l := cfg.Labels
	ref := fmt.Sprintf("%s#%d", is.Repo, is.Number)
	escalate := "escalate to " + orDefault(cfg.Governance.EscalationContact, "the project's escalation contact")
	if is.State == "closed" {
		reason := is.StateReason
		if reason == "" {
			reason = "no reason recorded"
		}
		return &HardStop{fmt.Sprintf("%s is already closed (%s; labels %s): nothing to invalidate. Reopen it by hand first if the disposition must change", ref, reason, strings.Join(is.Labels, ", "))}
	}
	if l.RejectionsLedger != "" && is.HasLabel(l.RejectionsLedger) {
		return &HardStop{fmt.Sprintf("%s is the rejections ledger, not a tracker: it is never closed", ref)}
	}
	if l.Duplicate != "" && is.HasLabel(l.Duplicate) {
		return &HardStop{fmt.Sprintf("%s is labelled %q but open: a half-done merge. Finish it with deduplicate_propose, or remove the label by hand, then propose again", ref, l.Duplicate)}
	}
	body := lifecycle.ParseBody(is.Body)
	advisory, _ := body.Get(lifecycle.FieldAdvisoryURL)
	for _, lab := range []string{l.FixReleased, l.AnnouncedSent, l.Announced} {
		if lab != "" && is.HasLabel(lab) {
			return &HardStop{fmt.Sprintf("%s carries %q: closing it as invalid would retract a shipped advisory. Do not invalidate; %s", ref, lab, escalate)}
		}
	}
	if advisory != "" {
		return &HardStop{fmt.Sprintf("%s has a Public advisory URL (%s): the advisory is out, so invalidating would retract it. Do not invalidate; %s", ref, advisory, escalate)}
	}
	cve := TrackerCVE(is.Body)
	allocated := l.CVEAllocated != "" && is.HasLabel(l.CVEAllocated)
	if cve == "" && !allocated {
		return nil
	}
	what := "a CVE"
	if cve != "" {
		what = cve
	}
	switch strings.ToUpper(cveState) {
	case "READY", "PUBLIC":
		return &HardStop{fmt.Sprintf("%s has %s, whose record is %s in the CNA tool: retracting it is a post-publication retraction. Do not invalidate; %s", ref, what, strings.ToUpper(cveState), escalate)}
	}
	var signals []string
	if strings.EqualFold(cveState, "REJECTED") {
		return &HardStop{fmt.Sprintf("%s's record is already REJECTED (retracted) in the CNA tool; only the tracker still records it. Remove %q and clear the CVE tool link (and any CVE-JSON attachment) on %s, then propose again", what, l.CVEAllocated, ref)}
	}
	if allocated {
		signals = append(signals, fmt.Sprintf("label %q", l.CVEAllocated))
	}
	if cve != "" {
		signals = append(signals, "CVE tool link "+cve)
	}
	return &HardStop{fmt.Sprintf("%s has %s (%s) still to be retracted: retract the CVE record in the CNA tool first, then remove %q and clear the CVE tool link on the tracker, and propose again", ref, what, strings.Join(signals, ", "), l.CVEAllocated)}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// IsHardStop reports whether err is a hard stop.
func IsHardStop(err error) bool {
	var h *HardStop
	return errors.As(err, &h)
}
