package triage

import (
	"testing"

	"github.com/vulnsteward/vulnsteward/skills/internal/skilltest"
)

// testEnv is the shared skill test harness (see package skilltest).
type testEnv struct{ *skilltest.Env }

const (
	exampleDir = skilltest.ExampleDir
	operator   = skilltest.Operator
)

func newTestEnv(t *testing.T) *testEnv { return &testEnv{skilltest.New(t)} }

func (e *testEnv) deps() Deps {
	return Deps{Config: e.Cfg, Backend: e.Backend, Operator: operator}
}
