package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// addResources registers trackers (by number) and canned responses (by slug).
func addResources(s *server.MCPServer, d *Deps) {
	get := trackerGet(d)
	s.AddResourceTemplate(
		mcp.NewResourceTemplate("vulnsteward://tracker/{number}", "Tracker",
			mcp.WithTemplateDescription("One tracker as JSON: fields, labels, lifecycle step, rollup, comments (non-team text marked untrusted)."),
			mcp.WithTemplateMIMEType("application/json")),
		func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			numStr := strings.TrimPrefix(req.Params.URI, "vulnsteward://tracker/")
			n, err := strconv.Atoi(numStr)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("resource %q: expected vulnsteward://tracker/<number>", req.Params.URI)
			}
			res, err := get.Handler(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "tracker_get", Arguments: map[string]any{"number": n}}})
			if err != nil {
				return nil, err
			}
			if res.IsError {
				return nil, fmt.Errorf("reading tracker %d: %s", n, resultText(res))
			}
			b, err := json.Marshal(res.StructuredContent)
			if err != nil {
				return nil, err
			}
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
		})

	canned, err := d.Config.CannedResponses()
	if err != nil {
		if d.Logger != nil {
			d.Logger.Warn("canned responses not available as resources", "err", err)
		}
		return
	}
	for _, c := range canned {
		c := c
		uri := "vulnsteward://canned/" + c.Slug
		s.AddResource(mcp.NewResource(uri, c.Name,
			mcp.WithResourceDescription("Canned response (used verbatim; placeholders: "+strings.Join(c.Placeholders, ", ")+")"),
			mcp.WithMIMEType("text/markdown")),
			func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
				return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "text/markdown", Text: "### " + c.Name + "\n\n" + c.Body}}, nil
			})
	}
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " ")
}
