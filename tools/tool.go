package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vulnsteward/vulnsteward/skills/lifecycle"
)

// ServerTool is one tool: its schema and annotations, its toolset and its handler.
type ServerTool struct {
	Tool    mcp.Tool
	Toolset string // "core" is always on
	Handler server.ToolHandlerFunc
}

// hints are the four annotations every tool sets explicitly.
type hints struct {
	readOnly, destructive, idempotent, openWorld bool
}

var (
	// readOnlyHints: reads the tracker, the mailbox or the upstream repository
	// (remote systems on the github backend), writes nothing.
	readOnlyHints = hints{readOnly: true, idempotent: true, openWorld: true}
	// localHints: computes from its input and the configuration only.
	localHints = hints{readOnly: true, idempotent: true}
	// applyHints: apply writes to the tracker and mailbox drafts; re-running a
	// plan writes nothing twice, so it is idempotent; it never deletes.
	applyHints = hints{readOnly: false, destructive: false, idempotent: true, openWorld: true}
)

// newTool builds a tool whose input and output are Go structs, so mcp-go
// generates both schemas and validates them.
func newTool[In, Out any](name, title, desc, toolset string, h hints, fn func(ctx context.Context, req mcp.CallToolRequest, in In) (Out, error)) ServerTool {
	t := mcp.NewTool(name,
		mcp.WithDescription(desc),
		mcp.WithTitleAnnotation(title),
		mcp.WithInputSchema[In](),
		mcp.WithOutputSchema[Out](),
		mcp.WithReadOnlyHintAnnotation(h.readOnly),
		mcp.WithDestructiveHintAnnotation(h.destructive),
		mcp.WithIdempotentHintAnnotation(h.idempotent),
		mcp.WithOpenWorldHintAnnotation(h.openWorld),
	)
	compactOutput(&t.OutputSchema)
	handler := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in In
		if err := req.BindArguments(&in); err != nil {
			return mcp.NewToolResultError("invalid arguments: " + err.Error()), nil
		}
		out, err := fn(ctx, req, in)
		if err != nil {
			return mcp.NewToolResultError(userMessage(err)), nil
		}
		text, merr := json.Marshal(out)
		if merr != nil {
			return nil, fmt.Errorf("encoding %s result: %w", name, merr)
		}
		return mcp.NewToolResultStructured(out, string(text)), nil
	}
	return ServerTool{Tool: t, Toolset: toolset, Handler: handler}
}

// userMessage turns an error into the sentence the caller acts on.
func userMessage(err error) string {
	var r *lifecycle.Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return err.Error()
}

// compactOutput keeps the first level of an output schema (property names,
// types, enums, required) and drops the nested structure and descriptions.
// tools/list is paid for in the agent's context on every session, and the
// nested output schemas were most of it (68 KB for the intake half, 26 KB after);
// the shapes stay documented by the Go types, AGENTS.md and the output itself.
// Output validation still checks the top level.
func compactOutput(s *mcp.ToolOutputSchema) {
	s.Defs = nil
	for k, v := range s.Properties {
		s.Properties[k] = shallowSchema(v)
	}
}

func shallowSchema(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for _, k := range []string{"type", "enum"} {
		if x, ok := m[k]; ok {
			out[k] = x
		}
	}
	return out
}
