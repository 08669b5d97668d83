// Package secrets keeps credentials out of logs and tool output.
//
// Redact replaces configured secret values and anything that looks like a
// credential (GitHub and Google tokens, bearer tokens, vulnsteward
// confirmation tokens and sealed state, JWTs, private keys, key=value pairs
// whose key names a secret) with "[REDACTED]". NewHandler wraps a slog.Handler
// so that every message, attribute (in groups too) and error value passes
// through Redact, and attributes named like a secret are dropped to
// "[REDACTED]" whatever their value.
//
// Pattern matching is best effort: a credential with no recognisable shape is
// caught only if the caller configures its value. This package must not read
// the environment or files itself; callers pass the secret values in.
package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Mask is what a redacted value is replaced with.
const Mask = "[REDACTED]"

// minSecretLen is the shortest configured secret that is replaced. Shorter
// values would blank out ordinary words everywhere; such a secret is too weak
// to protect anyway.
const minSecretLen = 4

// tokenPatterns match credentials by shape. Each pattern's first group, when
// present, is kept (a label such as "Bearer " or "password=") and the rest of
// the match is masked.
var tokenPatterns = []*regexp.Regexp{
	// PEM private keys, whole block.
	regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`),
	// GitHub tokens: classic prefixes and fine-grained PATs.
	regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{20,}`),
	regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,}`),
	// Google OAuth access and refresh tokens.
	regexp.MustCompile(`\bya29\.[A-Za-z0-9_\-.]{10,}`),
	regexp.MustCompile(`(?:^|[^A-Za-z0-9])(1//)[A-Za-z0-9_\-]{10,}`),
	// vulnsteward confirmation tokens and sealed state.
	regexp.MustCompile(`\bvsts?1\.[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]*)?`),
	// JSON Web Tokens.
	regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*`),
	// Other common API keys: GitLab, Slack, AWS access key ids, Google API keys.
	regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}`),
	regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9\-]{10,}`),
	regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`),
	regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{35}`),
	// Authorization schemes: the scheme word is kept.
	regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*`),
	// Header lines whose whole value is a credential.
	regexp.MustCompile(`(?im)(^\s*(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token|private-token)\s*:\s*)\S[^\r\n]*`),
	// key=value and "key": "value" pairs whose key names a secret.
	regexp.MustCompile(`(?i)(\b[A-Za-z0-9_\-]*(?:token|secret|password|passwd|pwd|api[_\-]?key|access[_\-]?key|private[_\-]?key|client[_\-]?secret|credentials?|cookie|session[_\-]?id)["']?\s*[:=]\s*["']?)[^\s"'&,;}]{3,}`),
	// URL user:password@host.
	regexp.MustCompile(`(://[^/\s:@]+:)[^/\s@]+@`),
}

// Redact returns s with every configured secret and every recognisable
// credential replaced by Mask. Secrets shorter than four characters are
// ignored; surrounding white space of a secret (a trailing newline from a
// file) does not stop it matching.
func Redact(s string, secrets ...string) string {
	return newRedactor(secrets).redact(s)
}

type redactor struct {
	secrets []string // longest first, so a secret containing another is masked whole
}

func newRedactor(secrets []string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		for _, v := range []string{s, strings.TrimSpace(s)} {
			if len(v) >= minSecretLen && !slices.Contains(r.secrets, v) {
				r.secrets = append(r.secrets, v)
			}
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	return r
}

func (r *redactor) redact(s string) string {
	if s == "" {
		return s
	}
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	for _, re := range tokenPatterns {
		s = replaceKeepingLabel(re, s)
	}
	return s
}

// replaceKeepingLabel masks every match of re in s, keeping the text of the
// pattern's first group when it has one.
func replaceKeepingLabel(re *regexp.Regexp, s string) string {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		from := loc[0]
		if len(loc) >= 4 && loc[3] >= 0 {
			from = loc[3]
		}
		b.WriteString(s[last:from])
		b.WriteString(Mask)
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// SensitiveKey reports whether an attribute or field name says its value is a
// credential: one of its words (split at '_', '-', '.', spaces and camelCase)
// is token, secret, password, passwd, pwd, authorization, cookie, key, apikey,
// credential(s) or bearer.
func SensitiveKey(name string) bool {
	for _, w := range splitWords(name) {
		switch w {
		case "token", "tokens", "secret", "secrets", "password", "passwd", "pwd", "passphrase",
			"authorization", "cookie", "cookies", "key", "apikey", "credential", "credentials", "bearer":
			return true
		}
	}
	return false
}

func splitWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, c := range rs {
		switch {
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			flush()
		case unicode.IsUpper(c) && i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))):
			flush()
			cur = append(cur, c)
		default:
			cur = append(cur, c)
		}
	}
	flush()
	return words
}

// NewHandler returns a slog.Handler that redacts before inner sees a record:
// the message, every attribute value (strings, errors, Stringers, and other
// values whose printed or JSON form contains a secret), attribute keys, and
// everything inside groups and attributes added with WithAttrs. Attributes
// whose name says they hold a credential (see SensitiveKey) are masked
// whatever their value.
func NewHandler(inner slog.Handler, secrets ...string) slog.Handler {
	return &handler{inner: inner, r: newRedactor(secrets)}
}

type handler struct {
	inner slog.Handler
	r     *redactor
	// masked is set inside a group whose name says it holds credentials
	// (WithGroup("credentials")): every attribute in it is masked.
	masked bool
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.maskIn(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.maskIn(a)
	}
	return &handler{inner: h.inner.WithAttrs(red), r: h.r, masked: h.masked}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(h.r.redact(name)), r: h.r, masked: h.masked || SensitiveKey(name)}
}

// maskIn redacts a, masking it whole when the handler is inside a sensitive group.
func (h *handler) maskIn(a slog.Attr) slog.Attr {
	if h.masked {
		return h.maskAll(a)
	}
	return h.attr(a)
}

// maskAll keeps a's key (and the keys inside a group) and masks every value.
func (h *handler) maskAll(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	key := h.r.redact(a.Key)
	if a.Value.Kind() != slog.KindGroup {
		return slog.String(key, Mask)
	}
	group := a.Value.Group()
	red := make([]slog.Attr, len(group))
	for i, g := range group {
		red[i] = h.maskAll(g)
	}
	return slog.Attr{Key: key, Value: slog.GroupValue(red...)}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	key := h.r.redact(a.Key)
	if SensitiveKey(a.Key) {
		return h.maskAll(a)
	}
	if a.Value.Kind() == slog.KindGroup {
		group := a.Value.Group()
		red := make([]slog.Attr, len(group))
		for i, g := range group {
			red[i] = h.attr(g)
		}
		return slog.Attr{Key: key, Value: slog.GroupValue(red...)}
	}
	return slog.Attr{Key: key, Value: h.value(a.Value)}
}

func (h *handler) value(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(h.r.redact(v.String()))
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.StringValue(h.r.redact(x.Error()))
		case fmt.Stringer:
			return slog.StringValue(h.r.redact(x.String()))
		case []byte:
			return slog.StringValue(h.r.redact(string(x)))
		}
		// Keep structured values as they are unless their printed or JSON
		// form gives a secret away; then log the redacted text instead.
		for _, s := range printed(v.Any()) {
			if red := h.r.redact(s); red != s {
				return slog.StringValue(red)
			}
		}
		return v
	default:
		return v
	}
}

func printed(x any) []string {
	out := []string{fmt.Sprintf("%+v", x)}
	if b, err := json.Marshal(x); err == nil {
		out = append(out, string(b))
	}
	return out
}
