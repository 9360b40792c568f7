package local

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDurableAcrossReopen closes the database with a message in flight and
// another never received, as a crash would leave them, and reopens it.
func TestDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	cfg := QueueConfig{Target: "t", VisibilityTimeout: 200 * time.Millisecond}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewQueues(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	send(t, q, "t", msgs(2))
	inFlight := receive(t, q, "t", 1)
	if len(inFlight) != 1 {
		t.Fatalf("received %d", len(inFlight))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	q2, err := NewQueues(openDB(t, dir), cfg)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	eventually(t, "both messages after reopen", func() bool {
		for _, m := range receive(t, q2, "t", 10) {
			seen[m.MessageId] = m.Attributes["ApproximateReceiveCount"]
		}
		return len(seen) == 2
	})
	if seen[inFlight[0].MessageId] != "2" {
		t.Errorf("in-flight message came back with receive count %q, want 2", seen[inFlight[0].MessageId])
	}
}

const crashDirEnv = "PROFILESYNC_LOCAL_CRASH_DIR"

// TestDurableAcrossSIGKILL runs a child process that sends and receives,
// kills it with SIGKILL mid-flight, and checks every message comes back.
func TestDurableAcrossSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Process.Kill()
			t.Fatal("child exited before it was ready")
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child not ready")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	q, err := NewQueues(openDB(t, dir), QueueConfig{Target: "t", VisibilityTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The property: every message comes back, and the one the child had in
	// flight comes back as its second receive. Only each message's first
	// receive after the kill counts: with a 200 ms visibility timeout an
	// undeleted message may come round again within the wait.
	first := map[string]string{} // message id -> receive count when first seen again
	eventually(t, "all three messages after SIGKILL", func() bool {
		for _, m := range receive(t, q, "t", 10) {
			if _, seen := first[m.MessageId]; !seen {
				first[m.MessageId] = m.Attributes["ApproximateReceiveCount"]
			}
		}
		return len(first) == 3
	})
	counts := map[string]int{}
	for _, c := range first {
		counts[c]++
	}
	if counts["1"] != 2 || counts["2"] != 1 {
		t.Errorf("receive counts at first sight %v, want two first receives and the in-flight one's second", counts)
	}
}

// TestCrashChild is the child of TestDurableAcrossSIGKILL; it does nothing
// unless that test started it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestDurableAcrossSIGKILL")
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	q, err := NewQueues(db, QueueConfig{Target: "t", VisibilityTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	send(t, q, "t", msgs(3))
	if got, err := q.Receive(context.Background(), "t", 1); err != nil || len(got) != 1 {
		t.Fatalf("child receive: %v %d", err, len(got))
	}
	os.Stdout.WriteString("ready\n")
	time.Sleep(time.Hour) // until SIGKILL
}
