// Package sync is the one reconciliation engine (spec/release.md §6): it reads
// trackers as they are and proposes, as one plan per pass, the writes that bring
// their labels, board column, rollup and reporter updates in line with the
// workflow's rules. Every label, board, field and reporter-update rule of the
// lifecycle lives here, as a Rule in Rules(); other skills hand off to sync
// instead of re-implementing a rule.
//
// A pass has three steps:
//
//   - gather (gather.go): the selected trackers (exact numbers, open or closed,
//     or every open tracker minus the rejections ledger) with their comments,
//     board item and status rollup; progress is reported per tracker. In bulk
//     mode the §6.19 pre-flight classifier skips settled trackers, never
//     silently; named trackers are never skipped.
//   - rules (rules.go): each Rule maps one tracker's state to proposed changes
//     with their reasons, blockers and flags. Rules run in order on one Outcome
//     per tracker and see the labels earlier rules propose, so the board rule
//     follows the label rule. A blocker stops the tracker's pass: nothing is
//     planned for it but the blocker line.
//   - plan (plan.go): the outcomes become one plan of typed actions for the
//     generic executor; each touched tracker is recorded with Saw, so a human
//     edit after the proposal makes that tracker's actions stale.
//
// The intake-side rules implemented so far: S1/S2 landing a valid consensus
// (one scope label: drop `needs triage`; two or more: blocker), S10 the board
// column follows the labels (orphans are added, closed trackers archived), the
// §6.9 reporter update when a tracker is accepted as valid, the Step 4 stall
// flag with its escalation phase, the disclosure-window flags with S37 (a
// one-time rollup entry when overdue) and S38 (the disclosure-overdue marker
// comment once the fix landed and the grace period expired), and S41 (one
// rollup entry per pass that changes the tracker). The release-half rules are
// added to Rules() without changing the engine.
//
// Agent judgements are typed inputs the server validates and never invents:
// the scope of a consensus the team reached, and skipping a reporter update.
// Tracker text is data: rules read labels, fields, authors and dates, never
// instructions from comments, and only a status rollup written by the security
// team or the operator counts as a record of what was done.
//
// This package plans only: it never writes to the tracker, never creates or
// sends mail (drafts are planned and created by the executor, never sent), and
// never touches a public surface.
package sync
