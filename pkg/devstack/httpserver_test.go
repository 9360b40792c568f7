package devstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startStackWith(t *testing.T, to ServerTimeouts) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Options{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Timeouts: to,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// A client that sends its headers and then trickles the body is cut off
// once the read timeout passes, long before its body would be complete.
func TestServerCutsOffATricklingBody(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	s := startStackWith(t, ServerTimeouts{Read: readTimeout})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const bodyLen, every = 200, 20 * time.Millisecond // 4 s for the whole body
	if _, err := fmt.Fprintf(conn, "POST /webhooks/clerk HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", bodyLen); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { // the server answers (or not) and closes
		_, _ = io.Copy(io.Discard, conn)
		close(closed)
	}()
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	sent := 0
	for sent < bodyLen {
		select {
		case <-closed:
			if took := time.Since(start); took > 10*readTimeout {
				t.Fatalf("cut off only after %s", took)
			}
			t.Logf("cut off after %d of %d body bytes, %s", sent, bodyLen, time.Since(start).Round(time.Millisecond))
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("x")); err != nil {
				t.Logf("write failed after %d bytes: %v", sent, err)
				return
			}
			sent++
		}
	}
	t.Fatalf("the server read the whole trickled body (%s) without cutting the client off", time.Since(start).Round(time.Millisecond))
}

// A kept-alive connection left idle is closed after the idle timeout.
func TestServerClosesIdleConnections(t *testing.T) {
	s := startStackWith(t, ServerTimeouts{Idle: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: local\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("healthz: %d, close %v", resp.StatusCode, resp.Close)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v after %s, want the server to close it", err, time.Since(start))
	}
}

func TestServerTimeoutsDefaults(t *testing.T) {
	srv := newServer(http.NotFoundHandler(), ServerTimeouts{Idle: time.Second})
	d := DefaultServerTimeouts
	if srv.ReadHeaderTimeout != d.ReadHeader || srv.ReadTimeout != d.Read || srv.WriteTimeout != d.Write || srv.IdleTimeout != time.Second {
		t.Fatalf("%+v", srv)
	}
	if d.ReadHeader <= 0 || d.Read <= 0 || d.Write <= 0 || d.Idle <= 0 {
		t.Fatalf("a default is unbounded: %+v", d)
	}
}
