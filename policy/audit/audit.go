// Package audit keeps the append-only audit log of applied actions: one JSON
// object per line, in a file only its owner can read (0600, directory 0700).
//
// Every string of a record passes through secrets.Redact before it is
// written, so a token or configured secret that slipped into a summary never
// reaches the disk. The log is local evidence for the operator, not a
// tamper-proof ledger: whoever owns the file can edit it. This package must
// not import skills/ or integrations/; the executor in skills/lifecycle calls
// it through its AuditSink port.
package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/secrets"
)

// Record is one audit entry: what a tool did (or refused) to which target.
type Record struct {
	Time     time.Time `json:"time"`
	Tool     string    `json:"tool"`
	PlanID   string    `json:"plan_id,omitempty"`
	ActionID string    `json:"action_id,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	Target   string    `json:"target,omitempty"`
	Audience string    `json:"audience,omitempty"`
	Status   string    `json:"status,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	Operator string    `json:"operator,omitempty"`
}

// Log appends records to one file. It is safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	secrets []string
	now     func() time.Time
}

// Open opens (creating if needed) the audit log at path for appending. The
// directory is created with mode 0700 and the file with 0600; an existing
// file with group or other permissions is tightened to 0600. secrets are
// values (tokens, cookies) to mask in every record on top of the credential
// shapes secrets.Redact recognises.
func Open(path string, secrets ...string) (*Log, error) {
	if path == "" {
		return nil, errors.New("open audit log: no path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open audit log: create directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open audit log: %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("open audit log: %s is readable by others and cannot be restricted (run `chmod 600 %s`): %w", path, path, err)
		}
	}
	return &Log{f: f, path: path, secrets: secrets, now: time.Now}, nil
}

// Record appends r as one line. A zero Time is set to the current time. Tool
// is required. The line is written with a single write to a file opened for
// appending and synced before Record returns.
func (l *Log) Record(ctx context.Context, r Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	if r.Tool == "" {
		return errors.New("audit record: tool is required")
	}
	if r.Time.IsZero() {
		r.Time = l.now()
	}
	r.Time = r.Time.UTC()
	for _, s := range []*string{&r.Tool, &r.PlanID, &r.ActionID, &r.Kind, &r.Target, &r.Audience, &r.Status, &r.Summary, &r.Operator} {
		*s = secrets.Redact(*s, l.secrets...)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit record: encode: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("audit record: log %s is closed", l.path)
	}
	if _, err := l.f.Write(line); err != nil {
		return fmt.Errorf("audit record: write %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("audit record: sync %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file. Record after Close returns an error.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	return nil
}

// Read returns every record in the log at path, oldest first. A missing file
// is an empty log. A line that is not a record is an error naming the line.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return out, fmt.Errorf("read audit log %s line %d: %w", path, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read audit log %s: %w", path, err)
	}
	return out, nil
}
