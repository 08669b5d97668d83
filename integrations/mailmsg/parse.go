package mailmsg

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// DraftKeyHeader is the header carrying lifecycle.DraftRequest.Key on drafts this
// program made.
const DraftKeyHeader = "X-Vulnsteward-Draft-Key"

// SyntheticIDDomain is the domain of Message-IDs synthesised for mail that has
// none: "sha256-<first 32 hex digits of SHA-256(raw)>@vulnsteward.invalid". The
// same bytes always give the same id, so a re-scan of the mailbox does not
// invent a new intake key; ".invalid" (RFC 2606) can never collide with a real
// domain.
const SyntheticIDDomain = "vulnsteward.invalid"

// Limits that keep hostile mail from costing unbounded work.
const (
	maxDepth = 16   // nesting of multipart entities
	maxParts = 1000 // parts in one message
)

// Parse decodes one RFC 5322 message. The Message's ID is left empty (the
// backend assigns its own). Headers: Message-ID, In-Reply-To and References are
// normalised with lifecycle.NormalizeMessageID; names and Subject are RFC 2047
// decoded; a missing or unparsable Date leaves Date zero; a missing Message-ID
// is synthesised (see SyntheticIDDomain). Body is the text/plain content
// (multipart walked, transfer encoding and charset decoded, line endings
// normalised to "\n"); mail with no text/plain part gets its HTML converted to
// text. Attachments are ignored.
func Parse(raw []byte) (lifecycle.Message, error) {
	h, root, err := ParseMIME(raw)
	if err != nil {
		return lifecycle.Message{}, err
	}
	msg := HeaderMessage(h)
	if msg.MessageID == "" {
		msg.MessageID = SyntheticMessageID(raw)
	}
	msg.Body = TextBody(root)
	return msg, nil
}

// ParseMIME splits a raw message into its header and its MIME tree, transfer
// encodings removed. The root Part's Header is the message header. It is the
// building block of Parse, exported for backends that need the structure
// itself (the fake Gmail API serves it as a message payload).
func ParseMIME(raw []byte) (mail.Header, Part, error) {
	data := raw
	// An mbox "From " separator line is not a header; tolerate it.
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		} else {
			data = nil
		}
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return nil, Part{}, fmt.Errorf("mailmsg: read header: %w", err)
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return nil, Part{}, fmt.Errorf("mailmsg: read body: %w", err)
	}
	budget := maxParts
	return m.Header, mimeTree(textproto.MIMEHeader(m.Header), body, 0, &budget), nil
}

// SyntheticMessageID is the stable Message-ID given to mail that has none.
func SyntheticMessageID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256-" + hex.EncodeToString(sum[:16]) + "@" + SyntheticIDDomain
}

// HeaderMessage fills a Message's header fields (everything except ID, Body and
// IsDraft) from a parsed header. Keys must be in canonical MIME form, as
// net/mail and net/textproto produce them. MessageID is "" when absent.
func HeaderMessage(h mail.Header) lifecycle.Message {
	var msg lifecycle.Message
	msg.MessageID = firstMessageID(h.Get("Message-Id"))
	msg.InReplyTo = firstMessageID(h.Get("In-Reply-To"))
	msg.References = MessageIDs(h.Get("References"))
	if from := Addresses(h.Get("From")); len(from) > 0 {
		msg.From = from[0]
	}
	msg.To = Addresses(strings.Join(h["To"], ", "))
	msg.Cc = Addresses(strings.Join(h["Cc"], ", "))
	msg.Subject = DecodeHeader(h.Get("Subject"))
	msg.Date = ParseDate(h.Get("Date"))
	msg.DraftKey = strings.TrimSpace(h.Get(DraftKeyHeader))
	return msg
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

// DecodeHeader decodes RFC 2047 encoded words in an unstructured header value and
// removes line breaks. Undecodable words are kept as they are.
func DecodeHeader(v string) string {
	v = unfold(v)
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		v = d
	}
	return strings.TrimSpace(strings.ToValidUTF8(v, "\uFFFD"))
}

func unfold(v string) string {
	v = strings.ReplaceAll(v, "\r\n", " ")
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
}

var (
	addressParser = &mail.AddressParser{WordDecoder: wordDecoder}
	emailPattern  = regexp.MustCompile(`[^\s<>,;:"()\[\]]+@[^\s<>,;:"()\[\]]+`)
)

// Addresses parses an address-list header value. Well-formed lists go through
// net/mail; entries it rejects are salvaged by picking out anything shaped like
// an e-mail address, with the text before it as the display name.
func Addresses(v string) []lifecycle.Address {
	v = strings.TrimSpace(unfold(v))
	if v == "" {
		return nil
	}
	if list, err := addressParser.ParseList(v); err == nil {
		out := make([]lifecycle.Address, 0, len(list))
		for _, a := range list {
			out = append(out, lifecycle.Address{Name: cleanName(a.Name), Email: a.Address})
		}
		return out
	}
	var out []lifecycle.Address
	for _, entry := range strings.Split(v, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if a, err := addressParser.Parse(entry); err == nil {
			out = append(out, lifecycle.Address{Name: cleanName(a.Name), Email: a.Address})
			continue
		}
		loc := emailPattern.FindStringIndex(entry)
		if loc == nil {
			continue
		}
		name := strings.Trim(entry[:loc[0]], " \t<\"'")
		out = append(out, lifecycle.Address{
			Name:  cleanName(DecodeHeader(name)),
			Email: strings.ToValidUTF8(entry[loc[0]:loc[1]], ""),
		})
	}
	return out
}

func cleanName(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(unfold(s), "\uFFFD"))
}

// MessageIDs returns the normalised ids of a References-style header: every
// <...> token, or whitespace-separated words when the value has no brackets.
func MessageIDs(v string) []string {
	v = unfold(v)
	var out []string
	if strings.Contains(v, "<") {
		for {
			i := strings.IndexByte(v, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(v[i:], '>')
			if j < 0 {
				break
			}
			if id := lifecycle.NormalizeMessageID(v[i : i+j+1]); id != "" && !strings.ContainsAny(id, " \t<") {
				out = append(out, strings.ToValidUTF8(id, ""))
			}
			v = v[i+j+1:]
		}
		return out
	}
	for _, f := range strings.Fields(v) {
		if id := lifecycle.NormalizeMessageID(f); id != "" && strings.Contains(id, "@") {
			out = append(out, strings.ToValidUTF8(id, ""))
		}
	}
	return out
}

// firstMessageID is the first id in a Message-ID or In-Reply-To value (clients
// add comments or several ids to In-Reply-To).
func firstMessageID(v string) string {
	if ids := MessageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	time.RFC3339,
}

// ParseDate parses a Date header, trying net/mail first and then a few layouts
// seen in the wild. It returns the zero time when nothing fits.
func ParseDate(v string) time.Time {
	v = strings.TrimSpace(unfold(v))
	if v == "" {
		return time.Time{}
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t
	}
	// Drop a trailing "(comment)" and collapse runs of spaces.
	if i := strings.IndexByte(v, '('); i > 0 {
		v = strings.TrimSpace(v[:i])
	}
	v = strings.Join(strings.Fields(v), " ")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Part is one node of a MIME tree. Body has its transfer encoding removed but is
// still in Charset. Backends that receive an already-split tree (the Gmail API's
// payload) build Parts and call TextBody.
type Part struct {
	// Header is the part's own header; TextBody does not use it, and it may be
	// nil in trees built from another source.
	Header     textproto.MIMEHeader
	MediaType  string // lower case, e.g. "text/plain"; "" means text/plain
	Charset    string
	Filename   string
	Attachment bool // Content-Disposition attachment, or a named non-inline part
	Body       []byte
	Parts      []Part
}

// TextBody is the readable text of a MIME tree: the inline text/plain content
// (within multipart/alternative the plain alternative; elsewhere every inline
// plain part in order), else the inline HTML converted to text. Line endings are
// "\n" and the result is valid UTF-8.
func TextBody(p Part) string {
	plain, html := collect(p, 0)
	if len(plain) > 0 {
		return normalizeNewlines(strings.Join(plain, "\n"))
	}
	if len(html) > 0 {
		return HTMLToText(strings.Join(html, "\n"))
	}
	return ""
}

func collect(p Part, depth int) (plain, html []string) {
	if depth > maxDepth || p.Attachment {
		return nil, nil
	}
	mt := p.MediaType
	switch {
	case mt == "" || mt == "text/plain":
		return []string{DecodeCharset(p.Body, p.Charset)}, nil
	case mt == "text/html":
		return nil, []string{DecodeCharset(p.Body, p.Charset)}
	case mt == "multipart/alternative":
		for _, c := range p.Parts {
			cp, ch := collect(c, depth+1)
			if plain == nil && len(cp) > 0 {
				plain = cp
			}
			if html == nil && len(ch) > 0 {
				html = ch
			}
		}
		return plain, html
	case strings.HasPrefix(mt, "multipart/"):
		for _, c := range p.Parts {
			cp, ch := collect(c, depth+1)
			plain = append(plain, cp...)
			html = append(html, ch...)
		}
		return plain, html
	}
	return nil, nil
}

// mimeTree splits one entity (header + raw body) into a Part tree.
func mimeTree(h textproto.MIMEHeader, body []byte, depth int, budget *int) Part {
	*budget--
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt == "" {
		// RFC 2045 default; a broken Content-Type is read as plain text too.
		mt, params = "text/plain", map[string]string{}
		if ct := strings.ToLower(h.Get("Content-Type")); strings.Contains(ct, "html") {
			mt = "text/html"
		}
	}
	p := Part{
		Header:     h,
		MediaType:  mt,
		Charset:    params["charset"],
		Filename:   filename(h, params),
		Attachment: isAttachment(h, params),
	}
	if strings.HasPrefix(mt, "multipart/") {
		if boundary := params["boundary"]; boundary != "" && depth < maxDepth {
			p.Parts = multipartChildren(body, boundary, depth, budget)
			return p
		}
		// A multipart without a usable boundary: treat its body as text.
		p.MediaType = "text/plain"
	}
	p.Body = decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	return p
}

func multipartChildren(body []byte, boundary string, depth int, budget *int) []Part {
	var parts []Part
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for *budget > 0 {
		// NextRawPart: this package decodes quoted-printable itself, uniformly.
		np, err := r.NextRawPart()
		if err != nil {
			break
		}
		b, err := io.ReadAll(np)
		if err != nil && len(b) == 0 {
			break
		}
		parts = append(parts, mimeTree(np.Header, b, depth+1, budget))
		if err != nil {
			break
		}
	}
	return parts
}

func filename(h textproto.MIMEHeader, ctParams map[string]string) string {
	if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	return ctParams["name"]
}

func isAttachment(h textproto.MIMEHeader, ctParams map[string]string) bool {
	cd := h.Get("Content-Disposition")
	if cd != "" {
		disp, params, err := mime.ParseMediaType(cd)
		if err == nil {
			if disp == "attachment" {
				return true
			}
			if disp == "inline" {
				return false
			}
			return params["filename"] != ""
		}
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(cd)), "attachment")
	}
	return ctParams["name"] != ""
}

// decodeTransfer removes a Content-Transfer-Encoding. Broken encodings keep
// what could be decoded; an unknown encoding leaves the bytes as they are.
func decodeTransfer(cte string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			return lenientQP(body)
		}
		return out
	case "base64":
		return decodeBase64(body)
	}
	return body
}

// lenientQP decodes quoted-printable line by line, keeping malformed escapes as
// literal text instead of failing the whole part.
func lenientQP(body []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64*1024), len(body)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		soft := strings.HasSuffix(line, "=")
		if soft {
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			if line[i] == '=' && i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
				b, _ := hex.DecodeString(line[i+1 : i+3])
				out.Write(b)
				i += 2
				continue
			}
			out.WriteByte(line[i])
		}
		if !soft {
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// decodeBase64 ignores whitespace and junk characters and missing padding, and
// keeps the decodable prefix of a corrupt body.
func decodeBase64(body []byte) []byte {
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '=':
			// Padding ends the data (concatenated base64 blocks are not supported).
			goto done
		}
	}
done:
	if len(clean)%4 == 1 { // a lone trailing character carries no whole byte
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean) // n counts the bytes decoded before any error
	return out[:n]
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}
