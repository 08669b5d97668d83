// Package mailmsg parses and builds RFC 5322 / MIME mail for the mail backends
// (integrations/local's Maildir store, integrations/gmail and its fake).
//
// It owns three things:
//
//   - Parse: raw message bytes to a lifecycle.Message, decoded to plain text.
//     Parsing is lenient: malformed mail yields a best-effort Message, never a
//     panic. Only a header block that cannot be read at all is an error.
//   - BuildDraft: a plain-text reply draft (text/plain; charset=utf-8,
//     quoted-printable), with header values checked against injection.
//   - GroupThreads: grouping messages into conversations by their
//     In-Reply-To/References chains, for backends that have no thread ids.
//
// It must not send mail, talk to the network or read files: it only converts
// bytes. It never builds an HTML part (spec/intake.md §3.5).
package mailmsg
