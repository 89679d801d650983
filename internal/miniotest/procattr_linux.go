package miniotest

import "syscall"

// setParentDeathSignal makes the kernel kill the server when the test
// binary dies, so a crashed test run leaves no MinIO behind.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
