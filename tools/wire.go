package tools

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/vulnsteward/vulnsteward/policy/audit"
	"github.com/vulnsteward/vulnsteward/policy/confirm"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// WireOptions are what Wire needs besides the configuration and the backend.
type WireOptions struct {
	StateDir    string // plans, journals, audit log, confirmation key
	ConfirmKey  string // VULNSTEWARD_CONFIRM_KEY; "" uses a 0600 key file in StateDir
	Operator    string
	BackendName string
	// Secrets are the server's credential values: the guard refuses any text carrying one.
	Secrets []string
	Logger  *slog.Logger
	Now     func() time.Time
}

// Wire builds the handlers' dependencies: plan store, confirmation signer,
// policy guard, audit log and the shared executor.
func Wire(cfg *projects.Config, backend lifecycle.Backend, o WireOptions) (*Deps, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	key, err := confirm.LoadOrCreateKey(o.StateDir, o.ConfirmKey)
	if err != nil {
		return nil, err
	}
	signer := confirm.NewSigner(key, o.Now)
	store, err := lifecycle.NewPlanStore(o.StateDir)
	if err != nil {
		return nil, err
	}
	auditLog, err := audit.Open(filepath.Join(o.StateDir, "audit.log"))
	if err != nil {
		return nil, err
	}
	guard := NewPolicyGuard(cfg, o.Secrets...)
	exec := &lifecycle.Executor{Backend: backend, Store: store, Verifier: TokenVerifier{Signer: signer}, Guard: guard,
		Audit: AuditLog{Log: auditLog}, RollupMarker: lifecycle.RollupMarker(cfg.Markers.RollupPrefix),
		RollupPrefixes: []string{cfg.Markers.RollupPrefix}, Logger: o.Logger, Now: o.Now}
	return &Deps{Config: cfg, Backend: backend, Executor: exec, Store: store, Signer: signer, Guard: guard,
		Operator: o.Operator, BackendName: o.BackendName, Logger: o.Logger, Now: o.Now}, nil
}
