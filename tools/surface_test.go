package tools

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

func TestResourcesAndPrompts(t *testing.T) {
	e := newEnv(t, Options{})
	res, err := e.cl.ListResources(e.ctx, mcp.ListResourcesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var canned string
	for _, r := range res.Resources {
		if strings.HasPrefix(r.URI, "vulnsteward://canned/") {
			canned = r.URI
		}
	}
	if canned == "" {
		t.Fatalf("no canned response resource: %+v", res.Resources)
	}
	read := func(uri string) string {
		t.Helper()
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		out, err := e.cl.ReadResource(e.ctx, req)
		if err != nil {
			t.Fatalf("reading %s: %v", uri, err)
		}
		tc, ok := out.Contents[0].(mcp.TextResourceContents)
		if !ok {
			t.Fatalf("%s: not text", uri)
		}
		return tc.Text
	}
	if txt := read(canned); !strings.HasPrefix(txt, "### ") {
		t.Errorf("canned resource does not start with its heading: %.80q", txt)
	}
	if txt := read("vulnsteward://tracker/4"); !strings.Contains(txt, `"untrusted":true`) || !strings.Contains(txt, `"step"`) {
		t.Errorf("tracker resource lacks the lifecycle state or the untrusted marking: %.300s", txt)
	}
	req := mcp.ReadResourceRequest{}
	req.Params.URI = "vulnsteward://tracker/999"
	if _, err := e.cl.ReadResource(e.ctx, req); err == nil {
		t.Error("reading a missing tracker succeeded")
	}
	prompts, err := e.cl.ListPrompts(e.ctx, mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(prompts.Prompts) != 3 {
		t.Errorf("%d prompts, want the three role playbooks", len(prompts.Prompts))
	}
	gp := mcp.GetPromptRequest{}
	gp.Params.Name = "triager"
	p, err := e.cl.GetPrompt(e.ctx, gp)
	if err != nil {
		t.Fatal(err)
	}
	if txt := p.Messages[0].Content.(mcp.TextContent).Text; !strings.Contains(txt, "import_propose") || !strings.Contains(txt, e.cfg.Project.Name) {
		t.Errorf("triager playbook: %s", txt)
	}
}

func TestProposeSendsProgress(t *testing.T) {
	e := newEnv(t, Options{})
	var mu sync.Mutex
	var got []string
	e.cl.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			mu.Lock()
			got = append(got, n.Method)
			mu.Unlock()
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "import_propose"
	req.Params.Arguments = map[string]any{"now": e.now}
	req.Params.Meta = &mcp.Meta{ProgressToken: "p1"}
	if res, err := e.cl.CallTool(e.ctx, req); err != nil || res.IsError {
		t.Fatalf("propose: %v %+v", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Errorf("%d progress notifications, want one per thread and a final one", len(got))
	}
}

func TestGuardCheckTool(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		text string
		ok   bool
	}{
		{"Fix path handling in artifact download", true},
		{"Fix CVE-2026-41001 path traversal vulnerability", false},
		{"See example-org/example-server-security#7 for details", false},
		{"Harden vuln\u200berability handling", false},
	}
	for _, tc := range tests {
		var out GuardCheckOut
		e.mustCall("guard_check", map[string]any{"text": tc.text}, &out)
		if out.OK != tc.ok {
			t.Errorf("guard_check(%q).ok = %v, want %v (hits %+v)", tc.text, out.OK, tc.ok, out.Hits)
		}
	}
	if msg := e.call("guard_check", map[string]any{"text": "x", "audience": "martians"}, nil); msg == "" {
		t.Error("an unknown audience was accepted")
	}
}

type elicitAnswer struct{ action mcp.ElicitationResponseAction }

func (a elicitAnswer) Elicit(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	r := &mcp.ElicitationResult{}
	r.Action = a.action
	if a.action == mcp.ElicitationResponseActionAccept {
		r.Content = map[string]any{"approve": true}
	}
	return r, nil
}

func TestElicitConfirmationMode(t *testing.T) {
	t.Run("client without elicitation does not see apply", func(t *testing.T) {
		e := newEnv(t, Options{Confirm: "elicit"})
		res, err := e.cl.ListTools(e.ctx, mcp.ListToolsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range res.Tools {
			if strings.HasSuffix(tl.Name, "_apply") {
				t.Errorf("%s listed to a client that cannot elicit", tl.Name)
			}
		}
	})
	for _, tc := range []struct {
		action mcp.ElicitationResponseAction
		apply  bool
	}{{mcp.ElicitationResponseActionAccept, true}, {"decline", false}} {
		t.Run(string(tc.action), func(t *testing.T) {
			e := newEnv(t, Options{Confirm: "elicit"}, client.WithElicitationHandler(elicitAnswer{tc.action}))
			p := e.proposeAll()
			before := e.state()
			msg := e.call("import_apply", map[string]any{"confirmation_token": p.Plan.Token}, nil)
			changed := e.state() != before
			if tc.apply && (msg != "" || !changed) {
				t.Errorf("approved apply: %q, changed=%v", msg, changed)
			}
			if !tc.apply && (msg == "" || changed) {
				t.Errorf("declined apply: %q, changed=%v", msg, changed)
			}
		})
	}
}
