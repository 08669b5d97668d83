// Package lifecycle is the shared model of a security tracker's lifecycle that
// every skill package builds on. It owns:
//
//   - the tracker body: the 11 issue-form fields ("### <heading>" sections), one
//     fence-aware parser with byte-exact round trips and surgical field writes,
//     the CVE-JSON attachment region, the renderer for new bodies and the
//     sanitiser that keeps reporter text from posing as a field (body.go,
//     sanitize.go);
//   - the labels, board columns and the 16 process steps a tracker moves through;
//   - the status rollup comment (one per tracker, entries appended, never
//     rewritten) and the registry of byte-exact comment markers shared with the
//     reference workflow (rollup.go, markers.go);
//   - the ports: the interfaces (Tracker, Upstream, Mail, CNA, Archive) that
//     integrations implement and skills call;
//   - plans (typed, ordered actions with an audience each) and the one generic
//     executor that applies an approved plan idempotently.
//
// The workflow rules implemented here are restated in the doc comments next to
// the code that implements them. This package must not import mcp-go, net/http
// or any API SDK, and must not import a skill package: skills depend on it, and
// integrations depend on it only for the port types.
package lifecycle
