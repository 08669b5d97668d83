package triage

import (
	"fmt"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// The triage-proposal comment (spec/intake.md §9.7):
//
//	**Triage proposal**
//
//	<summary paragraph>
//
//	Security model, [<section>](<url#anchor>):
//
//	> <verbatim quote>
//
//	Comparable trackers: [owner/repo#N](…) (closed as invalid on …).
//
//	**Proposed disposition: <CLASS>.**
//
//	Severity: <guess>. Final scoring per the team after assessing <open point>.
//
//	<fix shape, or why no fix>
//
//	1. <optional action items>
//
//	@handle @handle — <question>?
//
//	<details><summary>Earlier proposal: 2026-11-20 by @op, INVALID</summary>  (re-triage only)
//	…the earlier proposal, verbatim…
//	</details>
//
//	<!-- triage-proposal v1 class=<CLASS> at=<time> by=<operator> -->
//
// The newest proposal is always on top, so the first disposition line a
// reader (or the reference workflow) meets is the current one; the marker
// carries the same class for exact parsing.

// earlierPrefix starts the summary of a kept earlier proposal.
const earlierPrefix = "<details><summary>Earlier proposal: "

// renderComment assembles the comment from the newest section, the earlier
// blocks (already rendered, newest first) and the marker.
func renderComment(section, earlier string, meta lifecycle.TriageProposalMeta) string {
	var b strings.Builder
	b.WriteString(lifecycle.TriageProposalHeadline + "\n\n")
	b.WriteString(strings.TrimSpace(section))
	if e := strings.TrimSpace(earlier); e != "" {
		b.WriteString("\n\n" + e)
	}
	b.WriteString("\n\n" + meta.Marker())
	return b.String()
}

// earlierBlock folds a superseded proposal section into a collapsed block.
func earlierBlock(section string, meta lifecycle.TriageProposalMeta) string {
	when := "undated"
	if !meta.At.IsZero() {
		when = meta.At.UTC().Format("2006-01-02")
	}
	by := ""
	if meta.By != "" {
		by = " by @" + meta.By
	}
	return fmt.Sprintf("%s%s%s, %s</summary>\n\n%s\n\n</details>", earlierPrefix, when, by, meta.Class, strings.TrimSpace(section))
}

// splitComment reads one of our triage-proposal comments back into its
// newest section and the earlier blocks (verbatim).
func splitComment(body string) (section, earlier string) {
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	var kept []string
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if i == 0 && t == lifecycle.TriageProposalHeadline {
			continue
		}
		if strings.HasPrefix(t, lifecycle.MarkerTriageProposalPrefix) {
			continue
		}
		kept = append(kept, l)
	}
	for i, l := range kept {
		if strings.HasPrefix(strings.TrimSpace(l), earlierPrefix) {
			return strings.TrimSpace(strings.Join(kept[:i], "\n")), strings.TrimSpace(strings.Join(kept[i:], "\n"))
		}
	}
	return strings.TrimSpace(strings.Join(kept, "\n")), ""
}

// sectionInput is a validated judgement, ready to render.
type sectionInput struct {
	class       Class
	summary     string
	modelHead   string
	modelURL    string
	quote       string
	comparables []string // rendered markdown links with their state
	dupOf       string   // rendered link line for PROBABLE-DUP
	publicFixes []string // rendered link lines for FIX-ALREADY-PUBLIC
	canned      string
	low         bool
	severity    string
	openPoint   string
	fixShape    string
	actions     []string
	draftReply  string // FIX-ALREADY-PUBLIC: the reporter reply invalidate will draft
	mentions    []string
	question    string
}

func renderSection(in sectionInput) string {
	var b strings.Builder
	b.WriteString(in.summary + "\n\n")
	if in.modelURL != "" {
		fmt.Fprintf(&b, "Security model, [%s](%s):\n\n", in.modelHead, in.modelURL)
	} else {
		fmt.Fprintf(&b, "Security model, section *%s*:\n\n", in.modelHead)
	}
	b.WriteString("> " + in.quote + "\n\n")
	if len(in.comparables) > 0 {
		b.WriteString("Comparable trackers: " + strings.Join(in.comparables, "; ") + ".\n\n")
	}
	if in.dupOf != "" {
		b.WriteString(in.dupOf + "\n\n")
	}
	for _, f := range in.publicFixes {
		b.WriteString(f + "\n\n")
	}
	if in.canned != "" {
		fmt.Fprintf(&b, "Canned response: *%s*.\n\n", in.canned)
	}
	fmt.Fprintf(&b, "**Proposed disposition: %s.**\n\n", in.class)
	if in.low {
		b.WriteString("Low-confidence proposal, please challenge.\n\n")
	}
	sev := strings.TrimRight(in.severity, ". ")
	if sev == "" {
		sev = "no guess yet"
	}
	fmt.Fprintf(&b, "Severity: %s. Final scoring per the team", sev)
	if in.openPoint != "" {
		b.WriteString(" after assessing " + strings.TrimRight(in.openPoint, ". "))
	}
	b.WriteString(".\n\n")
	b.WriteString(in.fixShape + "\n\n")
	for i, a := range in.actions {
		fmt.Fprintf(&b, "%d. %s\n", i+1, a)
	}
	if len(in.actions) > 0 {
		b.WriteString("\n")
	}
	if in.draftReply != "" {
		fence := "```"
		for strings.Contains(in.draftReply, fence) {
			fence += "`"
		}
		fmt.Fprintf(&b, "<details><summary>Reply to the reporter, drafted by invalidate after the reporter confirms (not sent)</summary>\n\n%stext\n%s\n%s\n\n</details>\n\n", fence, strings.TrimSpace(in.draftReply), fence)
	}
	at := make([]string, len(in.mentions))
	for i, h := range in.mentions {
		at[i] = "@" + h
	}
	fmt.Fprintf(&b, "%s — %s", strings.Join(at, " "), in.question)
	return b.String()
}

// previousMeta is the marker of an earlier proposal by someone (or something)
// that wrote no marker: the reference workflow's comments.
func previousMeta(c lifecycle.Comment, class string) lifecycle.TriageProposalMeta {
	return lifecycle.TriageProposalMeta{Class: class, At: c.CreatedAt.UTC().Truncate(time.Second), By: c.Author}
}
