package mailmsg

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

var buildNow = time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)

func validDraft() lifecycle.DraftRequest {
	return lifecycle.DraftRequest{
		ThreadID:   "t1",
		To:         []lifecycle.Address{{Name: "Alice Reporter", Email: "alice@example.org"}},
		Cc:         []lifecycle.Address{{Email: "security@project.apache.org"}},
		Subject:    "Re: XSS in the admin console",
		Body:       "Hello Alice,\n\nthanks for the report.\n",
		InReplyTo:  "root-1@example.org",
		References: []string{"root-1@example.org"},
		Key:        "import:mail:root-1@example.org:receipt",
	}
}

func TestBuildDraft(t *testing.T) {
	from := lifecycle.Address{Name: "Security Team", Email: "security@project.apache.org"}
	tests := []struct {
		name   string
		edit   func(*lifecycle.DraftRequest)
		check  func(t *testing.T, raw string, m lifecycle.Message)
		errSub string
	}{
		{
			name: "plain reply",
			check: func(t *testing.T, raw string, m lifecycle.Message) {
				for _, h := range []string{
					"Content-Type: text/plain; charset=utf-8\r\n",
					"Content-Transfer-Encoding: quoted-printable\r\n",
					"MIME-Version: 1.0\r\n",
					"Subject: Re: XSS in the admin console\r\n",
					"In-Reply-To: <root-1@example.org>\r\n",
					"References: <root-1@example.org>\r\n",
					"X-Vulnsteward-Draft-Key: import:mail:root-1@example.org:receipt\r\n",
					"Date: Wed, 04 Mar 2026 09:30:00 +0000\r\n",
					"From: \"Security Team\" <security@project.apache.org>\r\n",
				} {
					if !strings.Contains(raw, h) {
						t.Errorf("missing header %q in\n%s", h, raw)
					}
				}
				if strings.Contains(strings.ToLower(raw), "text/html") {
					t.Error("draft has an HTML part")
				}
				if !strings.HasSuffix(m.MessageID, "@project.apache.org") {
					t.Errorf("Message-ID %q not on the sender's domain", m.MessageID)
				}
				if !slices.Equal(m.Cc, []lifecycle.Address{{Email: "security@project.apache.org"}}) {
					t.Errorf("Cc = %+v", m.Cc)
				}
			},
		},
		{
			name: "non-ASCII subject and name are encoded and round-trip",
			edit: func(d *lifecycle.DraftRequest) {
				d.Subject = "Re: Faille « critique » dans le module d'authentification très long sujet"
				d.To = []lifecycle.Address{{Name: "Jürgen Müller", Email: "jm@example.de"}}
			},
			check: func(t *testing.T, raw string, m lifecycle.Message) {
				if !strings.Contains(raw, "Subject: =?utf-8?b?") {
					t.Errorf("subject not encoded:\n%s", raw)
				}
				for _, line := range strings.Split(raw, "\r\n") {
					if len(line) > 78 {
						t.Errorf("header line longer than 78: %q", line)
					}
				}
			},
		},
		{
			name: "subject looking like an encoded word is kept literally",
			edit: func(d *lifecycle.DraftRequest) { d.Subject = "Re: =?utf-8?q?hi?=" },
		},
		{
			name: "In-Reply-To appended to References",
			edit: func(d *lifecycle.DraftRequest) {
				d.References = []string{"<a@example.org>"}
				d.InReplyTo = "<b@Example.org>"
			},
			check: func(t *testing.T, raw string, m lifecycle.Message) {
				if !slices.Equal(m.References, []string{"a@example.org", "b@example.org"}) || m.InReplyTo != "b@example.org" {
					t.Errorf("References = %q, InReplyTo = %q", m.References, m.InReplyTo)
				}
			},
		},
		{
			name: "unattached draft without threading headers",
			edit: func(d *lifecycle.DraftRequest) { d.InReplyTo, d.References, d.ThreadID = "", nil, "" },
			check: func(t *testing.T, raw string, m lifecycle.Message) {
				if strings.Contains(raw, "In-Reply-To") || strings.Contains(raw, "References") {
					t.Errorf("unexpected threading headers:\n%s", raw)
				}
			},
		},
		{name: "no recipient", edit: func(d *lifecycle.DraftRequest) { d.To = nil }, errSub: "no To"},
		{name: "empty subject", edit: func(d *lifecycle.DraftRequest) { d.Subject = "  " }, errSub: "empty subject"},
		{name: "CRLF in subject", edit: func(d *lifecycle.DraftRequest) { d.Subject = "Re: x\r\nBcc: evil@example.com" }, errSub: "line break in Subject"},
		{name: "LF in name", edit: func(d *lifecycle.DraftRequest) { d.To[0].Name = "A\nBcc: evil@example.com" }, errSub: "line break in To name"},
		{name: "CR in key", edit: func(d *lifecycle.DraftRequest) { d.Key = "k\rX: y" }, errSub: "line break"},
		{name: "LF in In-Reply-To", edit: func(d *lifecycle.DraftRequest) { d.InReplyTo = "a@b\nBcc: c@d" }, errSub: "line break in In-Reply-To"},
		{name: "address with two addresses", edit: func(d *lifecycle.DraftRequest) { d.Cc = []lifecycle.Address{{Email: "a@b.org, evil@c.org"}} }, errSub: "malformed"},
		{name: "NUL in body is fine but invalid UTF-8 is not", edit: func(d *lifecycle.DraftRequest) { d.Body = "a\xff" }, errSub: "UTF-8"},
		{name: "message id with spaces", edit: func(d *lifecycle.DraftRequest) { d.References = []string{"a b@c"} }, errSub: "not a message id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := validDraft()
			req.To = slices.Clone(req.To)
			if tt.edit != nil {
				tt.edit(&req)
			}
			raw, err := BuildDraft(req, from, buildNow)
			if tt.errSub != "" {
				if err == nil || !errors.Is(err, ErrInvalidDraft) || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("err = %v, want ErrInvalidDraft containing %q", err, tt.errSub)
				}
				return
			}
			if err != nil {
				t.Fatalf("BuildDraft: %v", err)
			}
			m, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse(BuildDraft): %v", err)
			}
			if m.Subject != req.Subject || m.Body != req.Body || !slices.Equal(m.To, req.To) || m.DraftKey != req.Key {
				t.Errorf("round trip lost data: got subject %q body %q to %+v key %q", m.Subject, m.Body, m.To, m.DraftKey)
			}
			if tt.check != nil {
				tt.check(t, string(raw), m)
			}
		})
	}
}

func TestBuildDraftFreshMessageID(t *testing.T) {
	a, _ := BuildDraft(validDraft(), lifecycle.Address{}, buildNow)
	b, _ := BuildDraft(validDraft(), lifecycle.Address{}, buildNow)
	ma, _ := Parse(a)
	mb, _ := Parse(b)
	if ma.MessageID == mb.MessageID {
		t.Fatalf("two drafts share Message-ID %q", ma.MessageID)
	}
	if strings.Contains(string(a), "From:") {
		t.Error("From written although no sender was given")
	}
}
