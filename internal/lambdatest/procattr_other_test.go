//go:build !linux

package lambdatest

import "syscall"

// childProcAttr: only Linux has Pdeathsig; elsewhere t.Cleanup alone kills
// the children.
func childProcAttr() *syscall.SysProcAttr { return nil }
