package scaletest

import "syscall"

// setParentDeathSignal makes the kernel kill a replica when the test binary
// dies, so a crashed run leaves no server behind.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
