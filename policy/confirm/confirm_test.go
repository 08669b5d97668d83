package confirm

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
	planHash = hex.EncodeToString(sha256.New().Sum(nil))
)

func clock(t *time.Time) func() time.Time { return func() time.Time { return *t } }

// resign builds a token over an arbitrary payload with the real MAC, to test
// what Verify does with signed-but-odd payloads.
func resign(s *Signer, body []byte) string {
	signed := tokenPrefix + b64.EncodeToString(body)
	return signed + "." + b64.EncodeToString(mac(s.tokenKey, signed))
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	now := t0
	s := NewSigner(testKey, clock(&now))
	tok, exp, err := s.Issue("fix_apply", "p-123", planHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "vst1.") || strings.Count(tok, ".") != 2 {
		t.Fatalf("token shape: %q", tok)
	}
	if want := t0.Add(DefaultTTL); !exp.Equal(want) {
		t.Fatalf("expiry %v, want %v", exp, want)
	}
	c, err := s.Verify(tok, "fix_apply")
	if err != nil {
		t.Fatal(err)
	}
	if c.Tool != "fix_apply" || c.ProposalID != "p-123" || c.PlanHash != planHash || c.Nonce == "" || !c.Expiry.Equal(exp) {
		t.Fatalf("claims %+v", c)
	}
	tok2, _, _ := s.Issue("fix_apply", "p-123", planHash, 0)
	if tok2 == tok {
		t.Fatal("two tokens for the same plan are identical: nonce missing")
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	s := NewSigner(testKey, nil)
	for _, tc := range []struct{ name, tool, id, hash string }{
		{"no tool", "", "p", planHash},
		{"no proposal", "fix_apply", "", planHash},
		{"short hash", "fix_apply", "p", "abc"},
		{"not hex", "fix_apply", "p", strings.Repeat("z", 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.Issue(tc.tool, tc.id, tc.hash, time.Minute); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func TestVerifyAttacks(t *testing.T) {
	now := t0
	s := NewSigner(testKey, clock(&now))
	good, _, err := s.Issue("triage_apply", "p-1", planHash, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, _ := NewSigner(otherKey, clock(&now)).Issue("triage_apply", "p-1", planHash, 10*time.Minute)
	parts := strings.Split(good, ".")
	body, _ := b64.DecodeString(parts[1])

	var p payload
	_ = json.Unmarshal(body, &p)
	p.ProposalID = "p-2"
	otherPlan, _ := json.Marshal(p)
	tamperedPayload := parts[0] + "." + b64.EncodeToString(otherPlan) + "." + parts[2]

	flip := func(s string) string { // change the last significant character
		b := []byte(s)
		if b[len(b)-2] == 'A' {
			b[len(b)-2] = 'B'
		} else {
			b[len(b)-2] = 'A'
		}
		return string(b)
	}
	tamperedMAC := parts[0] + "." + parts[1] + "." + flip(parts[2])
	padded := parts[0] + "." + parts[1] + "=." + parts[2]
	stdAlphabet := parts[0] + "." + base64.StdEncoding.EncodeToString(body) + "." + parts[2]
	unknownField := resign(s, []byte(`{"t":"triage_apply","p":"p-1","h":"`+planHash+`","e":1900000000,"n":"x","admin":true}`))
	missingHash := resign(s, []byte(`{"t":"triage_apply","p":"p-1","e":1900000000,"n":"x"}`))
	crossTool, _, _ := s.Issue("allocate_apply", "p-1", planHash, 10*time.Minute)
	expired, _, _ := s.Issue("triage_apply", "p-1", planHash, time.Second)
	oneSecond := now.Add(time.Second)

	tests := []struct {
		name  string
		token string
		tool  string
		at    time.Time
		want  error
		hint  string
	}{
		{"valid", good, "triage_apply", now, nil, ""},
		{"valid with surrounding space", " " + good + "\n", "triage_apply", now, nil, ""},
		{"forged with another key", forged, "triage_apply", now, ErrBadSignature, "triage_propose again"},
		{"tampered payload", tamperedPayload, "triage_apply", now, ErrBadSignature, "not issued by this server or was altered"},
		{"tampered mac", tamperedMAC, "triage_apply", now, ErrBadSignature, ""},
		{"mac swapped from another token", parts[0] + "." + parts[1] + "." + strings.Split(crossTool, ".")[2], "triage_apply", now, ErrBadSignature, ""},
		{"truncated mac", good[:len(good)-5], "triage_apply", now, ErrMalformed, ""},
		{"truncated to payload", parts[0] + "." + parts[1], "triage_apply", now, ErrMalformed, ""},
		{"prefix only", "vst1.", "triage_apply", now, ErrMalformed, ""},
		{"wrong prefix", "vst2." + parts[1] + "." + parts[2], "triage_apply", now, ErrMalformed, "starts with"},
		{"no prefix", parts[1] + "." + parts[2], "triage_apply", now, ErrMalformed, ""},
		{"extra part", good + ".x", "triage_apply", now, ErrMalformed, ""},
		{"padding added", padded, "triage_apply", now, ErrMalformed, ""},
		{"standard alphabet", stdAlphabet, "triage_apply", now, ErrMalformed, ""},
		{"signed unknown field", unknownField, "triage_apply", now, ErrMalformed, ""},
		{"signed missing hash", missingHash, "triage_apply", now, ErrMalformed, ""},
		{"expired", expired, "triage_apply", oneSecond, ErrExpired, "triage_propose again"},
		{"long expired", good, "triage_apply", now.Add(time.Hour), ErrExpired, "fresh plan"},
		{"cross tool", crossTool, "triage_apply", now, ErrWrongTool, "allocate_apply"},
		{"numeric", "123456", "triage_apply", now, ErrMalformed, ""},
		{"numeric with dots", "1.2.3", "triage_apply", now, ErrMalformed, ""},
		{"approval word", "yes", "triage_apply", now, ErrMalformed, ""},
		{"empty", "", "triage_apply", now, ErrMalformed, ""},
		{"huge", "vst1." + strings.Repeat("A", 10000) + ".x", "triage_apply", now, ErrMalformed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := tc.at
			v := NewSigner(testKey, clock(&at))
			c, err := v.Verify(tc.token, tc.tool)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.ProposalID != "p-1" {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if tc.hint != "" && !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("error %q does not say %q", err, tc.hint)
			}
			if c != (Claims{}) {
				t.Fatalf("claims returned with error: %+v", c)
			}
		})
	}
}

func TestTokensAreNeverNumeric(t *testing.T) {
	s := NewSigner(testKey, nil)
	for i := 0; i < 50; i++ {
		tok, _, err := s.Issue("x_apply", "p", planHash, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Trim(tok, "0123456789.") == "" {
			t.Fatalf("numeric token %q", tok)
		}
	}
}

func TestSealOpen(t *testing.T) {
	s := NewSigner(testKey, nil)
	type state struct {
		Cursor string `json:"cursor"`
		Page   int    `json:"page"`
	}
	sealed, err := s.Seal(state{Cursor: "abc", Page: 3})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "abc") || strings.Contains(sealed, "cursor") {
		t.Fatalf("sealed state is readable: %q", sealed)
	}
	var got state
	if err := s.Open(sealed, &got); err != nil || got != (state{"abc", 3}) {
		t.Fatalf("open: %v %+v", err, got)
	}

	parts := strings.Split(sealed, ".")
	box, _ := b64.DecodeString(parts[1])
	box[len(box)-1] ^= 1
	reMACed := sealedPrefix + b64.EncodeToString(box)
	reMACed += "." + b64.EncodeToString(mac(s.sealMAC, reMACed))
	token, _, _ := s.Issue("x_apply", "p", planHash, time.Minute)
	otherSealed, _ := NewSigner(otherKey, nil).Seal(state{Cursor: "abc"})

	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"other key", otherSealed, ErrBadSignature},
		{"flipped mac", parts[0] + "." + parts[1] + "." + flipAt(parts[2], 5), ErrBadSignature},
		{"flipped ciphertext", parts[0] + "." + b64.EncodeToString(box) + "." + parts[2], ErrBadSignature},
		{"ciphertext altered and re-signed without the encryption key", reMACed, ErrBadSignature},
		{"a token is not sealed state", token, ErrMalformed},
		{"garbage", "hello", ErrMalformed},
		{"truncated", parts[0] + "." + parts[1], ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v state
			if err := s.Open(tc.in, &v); !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
	// Sealed state never verifies as a token.
	if _, err := s.Verify(sealed, "x_apply"); err == nil {
		t.Fatal("sealed state accepted as a token")
	}
}

// flipAt changes the base64 character at i to another valid one.
func flipAt(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestLoadOrCreateKeyFromEnv(t *testing.T) {
	raw32 := strings.Repeat("k", 32)
	bytes32 := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name, env string
		want      []byte
		wantErr   string
	}{
		{"hex", hex.EncodeToString(bytes32), bytes32, ""},
		{"base64", base64.StdEncoding.EncodeToString(bytes32), bytes32, ""},
		{"base64url raw", base64.RawURLEncoding.EncodeToString(bytes32), bytes32, ""},
		{"raw string", raw32, []byte(raw32), ""},
		{"trailing newline", hex.EncodeToString(bytes32) + "\n", bytes32, ""},
		{"too short", "short", nil, "openssl rand -hex 32"},
		{"short hex", "deadbeef", nil, "at least 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			got, err := LoadOrCreateKey(dir, tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tc.want) {
				t.Fatalf("key %x, want %x", got, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, KeyFileName)); err == nil {
				t.Fatal("key file created although the environment gave a key")
			}
		})
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits")
	}
	dir := filepath.Join(t.TempDir(), "state")
	k1, err := LoadOrCreateKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 {
		t.Fatalf("key length %d", len(k1))
	}
	path := filepath.Join(dir, KeyFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %#o", info.Mode().Perm())
	}
	if dinfo, _ := os.Stat(dir); dinfo.Mode().Perm() != 0o700 {
		t.Fatalf("state dir mode %#o", dinfo.Mode().Perm())
	}
	k2, err := LoadOrCreateKey(dir, "")
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second load: %v, same=%v", err, string(k1) == string(k2))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreateKey(dir, "")
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %#o: error %v, want a chmod 600 hint", mode, err)
		}
	}
	_ = os.Chmod(path, 0o400)
	if _, err := LoadOrCreateKey(dir, ""); err != nil {
		t.Fatalf("read-only owner key refused: %v", err)
	}
}

func TestLoadOrCreateKeyDamaged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	if err := os.WriteFile(path, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir, ""); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("damaged key: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir, ""); err == nil {
		t.Fatal("directory accepted as key file")
	}
	if _, err := LoadOrCreateKey("", ""); err == nil || !strings.Contains(err.Error(), "VULNSTEWARD_CONFIRM_KEY") {
		t.Fatalf("no state dir: %v", err)
	}
}

func TestLoadOrCreateKeyConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadOrCreateKey(dir, "")
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if string(keys[i]) != string(keys[0]) {
			t.Fatal("concurrent creators got different keys")
		}
	}
}
