package lifecycle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// fixedVerifier accepts exactly one token for one plan (the real signer is tested
// in policy/confirm; here the executor's own checks are under test).
type fixedVerifier struct{ token, planID, hash string }

func (v fixedVerifier) VerifyToken(token, tool string) (string, string, error) {
	if token != v.token || tool != "test_apply" {
		return "", "", errors.New("bad token")
	}
	return v.planID, v.hash, nil
}

type execEnv struct {
	ctx    context.Context
	ws     *local.Workspace
	faults *local.Faults
	store  *lifecycle.PlanStore
	exec   *lifecycle.Executor
	t      lifecycle.Tracker
}

func newExecEnv(t *testing.T) *execEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	faults := local.NewFaults()
	ws, err := local.Open(ctx, filepath.Join(dir, "ws"), local.Options{TrackerRepo: "org/tracker", Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.ApplySeed(ctx, &local.Seed{ReferenceTime: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
		Labels: []string{"needs triage", "server"}, Collaborators: []string{"alice"},
		Issues: []local.SeedIssue{{Title: "T", Body: lifecycle.RenderBody(map[string]string{lifecycle.FieldSeverity: "Unknown"}, ""),
			Labels: []string{"needs triage"}, State: "open", Author: "alice", Created: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}}}); err != nil {
		t.Fatal(err)
	}
	store, err := lifecycle.NewPlanStore(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	e := &execEnv{ctx: ctx, ws: ws, faults: faults, store: store, t: ws.Tracker()}
	e.exec = &lifecycle.Executor{Backend: lifecycle.Backend{Tracker: ws.Tracker()}, Store: store}
	return e
}

// plan saves a plan setting the Severity field of #1, made from #1's current version.
func (e *execEnv) plan(t *testing.T, actions ...lifecycle.Action) string {
	t.Helper()
	is, err := e.t.GetIssue(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := lifecycle.NewPlan("test", "test_apply", "alice", time.Now())
	ref := b.Saw(is)
	for _, a := range actions {
		if a.Target.IsZero() {
			a.Target = ref
		}
		b.Add(a)
	}
	if err := e.store.Save(b.Plan); err != nil {
		t.Fatal(err)
	}
	h, _ := b.Plan.Hash()
	e.exec.Verifier = fixedVerifier{token: "tok", planID: b.Plan.ID, hash: h}
	return "tok"
}

func setSeverity(v string) lifecycle.Action {
	return lifecycle.Action{Kind: lifecycle.ActSetBodyField, Audience: lifecycle.AudienceTracker, Summary: "set severity",
		Field: &lifecycle.FieldSpec{Name: lifecycle.FieldSeverity, Value: v}}
}

func TestFailureBeforeTheWriteKeepsTheStaleCheck(t *testing.T) {
	e := newExecEnv(t)
	tok := e.plan(t, setSeverity("High"))
	// The read before the write fails: nothing was written.
	e.faults.Add(local.Fault{Op: "GetIssue", Call: e.faults.Calls("GetIssue") + 1})
	res, err := e.exec.Apply(e.ctx, "test_apply", tok, nil)
	if err != nil || res.Results[0].Status != lifecycle.StatusFailed {
		t.Fatalf("first apply: %v %+v", err, res)
	}
	// Someone else edits the tracker in between: the retry must see it as stale.
	if _, err := e.t.EditLabels(e.ctx, 1, []string{"server"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err = e.exec.Apply(e.ctx, "test_apply", tok, nil)
	if err != nil || res.Results[0].Status != lifecycle.StatusStale {
		t.Fatalf("retry after someone else's edit: %v %+v; want stale", err, res)
	}
}

func TestFailureOfTheWriteItselfIsResumed(t *testing.T) {
	e := newExecEnv(t)
	tok := e.plan(t, setSeverity("High"))
	e.faults.Add(local.Fault{Op: "SetBody", Call: e.faults.Calls("SetBody") + 1, After: true}) // written, answer lost
	res, err := e.exec.Apply(e.ctx, "test_apply", tok, nil)
	if err != nil || res.Results[0].Status != lifecycle.StatusFailed {
		t.Fatalf("first apply: %v %+v", err, res)
	}
	res, err = e.exec.Apply(e.ctx, "test_apply", tok, nil)
	if err != nil || !res.Complete || res.Results[0].Status != lifecycle.StatusAlreadyDone {
		t.Fatalf("retry: %v %+v; want already done", err, res)
	}
}

func TestExecutorRefusesWritesOutsideTheTracker(t *testing.T) {
	e := newExecEnv(t)
	a := setSeverity("High")
	a.Target = lifecycle.Ref{Repo: "org/public-upstream", Number: 1}
	tok := e.plan(t, a)
	res, err := e.exec.Apply(e.ctx, "test_apply", tok, nil)
	if err != nil || res.Results[0].Status != lifecycle.StatusFailed || !strings.Contains(res.Results[0].Detail, "only in the tracker") {
		t.Fatalf("%v %+v", err, res)
	}
	b := setSeverity("High")
	b.Audience = lifecycle.AudienceUpstream
	e2 := newExecEnv(t)
	tok = e2.plan(t, b)
	res, err = e2.exec.Apply(e2.ctx, "test_apply", tok, nil)
	if err != nil || res.Results[0].Status != lifecycle.StatusFailed || !strings.Contains(res.Results[0].Detail, "audience") {
		t.Fatalf("%v %+v", err, res)
	}
}

func TestOnlyPullsInDependenciesAndRejectsUnknownIDs(t *testing.T) {
	e := newExecEnv(t)
	labels := lifecycle.Action{Kind: lifecycle.ActEditLabels, Audience: lifecycle.AudienceTracker, Summary: "labels",
		Labels: &lifecycle.LabelSpec{Add: []string{"server"}}}
	sev := setSeverity("High")
	sev.DependsOn = []string{"a1"}
	tok := e.plan(t, labels, sev)
	if _, err := e.exec.Apply(e.ctx, "test_apply", tok, []string{"a9"}); err == nil || !strings.Contains(err.Error(), "a9") {
		t.Fatalf("unknown id: %v", err)
	}
	res, err := e.exec.Apply(e.ctx, "test_apply", tok, []string{"a2"})
	if err != nil || len(res.PulledIn) != 1 || res.PulledIn[0] != "a1" || !res.Complete {
		t.Fatalf("%v %+v", err, res)
	}
	if _, err := e.exec.Apply(e.ctx, "test_apply", tok, nil); err == nil || !strings.Contains(err.Error(), "already applied") {
		t.Fatalf("replay: %v", err)
	}
}

func TestJournalReplayIgnoresATornLastLine(t *testing.T) {
	dir := t.TempDir()
	store, err := lifecycle.NewPlanStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := store.LoadJournal("test-0123456789abcdef")
	if err := store.Record(j, "a1", lifecycle.JournalEntry{Status: lifecycle.StatusDone}, "org/t#1", "v2", true); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "plans", "test-0123456789abcdef.journal.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"action":"a2","entry":{"status":"do`) // a crash mid-append
	f.Close()
	j, err = store.LoadJournal("test-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if !j.Succeeded("a1") || j.Versions["org/t#1"] != "v2" {
		t.Errorf("lost a synced record: %+v", j)
	}
	if _, ok := j.Actions["a2"]; ok {
		t.Error("a torn record was replayed")
	}
}
