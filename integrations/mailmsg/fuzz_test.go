package mailmsg

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@b.c\r\nSubject: x\r\n\r\nbody"), "Re: hello", "body\nline", "key-1")
	f.Add(crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n"), "Re: é", "=3D\r\n  trailing  ", "k")
	f.Add(crlf("Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n0NLJ\n"), "=?utf-8?q?x?=", "", "")
	f.Add([]byte("Subject: =?utf-8?b?////?=\n\n"), "a  b\tc", strings.Repeat("long line ", 40), "x")
	f.Fuzz(func(t *testing.T, raw []byte, subject, body, key string) {
		// Parse never panics and always yields valid UTF-8 and an id.
		if m, err := Parse(raw); err == nil {
			if m.MessageID == "" {
				t.Error("empty MessageID")
			}
			for _, s := range []string{m.Subject, m.Body, m.From.Name, m.From.Email} {
				if !utf8.ValidString(s) {
					t.Errorf("invalid UTF-8 %q", s)
				}
			}
		}

		// BuildDraft -> Parse round trip.
		req := lifecycle.DraftRequest{
			To:        []lifecycle.Address{{Name: "Rép Orter", Email: "reporter@example.org"}},
			Cc:        []lifecycle.Address{{Email: "security@example.org"}},
			Subject:   subject,
			Body:      body,
			InReplyTo: "root@example.org",
			Key:       key,
		}
		out, err := BuildDraft(req, lifecycle.Address{Email: "team@example.org"}, buildNow)
		if err != nil {
			return // refused input (control characters, empty subject, ...)
		}
		m, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(BuildDraft): %v\n%s", err, out)
		}
		if want := strings.TrimSpace(subject); m.Subject != want {
			t.Errorf("subject %q -> %q", want, m.Subject)
		}
		if want := normalizeNewlines(body); m.Body != want {
			t.Errorf("body %q -> %q", want, m.Body)
		}
		if !slices.Equal(m.To, req.To) || m.InReplyTo != "root@example.org" || m.DraftKey != key {
			t.Errorf("headers lost: to %+v irt %q key %q", m.To, m.InReplyTo, m.DraftKey)
		}
	})
}
