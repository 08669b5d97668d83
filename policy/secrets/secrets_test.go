package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const (
	ghp    = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	pat    = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
	ya29   = "ya29.a0AfH6SMBx-abc_DEF.123"
	refr   = "1//0gLmnopQRSTuvwXYZ-abcdefghij"
	vst    = "vst1.eyJ0IjoiZml4X2FwcGx5In0.Q2hlY2tzdW1DaGVja3N1bUNoZWNrc3Vt"
	sealed = "vsts1.AAAABBBBCCCC.DDDDEEEE"
	jwt    = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		secrets []string
		gone    []string // must not appear in the output
		keep    []string // must still appear
	}{
		{"github classic", "token " + ghp + " used", nil, []string{ghp}, []string{"used"}},
		{"github oauth/user/server/refresh", "gho_" + strings.Repeat("a", 36) + " ghu_" + strings.Repeat("b", 36) + " ghs_" + strings.Repeat("c", 36) + " ghr_" + strings.Repeat("d", 36), nil, []string{"gho_a", "ghu_b", "ghs_c", "ghr_d"}, nil},
		{"fine-grained pat", "export GH=" + pat, nil, []string{pat}, []string{"export"}},
		{"google access", "access=" + ya29, nil, []string{"a0AfH6SMBx"}, nil},
		{"google refresh", `{"refresh":"` + refr + `"}`, nil, []string{"0gLmnopQRST"}, []string{"refresh"}},
		{"bearer", "Authorization header was Bearer abc.def-ghi_jkl", nil, []string{"abc.def-ghi_jkl"}, []string{"Bearer"}},
		{"header line", "Cookie: session=abc123; other=def456\nnext line", nil, []string{"abc123", "def456"}, []string{"next line", "Cookie:"}},
		{"authorization header", "Authorization: token " + strings.Repeat("z", 40), nil, []string{"zzzz"}, nil},
		{"confirmation token", "apply with " + vst + " now", nil, []string{"eyJ0Ijoi", "Q2hlY2tz"}, []string{"now"}},
		{"sealed state", "cursor " + sealed, nil, []string{"AAAABBBB"}, nil},
		{"jwt", "id_token " + jwt, nil, []string{"eyJzdWIi"}, nil},
		{"key value", "password=hunter22 api_key: 'k-123456' client_secret=\"s3cr3t\"", nil, []string{"hunter22", "k-123456", "s3cr3t"}, []string{"password=", "api_key"}},
		{"url credentials", "https://alice:pa55word@example.com/x", nil, []string{"pa55word"}, []string{"example.com/x"}},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAB3Nza\n-----END OPENSSH PRIVATE KEY-----\nafter", nil, []string{"AAAAB3Nza"}, []string{"after"}},
		{"aws and slack", "AKIAABCDEFGHIJKLMNOP xoxb-1234567890-abc", nil, []string{"AKIAABCDEFGHIJKLMNOP", "xoxb-1234567890"}, nil},
		{"configured secret", "cookie value was s3ss10n-Val!ue in a sentence", []string{"s3ss10n-Val!ue\n"}, []string{"s3ss10n"}, []string{"in a sentence"}},
		{"overlapping secrets masked whole", "xx-abcdef-yy", []string{"abcd", "xx-abcdef-yy"}, []string{"abcd", "xx-"}, nil},
		{"short secret ignored", "the cat sat", []string{"at"}, nil, []string{"the cat sat"}},
		{"ordinary prose untouched", "confirmation token signature is invalid; basic authentication failed", nil, nil, []string{"confirmation token signature is invalid; basic authentication failed"}},
		{"token counts untouched", "tokens: 1234 used", nil, nil, []string{"tokens: 1234 used"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in, tc.secrets...)
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("%q still contains %q", got, g)
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("%q lost %q", got, k)
				}
			}
			if again := Redact(got, tc.secrets...); again != got {
				t.Errorf("not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestSensitiveKey(t *testing.T) {
	for name, want := range map[string]bool{
		"token": true, "access_token": true, "refreshToken": true, "GITHUB_TOKEN": true,
		"secret": true, "clientSecret": true, "password": true, "db-password": true,
		"authorization": true, "Cookie": true, "api_key": true, "apiKey": true, "APIKey": true,
		"confirm.key": true, "credentials": true,
		"tool": false, "plan_id": false, "monkey": false, "keyword": false, "tokenizer": false,
		"author": false, "status": false,
	} {
		if got := SensitiveKey(name); got != want {
			t.Errorf("SensitiveKey(%q) = %v, want %v", name, got, want)
		}
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type creds struct {
	User  string
	Token string `json:"tok"`
}

type lazy struct{}

func (lazy) LogValue() slog.Value { return slog.StringValue("resolved " + ghp) }

func TestHandler(t *testing.T) {
	const configured = "configured-secret-value"
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), configured))
	log = log.With("preset", "Bearer abcdefghijkl", slog.String("password", "plain"))
	log.WithGroup("grp").Info("calling with "+ghp+" and "+configured,
		"err", fmt.Errorf("request failed: %w", errors.New("bad token "+vst)),
		"stringer", stringer{"has " + configured},
		"bytes", []byte("raw "+ghp),
		"nested", slog.GroupValue(slog.String("x", "Bearer zzzzzzzzzzzz"), slog.Group("deeper", slog.String("cookie", "c=1"))),
		"credentials", slog.GroupValue(slog.String("user", "alice"), slog.Int("n", 3)),
		"struct", creds{User: "bob", Token: configured},
		"clean", creds{User: "carol"},
		"lazy", lazy{},
		"count", 42,
		"authorization", 12345,
	)
	out := buf.String()
	for _, leak := range []string{ghp, configured, "abcdefghijkl", "plain", "zzzzzzzzzzzz", "c=1", "alice", "eyJ0Ijoi", "bad token vst1"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q:\n%s", leak, out)
		}
	}
	for _, keep := range []string{`"count":42`, `"clean":{"User":"carol","tok":""}`, "request failed", `"preset":"Bearer [REDACTED]"`, `"authorization":"[REDACTED]"`, "resolved [REDACTED]"} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lost %q:\n%s", keep, out)
		}
	}
}

func TestHandlerSensitiveGroup(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil)))
	log.WithGroup("credentials").Info("loaded", "user", "alice", slog.Group("oauth", slog.String("client", "abc")))
	log.Info("after", "user", "bob")
	out := buf.String()
	if strings.Contains(out, "alice") || strings.Contains(out, "abc") {
		t.Errorf("values in a sensitive group leak:\n%s", out)
	}
	if !strings.Contains(out, `"credentials":{"user":"[REDACTED]","oauth":{"client":"[REDACTED]"}}`) || !strings.Contains(out, `"user":"bob"`) {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestHandlerEnabled(t *testing.T) {
	h := NewHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("Enabled does not follow the inner handler")
	}
}
