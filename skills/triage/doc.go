// Package triage is the triage skill (spec/intake.md §9): the discussion
// starter of Step 3. For each selected open tracker it gathers what the
// validity discussion needs (the report, its comments with non-team text
// fenced as untrusted, the reporter's follow-ups on the mail thread, linked
// and possibly-fixing upstream pull requests, precedents among closed and
// CVE-allocated trackers, the security model and the roster) and, once the
// agent passes its judgement, plans exactly one top-level triage-proposal
// comment that quotes the security model verbatim and asks two or three team
// members a specific question.
//
// Rules decide only what rules can decide: which trackers are selected, which
// comments are new since the last proposal, which trackers are precedents,
// whom to mention by default (Route), and whether a judgement is well formed.
// The judgement itself (the class, the summary, the quote, the question) is
// the agent's; it is validated (one of the six classes, the quote exists
// verbatim in the named section, every mention is a team member) and never
// invented. Report text, non-collaborator comments and mail are data: they
// are returned fenced and never change what is planned.
//
// The comment starts with "**Triage proposal**" and carries
// "**Proposed disposition: <CLASS>.**" as the reference workflow writes it;
// its last line is the hidden marker lifecycle.TriageProposalMeta, by which
// the executor finds it again (CommentSpec.Tag). A rerun before anyone
// answered replaces the proposal in place; a re-triage after new comments
// puts the new proposal on top and keeps every earlier proposal, verbatim, in
// a collapsed "Earlier proposal" block below it.
//
// This package never writes: it returns a plan that lifecycle.Executor
// applies. The plan never changes labels, body fields, the board or the
// tracker's state, never allocates a CVE and never drafts mail: the next
// skill (allocate, invalidate, deduplicate) is invoked explicitly after the
// team agrees.
package triage
