package local

import (
	"errors"
	"fmt"
	"sync"
)

// ErrInjected is the error a Fault returns when it names no error of its own.
var ErrInjected = errors.New("injected fault")

// AnyWrite is the Fault.Op that matches every write operation of a port, counted
// together, so a test can fail "the Nth write of this apply" whatever it is.
const AnyWrite = "*"

// Fault fails one call of one operation.
type Fault struct {
	// Op is the port method name ("CreateIssue", "EditLabels", "CreateDraft",
	// "Publish", ...), or AnyWrite.
	Op string
	// Call is the 1-based number of the call to fail, counted per Op since the
	// Faults value was made (AnyWrite counts every write).
	Call int
	// After makes the write happen and then report failure, as when the API
	// applied a request but the response was lost. Without it the call fails
	// before writing anything. Ignored for reads.
	After bool
	// Err is the error returned (wrapped); ErrInjected when nil.
	Err error
}

// Faults fails chosen calls of named operations; share one value between a
// Workspace and a Maildir to count their calls together. The zero value is not
// usable; use NewFaults. A nil *Faults injects nothing. Safe for concurrent use.
type Faults struct {
	mu     sync.Mutex
	faults []Fault
	calls  map[string]int
	writes int
}

// NewFaults returns a Faults that will fail the given calls.
func NewFaults(faults ...Fault) *Faults {
	return &Faults{faults: faults, calls: map[string]int{}}
}

// Add schedules more faults. Calls already counted stay counted.
func (f *Faults) Add(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Calls reports how many times op has been called (AnyWrite: every write).
func (f *Faults) Calls(op string) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if op == AnyWrite {
		return f.writes
	}
	return f.calls[op]
}

// Reset forgets every scheduled fault and every call count.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
	f.calls = map[string]int{}
	f.writes = 0
}

// begin counts one call of op and returns the error to fail it with, either
// before doing anything or after the write.
func (f *Faults) begin(op string, write bool) (before, after error) {
	if f == nil {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	n := f.calls[op]
	if write {
		f.writes++
	}
	for _, ft := range f.faults {
		var hit bool
		var call int
		switch {
		case ft.Op == op && ft.Call == n:
			hit, call = true, n
		case ft.Op == AnyWrite && write && ft.Call == f.writes:
			hit, call = true, f.writes
		}
		if !hit {
			continue
		}
		err := ft.Err
		if err == nil {
			err = ErrInjected
		}
		err = fmt.Errorf("%s call %d (%s): %w", op, call, ft.Op, err)
		if ft.After && write {
			return nil, err
		}
		return err, nil
	}
	return nil, nil
}
