// Package deduplicate is the deduplicate skill (spec/intake.md §11): it plans
// the merge of a dropped tracker into a kept one when both describe the same
// root-cause bug. It owns:
//
//   - the preconditions, checked before anything is planned: two different open
//     trackers, neither the rejections ledger nor already `duplicate` (a
//     half-done merge), at most one scope label each and never two different
//     scopes (a cross-scope merge is a scope split: refused), neither past the
//     advisory (`fix released`, `announced*`, a Public advisory URL, a PUBLIC
//     CVE record: an errata flow), and no CVE on the dropped side only (keep
//     the tracker with the CVE);
//   - the field-level merge into the kept body (Merge), one set_body_field per
//     changed field: the kept description verbatim, then a "Second independent
//     report" block with the agent's analysis and the dropped description
//     verbatim (a chain merge nests, never flattens); the public summary of the
//     side that has one, or the agent's combined draft when both differ; the
//     affected versions widened (WidenVersions; the agent decides when a value
//     does not parse) and written backtick-wrapped; the Security mailing list
//     thread field as one line per reporter, oldest report first; every credit
//     line kept verbatim (tool credits noted); PR links and remediation
//     developers unioned (bot lines of the dropped side skipped, noted); the
//     more specific CWE, and a BLOCKER when the two name different CWEs; the
//     kept Severity, CVE tool link and advisory URL untouched (the dropped
//     side's severity or reporter CVSS is never carried);
//   - the dropped tracker's intake key, carried into the kept body's preamble
//     (add_intake_key; keys are read from the preamble only), so its thread
//     stays "already imported";
//   - the rollup entries `Merge (kept) (from #D)` and `Merge (dropped) (into
//     #K)` (the dropped one links the kept one), then `duplicate` on the
//     dropped tracker, its close as not planned and the archive of its board
//     item (a terminal item).
//
// When the kept tracker has a CVE, the regeneration of its CVE JSON is flagged
// as the next action (the release half owns it); nothing is pushed to the CNA
// tool and no CVE is retracted here. No reporter draft is made. Tracker text is
// data: it is copied verbatim where the rules say so, returned fenced as
// untrusted with injection flags, and never changes the plan. This package
// plans only; it never writes and never deletes a tracker.
package deduplicate
