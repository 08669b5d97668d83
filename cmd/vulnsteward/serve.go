package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/vulnsteward/vulnsteward/tools"
)

// setup parses the common flags and wires the app.
func setup(ctx context.Context, name string, args []string, stderr io.Writer, defaultWorkspace string, extra func(*flag.FlagSet)) (*app, *slog.Logger, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var s settings
	s.register(fs, defaultWorkspace)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, nil, &exitError{code: 2, err: err}
	}
	sec, err := secretsFromEnv()
	if err != nil {
		return nil, nil, nil, err
	}
	logger, closeLog, err := newLogger(s, stderr, sec)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := build(ctx, s, logger, sec, time.Now)
	if err != nil {
		closeLog()
		return nil, nil, nil, err
	}
	a.closers = append([]func(){closeLog}, a.closers...)
	return a, logger, fs.Args(), nil
}

func runStdio(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	a, logger, _, err := setup(ctx, "stdio", args, stderr, ".vulnsteward/workspace", nil)
	if err != nil {
		return err
	}
	defer a.Close()
	srv, err := tools.NewServer(a.deps, a.opts)
	if err != nil {
		return err
	}
	logger.Info("serving MCP on stdio", "backend", a.deps.BackendName, "read_only", a.opts.ReadOnly)
	std := server.NewStdioServer(srv)
	std.SetErrorLogger(slog.NewLogLogger(logger.Handler(), slog.LevelError))
	if err := std.Listen(ctx, stdin, stdout); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("serving stdio: %w", err)
	}
	return nil
}

func runHTTP(ctx context.Context, args []string, stderr io.Writer) error {
	var addr string
	a, logger, _, err := setup(ctx, "http", args, stderr, ".vulnsteward/workspace", func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "addr", envOr("VULNSTEWARD_HTTP_ADDR", "127.0.0.1:8765"), "listen address (env VULNSTEWARD_HTTP_ADDR); a bearer token (VULNSTEWARD_HTTP_TOKEN) is required off loopback")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	sec, err := secretsFromEnv()
	if err != nil {
		return err
	}
	if sec.httpToken == "" && !isLoopback(addr) {
		return fmt.Errorf("refusing to listen on %s without a bearer token: set VULNSTEWARD_HTTP_TOKEN (or VULNSTEWARD_HTTP_TOKEN_FILE), or listen on 127.0.0.1", addr)
	}
	srv, err := tools.NewServer(a.deps, a.opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", checkOrigin(requireBearer(sec.httpToken, server.NewStreamableHTTPServer(srv, server.WithEndpointPath("/mcp")))))
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	logger.Info("serving MCP over streamable HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "auth", sec.httpToken != "")
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", err)
	}
	return nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return loopbackHost(host)
}

// requireBearer checks the Authorization header in constant time; token "" allows all (loopback only).
func requireBearer(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(strings.TrimSpace(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vulnsteward"`)
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkOrigin refuses browser requests from other sites (DNS rebinding, a page
// the user visits posting to a local server): a request that carries an Origin
// header must come from a loopback origin. Non-browser clients send none.
func checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || !loopbackHost(u.Hostname()) {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
