package lambdatest

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/internal/tail"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/internal/moto"
)

const (
	invokeTimeout = 20 * time.Second
	exitTimeout   = 15 * time.Second
)

// function is one bootstrap running as Lambda runs it: a child process with
// the template's environment, polling its own RuntimeAPI.
type function struct {
	name   string
	api    *RuntimeAPI
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited and its output is drained
	out    *tail.Buffer
}

// startFunction starts bin as the template's function id against s. edit,
// if not nil, changes the environment first (to break the configuration).
func startFunction(t *testing.T, s *stack, bin, id string, edit func(env map[string]string)) *function {
	t.Helper()
	return startFunctionEnv(t, s, bin, id, s.functionEnv(t, id), edit)
}

// startFunctionEnv is startFunction with the function's environment
// given, for a function template.yaml does not define (yet).
func startFunctionEnv(t *testing.T, s *stack, bin, id string, env map[string]string, edit func(env map[string]string)) *function {
	t.Helper()
	name := s.prefix + "-" + id
	api, err := NewRuntimeAPI("arn:aws:lambda:" + moto.Region + ":" + moto.AccountID + ":function:" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })

	// What Lambda sets for provided.al2023 (template Globals: Handler
	// bootstrap, MemorySize 256). Nothing from this process's environment
	// leaks in, so a developer's AWS profile cannot reach the child.
	env["AWS_LAMBDA_RUNTIME_API"] = api.Addr()
	env["_HANDLER"] = "bootstrap"
	env["AWS_LAMBDA_FUNCTION_NAME"] = name
	env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "256"
	env["LAMBDA_TASK_ROOT"] = filepath.Dir(bin)
	env["TZ"] = ":UTC"
	for _, kv := range s.moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if edit != nil {
		edit(env)
	}

	f := &function{name: id, api: api, exited: make(chan struct{}), out: &tail.Buffer{Max: 64 << 10}}
	f.cmd = exec.Command(bin)
	f.cmd.Dir = filepath.Dir(bin)
	f.cmd.Env = envList(env)
	f.cmd.Stdout, f.cmd.Stderr = f.out, f.out
	f.cmd.SysProcAttr = childProcAttr()
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", id, err)
	}
	go func() {
		_ = f.cmd.Wait()
		close(f.exited)
	}()
	t.Cleanup(func() {
		f.kill()
		if t.Failed() {
			t.Logf("%s output:\n%s", id, f.out)
		}
	})
	return f
}

// invoke sends payload (marshalled to JSON) as one invocation and returns
// the response. A function error, a timeout or the process exiting fails
// the test.
func (f *function) invoke(t *testing.T, payload any) []byte {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeoutCause(t.Context(), invokeTimeout,
		fmt.Errorf("%s gave no result within %v", f.name, invokeTimeout))
	defer cancel()
	ctx, cancelExit := context.WithCancelCause(ctx)
	defer cancelExit(nil)
	go func() {
		select {
		case <-f.exited:
			cancelExit(fmt.Errorf("%s exited: %v", f.name, f.cmd.ProcessState))
		case <-ctx.Done():
		}
	}()
	resp, errPayload, err := f.api.Invoke(ctx, body)
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	if errPayload != nil {
		t.Fatalf("invoke %s: function error %s", f.name, errPayload)
	}
	return resp
}

// waitExit waits for the process to exit on its own.
func (f *function) waitExit(t *testing.T) (exitCode int) {
	t.Helper()
	timer := time.NewTimer(exitTimeout)
	defer timer.Stop()
	select {
	case <-f.exited:
		return f.cmd.ProcessState.ExitCode()
	case <-timer.C:
		t.Fatalf("%s still running after %v", f.name, exitTimeout)
		return 0
	}
}

func (f *function) kill() {
	select {
	case <-f.exited:
		return
	default:
	}
	_ = f.cmd.Process.Kill()
	<-f.exited
}

// logs is what the process wrote to stdout and stderr so far.
func (f *function) logs() string { return f.out.String() }

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
