// Package gmail is the lifecycle.Mail port over the Gmail REST API
// (google.golang.org/api/gmail/v1): it lists the security list's threads,
// reads them as plain text, lists pending drafts and creates plain-text reply
// drafts (spec/intake.md §3.3, §3.5).
//
// It must never send mail: the package has no send method and calls no send,
// update or delete endpoint; drafts are created and then left alone (a
// correction is a new draft, the human discards the old one). It does not
// retry failed calls (the spec says stop and report), it does not log, and the
// OAuth secrets it reads never appear in its errors.
//
// Mail parsing is shared with the other mail backends through
// integrations/mailmsg. The fake Gmail API used by the tests lives in
// fakegmail; it documents which parts of the API it reproduces.
package gmail
