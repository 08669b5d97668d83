package confirm

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KeyFileName is the key file LoadOrCreateKey keeps in the state directory.
const KeyFileName = "confirm.key"

const makeKeyHint = "make one with `openssl rand -hex 32` (or `head -c 32 /dev/urandom | base64`)"

// LoadOrCreateKey returns the server key for confirmation tokens.
//
// env is the value of VULNSTEWARD_CONFIRM_KEY as the caller read it. When it is
// not empty it is the key: hex or base64 (standard or URL alphabet, padded or
// not) of at least 32 bytes, or else a raw string of at least 32 bytes.
//
// Otherwise the key lives in <stateDir>/confirm.key: read if present, created
// if not (32 random bytes, hex-encoded, mode 0600, written to a temporary file
// and linked into place so a concurrent creator never sees a partial key and
// never has its key replaced). A key file readable or writable by group or
// others is refused: the key lets anyone mint confirmations.
func LoadOrCreateKey(stateDir string, env string) ([]byte, error) {
	if strings.TrimSpace(env) != "" {
		key, err := parseKey(env)
		if err != nil {
			return nil, fmt.Errorf("VULNSTEWARD_CONFIRM_KEY: %w", err)
		}
		return key, nil
	}
	if stateDir == "" {
		return nil, errors.New("confirmation key: no state directory and VULNSTEWARD_CONFIRM_KEY is not set; pass --state-dir or set the variable (" + makeKeyHint + ")")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("confirmation key: create state directory: %w", err)
	}
	path := filepath.Join(stateDir, KeyFileName)
	key, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := createKeyFile(stateDir, path); err != nil {
		return nil, err
	}
	return readKeyFile(path)
}

// parseKey accepts hex, then base64, then raw bytes, each only if it gives at
// least MinKeyLen bytes.
func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) >= MinKeyLen {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) >= MinKeyLen {
			return b, nil
		}
	}
	if len(s) >= MinKeyLen {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("key is too short: need at least %d bytes (hex, base64 or raw); %s", MinKeyLen, makeKeyHint)
}

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("confirmation key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("confirmation key file %s is not a regular file; remove it to create a new key", path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("confirmation key file %s has mode %#o, readable or writable by others; run `chmod 600 %s` (and rotate the key by deleting the file if others may have read it)", path, info.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("confirmation key file: %w", err)
	}
	key, err := parseKey(string(raw))
	if err != nil {
		return nil, fmt.Errorf("confirmation key file %s is damaged (%v); delete it to create a new key (outstanding tokens become invalid)", path, err)
	}
	return key, nil
}

func createKeyFile(dir, path string) error {
	key := make([]byte, MinKeyLen)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("confirmation key: read random bytes: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".confirm.key.*")
	if err != nil {
		return fmt.Errorf("confirmation key: create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("confirmation key: write temporary file: %w", err)
	}
	// A hard link publishes the complete file or nothing, and fails if another
	// process created the key first; that key then wins.
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		// Some file systems have no hard links; rename is still atomic.
		if rerr := os.Rename(tmpName, path); rerr != nil {
			return fmt.Errorf("confirmation key: install %s: %w", path, rerr)
		}
	}
	return nil
}
