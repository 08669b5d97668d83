package lifecycle

import (
	"errors"
	"fmt"
	"strings"
)

// AddIntakeMeta writes an intake block into the preamble, the only place intake
// keys are read from, and reports whether the body changed. A merge uses it to
// carry the dropped tracker's key to the kept one, so the dropped tracker's
// thread stays "already imported" there (spec/intake.md §11, §18 item 1).
//
// The block goes on its own line after the last intake block of the preamble,
// or, when there is none, at the start of the body followed by a blank line. A
// body that already carries the key is left as it is (changed is false: the
// action is idempotent). The fields and the CVE-JSON attachment are kept byte
// for byte.
func (b *Body) AddIntakeMeta(m IntakeMeta) (changed bool, err error) {
	if strings.TrimSpace(m.Key) == "" {
		return false, errors.New("adding an intake block: the block has no key")
	}
	if BodyHasIntakeKey(b.String(), m.Key) {
		return false, nil
	}
	eol := b.eol()
	pre := b.preamble.text
	rest := b.String()[len(pre):]
	line := m.Comment()
	var np string
	if locs := intakeMetaRE.FindAllStringIndex(pre, -1); len(locs) > 0 {
		end := locs[len(locs)-1][1]
		if nl := strings.IndexByte(pre[end:], '\n'); nl >= 0 {
			end += nl + 1
			np = pre[:end] + line + eol + pre[end:]
		} else {
			np = pre + eol + line + eol
		}
	} else {
		np = line + eol + eol + pre
	}
	nb := ParseBody(np + rest)
	if !sameStructure(b, nb) || !BodyHasIntakeKey(nb.String(), m.Key) {
		return false, fmt.Errorf("adding intake key %s: %w", m.Key, ErrUnsafeValue)
	}
	*b = *nb
	return true, nil
}
