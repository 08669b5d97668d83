package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/vulnsteward/vulnsteward/tools"
)

// inProcess is an MCP client connected in process to the real server.
type inProcess struct {
	c *client.Client
}

// connect builds the app's MCP server and an in-process client on it.
func (a *app) connect(ctx context.Context) (*inProcess, error) {
	srv, err := tools.NewServer(a.deps, a.opts)
	if err != nil {
		return nil, err
	}
	return connect(ctx, srv)
}

func connect(ctx context.Context, srv *server.MCPServer) (*inProcess, error) {
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		return nil, fmt.Errorf("creating the in-process client: %w", err)
	}
	if err := c.Start(ctx); err != nil {
		return nil, fmt.Errorf("starting the in-process client: %w", err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "vulnsteward-cli", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		return nil, fmt.Errorf("initializing the MCP session: %w", err)
	}
	return &inProcess{c: c}, nil
}

func (p *inProcess) Close() { p.c.Close() }

// toolError is a tool result with isError set: its text says what to do.
type toolError struct{ text string }

func (e *toolError) Error() string { return e.text }

// call calls a tool and decodes its structured result into out (if non-nil).
func (p *inProcess) call(ctx context.Context, name string, args any, out any) (json.RawMessage, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := p.c.CallTool(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", name, err)
	}
	if res.IsError {
		var parts []string
		for _, c := range res.Content {
			if t, ok := c.(mcp.TextContent); ok {
				parts = append(parts, t.Text)
			}
		}
		return nil, &toolError{text: strings.Join(parts, " ")}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // reporter text and markers stay readable
	err = enc.Encode(res.StructuredContent)
	raw := json.RawMessage(bytes.TrimSpace(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("encoding the %s result: %w", name, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("decoding the %s result: %w", name, err)
		}
	}
	return raw, nil
}
