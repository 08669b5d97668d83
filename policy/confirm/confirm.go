// Package confirm issues and verifies confirmation tokens, and seals request
// state handed to clients.
//
// A token is "vst1.<payload>.<mac>": the payload is base64url (no padding) JSON
// naming the apply tool, the proposal id, the SHA-256 of the proposed plan, an
// expiry and a random nonce; the mac is HMAC-SHA256 over "vst1.<payload>" with
// a key derived from the server key. A token is bound to one tool and one plan
// and expires.
//
// This package only proves that the server issued a token for a tool and a plan
// and that it has not expired. It does not know whether a plan was already
// applied, whether the stored plan still hashes to the token's hash, or whether
// the targets changed since: the executor in skills/lifecycle checks those. It
// must not import skills/ or integrations/.
package confirm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by Verify and Open, always wrapped with a sentence that says
// what to do. Callers branch on them with errors.Is.
var (
	ErrMalformed    = errors.New("confirmation token is malformed")
	ErrBadSignature = errors.New("confirmation token signature is invalid")
	ErrExpired      = errors.New("confirmation token expired")
	ErrWrongTool    = errors.New("confirmation token was issued for another tool")
)

const (
	tokenPrefix  = "vst1."
	sealedPrefix = "vsts1."
	// MinKeyLen is the shortest server key accepted, in bytes.
	MinKeyLen = 32
	// DefaultTTL is how long a token stays valid unless the caller says otherwise.
	DefaultTTL = 15 * time.Minute
	// maxTokenLen bounds the work done on input that is obviously not a token.
	maxTokenLen = 4096
)

// Claims are what a verified token says.
type Claims struct {
	Tool       string
	ProposalID string
	PlanHash   string
	Nonce      string
	Expiry     time.Time
}

// payload is the JSON inside a token. Short keys keep tokens short; an agent
// copies them through its context.
type payload struct {
	Tool       string `json:"t"`
	ProposalID string `json:"p"`
	PlanHash   string `json:"h"`
	Expiry     int64  `json:"e"`
	Nonce      string `json:"n"`
}

// Signer issues and verifies tokens and seals state with one server key.
// It is safe for concurrent use.
type Signer struct {
	tokenKey []byte
	sealMAC  []byte
	sealEnc  []byte
	now      func() time.Time
}

// NewSigner returns a Signer for key (at least MinKeyLen bytes; see
// LoadOrCreateKey). now is the clock; nil means time.Now. Separate keys for
// token MACs, sealed-state MACs and sealed-state encryption are derived from
// key with HKDF-SHA256, so no value signed for one purpose verifies for another.
func NewSigner(key []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{
		tokenKey: derive(key, "vulnsteward confirm token mac v1"),
		sealMAC:  derive(key, "vulnsteward sealed state mac v1"),
		sealEnc:  derive(key, "vulnsteward sealed state aes-256-gcm v1"),
		now:      now,
	}
}

func derive(key []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, key, nil, info, 32)
	if err != nil {
		// hkdf.Key fails only for a requested length over 255*32 bytes.
		panic("confirm: hkdf: " + err.Error())
	}
	return k
}

// Issue returns a token that lets tool apply the plan proposalID whose
// SHA-256 (hex) is planHash, valid for ttl (DefaultTTL if ttl <= 0).
func (s *Signer) Issue(tool, proposalID, planHash string, ttl time.Duration) (string, time.Time, error) {
	if tool == "" || proposalID == "" {
		return "", time.Time{}, errors.New("issue confirmation token: tool and proposal id are required")
	}
	if !isSHA256Hex(planHash) {
		return "", time.Time{}, fmt.Errorf("issue confirmation token: plan hash %q is not a SHA-256 hex digest", planHash)
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", time.Time{}, fmt.Errorf("issue confirmation token: read random nonce: %w", err)
	}
	expiry := s.now().Add(ttl).Truncate(time.Second)
	body, err := json.Marshal(payload{
		Tool:       tool,
		ProposalID: proposalID,
		PlanHash:   strings.ToLower(planHash),
		Expiry:     expiry.Unix(),
		Nonce:      base64.RawURLEncoding.EncodeToString(nonce),
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue confirmation token: encode payload: %w", err)
	}
	signed := tokenPrefix + b64.EncodeToString(body)
	return signed + "." + b64.EncodeToString(mac(s.tokenKey, signed)), expiry, nil
}

// b64 is strict base64url without padding: a token has exactly one encoding,
// so a changed character always changes the decoded bytes.
var b64 = base64.RawURLEncoding.Strict()

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Verify checks that token was issued by this server for tool and has not
// expired, and returns its claims. The MAC is compared in constant time and
// checked before anything inside the payload is trusted.
func (s *Signer) Verify(token, tool string) (Claims, error) {
	propose := proposeTool(tool)
	again := fmt.Sprintf("call %s again and ask the human to confirm the new plan", propose)
	token = strings.TrimSpace(token)
	if len(token) > maxTokenLen || !strings.HasPrefix(token, tokenPrefix) {
		return Claims{}, fmt.Errorf("%w: a token starts with %q and is returned by %s; pass it unchanged", ErrMalformed, tokenPrefix, propose)
	}
	rest := token[len(tokenPrefix):]
	dot := strings.IndexByte(rest, '.')
	if dot < 0 || strings.Count(rest, ".") != 1 {
		return Claims{}, fmt.Errorf("%w: it must have three dot-separated parts; pass the token exactly as %s returned it", ErrMalformed, propose)
	}
	body, err := b64.DecodeString(rest[:dot])
	if err != nil || len(body) == 0 {
		return Claims{}, fmt.Errorf("%w: payload is not base64url; pass the token exactly as %s returned it", ErrMalformed, propose)
	}
	sig, err := b64.DecodeString(rest[dot+1:])
	if err != nil || len(sig) != sha256.Size {
		return Claims{}, fmt.Errorf("%w: signature part is damaged; pass the token exactly as %s returned it", ErrMalformed, propose)
	}
	if !hmac.Equal(sig, mac(s.tokenKey, tokenPrefix+rest[:dot])) {
		return Claims{}, fmt.Errorf("%w: it was not issued by this server or was altered; %s", ErrBadSignature, again)
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.Tool == "" || p.ProposalID == "" || !isSHA256Hex(p.PlanHash) || p.Expiry == 0 || p.Nonce == "" {
		// Only a server with the key can produce a valid MAC, so this means a
		// key shared with an incompatible version.
		return Claims{}, fmt.Errorf("%w: signed payload has an unknown shape; %s", ErrMalformed, again)
	}
	if p.Tool != tool {
		return Claims{}, fmt.Errorf("%w: it confirms %s, not %s; call %s with it, or call %s for a plan of its own", ErrWrongTool, p.Tool, tool, p.Tool, propose)
	}
	c := Claims{Tool: p.Tool, ProposalID: p.ProposalID, PlanHash: p.PlanHash, Nonce: p.Nonce, Expiry: time.Unix(p.Expiry, 0)}
	if !s.now().Before(c.Expiry) {
		return Claims{}, fmt.Errorf("%w at %s: %s for a fresh plan", ErrExpired, c.Expiry.UTC().Format(time.RFC3339), again)
	}
	return c, nil
}

// proposeTool names the tool that issues tokens for an apply tool: the
// "<skill>_apply" tools are paired with "<skill>_propose".
func proposeTool(tool string) string {
	if base, ok := strings.CutSuffix(tool, "_apply"); ok && base != "" {
		return base + "_propose"
	}
	return "the matching _propose tool"
}

func isSHA256Hex(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// Seal encodes v as JSON, encrypts it with AES-256-GCM and signs the result
// with HMAC-SHA256, for state handed to a client and taken back later (a
// paging cursor, an elicitation's pending request). The client can neither
// read nor change it. Seal adds no expiry: put one in v if the state must age.
func (s *Signer) Seal(v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal state: encode: %w", err)
	}
	aead, err := s.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal state: read random nonce: %w", err)
	}
	box := aead.Seal(nonce, nonce, plain, []byte(sealedPrefix))
	signed := sealedPrefix + b64.EncodeToString(box)
	return signed + "." + b64.EncodeToString(mac(s.sealMAC, signed)), nil
}

// Open verifies and decrypts state made by Seal into v. Anything not made by
// Seal with this server's key, or changed since, is refused with ErrMalformed
// or ErrBadSignature.
func (s *Signer) Open(sealed string, v any) error {
	const redo = "request the state again from the tool that returned it"
	sealed = strings.TrimSpace(sealed)
	if !strings.HasPrefix(sealed, sealedPrefix) || strings.Count(sealed, ".") != 2 {
		return fmt.Errorf("open sealed state: %w: pass it exactly as the server returned it", ErrMalformed)
	}
	rest := sealed[len(sealedPrefix):]
	dot := strings.IndexByte(rest, '.')
	box, err1 := b64.DecodeString(rest[:dot])
	sig, err2 := b64.DecodeString(rest[dot+1:])
	if err1 != nil || err2 != nil || len(sig) != sha256.Size {
		return fmt.Errorf("open sealed state: %w: pass it exactly as the server returned it", ErrMalformed)
	}
	if !hmac.Equal(sig, mac(s.sealMAC, sealedPrefix+rest[:dot])) {
		return fmt.Errorf("open sealed state: %w: it was not made by this server or was altered; %s", ErrBadSignature, redo)
	}
	aead, err := s.aead()
	if err != nil {
		return err
	}
	if len(box) < aead.NonceSize() {
		return fmt.Errorf("open sealed state: %w: %s", ErrMalformed, redo)
	}
	plain, err := aead.Open(nil, box[:aead.NonceSize()], box[aead.NonceSize():], []byte(sealedPrefix))
	if err != nil {
		return fmt.Errorf("open sealed state: %w: decryption failed; %s", ErrBadSignature, redo)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("open sealed state: decode: %w", err)
	}
	return nil
}

func (s *Signer) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(s.sealEnc)
	if err != nil {
		return nil, fmt.Errorf("sealed state cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed state cipher: %w", err)
	}
	return aead, nil
}
