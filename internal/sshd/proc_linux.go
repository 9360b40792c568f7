package sshd

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// childProcAttr makes the kernel kill sshd when the test process dies
// before t.Cleanup runs (a panic, a timeout).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// killTree kills sshd and its sessions. sshd forks a process per
// connection and each calls setsid, so neither a process group nor
// Pdeathsig reaches them; the tree is read from /proc while the listener
// is stopped, so it forks nothing new meanwhile.
func killTree(p *os.Process) {
	_ = p.Signal(syscall.SIGSTOP)
	pids := descendants(p.Pid)
	_ = p.Kill()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// descendants lists the processes below pid.
func descendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		child, err1 := strconv.Atoi(strings.Fields(s)[0])
		parent, err2 := strconv.Atoi(fields[1])
		if err1 == nil && err2 == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		out = append(out, children[next]...)
		queue = append(queue, children[next]...)
	}
	return out
}
