package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version string

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process.
		<-ctx.Done()
		stop()
	}()
	os.Exit(mainArgs(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// mainArgs runs a sub-command and returns the exit status.
func mainArgs(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveMain(ctx, args, stdout, stderr, getenv, false)
	case "compact":
		return serveMain(ctx, args, stdout, stderr, getenv, true)
	case "sql":
		return sqlMain(ctx, args, stdin, stdout, stderr, getenv)
	case "maintain":
		return maintainMain(ctx, args, stdout, stderr, getenv)
	case "hash-password":
		return hashPasswordMain(args, stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "lakesoul-flight", versionString())
		return 0
	case "help":
		_, _ = parseServeConfig([]string{"--help"}, getenv, stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "lakesoul-flight: unknown sub-command %q (want serve, compact, sql, maintain, hash-password or version)\n", cmd)
		return 2
	}
}

func serveMain(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, compactOnly bool) int {
	cfg, err := parseServeConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lakesoul-flight: %v\n", err)
		return 2
	}
	lg := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	slog.SetDefault(lg)
	if compactOnly {
		cfg.Compaction = true
	}
	// A signal while starting must stop the process promptly, even if a
	// start step does not watch ctx.
	ready, finished := make(chan struct{}), make(chan struct{})
	defer close(finished)
	go abandonStartOnSignal(ctx, ready, finished, startAbandonAfter, lg)
	onReady := func(string, string) { close(ready) }
	if err := run(ctx, cfg, runEnv{Stdout: stdout, Logger: lg, CompactOnly: compactOnly, Ready: onReady}); err != nil {
		lg.Error("lakesoul-flight failed", "error", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
