// Package moto runs one moto_server (moto 5.2.1, part of this machine kind's
// Python) per test binary, so tests can talk to real SQS, DynamoDB, Secrets
// Manager and EventBridge implementations over HTTP on 127.0.0.1.
//
// Use it from tests only:
//
//	func TestMain(m *testing.M) { moto.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		srv := moto.Start(t)
//		client := sqs.NewFromConfig(srv.AWSConfig(t.Context()))
//		...
//	}
//
// The server starts lazily on the first Start and is shared by every test in
// the binary; Main stops it when the tests end. Without Main the child is
// still killed when the test process dies (Pdeathsig on Linux). moto keeps
// all state in memory and Reset wipes all of it, so tests that call Reset
// must not run in parallel with other moto users; prefer unique resource
// names per test instead.
package moto

import (
	"context"
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/internal/tail"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region, AccessKeyID and SecretAccessKey are what every client of the
// shared server uses; moto accepts any credentials.
const (
	Region          = "us-east-1"
	AccessKeyID     = "x"
	SecretAccessKey = "x"
	// AccountID is moto's default account, part of every queue URL and ARN.
	AccountID = "123456789012"
)

const (
	binary        = "moto_server"
	readyTimeout  = 30 * time.Second
	startAttempts = 3
)

// Server is a running moto_server.
type Server struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has exited
	log      *tail.Buffer
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Start returns the shared server, starting it on first use. It skips the
// test under -short, and fails it when moto_server is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("moto_server tests skipped under -short")
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = launch()
	}
	if shared.err != nil {
		t.Fatalf("%v", shared.err)
	}
	return shared.srv
}

// Main runs the tests and then stops the shared server, if one was started.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop kills the shared server and waits for it to exit. Main calls it; call
// it yourself only from a TestMain that does not use Main.
func Stop() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.kill()
		shared.srv = nil
	}
}

// Endpoint is the server's base URL, e.g. http://127.0.0.1:41234.
func (s *Server) Endpoint() string { return s.endpoint }

// AWSConfig is an SDK config aimed at the server: static credentials, region
// us-east-1, BaseEndpoint set. It is built by hand rather than with
// config.LoadDefaultConfig so a developer's ~/.aws files and AWS_* variables
// cannot leak in; ctx is accepted for symmetry with LoadDefaultConfig.
func (s *Server) AWSConfig(ctx context.Context) aws.Config {
	_ = ctx
	return aws.Config{
		Region:       Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		BaseEndpoint: aws.String(s.endpoint),
	}
}

// Env is the environment a child process (a Lambda binary, the AWS CLI)
// needs to talk to the server; append it to os.Environ(). The Debian AWS CLI
// 2.9 predates AWS_ENDPOINT_URL, so pass --endpoint-url to it as well.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Reset wipes all state in the server (every queue, table, secret, bus).
func (s *Server) Reset(t testing.TB) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.endpoint+"/moto-api/reset", nil)
	if err != nil {
		t.Fatalf("moto reset: %v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("moto reset: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto reset: status %s", resp.Status)
	}
}

func launch() (*Server, error) {
	path, err := exec.LookPath(binary)
	if err != nil {
		return nil, errors.New("moto_server not found on PATH: it ships with this machine kind's Python (moto 5.2.1); " +
			"elsewhere install it with pip install 'moto[server]', or use -short to skip the tests that need it")
	}
	var errs []error
	// A free port can be taken between our probe and moto's bind; retry.
	for range startAttempts {
		srv, err := launchOnce(path)
		if err == nil {
			return srv, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("start moto_server: %w", errors.Join(errs...))
}

func launchOnce(path string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		exited:   make(chan struct{}),
		log:      &tail.Buffer{Max: 16 << 10},
	}
	s.cmd = exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	s.cmd.SysProcAttr = childProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		s.kill()
		return nil, fmt.Errorf("%w; output:\n%s", err, s.log.String())
	}
	return s, nil
}

// waitReady polls /moto-api/ until it answers, the process exits, or the
// deadline passes.
func (s *Server) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(s.endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server at %s not ready after %s", s.endpoint, readyTimeout)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited before it was ready (%v)", s.cmd.ProcessState)
		case <-tick.C:
		}
	}
}

func (s *Server) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// CLI is Debian's AWS CLI v2, the independent client tests read with (not
// the pyenv v1 shim that may come first on PATH).
const CLI = "/usr/bin/aws"

// AWSCLI returns CLI for a test that checks our writes with it. It skips
// the test under -short and fails it, naming the install command, when
// the CLI is missing: never a silent skip.
func AWSCLI(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("AWS CLI tests skipped under -short")
	}
	if _, err := os.Stat(CLI); err != nil {
		t.Fatalf("Debian's AWS CLI is not at %s: apt-get install awscli (make test installs it when run as root): %v", CLI, err)
	}
	return CLI
}
