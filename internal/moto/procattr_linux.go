package moto

import "syscall"

// childProcAttr makes the kernel kill moto_server when the test process
// dies, even if Main never runs (a panic, a timeout, a package without
// TestMain). The pyenv shim execs moto_server, and Pdeathsig survives exec.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
