package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lockFileName is the file in the data directory whose exclusive lock marks
// the directory as in use. The lock, not the file, is what counts: the
// operating system drops it when the process ends, however it ends, so a
// killed server leaves nothing stale behind.
const lockFileName = "LOCK"

// errDataDirInUse says another process holds the data directory.
var errDataDirInUse = errors.New("data dir is in use")

// dataDirLock is a held lock on a data directory.
type dataDirLock struct {
	f *os.File
}

// lockDataDir takes the exclusive lock of dir without waiting, and records
// the process id in the lock file for the message another process shows.
func lockDataDir(dir string) (*dataDirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	name := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("data directory lock %s: %w", name, err)
	}
	if !held {
		owner := "another process"
		if b, err := os.ReadFile(name); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				owner = fmt.Sprintf("pid %d", pid)
			}
		}
		_ = f.Close()
		return nil, fmt.Errorf("%w: data dir %s is in use by another lakesoul-flight process (%s); stop it or pass another --data-dir",
			errDataDirInUse, dir, owner)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataDirLock{f: f}, nil
}

// Close releases the lock. The file stays: removing it would race with a
// process that opened it and waits to lock it.
func (l *dataDirLock) Close() error {
	if err := unlock(l.f); err != nil {
		_ = l.f.Close()
		return err
	}
	return l.f.Close()
}
