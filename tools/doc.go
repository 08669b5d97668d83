// Package tools is the MCP surface of vulnsteward: the tool inventory (one
// constructor per tool carrying its schema, annotations, toolset and handler),
// the filters (toolsets, read-only mode), middleware (panic recovery, audit log,
// policy), resources and prompts. With cmd/, it is the only code that imports
// mcp-go. It holds no workflow logic: each handler decodes its typed input, calls
// a skill (skills/...) or the shared executor, and encodes the typed output.
package tools
