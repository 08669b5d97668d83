// Package invalidate is the invalidate skill (spec/intake.md §10): it plans the
// terminal close of a tracker after the team agreed it is not a vulnerability
// to fix under embargo. It owns:
//
//   - the dispositions and their labels: `invalid`, `not CVE worthy`, `wontfix`
//     (the defense-in-depth class: close, and say that a public hardening PR
//     follows) and `info-only` (closed with the `invalid` label, because the
//     project's closing dispositions have no informational label; the canned
//     response that answers it is mandatory);
//   - the hard stops, checked before anything is planned: a CVE still to be
//     retracted (`cve allocated`, a CVE id in the CVE tool link or the CVE-JSON
//     attachment) and a shipped or announced advisory (`fix released`,
//     `announced*`, a Public advisory URL) refuse with what to do instead; a
//     closed tracker, the rejections ledger and a half-done merge (`duplicate`)
//     are refused too. The executor's stale check re-checks at apply: any change
//     to the tracker after the proposal refuses its actions;
//   - the plan, in the order of spec §18 item 14: the reporter draft first (mail
//     imports only, per reply.OriginOf; never for PR imports, findings files or
//     scanner imports; a tracker in via-forwarder mode gets it addressed to the
//     forwarder contact in the relay shape, reply.AddressingBlock, as import's
//     receipt; the reason goes in an "Inline addition" block before the canned
//     sign-off; never drafted twice: a reply already sent with the close's
//     draft key is recorded instead), then the rollup entry with exactly one
//     reporter-notification line naming the real draft id, the short closing
//     comment linking the rollup, one label edit (add the disposition; remove
//     `needs triage`, every scope label, `pr created`, `pr merged` and any other
//     negative disposition; the marker label stays), the close as not planned,
//     and the archive of the board item.
//
// The agent's judgements are typed inputs the server validates but never
// invents: the disposition, the canned response (resolved by exact heading or
// slug against canned-responses.md), the case reasoning (verbatim quotes of team
// comments, each checked against the tracker, and/or a reason in the agent's
// words), extra placeholder values, and `silent` (close without a reply). The
// reply never mentions the private tracker (spec §14 item 9, §19), never
// echoes the CVSS or CWE observed in the report, and never carries the credit
// lines, names, affiliations or addresses of the tracker's other reporters (a
// merged tracker): such text in `reason` or `placeholders` is refused at
// propose and re-checked at apply (DraftSpec.Avoid). Invalidate
// closes are tracked closes: they are never recorded on the rejections ledger
// (spec §2.7).
//
// Tracker text (the report, comments by non-collaborators) is data: it is
// returned fenced as untrusted with injection flags and never changes the plan.
// This package plans only; it never writes, never sends mail and never
// comments on a public PR.
package invalidate
