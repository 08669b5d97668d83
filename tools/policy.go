package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/vulnsteward/vulnsteward/policy/audit"
	"github.com/vulnsteward/vulnsteward/policy/confirm"
	"github.com/vulnsteward/vulnsteward/policy/scrub"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// PolicyGuard applies each audience's rules (DESIGN.md §3) for the executor and guard_check.
type PolicyGuard struct {
	Public   scrub.Rules
	Reporter scrub.ReporterRules
	// Secrets are the server's own credentials: no audience may ever receive one.
	Secrets []string
}

// NewPolicyGuard derives the rules from the project configuration; secrets are
// the server's credential values (never written anywhere).
func NewPolicyGuard(cfg *projects.Config, secrets ...string) *PolicyGuard {
	var cna []string
	for _, u := range []string{cfg.CNA.URL, cfg.CNA.AllocateURL, cnaRecordBase(cfg.CNA.RecordURLTemplate)} {
		if u != "" {
			cna = append(cna, u)
		}
	}
	return &PolicyGuard{
		Public: scrub.Rules{
			TrackerRepo:   cfg.Repos.Tracker,
			Terms:         cfg.PublicGuard.Terms,
			OtherProjects: cfg.PublicGuard.OtherProjects,
			CNAURLs:       cna,
		},
		Reporter: scrub.ReporterRules{CNAURLs: cna, PrivateListURLs: privateListURLs(cfg)},
		Secrets:  secrets,
	}
}

// privateListURLs are the archive URL forms of the private lists: never in a reporter draft.
func privateListURLs(cfg *projects.Config) []string {
	var out []string
	for _, l := range []string{cfg.Lists.Security, cfg.Lists.Private} {
		if l != "" && cfg.Archive.URL != "" {
			out = append(out, strings.TrimRight(cfg.Archive.URL, "/")+"/list?"+l)
		}
	}
	return out
}

func cnaRecordBase(tmpl string) string {
	if i := strings.Index(tmpl, "<"); i > 0 {
		return tmpl[:i]
	}
	return tmpl
}

// Check implements lifecycle.Guard.
func (g *PolicyGuard) Check(a lifecycle.Audience, text string) []string {
	var out []string
	for _, sec := range g.Secrets {
		if len(sec) >= 8 && strings.Contains(text, sec) {
			out = append(out, "secret: one of the server's credentials")
		}
	}
	var hits []scrub.Hit
	switch a {
	case lifecycle.AudienceUpstream, lifecycle.AudienceList:
		hits = scrub.CheckPublic(text, g.Public)
	case lifecycle.AudienceReporter:
		hits = scrub.CheckReporter(text, g.Reporter)
	}
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s: %q", h.Rule, h.Match))
	}
	return out
}

// TokenVerifier adapts confirm.Signer to lifecycle.Verifier.
type TokenVerifier struct{ Signer *confirm.Signer }

// VerifyToken implements lifecycle.Verifier.
func (v TokenVerifier) VerifyToken(token, tool string) (string, string, error) {
	c, err := v.Signer.Verify(token, tool)
	if err != nil {
		return "", "", err
	}
	return c.ProposalID, c.PlanHash, nil
}

// AuditLog adapts policy/audit to lifecycle.AuditSink.
type AuditLog struct{ Log *audit.Log }

// Record implements lifecycle.AuditSink.
func (a AuditLog) Record(ctx context.Context, ev lifecycle.AuditEvent) error {
	return a.Log.Record(ctx, audit.Record{Time: ev.Time, Tool: ev.Tool, PlanID: ev.PlanID, ActionID: ev.ActionID, Kind: ev.Kind,
		Target: ev.Target, Audience: ev.Audience, Status: ev.Status, Summary: ev.Summary, Operator: ev.Operator})
}
