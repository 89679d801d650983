//go:build !linux

package miniotest

import "syscall"

// setParentDeathSignal is a no-op where the kernel offers no parent-death
// signal; StopShared and t.Cleanup still stop servers normally.
func setParentDeathSignal(*syscall.SysProcAttr) {}
