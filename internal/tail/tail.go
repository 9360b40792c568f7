// Package tail keeps the last bytes a child process wrote, so a test that
// runs a server or a Lambda binary can show its output when it fails.
package tail

import "sync"

// Buffer is an io.Writer that keeps the last Max bytes written. It is safe
// for concurrent use.
type Buffer struct {
	Max int
	mu  sync.Mutex
	buf []byte
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.Max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
