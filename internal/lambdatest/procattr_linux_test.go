package lambdatest

import "syscall"

// childProcAttr makes the kernel kill a bootstrap when the test process
// dies before its cleanup runs (a panic, a -timeout).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
