package mailmsg

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// DecodeCharset converts body from the named charset to UTF-8. An empty,
// ASCII or UTF-8 charset keeps the bytes (invalid sequences become U+FFFD); an
// unknown charset is read as Windows-1252 when the bytes are not valid UTF-8,
// which is what mail clients do with mislabelled Western mail.
func DecodeCharset(body []byte, charset string) string {
	cs := strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"'`))
	switch cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(body) {
			return string(body)
		}
		if cs == "" || cs == "us-ascii" || cs == "ascii" {
			cs = "windows-1252"
		} else {
			return strings.ToValidUTF8(string(body), "\uFFFD")
		}
	}
	enc, err := lookupCharset(cs)
	if err != nil {
		if utf8.Valid(body) {
			return string(body)
		}
		enc, _ = htmlindex.Get("windows-1252")
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return strings.ToValidUTF8(string(body), "\uFFFD")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func lookupCharset(name string) (encoding.Encoding, error) {
	if enc, err := htmlindex.Get(name); err == nil && enc != nil {
		return enc, nil
	}
	if enc, err := ianaindex.MIME.Encoding(name); err == nil && enc != nil {
		return enc, nil
	}
	return nil, fmt.Errorf("mailmsg: unknown charset %q", name)
}

// charsetReader serves mime.WordDecoder for RFC 2047 words in other charsets.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(strings.ToLower(charset))
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}
