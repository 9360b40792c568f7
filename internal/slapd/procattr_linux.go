package slapd

import "syscall"

// childProcAttr makes the kernel kill slapd when the test process dies
// before t.Cleanup runs (a panic, a timeout).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
