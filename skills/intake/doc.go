// Package intake is the import skill: it turns inbound security-list mail,
// public PRs, findings files and scanner output into tracker plans. This part of the package reads mail and decides what can be
// decided by rules:
//
//   - Suggest classifies a thread's root message (spec/intake.md §4.10) from
//     signals computed by rules, never from lists tuned to sample mails. Only
//     cve-tool-bookkeeping with a matching sender is final; every other class
//     is a suggestion the agent confirms, and when in doubt it is Report.
//   - AlreadyAnswered is the §4.6 filter: a thread the team already closed
//     on-thread with a canned disposition, followed by reporter silence of at
//     least seven days, is dropped from the candidates with a reason.
//   - Extract pulls the §4.11 field values out of a root message: title,
//     description, affected versions, credit (with the §4.11.1 bot rule),
//     and the observed-only reporter CVSS and CWE, plus the keys the related
//     tracker search needs (GHSA IDs, code pointers, upstream PR links).
//   - CleanSubject and CVETitle are the two title transforms of §4.11.2.
//
// The other on-ramps plan through the same import tool and executor actions
// (create_issue with an intake key, board column, rollup entry), with no
// reporter draft:
//
//   - pr.go imports upstream PRs (§6): scope from the changed files, the
//     PR's milestone checked against the tracker (a PR without one needs a
//     milestone decision, an existing one or none), a duplicate guard on the
//     key pr:<upstream>#N and on the PR URL in "PR with the fix"; the tracker
//     lands in Assessed with its scope and PR-state labels, and the PR author
//     is never credited as finder nor contacted. The PR is only read.
//   - markdown.go imports a findings file (§7): one Needs-triage tracker per
//     finding, keyed md:<sha256 of the finding>#<n>; a block that is not a
//     finding is reported and the others go on; a soft duplicate guard names
//     trackers with overlapping titles or the same location. The finding's
//     severity tag and category go into Severity and CWE as the source's,
//     informational (§7.4, §2.1).
//   - scan.go triages scanner output (§8, SARIF or the ASVS markdown): each
//     finding gets a bucket (rules decide duplicate and already-fixed; the
//     agent decides the rest with grounding the server checks), and only the
//     findings the agent selects become trackers, through the markdown path,
//     except that the scanner's severity and CWE are a hypothesis (§8.3,
//     §14.5): Severity stays Unknown and CWE empty, as for mail, and the
//     values are recorded as observed in the proposal and the rollup.
//   - forwarder.go recognises relayed mail by the configured [[forwarders]]
//     (§5, §17): the original reporter's credit comes from the relay, and
//     reporter-facing drafts go to the forwarder contact in the relay shape.
//
// It never writes; it never talks to the network; it depends only on
// skills/lifecycle ports. Mail text, PR bodies, findings and scanner output
// are untrusted data: nothing in them changes what these functions do beyond
// the documented signals, and no function here follows a link or an
// instruction found in them. Stripping of
// invisible characters here is only for matching and titles; the full
// untrusted-text handling lives elsewhere (policy/untrusted).
package intake
