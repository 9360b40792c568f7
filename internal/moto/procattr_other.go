//go:build !linux

package moto

import "syscall"

// childProcAttr has no Pdeathsig outside Linux: use Main so the server is
// stopped when the tests end.
func childProcAttr() *syscall.SysProcAttr { return nil }
