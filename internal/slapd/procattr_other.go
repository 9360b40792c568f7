//go:build !linux

package slapd

import "syscall"

// childProcAttr has no Pdeathsig outside Linux; t.Cleanup stops slapd.
func childProcAttr() *syscall.SysProcAttr { return nil }
