// Package local is the embedded backend: every lifecycle port implemented on the
// local disk, so the whole security-issue lifecycle runs on a laptop with no
// account anywhere.
//
// It owns:
//   - the workspace database (<dir>/workspace.db, SQLite through the pure-Go
//     modernc.org/sqlite driver) holding the private tracker (issues, labels,
//     comments, milestones, assignees, board items, collaborators), the upstream
//     repository (pull requests, releases), the CNA tool's CVE records and the
//     list archive's known URLs; see Open;
//   - the Maildir mailbox adapter (OpenMaildir) that reads the security list's
//     mail from a Maildir and writes reply drafts as RFC 5322 files beside it;
//   - seeding from a TOML file of dated events (LoadSeed, ApplySeed, SeedMaildir),
//     so the demo and the tests reach every step without waiting;
//   - fault injection (Faults) so tests can fail any call of any operation.
//
// The tracker mimics GitHub's semantics (sequential issue numbers per repository,
// github.com-shaped URLs, labels that must exist, state reasons, comment anchors)
// so links and behaviour look real, and it passes the same contract suite
// (integrations/contract) as the GitHub adapter.
//
// This package never sends mail and never talks to the network; it must not import
// the workflow packages (skills/<skill>) — only the ports in skills/lifecycle.
package local
