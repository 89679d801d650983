package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLockDataDir(t *testing.T) {
	dir := t.TempDir()
	l, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file, so a second open in the same
	// process conflicts like another process would.
	_, err = lockDataDir(dir)
	want := fmt.Sprintf("data dir %s is in use by another lakesoul-flight process (pid %d); stop it or pass another --data-dir", dir, os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second lock: %v, want %q", err, want)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	_ = l.Close()
	if _, err := os.Stat(filepath.Join(dir, lockFileName)); err != nil {
		t.Fatal(err)
	}
}

// TestDataDirInUse runs real server processes: a second server on a held
// data directory fails at once, a signal during start stops the process
// promptly, and a killed server leaves no stale lock.
func TestDataDirInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary; skipped under -short")
	}
	dir := t.TempDir()
	first := startProc(t, dir, "127.0.0.1:0")
	first.waitAddr(t, 60*time.Second)

	start := time.Now()
	second := startProc(t, dir, "127.0.0.1:0")
	if code := second.waitExit(t, 15*time.Second); code == 0 {
		t.Fatal("the second server exited with status 0")
	}
	want := fmt.Sprintf("data dir %s is in use by another lakesoul-flight process (pid %d)", dir, first.cmd.Process.Pid)
	if !strings.Contains(second.stderr.String(), want) {
		t.Fatalf("second server's error does not say %q:\n%s", want, second.stderr.String())
	}
	t.Logf("second server refused in %s", time.Since(start).Round(time.Millisecond))

	// kill -9 leaves no stale lock: the next server starts.
	first.kill()
	third := startProc(t, dir, "127.0.0.1:0")
	third.waitAddr(t, 60*time.Second)
	third.signal(syscall.SIGTERM)
	if code := third.waitExit(t, 15*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit status %d\n%s", code, third.stderr.String())
	}

	// SIGTERM at several moments of the start stops the process promptly.
	for _, after := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, 800 * time.Millisecond} {
		p := startProc(t, t.TempDir(), "127.0.0.1:0")
		time.Sleep(after)
		p.signal(syscall.SIGTERM)
		start := time.Now()
		p.waitExit(t, 3*startAbandonAfter)
		t.Logf("SIGTERM %s after start: exited in %s", after, time.Since(start).Round(time.Millisecond))
	}
}
