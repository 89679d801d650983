package main

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// startAbandonAfter is how long a server still starting may take to unwind
// after SIGINT or SIGTERM before the process exits anyway. Starting holds
// nothing that needs a clean close: no call was accepted yet, and etcd
// recovers from its write-ahead log as after a crash.
const startAbandonAfter = 5 * time.Second

// exitProcess ends the process; tests replace it.
var exitProcess = os.Exit

// abandonStartOnSignal exits the process when ctx ends (a signal) while
// the server is still starting and has not returned within after. It
// returns when the server is ready or run has returned.
func abandonStartOnSignal(ctx context.Context, ready, finished <-chan struct{}, after time.Duration, lg *slog.Logger) {
	select {
	case <-ready:
		return
	case <-finished:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(after)
	defer t.Stop()
	select {
	case <-ready:
	case <-finished:
	case <-t.C:
		lg.Error("stopped while starting; exiting without a clean shutdown", "waited", after)
		exitProcess(1)
	}
}
