package mailmsg

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want lifecycle.Message
	}{
		{
			name: "plain with threading headers",
			raw: crlf(`From: Alice Reporter <alice@example.org>
To: security@project.apache.org
Cc: Bob <bob@example.com>, carol@example.com
Subject: Re: XSS in the admin console
Date: Tue, 3 Mar 2026 10:15:00 +0100
Message-ID: <abc123@Mail.Example.ORG>
In-Reply-To: <root-1@Example.org> (Bob's message)
References: <root-1@Example.org>
 <mid-2@example.org>
X-Vulnsteward-Draft-Key: key-42

Hello,
the admin console is vulnerable.
`),
			want: lifecycle.Message{
				MessageID:  "abc123@mail.example.org",
				InReplyTo:  "root-1@example.org",
				References: []string{"root-1@example.org", "mid-2@example.org"},
				From:       lifecycle.Address{Name: "Alice Reporter", Email: "alice@example.org"},
				To:         []lifecycle.Address{{Email: "security@project.apache.org"}},
				Cc:         []lifecycle.Address{{Name: "Bob", Email: "bob@example.com"}, {Email: "carol@example.com"}},
				Subject:    "Re: XSS in the admin console",
				Date:       time.Date(2026, 3, 3, 10, 15, 0, 0, time.FixedZone("", 3600)),
				Body:       "Hello,\nthe admin console is vulnerable.\n",
				DraftKey:   "key-42",
			},
		},
		{
			name: "multipart alternative prefers plain, quoted-printable",
			raw: crlf(`From: a@example.org
Subject: report
Message-ID: <m1@example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="XX"

--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 is a long line that is soft =
broken.
--XX
Content-Type: text/html; charset=utf-8

<p>HTML version</p>
--XX--
`),
			want: lifecycle.Message{
				MessageID: "m1@example.org",
				From:      lifecycle.Address{Email: "a@example.org"},
				Subject:   "report",
				Body:      "Café is a long line that is soft broken.",
			},
		},
		{
			name: "multipart mixed with nested alternative, base64, attachment ignored",
			raw: crlf(`From: a@example.org
Subject: =?UTF-8?B?w6ljaGVj?= in parser
Message-ID: <m2@example.org>
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

UG9DOiBzZW5kIMOpIHRvIC9hcGkK
--inner
Content-Type: text/html

<b>PoC</b>
--inner--
--outer
Content-Type: text/plain; name="poc.txt"
Content-Disposition: attachment; filename="poc.txt"

attachment text
--outer--
`),
			want: lifecycle.Message{
				MessageID: "m2@example.org",
				From:      lifecycle.Address{Email: "a@example.org"},
				Subject:   "échec in parser",
				Body:      "PoC: send é to /api\n",
			},
		},
		{
			name: "ISO-8859-1 body and RFC 2047 names in several charsets",
			raw: crlf("From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>\n" +
				"To: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@example.de>, \"Doe, Jane\" <jane@example.com>\n" +
				"Subject: =?iso-8859-1?q?r=E9sum=E9?=\n" +
				"Message-ID: <m3@example.fr>\n" +
				"Content-Type: text/plain; charset=ISO-8859-1\n" +
				"Content-Transfer-Encoding: 8bit\n\n" +
				"Bonjour, \xe9t\xe9 \xe0 Paris.\n"),
			want: lifecycle.Message{
				MessageID: "m3@example.fr",
				From:      lifecycle.Address{Name: "André", Email: "andre@example.fr"},
				To:        []lifecycle.Address{{Name: "Jürgen Müller", Email: "jm@example.de"}, {Name: "Doe, Jane", Email: "jane@example.com"}},
				Subject:   "résumé",
				Body:      "Bonjour, été à Paris.\n",
			},
		},
		{
			name: "HTML only converted to text",
			raw: crlf(`From: a@example.org
Subject: html
Message-ID: <m4@example.org>
Content-Type: text/html; charset=utf-8

<html><head><title>T</title><style>p{color:red}</style></head>
<body><script>alert(1)</script><p>Hello &amp; welcome,</p><div>line&nbsp;two<br>line three</div>
<ul><li>one</li><li>two</li></ul></body></html>
`),
			want: lifecycle.Message{
				MessageID: "m4@example.org",
				From:      lifecycle.Address{Email: "a@example.org"},
				Subject:   "html",
				Body:      "Hello & welcome,\n\nline two\nline three\n\n- one\n- two",
			},
		},
		{
			name: "malformed: no Message-ID, bad date, broken address, bad base64, bad boundary",
			raw: crlf(`From: Broken Name <broken@example.org
To: ,,, undisclosed-recipients:;
Subject: =?bogus?q?x?= plain
Date: yesterday-ish
Content-Type: multipart/mixed; boundary="never-used"

--other
not a part
`),
			want: lifecycle.Message{
				MessageID: "", // synthetic, checked separately
				From:      lifecycle.Address{Name: "Broken Name", Email: "broken@example.org"},
				Subject:   "=?bogus?q?x?= plain",
			},
		},
		{
			name: "LF line endings and mbox From line",
			raw:  []byte("From alice@example.org Tue Mar  3 10:15:00 2026\nFrom: alice@example.org\nSubject: lf\nMessage-ID: m5@example.org\nDate: 3 Mar 2026 10:15:00 +0000 (UTC)\n\nbody\r\nwith CRLF\n"),
			want: lifecycle.Message{
				MessageID: "m5@example.org",
				From:      lifecycle.Address{Email: "alice@example.org"},
				Subject:   "lf",
				Date:      time.Date(2026, 3, 3, 10, 15, 0, 0, time.UTC),
				Body:      "body\nwith CRLF\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tt.want
			if want.MessageID == "" {
				if !strings.HasSuffix(got.MessageID, "@"+SyntheticIDDomain) || got.MessageID != SyntheticMessageID(tt.raw) {
					t.Errorf("MessageID = %q, want synthetic", got.MessageID)
				}
				want.MessageID = got.MessageID
			}
			assertMessage(t, got, want)
		})
	}
}

func assertMessage(t *testing.T, got, want lifecycle.Message) {
	t.Helper()
	if got.MessageID != want.MessageID {
		t.Errorf("MessageID = %q, want %q", got.MessageID, want.MessageID)
	}
	if got.InReplyTo != want.InReplyTo {
		t.Errorf("InReplyTo = %q, want %q", got.InReplyTo, want.InReplyTo)
	}
	if !slices.Equal(got.References, want.References) {
		t.Errorf("References = %q, want %q", got.References, want.References)
	}
	if got.From != want.From {
		t.Errorf("From = %+v, want %+v", got.From, want.From)
	}
	if !slices.Equal(got.To, want.To) {
		t.Errorf("To = %+v, want %+v", got.To, want.To)
	}
	if !slices.Equal(got.Cc, want.Cc) {
		t.Errorf("Cc = %+v, want %+v", got.Cc, want.Cc)
	}
	if got.Subject != want.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
	}
	if !got.Date.Equal(want.Date) {
		t.Errorf("Date = %v, want %v", got.Date, want.Date)
	}
	if got.Body != want.Body {
		t.Errorf("Body = %q, want %q", got.Body, want.Body)
	}
	if got.DraftKey != want.DraftKey {
		t.Errorf("DraftKey = %q, want %q", got.DraftKey, want.DraftKey)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"header line without colon", "this is not a header\r\n\r\nbody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.raw)); err == nil {
				t.Fatal("Parse: want error")
			}
		})
	}
}

func TestSyntheticMessageIDStable(t *testing.T) {
	raw := []byte("Subject: x\r\n\r\nbody")
	a, _ := Parse(raw)
	b, _ := Parse(append([]byte(nil), raw...))
	if a.MessageID != b.MessageID || a.MessageID == "" {
		t.Fatalf("synthetic ids differ or empty: %q %q", a.MessageID, b.MessageID)
	}
	c, _ := Parse([]byte("Subject: y\r\n\r\nbody"))
	if c.MessageID == a.MessageID {
		t.Fatal("different mail, same synthetic id")
	}
}

func TestDecodeCharset(t *testing.T) {
	tests := []struct {
		name, charset string
		in            []byte
		want          string
	}{
		{"utf-8", "UTF-8", []byte("é"), "é"},
		{"latin1 alias", "latin1", []byte{0xe9}, "é"},
		{"windows-1252 quotes", "windows-1252", []byte{0x93, 'x', 0x94}, "\u201cx\u201d"},
		{"koi8-r", "koi8-r", []byte{0xd0, 0xd2, 0xc9}, "при"},
		{"unknown charset, 8-bit bytes", "x-nonsense", []byte{0xe9}, "é"},
		{"unlabelled 8-bit", "", []byte{0xe9}, "é"},
		{"invalid utf-8 labelled utf-8", "utf-8", []byte{'a', 0xff}, "a\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeCharset(tt.in, tt.charset); got != tt.want {
				t.Errorf("DecodeCharset = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMIME(t *testing.T) {
	raw := crlf(`Subject: s
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

caf=E9
--b
Content-Type: application/pdf; name="r.pdf"
Content-Transfer-Encoding: base64

JVBERg==
--b--
`)
	h, root, err := ParseMIME(raw)
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("Subject") != "s" || root.MediaType != "multipart/mixed" || len(root.Parts) != 2 {
		t.Fatalf("root = %+v", root)
	}
	text, pdf := root.Parts[0], root.Parts[1]
	if string(text.Body) != "caf\xe9" || text.Charset != "iso-8859-1" || text.Attachment || text.Header.Get("Content-Type") == "" {
		t.Errorf("text part = %+v", text)
	}
	if string(pdf.Body) != "%PDF" || pdf.Filename != "r.pdf" || !pdf.Attachment {
		t.Errorf("pdf part = %+v", pdf)
	}
	if got := TextBody(root); got != "café" {
		t.Errorf("TextBody = %q", got)
	}
}
