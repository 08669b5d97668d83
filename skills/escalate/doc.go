// Package escalate is the Step 4 escalation of a stalled validity discussion
// (spec/intake.md §16), in two phases:
//
//   - Phase 1, a short and deliberately bare call for ideas (no analysis, no
//     fix options, so domain experts are not anchored), once the tracker has
//     been silent for the project's stall threshold (disclosure.stall_days,
//     30 by default);
//   - Phase 2, the design-space analysis (TL;DR, why the obvious fix is not
//     enough, options A/B/C with trade-offs, open questions) with tagged
//     reviewers, once phase 1 got no response for disclosure.stall_phase2_days
//     (7 by default) more days.
//
// Stalled means: the tracker is still in the validity discussion (open, needs
// triage, no scope label) and no security-team member (a collaborator of the
// tracker, or the operator this server writes as: lifecycle.TeamWithOperator,
// the rule sync and triage use) has commented for the threshold, counted by
// lifecycle.Derive. A response to phase 1 is any comment on the tracker after
// it (the status rollup and other skill-authored comments excepted), a
// message from outside the team on the reporter's thread, or any reply on the
// threads the phase-1 drafts started once they were sent (found by their
// draft key or their subject; the sent phase-1 message itself does not count).
//
// Each phase drafts one message to each of the three audiences the spec
// names that can be reached: the project's private list and the foundation
// security team (new threads, each draft with a stable key) and the reporter
// (a reply on the original thread). An audience with no address configured,
// or a reporter whose thread is not in the mailbox, gets no draft; the
// proposal's notes say exactly which audiences got one and why the others did
// not. Drafts are never sent. The reporter's copy is a fixed,
// short status note rather than the team text, because reporter-facing mail
// carries no tracker contents. Each phase is recorded as a status-rollup
// entry "Sync (Step 4 escalation)" with a stable entry id and a hidden
// "<!-- escalation phase=N at=… -->" line, so the phase-2 timer is computed
// from the rollup and the same phase is never escalated twice. Legacy
// escalation records (rollup entries of that action, comments starting
// "**Process-step escalation") count as well.
//
// The server decides the phase, the audiences and the reviewers by rules;
// the analysis text of phase 2 is the agent's, validated for shape and never
// written by the server. This package never writes: it returns a plan that
// lifecycle.Executor applies.
package escalate
