//go:build !linux

package chaos

import "syscall"

// childProcAttr has no Pdeathsig outside Linux; Run stops the runtime
// itself when it returns.
func childProcAttr() *syscall.SysProcAttr { return nil }
