package lifecycle

import (
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

// LoadJournal reads a plan's journal (empty when the plan was never applied).
func (s *PlanStore) LoadJournal(id string) (*Journal, error) {
	j := &Journal{PlanID: id, Actions: map[string]JournalEntry{}, Versions: map[string]string{}}
	err := readJSON(filepath.Join(s.dir, id+".journal.json"), j)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("loading journal of plan %s: %w", id, err)
	}
	if j.Actions == nil {
		j.Actions = map[string]JournalEntry{}
	}
	if j.Versions == nil {
		j.Versions = map[string]string{}
	}
	return j, nil
}

// SaveJournal writes a journal atomically.
func (s *PlanStore) SaveJournal(j *Journal) error {
	return writeJSONAtomic(filepath.Join(s.dir, j.PlanID+".journal.json"), j)
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
