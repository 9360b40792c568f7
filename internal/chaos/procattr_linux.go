package chaos

import "syscall"

// childProcAttr makes the kernel kill the runtime when the harness dies,
// so an interrupted run leaves no process behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
