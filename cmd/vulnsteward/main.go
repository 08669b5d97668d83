// Command vulnsteward is the MCP server that runs an open-source project's
// security-issue lifecycle. This package is thin: it parses subcommands and
// flags, reads secrets from the environment or files, wires the backend, and
// calls into tools/. No workflow logic lives here, except the demo walk.
//
// Subcommands:
//
//	vulnsteward [stdio]            serve MCP on stdin/stdout (default)
//	vulnsteward http               serve MCP over streamable HTTP
//	vulnsteward demo               build a demo workspace and walk the lifecycle
//	vulnsteward tool NAME [JSON]   call one tool in process and print its JSON result
//	vulnsteward docs               regenerate the README's tools table
//	vulnsteward check              validate the project configuration and credentials
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "vulnsteward:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

const usage = `usage: vulnsteward [stdio|http|demo|tool|docs|check] [flags]

  stdio   serve MCP on stdin/stdout (the default)
  http    serve MCP over streamable HTTP (a bearer token is required off loopback)
  demo    build a fresh demo workspace and walk the lifecycle on the local backend
  tool    call one tool in process: vulnsteward tool NAME ['{"json":"args"}']
  docs    regenerate the tools table in README.md
  check   validate the project configuration and the credentials it needs

Run "vulnsteward <command> -h" for the flags of a command.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "stdio"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "stdio":
		return runStdio(ctx, args, stdin, stdout, stderr)
	case "http":
		return runHTTP(ctx, args, stderr)
	case "demo":
		return runDemo(ctx, args, stdout, stderr)
	case "tool":
		return runTool(ctx, args, stdout, stderr)
	case "docs":
		return runDocs(ctx, args, stdout, stderr)
	case "check":
		return runCheck(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}
