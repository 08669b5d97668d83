package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vulnsteward/vulnsteward/tools"
)

// runTool calls one tool in process and prints its JSON result: for scripts,
// cron and debugging.
func runTool(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a, _, rest, err := setup(ctx, "tool", args, stderr, ".vulnsteward/workspace", nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if len(rest) < 1 || len(rest) > 2 {
		return &exitError{code: 2, err: errors.New("usage: vulnsteward tool [flags] NAME ['{\"json\":\"arguments\"}']")}
	}
	var toolArgs map[string]any
	if len(rest) == 2 {
		dec := json.NewDecoder(bytes.NewReader([]byte(rest[1])))
		dec.UseNumber()
		if err := dec.Decode(&toolArgs); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("arguments must be one JSON object: %w", err)}
		}
	}
	if toolArgs == nil {
		toolArgs = map[string]any{}
	}
	cl, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer cl.Close()
	raw, err := cl.call(ctx, rest[0], toolArgs, nil)
	if err != nil {
		var te *toolError
		if errors.As(err, &te) {
			return &exitError{code: 1, err: fmt.Errorf("%s: %s", rest[0], te.text)}
		}
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err = stdout.Write(buf.Bytes())
	return err
}

// runDocs regenerates the tools table in README.md (or checks it with -check).
func runDocs(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	readme := fs.String("readme", "README.md", "README to update")
	check := fs.Bool("check", false, "fail if the README's table is stale instead of writing it")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2, err: err}
	}
	table := tools.ToolsTable(tools.Inventory(&tools.Deps{}, tools.Options{}))
	old, err := os.ReadFile(*readme)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *readme, err)
	}
	updated, ok := tools.ReplaceTable(string(old), table)
	if !ok {
		return fmt.Errorf("%s has no tools-table markers: add the lines %q and %q where the table goes", *readme, tools.TableBegin, tools.TableEnd)
	}
	if *check {
		if updated != string(old) {
			return &exitError{code: 1, err: fmt.Errorf("%s: the tools table is stale; run `go run ./cmd/vulnsteward docs`", *readme)}
		}
		fmt.Fprintln(stdout, "tools table is up to date")
		return nil
	}
	if updated == string(old) {
		fmt.Fprintln(stdout, "tools table is up to date")
		return nil
	}
	if err := os.WriteFile(*readme, []byte(updated), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", *readme, err)
	}
	fmt.Fprintf(stdout, "updated the tools table in %s\n", *readme)
	return nil
}
