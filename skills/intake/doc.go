// Package intake is the import skill: it turns inbound security-list mail into
// tracker plans. This part of the package reads mail and decides what can be
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
// It never writes; it never talks to the network; it depends only on
// skills/lifecycle ports. Mail text is untrusted data: nothing in a message
// changes what these functions do beyond the documented signals, and no
// function here follows a link or an instruction found in mail. Stripping of
// invisible characters here is only for matching and titles; the full
// untrusted-text handling lives elsewhere (policy/untrusted).
package intake
