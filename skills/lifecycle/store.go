package lifecycle

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Status is the outcome of one action in one apply.
type Status string

const (
	StatusDone        Status = "done"
	StatusAlreadyDone Status = "already done"
	StatusStale       Status = "stale"
	StatusRefused     Status = "refused"
	StatusFailed      Status = "failed"
	StatusSkipped     Status = "skipped"
	StatusNotSelected Status = "not selected"
)

// Output is what an executed action produced, for later actions to refer to.
type Output struct {
	Number    int    `json:"number,omitempty"`
	URL       string `json:"url,omitempty"`
	CommentID int64  `json:"comment_id,omitempty"`
	DraftID   string `json:"draft_id,omitempty"`
}

// JournalEntry records the last outcome of one action.
type JournalEntry struct {
	Status   Status    `json:"status"`
	Detail   string    `json:"detail,omitempty"`
	Output   Output    `json:"output,omitzero"`
	At       time.Time `json:"at"`
	InFlight bool      `json:"in_flight,omitempty"`
	// MaybeWritten marks a failure of the write call itself (not of a read
	// before it): the write may have taken effect with its answer lost.
	MaybeWritten bool `json:"maybe_written,omitempty"`
}

// Journal is the executor's durable memory of one plan's applies.
type Journal struct {
	PlanID  string                  `json:"plan_id"`
	Actions map[string]JournalEntry `json:"actions"`
	// Versions holds each target's version after this plan's last write to it.
	Versions map[string]string `json:"versions"`
}

// Succeeded reports whether the action is done or already done.
func (j *Journal) Succeeded(id string) bool {
	e, ok := j.Actions[id]
	return ok && !e.InFlight && (e.Status == StatusDone || e.Status == StatusAlreadyDone)
}

// Complete reports whether every action of the plan succeeded.
func (j *Journal) Complete(p *Plan) bool {
	for _, a := range p.Actions {
		if !j.Succeeded(a.ID) {
			return false
		}
	}
	return true
}

// PlanStore keeps proposed plans and their journals in the state directory.
type PlanStore struct {
	dir string
}

var planIDRE = regexp.MustCompile(`^[a-z]+-[0-9a-f]{16,64}$`)

// NewPlanStore opens (creating) <stateDir>/plans with mode 0700.
func NewPlanStore(stateDir string) (*PlanStore, error) {
	dir := filepath.Join(stateDir, "plans")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating plan store %s: %w", dir, err)
	}
	return &PlanStore{dir: dir}, nil
}

// Save writes the plan atomically.
func (s *PlanStore) Save(p *Plan) error {
	if !planIDRE.MatchString(p.ID) {
		return fmt.Errorf("saving plan: invalid plan id %q", p.ID)
	}
	return writeJSONAtomic(filepath.Join(s.dir, p.ID+".plan.json"), p)
}

// ErrUnknownPlan is returned when a token names a plan this state directory never saw.
var ErrUnknownPlan = errors.New("unknown plan")

// Load reads a plan by id.
func (s *PlanStore) Load(id string) (*Plan, error) {
	if !planIDRE.MatchString(id) {
		return nil, fmt.Errorf("loading plan %q: %w", id, ErrUnknownPlan)
	}
	var p Plan
	if err := readJSON(filepath.Join(s.dir, id+".plan.json"), &p); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("loading plan %s: %w", id, ErrUnknownPlan)
		}
		return nil, fmt.Errorf("loading plan %s: %w", id, err)
	}
	return &p, nil
}

// journalRecord is one line of a plan's append-only journal.
type journalRecord struct {
	Action  string       `json:"action"`
	Entry   JournalEntry `json:"entry"`
	Target  string       `json:"target,omitempty"`
	Version string       `json:"version,omitempty"`
}

func (s *PlanStore) journalPath(id string) string {
	return filepath.Join(s.dir, id+".journal.jsonl")
}

// LoadJournal replays a plan's journal (empty when the plan was never applied).
// A torn last line (a crash mid-append) is ignored: its action is re-checked.
func (s *PlanStore) LoadJournal(id string) (*Journal, error) {
	j := &Journal{PlanID: id, Actions: map[string]JournalEntry{}, Versions: map[string]string{}}
	f, err := os.Open(s.journalPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading journal of plan %s: %w", id, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var r journalRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue
		}
		j.Actions[r.Action] = r.Entry
		if r.Target != "" && r.Version != "" {
			j.Versions[r.Target] = r.Version
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("loading journal of plan %s: %w", id, err)
	}
	return j, nil
}

// Record updates the journal in memory and appends the record to its file.
// sync makes the record durable before returning (used for outcomes; the
// in-flight mark before a write is not synced: losing it only makes a retry
// more cautious, never duplicates a write).
func (s *PlanStore) Record(j *Journal, actionID string, e JournalEntry, target, version string, sync bool) error {
	j.Actions[actionID] = e
	if target != "" && version != "" {
		j.Versions[target] = version
	}
	b, err := json.Marshal(journalRecord{Action: actionID, Entry: e, Target: target, Version: version})
	if err != nil {
		return fmt.Errorf("encoding journal record: %w", err)
	}
	f, err := os.OpenFile(s.journalPath(j.PlanID), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("writing journal of plan %s: %w", j.PlanID, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing journal of plan %s: %w", j.PlanID, err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("syncing journal of plan %s: %w", j.PlanID, err)
		}
	}
	return f.Close()
}

// Lock takes an exclusive lock on a plan so two applies never interleave. A lock
// older than ten minutes is considered abandoned by a crashed process.
func (s *PlanStore) Lock(id string) (unlock func(), err error) {
	path := filepath.Join(s.dir, id+".lock")
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("locking plan %s: %w", id, err)
		}
		if fi, serr := os.Stat(path); serr == nil && time.Since(fi.ModTime()) > 10*time.Minute {
			os.Remove(path)
			continue
		}
		break
	}
	return nil, fmt.Errorf("plan %s is being applied by another call; wait for it to finish and retry", id)
}

func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", filepath.Base(path), err)
	}
	return nil
}
