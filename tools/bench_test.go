package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/vulnsteward/vulnsteward/integrations/local"
	"github.com/vulnsteward/vulnsteward/projects"
	"github.com/vulnsteward/vulnsteward/skills/intake"
	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// BenchmarkToolsListBytes reports the size of the tools/list answer an agent
// pays for in context on every session.
func BenchmarkToolsListBytes(b *testing.B) {
	e := newEnv(b, Options{})
	var size int
	for b.Loop() {
		res, err := e.cl.ListTools(e.ctx, mcp.ListToolsRequest{})
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := json.Marshal(res)
		size = len(raw)
	}
	b.ReportMetric(float64(size), "bytes/tools-list")
	ro := newEnv(b, Options{ReadOnly: true})
	res, err := ro.cl.ListTools(ro.ctx, mcp.ListToolsRequest{})
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(res)
	b.ReportMetric(float64(len(raw)), "bytes/tools-list-readonly")
}

// writeMailbox writes `threads` report threads of `perThread` messages each.
func writeMailbox(b *testing.B, dir string, threads, perThread int, start time.Time) {
	b.Helper()
	newDir := filepath.Join(dir, "new")
	if err := os.MkdirAll(newDir, 0o700); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < threads; i++ {
		root := fmt.Sprintf("<report-%d@reporters.example>", i)
		for j := 0; j < perThread; j++ {
			id := root
			hdr := ""
			from := fmt.Sprintf("Reporter %d <reporter%d@reporters.example>", i, i)
			subject := fmt.Sprintf("Path traversal in export endpoint variant %d", i)
			if j > 0 {
				id = fmt.Sprintf("<reply-%d-%d@reporters.example>", i, j)
				hdr = "In-Reply-To: " + root + "\r\nReferences: " + root + "\r\n"
				subject = "Re: " + subject
			}
			date := start.Add(time.Duration(i*perThread+j) * time.Minute).Format(time.RFC1123Z)
			msg := fmt.Sprintf("From: %s\r\nTo: security@example-server.example\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n%sContent-Type: text/plain; charset=utf-8\r\n\r\n"+
				"Hello,\r\n\r\nThe export endpoint in server/api/export.go accepts ../ sequences (variant %d).\r\n\r\nSteps to reproduce:\r\n1. Log in.\r\n2. GET /api/export?path=../../etc/passwd\r\n\r\nImpact: an authenticated user reads any file.\r\nAffected versions: 2.3.0 to 2.4.1\r\n",
				from, subject, date, id, hdr, i)
			name := fmt.Sprintf("%d.%d.bench:2,", i, j)
			if err := os.WriteFile(filepath.Join(newDir, name), []byte(msg), 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkImport10kMailbox measures import_propose and import_apply of a
// 10,000-message mailbox (2,500 report threads of 4 messages) on the local backend.
func BenchmarkImport10kMailbox(b *testing.B) {
	const threads, perThread = 2500, 4
	cfg, err := projects.Load(exampleDir)
	if err != nil {
		b.Fatal(err)
	}
	ref := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	var proposeDur, applyDur time.Duration
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		ctx := context.Background()
		ws, err := local.Open(ctx, filepath.Join(dir, "ws"), local.Options{TrackerRepo: cfg.Repos.Tracker, UpstreamRepo: cfg.Repos.Upstream,
			Now: func() time.Time { return ref }, BoardEnabled: cfg.Board.Enabled})
		if err != nil {
			b.Fatal(err)
		}
		seed := &local.Seed{ReferenceTime: ref, Labels: append(labelValues(cfg), cfg.ScopeLabels()...), Collaborators: []string{"alice"}}
		if err := ws.ApplySeed(ctx, seed); err != nil {
			b.Fatal(err)
		}
		writeMailbox(b, filepath.Join(dir, "mailbox"), threads, perThread, ref.AddDate(0, 0, -10))
		mail, err := local.OpenMaildir(filepath.Join(dir, "mailbox"), local.MaildirOptions{From: lifecycle.Address{Email: cfg.Lists.Security}})
		if err != nil {
			b.Fatal(err)
		}
		deps, err := Wire(cfg, lifecycle.Backend{Tracker: ws.Tracker(), Upstream: ws.Upstream(), Mail: mail},
			WireOptions{StateDir: filepath.Join(dir, "state"), Operator: "bench", Now: func() time.Time { return ref }})
		if err != nil {
			b.Fatal(err)
		}
		srv, err := NewServer(deps, Options{})
		if err != nil {
			b.Fatal(err)
		}
		cl, err := client.NewInProcessClient(srv)
		if err != nil {
			b.Fatal(err)
		}
		if err := cl.Start(ctx); err != nil {
			b.Fatal(err)
		}
		init := mcp.InitializeRequest{}
		init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
		if _, err := cl.Initialize(ctx, init); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()

		t0 := time.Now()
		req := mcp.CallToolRequest{}
		req.Params.Name = "import_propose"
		req.Params.Arguments = map[string]any{"now": ref.Format(time.RFC3339)}
		res, err := cl.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("propose: %v %v", err, res)
		}
		proposeDur += time.Since(t0)
		var p ImportProposeOut
		raw, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(raw, &p); err != nil {
			b.Fatal(err)
		}
		if n := countDisposition(p, intake.DispImport); n != threads {
			b.Fatalf("%d imports planned, want %d", n, threads)
		}
		t1 := time.Now()
		req.Params.Name = "import_apply"
		req.Params.Arguments = map[string]any{"confirmation_token": p.Plan.Token}
		res, err = cl.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("apply: %v %v", err, res)
		}
		applyDur += time.Since(t1)
		b.StopTimer()
		cl.Close()
		ws.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(threads*perThread), "messages")
	b.ReportMetric(proposeDur.Seconds()/float64(b.N), "s-propose/op")
	b.ReportMetric(applyDur.Seconds()/float64(b.N), "s-apply/op")
}

func countDisposition(p ImportProposeOut, d intake.Disposition) int {
	n := 0
	for _, c := range p.Candidates {
		if c.Disposition == d {
			n++
		}
	}
	return n
}

func labelValues(cfg *projects.Config) []string {
	var out []string
	for _, v := range cfg.LabelRoles() {
		out = append(out, v)
	}
	return out
}
