package chaos

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// runtime supervises the child process that runs the local stack: start,
// SIGKILL, restart on the same data directory, and a graceful stop.
type runtime struct {
	exe     string
	env     []string
	errPath string // the child's stderr, for a post-mortem

	mu      sync.Mutex
	cmd     *exec.Cmd
	hookURL string // the stack's base URL
	ctlURL  string // the status endpoint
	starts  int
	kills   int
}

func newRuntime(exe, sourceURL, dataDir, logPath, errPath string) *runtime {
	env := append(os.Environ(), EnvChild+"=1", envSourceURL+"="+sourceURL, envDataDir+"="+dataDir, envLog+"="+logPath)
	return &runtime{exe: exe, env: env, errPath: errPath}
}

// start runs a child and waits for its ready line.
func (r *runtime) start(ctx context.Context) error {
	errf, err := os.OpenFile(r.errPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer errf.Close() // the child holds its own descriptor
	cmd := exec.Command(r.exe)
	cmd.Env, cmd.Stderr, cmd.SysProcAttr = r.env, errf, childProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start runtime: %w", err)
	}
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "ready" {
				ready <- f[1:]
				break
			}
		}
		close(ready)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case f, ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			return fmt.Errorf("runtime exited before it was ready; see %s", r.errPath)
		}
		r.mu.Lock()
		r.cmd, r.hookURL, r.ctlURL = cmd, f[0], f[1]
		r.starts++
		r.mu.Unlock()
		return nil
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return errors.New("runtime did not get ready")
}

// kill SIGKILLs the child and reaps it: no shutdown, no flush.
func (r *runtime) kill() error {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.kills++
	r.mu.Unlock()
	if cmd == nil {
		return errors.New("runtime not running")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = cmd.Wait() // "signal: killed"
	return nil
}

// stop asks the child to shut down and waits for it.
func (r *runtime) stop() error {
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("runtime did not stop on SIGTERM; killed")
	}
}

func (r *runtime) urls() (hook, ctl string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hookURL, r.ctlURL
}

// status asks the child for its queue depths (and dead letters).
func (r *runtime) status(ctx context.Context, hc *http.Client, withDLQ bool) (Status, error) {
	_, ctl := r.urls()
	u := ctl + "/status"
	if withDLQ {
		u += "?dlq=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Status{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Status{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Status{}, fmt.Errorf("status: %s", resp.Status)
	}
	var s Status
	return s, json.NewDecoder(resp.Body).Decode(&s)
}
