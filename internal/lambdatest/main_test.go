package lambdatest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/profilesync/profilesync/internal/moto"
)

// functions are the Lambda main packages, by directory under functions/.
var functions = []string{"ingress", "sync", "verifier", "jobs", "cognito"}

// lambdaBuildFlags are the Makefile's LAMBDA_FLAGS: what `make build` and
// `sam build` ship.
var lambdaBuildFlags = []string{"-trimpath", "-ldflags=-s -w -buildid=", "-tags", "lambda.norpc"}

// TestMain is moto.Main plus removing the shared host build: moto.Main
// exits the process, so it would leave the binaries behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if hostBuild.dir != "" {
		_ = os.RemoveAll(hostBuild.dir)
	}
	moto.Stop()
	os.Exit(code)
}

var hostBuild struct {
	once sync.Once
	dir  string
	bins map[string]string // function → bootstrap path
	err  error
}

// hostBootstraps builds every function for this machine (so the tests can
// run them) with the shipping flags, once per test binary, and returns
// each bootstrap's path by function name. It skips under -short.
func hostBootstraps(t testing.TB) map[string]string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the Lambda binaries; skipped under -short")
	}
	root := moduleRoot(t)
	hostBuild.once.Do(func() {
		hostBuild.dir, hostBuild.err = os.MkdirTemp("", "lambdatest-")
		if hostBuild.err != nil {
			return
		}
		hostBuild.bins, hostBuild.err = buildFunctions(root, hostBuild.dir, runtime.GOOS, runtime.GOARCH)
	})
	if hostBuild.err != nil {
		t.Fatal(hostBuild.err)
	}
	return hostBuild.bins
}

// buildFunctions builds every function for goos/goarch into
// dir/<function>/bootstrap, in one go build so the two links share the work.
func buildFunctions(root, dir, goos, goarch string) (map[string]string, error) {
	out := filepath.Join(dir, "out") + string(filepath.Separator)
	args := append([]string{"build"}, lambdaBuildFlags...)
	args = append(args, "-o", out)
	for _, fn := range functions {
		args = append(args, "./functions/"+fn)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s (GOOS=%s GOARCH=%s): %v\n%s", strings.Join(args, " "), goos, goarch, err, b)
	}
	bins := map[string]string{}
	for _, fn := range functions {
		if err := os.Mkdir(filepath.Join(dir, fn), 0o755); err != nil {
			return nil, err
		}
		bins[fn] = filepath.Join(dir, fn, "bootstrap")
		if err := os.Rename(filepath.Join(out, fn), bins[fn]); err != nil {
			return nil, err
		}
	}
	return bins, nil
}

var modRoot struct {
	once sync.Once
	dir  string
	err  error
}

// moduleRoot is the directory of go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	modRoot.once.Do(func() {
		b, err := exec.Command("go", "env", "GOMOD").Output()
		gomod := string(bytes.TrimSpace(b))
		switch {
		case err != nil:
			modRoot.err = fmt.Errorf("go env GOMOD: %v", err)
		case gomod == "" || gomod == os.DevNull:
			modRoot.err = fmt.Errorf("go env GOMOD: not in a module")
		default:
			modRoot.dir = filepath.Dir(gomod)
		}
	})
	if modRoot.err != nil {
		t.Fatal(modRoot.err)
	}
	return modRoot.dir
}
