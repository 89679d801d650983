//go:build !linux

package scaletest

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal; the test's cleanup still stops every replica.
func setParentDeathSignal(*syscall.SysProcAttr) {}
