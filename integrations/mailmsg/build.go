package mailmsg

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// ErrInvalidDraft is returned (wrapped) when a DraftRequest cannot be turned into
// a safe message: no recipient, empty subject, a line break or control
// character in a header value (header injection), a malformed address or id.
var ErrInvalidDraft = errors.New("invalid draft")

// BuildDraft renders a plain-text reply draft as RFC 5322 bytes with CRLF line
// endings: From (omitted when from.Email is empty; Gmail then fills in the
// account), To, Cc, Subject, Date (now), a fresh Message-ID, In-Reply-To and
// References (the In-Reply-To id is appended to References when missing),
// X-Vulnsteward-Draft-Key (omitted when Key is empty), and a single
// text/plain; charset=utf-8 quoted-printable body. No HTML part, ever.
//
// Subject is used as given, apart from surrounding whitespace: the caller
// builds "Re: <root subject>" and is the one to avoid a double "Re:".
// Non-ASCII subjects and names are RFC 2047 encoded.
func BuildDraft(req lifecycle.DraftRequest, from lifecycle.Address, now time.Time) ([]byte, error) {
	if err := validateDraft(req, from); err != nil {
		return nil, err
	}
	var h bytes.Buffer
	if from.Email != "" {
		writeHeader(&h, "From", formatAddress(from))
	}
	writeHeader(&h, "To", formatAddressList(req.To))
	if len(req.Cc) > 0 {
		writeHeader(&h, "Cc", formatAddressList(req.Cc))
	}
	writeHeader(&h, "Subject", encodeText(strings.TrimSpace(req.Subject)))
	writeHeader(&h, "Date", now.Format(time.RFC1123Z))
	id, err := newMessageID(from.Email, now)
	if err != nil {
		return nil, err
	}
	writeHeader(&h, "Message-ID", "<"+id+">")
	refs := make([]string, 0, len(req.References)+1)
	for _, r := range req.References {
		refs = append(refs, lifecycle.NormalizeMessageID(r))
	}
	if irt := lifecycle.NormalizeMessageID(req.InReplyTo); irt != "" {
		writeHeader(&h, "In-Reply-To", "<"+irt+">")
		if len(refs) == 0 || refs[len(refs)-1] != irt {
			refs = append(refs, irt)
		}
	}
	if len(refs) > 0 {
		writeHeader(&h, "References", "<"+strings.Join(refs, "> <")+">")
	}
	if req.Key != "" {
		writeHeader(&h, DraftKeyHeader, req.Key)
	}
	writeHeader(&h, "MIME-Version", "1.0")
	writeHeader(&h, "Content-Type", "text/plain; charset=utf-8")
	writeHeader(&h, "Content-Transfer-Encoding", "quoted-printable")
	h.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&h)
	if _, err := qp.Write([]byte(req.Body)); err != nil {
		return nil, fmt.Errorf("mailmsg: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mailmsg: encode body: %w", err)
	}
	return h.Bytes(), nil
}

func validateDraft(req lifecycle.DraftRequest, from lifecycle.Address) error {
	if len(req.To) == 0 {
		return fmt.Errorf("mailmsg: %w: no To recipient", ErrInvalidDraft)
	}
	if strings.TrimSpace(req.Subject) == "" {
		return fmt.Errorf("mailmsg: %w: empty subject", ErrInvalidDraft)
	}
	check := func(field, v string) error {
		if !utf8.ValidString(v) {
			return fmt.Errorf("mailmsg: %w: %s is not valid UTF-8", ErrInvalidDraft, field)
		}
		for _, r := range v {
			if r == '\r' || r == '\n' {
				return fmt.Errorf("mailmsg: %w: line break in %s", ErrInvalidDraft, field)
			}
			if r < 0x20 && r != '\t' || r == 0x7f {
				return fmt.Errorf("mailmsg: %w: control character in %s", ErrInvalidDraft, field)
			}
		}
		return nil
	}
	checkAddr := func(field string, a lifecycle.Address) error {
		if err := check(field+" name", a.Name); err != nil {
			return err
		}
		if err := check(field+" address", a.Email); err != nil {
			return err
		}
		p, err := mail.ParseAddress("<" + a.Email + ">")
		if err != nil || p.Address != a.Email || strings.ContainsAny(a.Email, " \t<>,;\"") {
			return fmt.Errorf("mailmsg: %w: %s address %q is malformed", ErrInvalidDraft, field, a.Email)
		}
		return nil
	}
	checkID := func(field, v string) error {
		if err := check(field, v); err != nil {
			return err
		}
		id := lifecycle.NormalizeMessageID(v)
		if id == "" || strings.ContainsAny(id, " \t<>") || !isASCII(id) {
			return fmt.Errorf("mailmsg: %w: %s %q is not a message id", ErrInvalidDraft, field, v)
		}
		return nil
	}
	if from.Email != "" || from.Name != "" {
		if err := checkAddr("From", from); err != nil {
			return err
		}
	}
	for _, a := range req.To {
		if err := checkAddr("To", a); err != nil {
			return err
		}
	}
	for _, a := range req.Cc {
		if err := checkAddr("Cc", a); err != nil {
			return err
		}
	}
	if err := check("Subject", req.Subject); err != nil {
		return err
	}
	if req.InReplyTo != "" {
		if err := checkID("In-Reply-To", req.InReplyTo); err != nil {
			return err
		}
	}
	for _, r := range req.References {
		if err := checkID("References", r); err != nil {
			return err
		}
	}
	if err := check(DraftKeyHeader, req.Key); err != nil {
		return err
	}
	if !isASCII(req.Key) || strings.TrimSpace(req.Key) != req.Key {
		return fmt.Errorf("mailmsg: %w: %s must be printable ASCII without surrounding space", ErrInvalidDraft, DraftKeyHeader)
	}
	if !utf8.ValidString(req.Body) {
		return fmt.Errorf("mailmsg: %w: body is not valid UTF-8", ErrInvalidDraft)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// needsEncoding: non-ASCII text, or text that a decoder would mistake for an
// encoded word.
func needsEncoding(s string) bool {
	return !isASCII(s) || strings.Contains(s, "=?")
}

// encodeText renders an unstructured header value, RFC 2047 B-encoding it when
// needed (as a whole, so that decoding gives back exactly the same text).
func encodeText(s string) string {
	if !needsEncoding(s) {
		return s
	}
	return encodeWords(s)
}

// encodeWords splits s at rune boundaries into encoded words of at most 75
// characters each, separated by spaces (where writeHeader may fold).
func encodeWords(s string) string {
	const maxChunk = 39 // 39 bytes -> 52 base64 chars -> 64-char word, fits after "Subject: "
	var words []string
	for len(s) > 0 {
		n := 0
		for n < len(s) {
			_, size := utf8.DecodeRuneInString(s[n:])
			if n+size > maxChunk {
				break
			}
			n += size
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

func formatAddress(a lifecycle.Address) string {
	if a.Name == "" {
		return "<" + a.Email + ">"
	}
	if needsEncoding(a.Name) {
		return encodeWords(a.Name) + " <" + a.Email + ">"
	}
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

func formatAddressList(list []lifecycle.Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = formatAddress(a)
	}
	return strings.Join(parts, ", ")
}

// writeHeader writes "Name: value" folded at single spaces so lines stay near
// 78 characters. Folding only replaces a space that has non-space characters on
// both sides, so unfolding restores the value exactly.
func writeHeader(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	col := len(name) + 1
	var segs []string
	start := 0
	for i := 1; i+1 < len(value); i++ {
		if value[i] == ' ' && !isBlank(value[i-1]) && !isBlank(value[i+1]) {
			segs = append(segs, value[start:i])
			start = i + 1
		}
	}
	segs = append(segs, value[start:])
	for i, seg := range segs {
		if i > 0 && col+1+len(seg) > 76 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(" ")
		b.WriteString(seg)
		col += 1 + len(seg)
	}
	b.WriteString("\r\n")
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func newMessageID(fromEmail string, now time.Time) (string, error) {
	var r [12]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("mailmsg: message id: %w", err)
	}
	domain := "vulnsteward.local"
	if at := strings.LastIndexByte(fromEmail, '@'); at >= 0 && at+1 < len(fromEmail) {
		domain = strings.ToLower(fromEmail[at+1:])
	}
	return fmt.Sprintf("%d.%s@%s", now.UTC().Unix(), hex.EncodeToString(r[:]), domain), nil
}
