//go:build !linux

package sshd

import (
	"os"
	"syscall"
)

// childProcAttr has no Pdeathsig outside Linux; t.Cleanup stops sshd.
func childProcAttr() *syscall.SysProcAttr { return nil }

// killTree kills only the listener outside Linux: sessions already open
// live on until their clients hang up.
func killTree(p *os.Process) { _ = p.Kill() }
